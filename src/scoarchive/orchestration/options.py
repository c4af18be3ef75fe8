"""Crawl settings as the CLI and the flows build them, with a language narrowing a profile.

The options themselves, their defaults and their help are CrawlConfig's
(:func:`scoarchive.capture.config.crawl_default`, :func:`~scoarchive.capture.config.crawl_help`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scoarchive.capture.config import CrawlConfig
from scoarchive.core.profile import Profile, ProfileError, load_profile
from scoarchive.core.settings import Settings, connect_to_rules


def for_language(profile: Profile, language: str | None) -> Profile:
    """The profile narrowed to the hosts of one language (``en``, ``ru``, ``zh``).

    A narrowed crawl stays on its hosts (links to the other languages become outlinks), which
    is what lets runs per language share one archive and together equal one whole crawl.
    """
    if not language:
        return profile
    hosts = tuple(host for host in profile.hosts if profile.languages.get(host) == language)
    if not hosts:
        known = ", ".join(sorted(set(profile.languages.values()))) or "none"
        raise ProfileError(f"profile {profile.name!r} has no hosts in language {language!r} (known: {known})")
    starts = tuple(url for url in profile.start_urls if profile.language_of(url) == language)
    return profile.model_copy(update={"hosts": hosts, "start_urls": starts})


def crawl_config(
    profile: str = "sco",
    data: Path | str | None = None,
    *,
    language: str | None = None,
    seeds: Sequence[str] = (),
    connect_to: Sequence[str] = (),
    **options: Any,
) -> CrawlConfig:
    """The CrawlConfig ``scoarchive crawl`` builds from its options, with a language filter.

    ``options`` are CrawlConfig fields (``max_pages``, ``delay``...); the ones not given keep
    CrawlConfig's defaults. Seeds on hosts outside the language are dropped; none left is an
    error (bad input).
    """
    site = for_language(load_profile(profile), language)
    chosen = list(seeds)
    if language and chosen:
        chosen = [seed for seed in chosen if site.in_scope(seed)]
        if not chosen:
            raise ProfileError(f"no seed is on a {language!r} host of profile {site.name!r}")
    settings = Settings()
    return CrawlConfig(
        profile=site,
        data_dir=Path(data) if data is not None else settings.home,
        seeds=chosen,
        connect_to=connect_to_rules(connect_to),
        **{"operator": settings.operator, **options},
    )
