"""Reading one WARC file into a :class:`~.records.FileBatch`: its records, then their extraction.

:mod:`.records` turns the file's records into rows and extraction jobs; :mod:`.extraction` runs
the jobs (inline or in worker processes); the results join the batch here, which the loader then
writes in one transaction. What pages link (a document page's PDF, the versions of a page in
other languages) is filed here under the profile's canonical URLs and article keys, so that it
joins the captures it names.
"""

from __future__ import annotations

import logging
from pathlib import Path

from scoarchive.core.profile import Profile
from scoarchive.core.urls import InvalidURL
from scoarchive.warehouse.extraction import Extracted, ExtractionPool
from scoarchive.warehouse.records import FileBatch, SkippedRecord, WarcRecords

log = logging.getLogger("scoarchive.warehouse")  # the package's logger


def read_warc(path: Path, profile: Profile, extractor: ExtractionPool) -> FileBatch:
    """One WARC file as rows: captures, extractions, what pages link, outlinks and skipped records."""
    reader = WarcRecords(path, profile)
    for job in reader.read():
        extractor.submit(job)
    batch = reader.batch
    for result in extractor.drain():
        if isinstance(result, SkippedRecord):
            log.warning(
                "%s@%d %s: skipped: %s", result.warc_file, result.warc_offset, result.url, result.reason
            )
            batch.skipped.append(result)
        else:
            batch.extractions.append(result.row)
            _file_links(batch, result, profile)
    if batch.crawl_run_id:
        for row in (*batch.captures, *batch.extractions):
            row["crawl_run_id"] = row["crawl_run_id"] or batch.crawl_run_id
    return batch


def _canonical(url: str | None, profile: Profile) -> str | None:
    if url is None:
        return None
    try:
        return profile.canonicalize(url)
    except InvalidURL:
        return None


def _file_links(batch: FileBatch, result: Extracted, profile: Profile) -> None:
    """Rows for ``document_pages`` and ``language_links`` from one extraction's result."""
    record_id = result.row["record_id"]
    if result.document is not None:
        batch.document_pages.append(
            {
                "record_id": record_id,
                "fields": dict(result.document.fields),  # a JSON object, in page order
                "pdf_url": _canonical(result.document.pdf_url, profile),
            }
        )
    own = result.row["item_key"]
    seen: set[tuple[str, str]] = set()
    for link in result.language_links:
        url = _canonical(link.url, profile)
        if url is None or (link.language, url) in seen:
            continue
        seen.add((link.language, url))
        key = profile.article_key(url)
        if key == own:
            continue  # the page's own entry in its hreflang set
        batch.language_links.append(
            {"record_id": record_id, "language": link.language, "url": url, "article_key": key}
        )
