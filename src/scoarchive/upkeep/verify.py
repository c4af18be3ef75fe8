"""Fixity: re-read every WARC record, recompute its digests, and check the warehouse against it.

The WARC files are the archive's only copy of what was captured, so a flipped bit or a lost
file must be found by a scheduled check, not by the analyst whose citation no longer replays.
For every closed ``*.warc.gz`` this module

- reads each record (one gzip member each, so damage stays local: reading resumes at the next
  whole record) and recomputes ``WARC-Block-Digest`` over the block and ``WARC-Payload-Digest`` over
  the HTTP body of response and request records (a revisit's payload digest names another
  record's payload, so only its block is checked);
- compares every warehouse ``captures`` row for the file with the record at its offset (same
  record ID, same payload digest);
- names files the warehouse or the crawl frontier refer to that are no longer on disk.

Files still being written (``*.warc.gz.open``) are left alone.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from scoarchive import warehouse
from scoarchive.capture.frontier import referenced_warc_files
from scoarchive.core.settings import DataDir
from scoarchive.warc.reader import Damage, scan
from scoarchive.warc.records import sha1_digest
from scoarchive.warehouse.lookups import capture_locations, referenced_files

CHUNK = 1 << 16


HEAD_END = b"\r\n\r\n"


HTTP_RECORDS = frozenset({"response", "request"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one record (or a stretch of a file that could not be read)."""

    warc_file: str
    offset: int
    record_id: str | None
    url: str | None
    problem: str


@dataclass(frozen=True)
class MissingFile:
    warc_file: str
    referenced_by: tuple[str, ...]  # "warehouse", "frontier"


@dataclass
class FixityReport:
    files_checked: int = 0
    records_checked: int = 0
    bytes_read: int = 0
    rows_compared: int = 0  # warehouse captures rows checked against their records
    problems: list[Problem] = field(default_factory=list)
    missing: list[MissingFile] = field(default_factory=list)
    warehouse: bool = False  # whether a warehouse snapshot was there to compare with
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and not self.missing

    def merge(self, other: FixityReport) -> None:
        self.files_checked += other.files_checked
        self.records_checked += other.records_checked
        self.bytes_read += other.bytes_read
        self.rows_compared += other.rows_compared
        self.problems += other.problems
        self.missing += other.missing
        self.warehouse = self.warehouse or other.warehouse

    def headline(self) -> str:
        """One line naming what is wrong (or that nothing is), for logs and alerts."""
        if self.ok:
            return f"fixity ok: {self.records_checked} records in {self.files_checked} files"
        parts = [f"{p.warc_file}@{p.offset}: {p.problem}" for p in self.problems[:5]]
        parts += [f"{m.warc_file}: missing" for m in self.missing[:5]]
        more = len(self.problems) + len(self.missing) - len(parts)
        return (
            f"fixity FAILED: {len(self.problems)} damaged or mismatched, {len(self.missing)} missing files: "
            + "; ".join(parts)
            + (f"; and {more} more" if more > 0 else "")
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def to_markdown(self) -> str:
        lines = [
            f"# Fixity check: {'OK' if self.ok else 'FAILED'}",
            "",
            "| | |",
            "| --- | ---: |",
            f"| WARC files checked | {self.files_checked} |",
            f"| records checked | {self.records_checked} |",
            f"| bytes read | {self.bytes_read:,} |",
            f"| warehouse rows compared | {self.rows_compared if self.warehouse else 'no warehouse'} |",
            f"| damaged or mismatched records | {len(self.problems)} |",
            f"| missing files | {len(self.missing)} |",
            f"| duration (s) | {self.seconds:.1f} |",
        ]
        if self.missing:
            lines += ["", "## Missing files", ""]
            lines += [f"- `{m.warc_file}` (referenced by {', '.join(m.referenced_by)})" for m in self.missing]
        if self.problems:
            lines += ["", "## Damaged or mismatched records", ""]
            lines += [f"- `{p.warc_file}`@{p.offset} {p.url or ''}: {p.problem}" for p in self.problems[:100]]
        return "\n".join(lines) + "\n"

    def rows(self) -> list[dict[str, str]]:
        """Problems and missing files as table rows."""
        table = [
            {"warc_file": m.warc_file, "offset": "", "url": "", "problem": "file missing"}
            for m in self.missing
        ]
        table += [
            {"warc_file": p.warc_file, "offset": str(p.offset), "url": p.url or "", "problem": p.problem}
            for p in self.problems
        ]
        return table


@dataclass(frozen=True)
class FixityPlan:
    files: list[str]  # closed WARC files on disk, by name
    missing: list[MissingFile]

    def batches(self, count: int) -> list[list[str]]:
        """The files in at most ``count`` contiguous batches of near-equal size (none empty)."""
        count = max(1, min(count, len(self.files)))
        size, extra = divmod(len(self.files), count)
        out, start = [], 0
        for index in range(count):
            end = start + size + (index < extra)
            out.append(self.files[start:end])
            start = end
        return [batch for batch in out if batch]


def plan(data_dir: Path | str) -> FixityPlan:
    """The closed files to read, and the files something refers to that are gone."""
    data = DataDir(data_dir)
    on_disk = {path.name for path in data.warc_files()}
    open_files = {path.name.removesuffix(".open") for path in data.warc_files("*.warc.gz.open")}
    references: dict[str, list[str]] = {}
    for source, names in (
        ("warehouse", referenced_files(data.root) or set()),
        ("frontier", referenced_warc_files(data.frontier)),
    ):
        for name in names:
            references.setdefault(name, []).append(source)
    missing = [
        MissingFile(name, tuple(sources))
        for name, sources in sorted(references.items())
        if name not in on_disk and name not in open_files
    ]
    return FixityPlan(sorted(on_disk), missing)


@dataclass(frozen=True)
class _Record:
    record_id: str | None
    url: str | None
    payload_digest: str | None


def _digests(stream: Any, http: bool) -> tuple[str, str | None, int]:
    """Block digest, payload digest (body after the HTTP head, if ``http``), and block size."""
    block = hashlib.sha1()
    payload = hashlib.sha1() if http else None
    head = b""
    in_body = not http
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        block.update(chunk)
        if payload is None:
            continue
        if in_body:
            payload.update(chunk)
            continue
        head += chunk
        end = head.find(HEAD_END)
        if end >= 0:
            in_body = True
            payload.update(head[end + len(HEAD_END) :])
            head = b""
    if payload is not None and not in_body:
        return sha1_digest(block), None, size  # no blank line: no HTTP body to digest
    return sha1_digest(block), sha1_digest(payload) if payload is not None else None, size


def check_file(path: Path, report: FixityReport) -> dict[int, _Record]:
    """Read every record of one file, recording problems; the records that read, by offset."""
    good: dict[int, _Record] = {}
    report.files_checked += 1
    for item in scan(path, parse_http=False):  # the HTTP head stays in the block, for its digest
        if isinstance(item, Damage):
            report.problems.append(
                Problem(path.name, item.offset, None, None, f"unreadable record: {item.reason}")
            )
            continue
        headers = item.record.rec_headers
        record_id = headers.get_header("WARC-Record-ID")
        url = headers.get_header("WARC-Target-URI")
        problems = _check_record(item.record)  # a record cut short is named here, by its length
        report.records_checked += 1
        for problem in problems:
            report.problems.append(Problem(path.name, item.offset, record_id, url, problem))
        if not problems:
            good[item.offset] = _Record(record_id, url, headers.get_header("WARC-Payload-Digest"))
    report.bytes_read += path.stat().st_size
    return good


def _check_record(record: Any) -> list[str]:
    """Recompute one record's digests (reading its whole block); what disagrees with its headers."""
    headers = record.rec_headers
    kind = record.rec_type
    http = kind in HTTP_RECORDS and "application/http" in (headers.get_header("Content-Type") or "")
    block, payload, length = _digests(record.raw_stream, http)
    problems = []
    declared = headers.get_header("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) != length:
        problems.append(f"block cut short: {length} of {declared} bytes")
    expected_block = headers.get_header("WARC-Block-Digest")
    if expected_block and expected_block != block:
        problems.append(f"block digest {block} != recorded {expected_block}")
    expected_payload = headers.get_header("WARC-Payload-Digest")
    if kind != "revisit" and expected_payload and payload and expected_payload != payload:
        problems.append(f"payload digest {payload} != recorded {expected_payload}")
    return problems


def check_files(data_dir: Path | str, names: Iterable[str]) -> FixityReport:
    """Check the named closed files record by record, and the warehouse rows that point into them."""
    started = time.monotonic()
    data = DataDir(data_dir)
    names = list(names)
    report = FixityReport()
    expected = capture_locations(data.root, names) if warehouse.current_snapshot(data.root) else None
    report.warehouse = expected is not None
    for name in names:
        path = data.warcs / name
        if not path.exists():
            report.missing.append(MissingFile(name, ("plan",)))
            continue
        first_problem = len(report.problems)
        good = check_file(path, report)
        damaged = {p.offset: index for index, p in enumerate(report.problems) if index >= first_problem}
        for record_id, offset, digest, url in (expected or {}).get(name, []):
            report.rows_compared += 1
            record = good.get(offset)
            if record is None:
                if offset in damaged:  # name what was lost with the warehouse's knowledge of it
                    index = damaged[offset]
                    report.problems[index] = replace(report.problems[index], record_id=record_id, url=url)
                else:
                    report.problems.append(
                        Problem(name, offset, record_id, url, "warehouse row points where no record was read")
                    )
            elif record.record_id != record_id:
                report.problems.append(
                    Problem(
                        name,
                        offset,
                        record_id,
                        record.url,
                        f"warehouse row names {record_id}, file holds {record.record_id}",
                    )
                )
            elif record.payload_digest != digest:
                problem = f"warehouse payload digest {digest} != record's {record.payload_digest}"
                report.problems.append(Problem(name, offset, record_id, record.url, problem))
    report.seconds = round(time.monotonic() - started, 3)
    return report


def verify(data_dir: Path | str) -> FixityReport:
    """The whole fixity check of a data directory (what the verify flow does in batches)."""
    started = time.monotonic()
    found = plan(data_dir)
    report = check_files(data_dir, found.files)
    report.missing = found.missing + report.missing
    report.seconds = round(time.monotonic() - started, 3)
    return report
