"""Extraction jobs to rows, inline or in a pool of worker processes.

:func:`run_job` decodes one captured page or PDF and extracts it; it never raises, so one bad
page cannot end a load. :class:`ExtractionPool` sends jobs to worker processes in chunks and
gives the results back in submission order, so a load's rows do not depend on the pool size.
"""

from __future__ import annotations

import io
import multiprocessing
import multiprocessing.context
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from scoarchive.core.httpmsg import BodyTooLarge, decode_body
from scoarchive.extract.article import extract
from scoarchive.extract.pdf import extract_pdf
from scoarchive.extract.text import NotExtractable
from scoarchive.warehouse.records import MAX_PDF, ExtractionJob, SkippedRecord

MAX_DECODED_HTML = 16 * 2**20  # decoded bound: a gzip bomb stops here
CHUNK_JOBS = 16  # pages per task sent to a worker process


def run_job(job: ExtractionJob) -> dict[str, Any] | SkippedRecord:
    """Decode and extract one page or PDF; a row for ``extractions`` or the reason it was skipped.

    Never raises: one page's bug must not end a load.
    """

    def skipped(reason: str) -> SkippedRecord:
        return SkippedRecord(job.warc_file, job.warc_offset, job.record_id, job.url, reason)

    limit = MAX_DECODED_HTML if job.kind == "article" else MAX_PDF
    try:
        body = decode_body(io.BytesIO(job.payload), job.content_encoding, limit)
    except BodyTooLarge:
        return skipped(f"body decodes to over {limit} bytes (gzip bomb?)")
    except ValueError as exc:
        return skipped(f"undecodable body: {exc}")
    row: dict[str, Any] = {
        "record_id": job.record_id,
        "kind": job.kind,
        "item_key": job.item_key,
        "url": job.url,
        "capture_time": job.capture_time,
        "crawl_run_id": job.crawl_run_id,
        "warc_file": job.warc_file,
        "warc_offset": job.warc_offset,
    }
    try:
        if job.kind == "article":
            article = extract(body, job.url, content_type=job.content_type)
            row.update(
                title=article.title,
                published=article.published,
                page_date=article.page_date,
                url_date=article.url_date,
                date_agrees=article.date_agrees,
                date_source=article.date_source,
                authors=list(article.authors),
                language=article.language or job.language_hint,
                description=article.description,
                encoding=article.encoding,
                text=article.text,
                markdown=article.markdown,
                word_count=article.word_count,
                pages=None,
                content_sha256=article.content_sha256,
            )
        else:
            doc = extract_pdf(body, job.url)
            row.update(
                title=doc.title,
                published=doc.created,
                page_date=None,
                url_date=None,
                date_agrees=None,
                date_source="pdf" if doc.created else None,
                authors=list(doc.authors),
                language=job.language_hint,
                description=None,
                encoding=None,
                text=doc.text,
                markdown=None,
                word_count=doc.word_count,
                pages=doc.pages,
                content_sha256=doc.content_sha256,
            )
    except NotExtractable as exc:
        return skipped(str(exc))
    except Exception as exc:
        return skipped(f"extractor error: {type(exc).__name__}: {exc}")
    return row


def run_jobs(jobs: Sequence[ExtractionJob]) -> list[dict[str, Any] | SkippedRecord]:
    """A chunk of jobs: the unit sent to a worker process (amortises pickling overhead)."""
    return [run_job(job) for job in jobs]


def _worker_context() -> multiprocessing.context.BaseContext:
    """Workers start from a clean forkserver with the extractor already imported.

    Plain fork would copy the loader's open DuckDB connection (and its threads) and every
    object on its heap, which copy-on-write then duplicates page by page as the children's
    garbage collector walks it: measured, that erased the speedup of a second worker.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["scoarchive.extract"])
    return context


class ExtractionPool:
    """Runs extraction inline or in a process pool, keeping results in submission order."""

    def __init__(self, workers: int) -> None:
        self.pool = ProcessPoolExecutor(workers, mp_context=_worker_context()) if workers > 1 else None
        self.max_pending = 4 * workers
        self.pending: list[Future[list[dict[str, Any] | SkippedRecord]]] = []
        self.chunk: list[ExtractionJob] = []
        self.results: list[dict[str, Any] | SkippedRecord] = []

    def submit(self, job: ExtractionJob) -> None:
        self.chunk.append(job)
        if len(self.chunk) >= CHUNK_JOBS:
            self._flush()

    def _flush(self) -> None:
        chunk, self.chunk = self.chunk, []
        if not chunk:
            return
        if self.pool is None:
            self.results += run_jobs(chunk)
            return
        self.pending.append(self.pool.submit(run_jobs, chunk))
        while len(self.pending) > self.max_pending:
            self.results += self.pending.pop(0).result()

    def drain(self) -> list[dict[str, Any] | SkippedRecord]:
        self._flush()
        while self.pending:
            self.results += self.pending.pop(0).result()
        results, self.results = self.results, []
        return results

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
