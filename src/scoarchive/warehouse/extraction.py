"""Extraction jobs to rows, inline or in a pool of worker processes.

:func:`run_job` decodes one captured page or PDF and extracts it (an article, a document page
or a PDF); it never raises, so one bad page cannot end a load. :class:`ExtractionPool` sends
jobs to worker processes in chunks and gives the results back in submission order, so a load's
rows do not depend on the pool size.
"""

from __future__ import annotations

import io
import multiprocessing
import multiprocessing.context
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from scoarchive.core.httpmsg import BodyTooLarge, decode_body
from scoarchive.extract.article import extract, url_date
from scoarchive.extract.document import DocumentPage, extract_document_page, is_document_page
from scoarchive.extract.languages import LanguageLink
from scoarchive.extract.pdf import extract_pdf
from scoarchive.extract.text import NotExtractable
from scoarchive.warehouse.records import MAX_PDF, ContentKind, ExtractionJob, SkippedRecord

MAX_DECODED_HTML = 16 * 2**20  # decoded bound: a gzip bomb stops here
CHUNK_JOBS = 16  # pages per task sent to a worker process


@dataclass(frozen=True)
class Extracted:
    """What one job gave: its ``extractions`` row, and for pages what they link.

    ``document`` holds a document page's metadata table and PDF link; ``language_links`` the
    (hreflang, absolute URL) pairs a page gives for its versions in other languages. Both are
    turned into rows by the loader, which knows the profile (canonical URLs, article keys).
    """

    row: dict[str, Any]
    document: DocumentPage | None = None
    language_links: tuple[LanguageLink, ...] = ()


def run_job(job: ExtractionJob) -> Extracted | SkippedRecord:
    """Decode and extract one page or PDF; what it gave, or the reason it was skipped.

    Never raises: one page's bug must not end a load.
    """

    def skipped(reason: str) -> SkippedRecord:
        return SkippedRecord(job.warc_file, job.warc_offset, job.record_id, job.url, reason)

    limit = MAX_DECODED_HTML if job.kind == ContentKind.ARTICLE else MAX_PDF
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
        if job.kind == ContentKind.ARTICLE and is_document_page(body):
            return _document_page(
                row, extract_document_page(body, job.url, content_type=job.content_type), job
            )
        if job.kind == ContentKind.ARTICLE:
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
            return Extracted(row, language_links=article.language_links)
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
        return Extracted(row)
    except NotExtractable as exc:
        return skipped(str(exc))
    except Exception as exc:
        return skipped(f"extractor error: {type(exc).__name__}: {exc}")


def _document_page(row: dict[str, Any], page: DocumentPage, job: ExtractionJob) -> Extracted:
    row.update(
        kind=ContentKind.DOCUMENT_PAGE,
        title=page.title,
        published=page.published,
        page_date=page.published if page.date_source != "url" else None,
        url_date=url_date(job.url),
        date_agrees=None,
        date_source=page.date_source,
        authors=[],
        language=page.language or job.language_hint,
        description=None,
        encoding=page.encoding,
        text=page.text,
        markdown=None,
        word_count=page.word_count,
        pages=None,
        content_sha256=page.content_sha256,
    )
    if row["page_date"] is not None and row["url_date"] is not None:
        row["date_agrees"] = row["page_date"] == row["url_date"]
    return Extracted(row, page, page.language_links)


def run_jobs(jobs: Sequence[ExtractionJob]) -> list[Extracted | SkippedRecord]:
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
        self.pending: list[Future[list[Extracted | SkippedRecord]]] = []
        self.chunk: list[ExtractionJob] = []
        self.results: list[Extracted | SkippedRecord] = []

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

    def drain(self) -> list[Extracted | SkippedRecord]:
        self._flush()
        while self.pending:
            self.results += self.pending.pop(0).result()
        results, self.results = self.results, []
        return results

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
