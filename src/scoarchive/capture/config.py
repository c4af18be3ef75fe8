"""What a crawl is asked to do, and what it reports back.

:class:`CrawlConfig` is the one place crawl options are defined: each field's default and its
documentation (``metadata["doc"]``). The CLI's options, the flows' parameters and
:func:`scoarchive.orchestration.options.crawl_config` take their defaults and help from here
(:func:`crawl_default`, :func:`crawl_help`), so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from scoarchive import __version__
from scoarchive.capture.politeness import HostLimiter
from scoarchive.capture.states import RunState
from scoarchive.core.profile import Profile
from scoarchive.core.urls import ConnectTo

DEFAULT_USER_AGENT = f"scoarchive/{__version__} (research web archive; obeys robots.txt)"


class CrawlError(Exception):
    """A crawl that cannot start: bad seeds, unusable data directory."""


class CrawlBusy(CrawlError):
    """The same crawl (profile and seeds) is running in another process on this data directory."""


def _option(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass
class CrawlConfig:
    """A crawl: where, what, and how politely. Every field but the first two has a default."""

    profile: Profile = field(metadata={"doc": "The site profile: hosts, start URLs, rules, politeness."})
    data_dir: Path = field(metadata={"doc": "The data directory (WARC files, frontier, warehouse)."})
    seeds: Sequence[str] = _option((), "Start URLs; replace the profile's start URLs.")
    connect_to: Sequence[ConnectTo] = _option(
        (),
        "As in curl: dial ADDR:ADDRPORT for HOST:PORT; URL and Host header stay. A mapped "
        "address is dialled even if it is private (how tests and the demo reach the replica).",
    )
    max_pages: int | None = _option(None, "Stop after this many pages (the same command resumes).")
    follow_links: bool = _option(
        True,
        "Follow links. Off: capture the seeds, their redirects and what they embed (images, "
        "stylesheets) and nothing more, as when one cited page is archived on demand.",
    )
    concurrency: int = _option(8, "Requests in flight in total.")
    host_concurrency: int | None = _option(None, "Requests in flight per host [default: profile].")
    delay: float | None = _option(None, "Seconds between request starts to one host [default: profile].")
    timeout: float = _option(30.0, "Seconds to wait for a connection or a read.")
    max_bytes: int = _option(100 * 2**20, "Cut a resource after this many bytes (WARC-Truncated).")
    retries: int = _option(3, "Retries, with exponential backoff, for network errors, 429 and 5xx.")
    backoff: float = _option(0.5, "Seconds before the first retry; doubled for each further one.")
    max_redirects: int = _option(10, "Redirects followed from one URL before the target is an outlink.")
    html_limit: int = _option(4 * 2**20, "Decoded bytes of a page read for links (gzip bombs stop here).")
    warc_max_size: int = _option(
        1_000_000_000, "Bytes after which a WARC file is closed and a new one begun."
    )
    compress_level: int = _option(
        6, "gzip level of WARC records (0 for already compressed payloads, 1 for images and PDFs)."
    )
    operator: str = _option("scoarchive operator", "Who runs the crawl, for the WARC's warcinfo.")
    user_agent: str = _option(DEFAULT_USER_AGENT, "The User-Agent sent and matched against robots.txt.")
    host_limiter: HostLimiter | None = field(
        default=None,
        metadata={
            "doc": "Held around every request to a host, beside the run's own gate: how concurrent "
            "runs (Prefect flows sharing a global concurrency limit per host) stay polite together."
        },
    )


_FIELDS = {option.name: option for option in fields(CrawlConfig)}


def crawl_default(name: str) -> Any:
    """The default of a CrawlConfig field, for the CLI options and flow parameters that set it."""
    default = _FIELDS[name].default
    if default is MISSING:
        raise KeyError(f"CrawlConfig.{name} has no default")
    return default


def crawl_help(name: str) -> str:
    """The documentation of a CrawlConfig field, as the help of the option that sets it."""
    return str(_FIELDS[name].metadata["doc"])


@dataclass
class CrawlProgress:
    done: int
    remaining: int
    failed: int
    bytes_written: int


@dataclass
class CrawlSummary:
    run_id: str
    resumed: bool
    status: RunState
    requests: int
    fetched: int
    new: int
    unchanged: int
    redirects: int
    truncated: int
    failed: list[tuple[str, str]]
    blocked: int
    outlinks: int
    bytes_written: int
    warc_files: list[str]
    seconds: float
    unreachable_hosts: dict[str, str] = field(default_factory=dict)
    # Hosts that answered in this run (a page, or a robots.txt that let it be crawled).
    reached_hosts: list[str] = field(default_factory=list)

    def nothing_reached(self) -> str | None:
        """Why no host could be reached at all (the CLI's exit 1), or None when one was."""
        if self.reached_hosts or not self.unreachable_hosts:
            return None
        return "; ".join(f"{host}: {reason}" for host, reason in self.unreachable_hosts.items())

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
