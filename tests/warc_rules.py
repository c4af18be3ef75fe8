"""The project's own WARC 1.1 conformance check, record by record.

`warcio check` verifies digests but not header rules (REFERENCE.md); this module checks the
rules the capture issue promises, so a test fails with the rule that was broken.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
TARGET_REQUIRED = {"response", "resource", "request", "revisit", "conversion", "continuation"}
PROFILES = {
    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
    "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
}


def gzip_members(path: Path) -> int:
    """How many gzip members the file holds (each record must be its own member)."""
    data = path.read_bytes()
    count = 0
    while data:
        decompressor = zlib.decompressobj(31)
        decompressor.decompress(data)
        if not decompressor.eof:
            raise AssertionError(f"{path.name}: trailing incomplete gzip member")
        count += 1
        data = decompressor.unused_data
    return count


def violations(path: Path) -> list[str]:
    """Every rule a file breaks, as readable sentences; empty when it conforms."""
    problems: list[str] = []
    records = []
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle, check_digests=True):
            headers = record.rec_headers
            fields = dict(headers.headers)
            record.content_stream().read()
            records.append((record.rec_type, fields, headers.protocol))
            if record.digest_checker.problems:
                problems += [f"{fields.get('WARC-Record-ID')}: {p}" for p in record.digest_checker.problems]
    if not records:
        return [f"{path.name}: no records"]
    if gzip_members(path) != len(records):
        problems.append(f"{path.name}: {gzip_members(path)} gzip members for {len(records)} records")
    first_type, first, _ = records[0]
    if first_type != "warcinfo":
        problems.append(f"{path.name}: first record is {first_type}, not warcinfo")
    elif first.get("WARC-Filename") != path.name:
        problems.append(f"{path.name}: warcinfo WARC-Filename is {first.get('WARC-Filename')!r}")
    elif first.get("Content-Type") != "application/warc-fields":
        problems.append(f"{path.name}: warcinfo Content-Type {first.get('Content-Type')!r}")
    ids = {
        fields["WARC-Record-ID"]: (kind, fields) for kind, fields, _ in records if "WARC-Record-ID" in fields
    }
    for kind, fields, protocol in records:
        rid = fields.get("WARC-Record-ID", "?")
        if protocol != "WARC/1.1":
            problems.append(f"{rid}: version {protocol}")
        for name in ("WARC-Record-ID", "Content-Length", "WARC-Date", "WARC-Type"):
            if name not in fields:
                problems.append(f"{rid}: missing {name}")
        if not DATE.match(fields.get("WARC-Date", "")):
            problems.append(f"{rid}: bad WARC-Date {fields.get('WARC-Date')!r}")
        if kind in TARGET_REQUIRED and "WARC-Target-URI" not in fields:
            problems.append(f"{rid}: {kind} without WARC-Target-URI")
        if kind == "warcinfo" and "WARC-Target-URI" in fields:
            problems.append(f"{rid}: warcinfo with WARC-Target-URI")
        if kind != "warcinfo" and "WARC-Filename" in fields:
            problems.append(f"{rid}: WARC-Filename outside warcinfo")
        if kind == "response":
            if fields.get("Content-Type") != "application/http;msgtype=response":
                problems.append(f"{rid}: response Content-Type {fields.get('Content-Type')!r}")
            for name in ("WARC-Payload-Digest", "WARC-Block-Digest", "WARC-IP-Address"):
                if name not in fields:
                    problems.append(f"{rid}: response without {name}")
        if kind == "request":
            if fields.get("Content-Type") != "application/http;msgtype=request":
                problems.append(f"{rid}: request Content-Type {fields.get('Content-Type')!r}")
            partner = ids.get(fields.get("WARC-Concurrent-To", ""))
            if partner is None:
                problems.append(f"{rid}: request not linked by WARC-Concurrent-To to a record in the file")
            elif partner[1].get("WARC-Date") != fields.get("WARC-Date"):
                problems.append(f"{rid}: request and response dates differ")
            elif partner[1].get("WARC-Target-URI") != fields.get("WARC-Target-URI"):
                problems.append(f"{rid}: request and response target differ")
        if kind == "revisit":
            profile = fields.get("WARC-Profile")
            if profile not in PROFILES:
                problems.append(f"{rid}: revisit with WARC-Profile {profile!r}")
            for name in ("WARC-Refers-To", "WARC-Refers-To-Target-URI", "WARC-Refers-To-Date"):
                if name not in fields:
                    problems.append(f"{rid}: revisit without {name}")
            if (
                profile
                and profile.endswith("identical-payload-digest")
                and "WARC-Payload-Digest" not in fields
            ):
                problems.append(f"{rid}: identical-payload-digest revisit without WARC-Payload-Digest")
    return problems
