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

ALREADY_COMPRESSED = frozenset({"application/pdf", "application/zip", "application/gzip"})


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
                compressed = _compressed(headers)
                ref = await self._write(self.writer.write_response, exchange, compressed_payload=compressed)
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

    async def _write(self, method: Callable[..., RecordRef], *args: object, **kwargs: object) -> RecordRef:
        """Serialise writes; compress in a thread (zlib releases the GIL)."""
        async with self._write_lock:
            return await asyncio.to_thread(method, *args, **kwargs)

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


def _compressed(headers: list[tuple[str, str]]) -> bool:
    """Whether a body is already compressed, so deflating it again would only cost CPU."""
    if (header_value(headers, "content-encoding") or "identity").lower() != "identity":
        return True
    kind = media_type(header_value(headers, "content-type"))
    if kind == "image/svg+xml":
        return False
    return kind.startswith(("image/", "video/", "audio/", "font/")) or kind in ALREADY_COMPRESSED


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
