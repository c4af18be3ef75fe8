"""Reading one WARC file into a :class:`~.records.FileBatch`: its records, then their extraction.

:mod:`.records` turns the file's records into rows and extraction jobs; :mod:`.extraction` runs
the jobs (inline or in worker processes); the results join the batch here, which the loader then
writes in one transaction.
"""

from __future__ import annotations

import logging
from pathlib import Path

from scoarchive.core.profile import Profile
from scoarchive.warehouse.extraction import ExtractionPool
from scoarchive.warehouse.records import FileBatch, SkippedRecord, WarcRecords

log = logging.getLogger("scoarchive.warehouse")  # the package's logger


def read_warc(path: Path, profile: Profile, extractor: ExtractionPool) -> FileBatch:
    """One WARC file as rows: captures, extractions, outlinks and skipped records."""
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
            batch.extractions.append(result)
    if batch.crawl_run_id:
        for row in (*batch.captures, *batch.extractions):
            row["crawl_run_id"] = row["crawl_run_id"] or batch.crawl_run_id
    return batch
