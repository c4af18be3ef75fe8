"""What a crawl is asked to do, and what it reports back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from scoarchive import __version__
from scoarchive.core.profile import Profile
from scoarchive.core.urls import ConnectTo

DEFAULT_USER_AGENT = f"scoarchive/{__version__} (research web archive; obeys robots.txt)"


class CrawlError(Exception):
    """A crawl that cannot start: bad seeds, unusable data directory."""


class CrawlBusy(CrawlError):
    """The same crawl (profile and seeds) is running in another process on this data directory."""


@dataclass
class CrawlConfig:
    profile: Profile
    data_dir: Path
    seeds: Sequence[str] = ()
    connect_to: Sequence[ConnectTo] = ()
    max_pages: int | None = None
    # False: capture the seeds, their redirects and what they embed (images, stylesheets) and
    # nothing more; how a single cited page is archived on demand.
    follow_links: bool = True
    concurrency: int = 8
    host_concurrency: int | None = None
    delay: float | None = None
    timeout: float = 30.0
    max_bytes: int = 100 * 2**20
    retries: int = 3
    backoff: float = 0.5
    max_redirects: int = 10
    html_limit: int = 4 * 2**20
    warc_max_size: int = 1_000_000_000
    compress_level: int = 6
    operator: str = "scoarchive operator"
    user_agent: str = DEFAULT_USER_AGENT
    # Held around every request to a host, beside the run's own gate: how concurrent runs
    # (e.g. Prefect flows sharing a global concurrency limit per host) stay polite together.
    host_limiter: Callable[[str], AbstractAsyncContextManager[object]] | None = None


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
    status: str
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

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
