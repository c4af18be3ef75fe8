"""Resuming a run from its WARC files, the truth: what a crash left unrecorded is recorded now.

The unfinished ``*.warc.gz.open`` files of the run are cut after their last complete record and
closed; then every response or revisit in the run's files whose URL the frontier still has as
queued (its result was in the group of results the crash lost) is marked done from the record,
with its successors, exactly as if the crawl had recorded it.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import BinaryIO

from warcio.recordloader import ArcWarcRecord

from scoarchive.capture.frontier import QueueItem
from scoarchive.capture.states import Outcome, QueueState
from scoarchive.capture.store import Recorder, result_of, seen_of
from scoarchive.core.httpmsg import header_value
from scoarchive.core.profile import Profile
from scoarchive.core.settings import DataDir
from scoarchive.warc.reader import Damage, scan_records
from scoarchive.warc.records import RecordRef
from scoarchive.warc.recovery import recover_open_file

log = logging.getLogger(__name__)


def resume_run(data: DataDir, recorder: Recorder, profile: Profile) -> None:
    """Close the run's unfinished WARC files and take every record in them as done."""
    prefix = f"scoarchive-{recorder.run_id}-"
    for path in data.warc_files(prefix + "*.warc.gz.open"):
        recovered = recover_open_file(path)
        log.info("recovered %s", recovered.name)
    frontier = recorder.frontier
    for path in data.warc_files(prefix + "*.warc.gz"):
        for item in scan_records(path):
            if isinstance(item, Damage):  # the records around it still count; verify reports it
                log.warning("%s@%d damaged: %s", path.name, item.offset, item.reason)
                continue
            offset, record = item
            if record.rec_type not in ("response", "revisit"):
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            if frontier.state_of(recorder.run_id, url) not in (None, QueueState.QUEUED):
                continue
            action = frontier.action_of(recorder.run_id, url) or profile.action_for(url).value
            _replay_record(recorder, path, offset, record, QueueItem(url, action))


def _replay_record(
    recorder: Recorder, path: Path, offset: int, record: ArcWarcRecord, item: QueueItem
) -> None:
    """Bring the frontier up to date with a record written just before a crash."""
    rec_headers = record.rec_headers
    status = int(record.http_headers.get_statuscode()) if record.http_headers else 0
    headers = list(record.http_headers.headers) if record.http_headers else []
    revisit = record.rec_type == "revisit"
    prior = recorder.frontier.seen(item.url) if revisit else None
    if prior is not None:
        open_body = recorder.prior_body(prior)
        content_type, content_encoding = prior.content_type, prior.content_encoding
    else:

        def open_body() -> BinaryIO:
            return io.BytesIO(record.raw_stream.read(recorder.max_bytes))

        content_type = header_value(headers, "content-type")
        content_encoding = header_value(headers, "content-encoding")
    found = recorder.successors.of(item, status, headers, content_type, content_encoding, open_body)
    truncated = rec_headers.get_header("WARC-Truncated")
    if revisit:
        state, outcome, reason = QueueState.DONE, Outcome.UNCHANGED, None
    else:
        http = record.http_headers
        head = f"{http.protocol} {http.statusline}".encode("iso-8859-1", "replace") if http else None
        state, outcome, reason = result_of(status, head, truncated, None, found)
    seen = None
    if not revisit and state is QueueState.DONE and status == 200 and not truncated:
        ref = RecordRef(
            path.name,
            offset,
            0,
            rec_headers.get_header("WARC-Record-ID"),
            rec_headers.get_header("WARC-Date"),
        )
        seen = seen_of(item.url, rec_headers.get_header("WARC-Payload-Digest"), headers, ref)
    recorder.mark(
        item.url,
        state,
        outcome,
        reason,
        status=status,
        where=(path.name, offset),
        seen=seen,
        new_items=found.items,
    )
