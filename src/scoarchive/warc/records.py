"""The WARC 1.1 record model: what one capture is, and the digest and date forms WARC uses.

Everything that writes or reads records shares these: the HTTP exchange as it crossed the wire,
the earlier capture a revisit points back to, and where a written record lives.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

WARC_VERSION = "WARC/1.1"


OPEN_SUFFIX = ".open"


PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


COPY_CHUNK = 1 << 16


def sha1_digest(hasher: hashlib._Hash) -> str:
    """The WARC digest form: ``sha1:`` and the base32 of the raw digest."""
    return "sha1:" + base64.b32encode(hasher.digest()).decode("ascii")


def warc_date(moment: datetime) -> str:
    """WARC-Date with microseconds, so two captures in one second still sort and differ."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


@dataclass
class HttpExchange:
    """One HTTP request and its response, as they crossed the wire.

    ``response_head`` is the status line and headers exactly as received, ending in a blank
    line; ``body`` holds the entity as received (content-encoding kept, chunking removed),
    spooled to disk for large resources. The digests were computed while the body streamed in.
    """

    url: str
    date: datetime
    request_head: bytes
    response_head: bytes
    body: BinaryIO
    body_length: int
    payload_digest: str
    block_digest: str
    status: int
    ip_address: str | None = None
    truncated: str | None = None


@dataclass(frozen=True)
class PriorCapture:
    """The earlier full response a revisit record points back to."""

    record_id: str
    url: str
    date: str
    payload_digest: str


@dataclass(frozen=True)
class RecordRef:
    """Where a record lives: enough to read it back with one seek."""

    filename: str
    offset: int
    length: int
    record_id: str
    date: str
