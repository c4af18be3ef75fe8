"""Crash recovery: close a ``*.warc.gz.open`` file a killed process left behind.

Complete gzip members are complete records (each record is written as one member), so cutting
the file after the last complete member keeps every record that was written before the crash.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from scoarchive.warc.records import COPY_CHUNK, OPEN_SUFFIX


def recover_open_file(path: Path) -> Path:
    """Close a ``*.warc.gz.open`` file left by a crash; return the closed file's path.

    Complete gzip members are complete records (each record is written as one member), so
    cutting the file after the last complete member keeps every record that was written.
    """
    path = Path(path)
    good_end = _complete_members_end(path)
    with open(path, "r+b") as handle:
        handle.truncate(good_end)
        handle.flush()
        os.fsync(handle.fileno())
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    if good_end == 0:
        path.unlink()
        return final
    os.replace(path, final)
    return final


def _complete_members_end(path: Path) -> int:
    """Offset just past the last complete gzip member of the file."""
    good_end = 0
    offset = 0
    buffer = b""
    decompressor = zlib.decompressobj(31)
    with open(path, "rb") as handle:
        while True:
            if not buffer:
                buffer = handle.read(1 << 20)
                if not buffer:
                    return good_end
            try:
                decompressor.decompress(buffer, COPY_CHUNK)
            except zlib.error:
                return good_end
            if decompressor.eof:
                rest = decompressor.unused_data
                offset += len(buffer) - len(rest)
                good_end = offset
                buffer = rest
                decompressor = zlib.decompressobj(31)
            else:
                tail = decompressor.unconsumed_tail
                offset += len(buffer) - len(tail)
                buffer = tail
