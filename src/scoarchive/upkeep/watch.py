"""Link rot and drift: is each archived article still where it was, and still the same?

For every archived article (the latest full capture of each article URL the frontier knows), or
for a given list of URLs (the ones briefings cite), ask the live site now
(:mod:`scoarchive.capture.live`: the same fetcher, politeness and egress policy as a crawl).
Nothing is archived by the check itself; :func:`recapture` captures the changed and unarchived
pages again (with what they embed) through the capture engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from scoarchive.capture.config import CrawlConfig, CrawlSummary, crawl_default
from scoarchive.capture.crawler import Crawler
from scoarchive.capture.frontier import Seen, latest_captures
from scoarchive.capture.live import LIVE_RETRIES, WatchReport, check_live
from scoarchive.capture.politeness import HostLimiter
from scoarchive.core.profile import Profile
from scoarchive.core.settings import DataDir
from scoarchive.core.urls import ConnectTo, InvalidURL


def archived_pages(
    data_dir: Path | str, profile: Profile, urls: Sequence[str] | None = None, language: str | None = None
) -> list[tuple[str, Seen | None]]:
    """The URLs to check with their latest full capture (None: never captured).

    Without ``urls``: every article URL (the profile's identity rule) with a full capture,
    optionally of one language.
    """
    seen = latest_captures(DataDir(data_dir).frontier)
    if urls is not None:
        chosen = [profile.canonicalize(url) for url in urls]
        return [(url, seen.get(url)) for url in dict.fromkeys(chosen)]
    return [
        (url, item)
        for url, item in seen.items()
        if profile.article_key(url) is not None and (language is None or profile.language_of(url) == language)
    ]


async def watch_async(
    data_dir: Path | str,
    profile: Profile,
    *,
    urls: Sequence[str] | None = None,
    language: str | None = None,
    connect_to: Sequence[ConnectTo] = (),
    timeout: float = crawl_default("timeout"),
    delay: float | None = None,
    host_concurrency: int | None = None,
    retries: int = LIVE_RETRIES,
    host_limiter: HostLimiter | None = None,
) -> WatchReport:
    """Check the archived articles (or ``urls``) of a data directory against the live site.

    Politeness is the profile's unless ``delay`` / ``host_concurrency`` say otherwise.
    """
    for url in urls or ():
        try:
            in_scope = profile.in_scope(profile.canonicalize(url))
        except InvalidURL as exc:
            raise ValueError(f"bad URL: {exc}") from None
        if not in_scope:
            raise ValueError(f"URL {url!r} is outside profile {profile.name!r}")
    politeness = profile.politeness
    return await check_live(
        archived_pages(data_dir, profile, urls, language),
        profile,
        connect_to=connect_to,
        timeout=timeout,
        delay=politeness.delay if delay is None else delay,
        host_concurrency=host_concurrency or politeness.host_concurrency,
        retries=retries,
        host_limiter=host_limiter,
    )


def watch(data_dir: Path | str, profile: Profile, **options: Any) -> WatchReport:
    """:func:`watch_async` run to completion (what the CLI calls)."""
    return asyncio.run(watch_async(data_dir, profile, **options))


def recapture_config(config: CrawlConfig, urls: Sequence[str]) -> CrawlConfig:
    """A crawl config that captures exactly ``urls`` again, with what they embed (images, styles).

    Revisit records are written for pages that turn out unchanged after all.
    """
    return replace(config, seeds=list(urls), follow_links=False, max_pages=None)


async def recapture(config: CrawlConfig, urls: Sequence[str]) -> CrawlSummary:
    """Capture ``urls`` again with the capture engine (same politeness, same WARC rules)."""
    return await Crawler(recapture_config(config, urls)).run()
