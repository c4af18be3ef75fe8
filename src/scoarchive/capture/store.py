"""Storing an exchange: the WARC record (a response, or a revisit of an earlier capture), then its
result and its successors in the frontier.

The record is written and flushed before the frontier hears of it, so a crash between the two
leaves a record the frontier does not know, which resuming replays (:mod:`scoarchive.capture.resume`)
through the same :meth:`Recorder.mark`.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from scoarchive.capture.frontier import Frontier, QueueItem, Seen
from scoarchive.capture.states import Outcome, QueueState
from scoarchive.capture.successors import REDIRECT_STATUS, Found, Successors
from scoarchive.capture.transport import FetchResult
from scoarchive.core.httpmsg import header_value, media_type, status_text
from scoarchive.warc.reader import read_payload
from scoarchive.warc.records import PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED, PriorCapture, RecordRef
from scoarchive.warc.writer import WarcWriter

# Payloads compressed by their own format, which deflate shrinks by well under 1% at twenty
# times the CPU of storing them (level 0): 2 ms for a 100 KB JPEG at level 1, 0.1 ms stored.
STORED_TYPES = frozenset(
    {"image/jpeg", "image/webp", "image/avif", "application/zip", "application/gzip", "font/woff2"}
)
STORED_PREFIXES = ("video/", "audio/")


# Compressed formats that keep some redundancy (PNG's filtered rows, a PDF's object tables, 16%
# on PNGs measured): the fastest deflate level.
FAST_PREFIXES = ("image/", "font/")
FAST_TYPES = frozenset({"application/pdf"})


# Records whose gzip costs more than a thread hand-off (about 50 us) are compressed in a thread,
# where zlib releases the GIL; the others are written at once.
INLINE_BYTES = 32 * 1024


class Recorder:
    """Writes one run's exchanges and results; counts what the summary reports."""

    def __init__(
        self,
        writer: WarcWriter,
        frontier: Frontier,
        run_id: str,
        successors: Successors,
        warcs: Path,
        max_bytes: int,
    ) -> None:
        self.writer = writer
        self.frontier = frontier
        self.run_id = run_id
        self.successors = successors
        self.warcs = warcs
        self.max_bytes = max_bytes
        self.failed = 0
        self.outlinks = 0
        self._known = frontier.urls(run_id)
        self._write_lock = asyncio.Lock()

    def unknown(self, items: Iterable[QueueItem]) -> list[QueueItem]:
        """Drop URLs the run already has, before they cost a database round trip."""
        fresh = [item for item in items if item.url not in self._known]
        self._known.update(item.url for item in fresh)
        return fresh

    def mark(
        self,
        url: str,
        state: QueueState,
        outcome: Outcome,
        reason: str | None = None,
        *,
        status: int | None = None,
        where: tuple[str, int] | None = None,
        seen: Seen | None = None,
        new_items: Iterable[QueueItem] = (),
    ) -> list[QueueItem]:
        """Record a URL's result (``where``: its record's file and offset); the new successors."""
        self.failed += state is QueueState.FAILED
        warc_file, warc_offset = where or (None, None)
        return self.frontier.mark(
            self.run_id,
            url,
            state=state,
            outcome=outcome,
            reason=reason,
            status=status,
            warc_file=warc_file,
            warc_offset=warc_offset,
            seen=seen,
            new_items=self.unknown(new_items),
        )

    async def close(self) -> None:
        async with self._write_lock:
            self.writer.close()

    async def store(self, item: QueueItem, result: FetchResult, prior: Seen | None) -> list[QueueItem]:
        """Write the exchange (full, or as a revisit of ``prior``); the URLs it adds to the queue."""
        exchange = result.exchange
        assert exchange is not None, "only an exchange is stored"
        headers = result.headers
        try:
            status = exchange.status
            seen = None
            if prior is not None and (
                status == 304
                or (
                    status == 200
                    and not exchange.truncated
                    and exchange.payload_digest == prior.payload_digest
                )
            ):
                profile = PROFILE_NOT_MODIFIED if status == 304 else PROFILE_IDENTICAL
                capture = PriorCapture(prior.record_id, prior.url, prior.date, prior.payload_digest)
                ref = await self._write(self.writer.write_revisit, exchange, profile, capture)
                found = self.successors.of(
                    item, status, headers, prior.content_type, prior.content_encoding, self.prior_body(prior)
                )
                state, outcome, reason = QueueState.DONE, Outcome.UNCHANGED, None
            else:
                level = payload_level(headers)
                costly = level != 0 and exchange.body_length > INLINE_BYTES
                ref = await self._write(self.writer.write_response, exchange, level=level, costly=costly)
                found = self.successors.of(
                    item,
                    status,
                    headers,
                    header_value(headers, "content-type"),
                    header_value(headers, "content-encoding"),
                    lambda: exchange.body,
                )
                state, outcome, reason = result_of(
                    status, exchange.response_head, exchange.truncated, result, found
                )
                if state is QueueState.DONE and status == 200 and not exchange.truncated:
                    seen = seen_of(exchange.url, exchange.payload_digest, headers, ref)
                self.outlinks += len(found.outlinks)
                if found.outlinks:
                    await self._write(self.writer.write_outlinks, exchange.url, ref, found.outlinks)
            return self.mark(
                item.url,
                state,
                outcome,
                reason,
                status=status,
                where=(ref.filename, ref.offset),
                seen=seen,
                new_items=found.items,
            )
        finally:
            exchange.body.close()

    async def _write(
        self, method: Callable[..., RecordRef], *args: object, costly: bool = False, **kwargs: object
    ) -> RecordRef:
        """Serialise writes; a ``costly`` one (much to deflate) in a thread, off the event loop."""
        async with self._write_lock:
            if costly:
                return await asyncio.to_thread(method, *args, **kwargs)
            return method(*args, **kwargs)

    def prior_body(self, prior: Seen) -> Callable[[], BinaryIO]:
        """The stored payload of an earlier capture, read only if a caller needs it."""
        path = self.warcs / prior.warc_file
        return lambda: io.BytesIO(read_payload(path, prior.warc_offset, self.max_bytes))


def result_of(
    status: int,
    response_head: bytes | None,
    truncated: str | None,
    fetched: FetchResult | None,
    found: Found,
) -> tuple[QueueState, Outcome, str | None]:
    """State, outcome and reason of a stored response; ``fetched`` is None when it is replayed."""
    if fetched is not None and fetched.failure is not None:
        return QueueState.FAILED, fetched.failure, fetched.error
    if status >= 400:
        return QueueState.FAILED, Outcome.HTTP_ERROR, status_text(response_head, status)
    if found.problem is not None:
        return QueueState.FAILED, Outcome.UNDECODABLE, found.problem
    if status in REDIRECT_STATUS:
        return QueueState.DONE, Outcome.REDIRECT, None
    return QueueState.DONE, Outcome.TRUNCATED if truncated else Outcome.NEW, None


def payload_level(headers: list[tuple[str, str]]) -> int | None:
    """The gzip level for a payload of this kind: 0 (stored) when it is compressed already, 1
    when its format leaves a little to gain, None (the writer's level) for text and the rest."""
    if (header_value(headers, "content-encoding") or "identity").lower() != "identity":
        return 0
    kind = media_type(header_value(headers, "content-type"))
    if kind in STORED_TYPES or kind.startswith(STORED_PREFIXES):
        return 0
    if kind == "image/svg+xml":
        return None
    if kind in FAST_TYPES or kind.startswith(FAST_PREFIXES):
        return 1
    return None


def seen_of(url: str, payload_digest: str, headers: list[tuple[str, str]], ref: RecordRef) -> Seen:
    """The capture a later crawl compares with (conditional requests, revisits)."""
    return Seen(
        url=url,
        record_id=ref.record_id,
        date=ref.date,
        payload_digest=payload_digest,
        etag=header_value(headers, "etag"),
        last_modified=header_value(headers, "last-modified"),
        content_type=header_value(headers, "content-type"),
        content_encoding=header_value(headers, "content-encoding"),
        warc_file=ref.filename,
        warc_offset=ref.offset,
    )
