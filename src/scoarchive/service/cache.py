"""A cache of what never changes once archived: records read from WARC files, pages rendered from them.

A closed WARC file is never written again, so the record at a file and offset is the same
forever, and so is a rendering of it for the same address, timestamp and banner. Pages built
from the warehouse are keyed by the snapshot they were read from. The cache is bounded by the
bytes it holds, least recently used first out; an entry over an eighth of it is not kept.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from cachetools import LRUCache

ENTRY_OVERHEAD = 256  # bytes counted for an entry's bookkeeping, beyond its key and response


Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Stored:
    """A response held whole: status, header fields and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    size: int = field(init=False)

    def __post_init__(self) -> None:
        headers = sum(len(name) + len(value) for name, value in self.headers)
        object.__setattr__(self, "size", len(self.body) + headers)


class ByteCache:
    """Least-recently-used :class:`Stored` responses, at most ``capacity`` bytes (keys, responses
    and bookkeeping counted); shared by threads."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: LRUCache[Key, tuple[Stored, int]] = LRUCache(
            maxsize=max(capacity, 1), getsizeof=lambda item: item[1]
        )
        self._lock = threading.Lock()

    def get(self, key: Key) -> Stored | None:
        if not self.capacity:
            return None
        with self._lock:
            item = self._entries.get(key)
        return item[0] if item is not None else None

    def put(self, key: Key, entry: Stored) -> None:
        size = entry.size + ENTRY_OVERHEAD + sum(len(part) if isinstance(part, str) else 8 for part in key)
        if size * 8 > self.capacity:
            return
        with self._lock:
            self._entries[key] = (entry, size)

    @property
    def size(self) -> int:
        """Bytes held now."""
        with self._lock:
            return int(self._entries.currsize)
