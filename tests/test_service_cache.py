"""What bounds the service's memory: its cache holds at most its capacity in bytes, least recently
used first out; a page asked for by many requests at once is made once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from scoarchive.resolve.resolver import Resolver
from scoarchive.service.archive import Archive
from scoarchive.service.cache import ENTRY_OVERHEAD, ByteCache, Stored
from scoarchive.service.config import ServiceConfig


def entry(size: int) -> Stored:
    return Stored(200, [("Content-Type", "text/html")], b"x" * size)


def test_the_cache_holds_at_most_its_capacity() -> None:
    cache = ByteCache(100_000)
    for n in range(100):
        cache.put(("page", f"p{n}"), entry(9_000))
    assert cache.size <= 100_000
    kept = [n for n in range(100) if cache.get(("page", f"p{n}")) is not None]
    assert kept == list(range(100 - len(kept), 100)) and 9 <= len(kept) <= 11  # the latest
    cache.get(("page", f"p{kept[0]}"))  # used: now the most recent
    cache.put(("page", "new"), entry(9_000))
    assert cache.get(("page", f"p{kept[0]}")) is not None and cache.get(("page", f"p{kept[1]}")) is None


def test_an_entry_over_an_eighth_of_the_cache_is_not_kept() -> None:
    cache = ByteCache(80_000)
    cache.put(("record", "small"), entry(1_000))
    cache.put(("record", "large"), entry(10_000 - ENTRY_OVERHEAD))
    assert cache.get(("record", "large")) is None and cache.get(("record", "small")) is not None
    cache.put(("record", "x" * 20_000), entry(10))  # the key counts too
    assert cache.get(("record", "x" * 20_000)) is None


def test_no_cache_keeps_nothing() -> None:
    cache = ByteCache(0)
    cache.put(("page", "p"), entry(1))
    assert cache.get(("page", "p")) is None and cache.size == 0


@pytest.mark.parametrize("capacity", [0, 1 << 20])
def test_a_page_asked_for_at_once_is_made_once(tmp_path: Path, capacity: int) -> None:
    archive = Archive(tmp_path, Resolver(tmp_path), ServiceConfig(cache_bytes=capacity))
    made = []

    async def make() -> Stored:
        made.append(1)
        await asyncio.sleep(0.05)
        return entry(100)

    async def readers() -> list[Stored]:
        first = asyncio.gather(*(archive.once(("page", "p"), make) for _ in range(50)))
        hung_up = asyncio.ensure_future(archive.once(("page", "p"), make))
        await asyncio.sleep(0.01)
        hung_up.cancel()  # one reader leaves: the page is still made for the others
        return list(await first)

    pages = asyncio.run(readers())
    assert len(made) == 1 and all(page is pages[0] for page in pages)
    asyncio.run(archive.once(("page", "p"), make))
    assert len(made) == (1 if capacity else 2)  # kept, or made again when nothing is kept


def test_a_failure_reaches_every_reader_and_is_not_kept(tmp_path: Path) -> None:
    archive = Archive(tmp_path, Resolver(tmp_path), ServiceConfig())

    async def fail() -> Stored:
        await asyncio.sleep(0.01)
        raise LookupError("the record is unavailable")

    async def readers() -> list[BaseException | Stored]:
        return await asyncio.gather(
            *(archive.once(("page", "f"), fail) for _ in range(5)), return_exceptions=True
        )

    assert all(isinstance(result, LookupError) for result in asyncio.run(readers()))
    assert archive.cache.get(("page", "f")) is None
