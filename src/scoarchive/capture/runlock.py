"""The run lock: one process at a time on a run, or two would fetch its pages twice."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from scoarchive.capture.config import CrawlBusy
from scoarchive.core.profile import Profile


def run_key(profile: Profile, seeds: Sequence[str]) -> str:
    """Runs with the same profile and seeds are the same job: the key that resumes them."""
    material = json.dumps({"profile": profile.name, "seeds": sorted(seeds)})
    return hashlib.sha1(material.encode()).hexdigest()[:16]


@contextlib.contextmanager
def run_lock(lock_path: Path) -> Iterator[None]:
    """Hold a lock for the run's whole life; CrawlBusy if another process holds it.

    flock is released by the kernel when a process dies, so a killed crawl never blocks its own
    resumption.
    """
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrawlBusy(
                f"the same crawl (profile and seeds) is already running on {lock_path.parent.parent}"
            ) from None
        yield
