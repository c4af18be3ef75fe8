"""WACZ evidence bundles built from a real crawl of the replica, checked by tools we did not write."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest
from conftest import crawl_replica
from tools import cdxj_index, pywb_replay, script, warcio_check

from scoarchive.replica import ReplicaConfig, ReplicaServer, Site
from scoarchive.warc.reader import iter_records
from scoarchive.warc.wacz import BundleCapture, BundleError, BundleRecord, WarcLocation, write_wacz

JUBILEE = "http://eng.sectsco.org/20210615/765514.html"
ALIBABA = "http://eng.sectsco.org/20210607/765371.html"
HOME = "http://eng.sectsco.org/"
REQUIRED = ("archive/data.warc.gz", "indexes/index.cdxj", "pages/pages.jsonl", "datapackage.json")


@dataclass
class Stored:
    record: BundleRecord
    record_type: str
    record_id: str
    payload: bytes


@dataclass
class Archive:
    warcs: Path
    records: list[Stored]

    def find(self, url: str, record_type: str = "response") -> Stored:
        return next(s for s in self.records if s.record.url == url and s.record_type == record_type)

    def capture(self, url: str, title: str, with_requisites: bool = True) -> BundleCapture:
        stored = self.find(url)
        also = tuple(self.find(u).record for u in self.requisites(stored)) if with_requisites else ()
        return BundleCapture(**dataclasses.asdict(stored.record), title=title, also=also)

    def requisites(self, page: Stored) -> list[str]:
        """The stylesheets and images the page embeds, as the archive holds them."""
        tree = lxml.html.fromstring(page.payload)
        links = tree.xpath("//link[@rel='stylesheet']/@href | //img/@src")
        present = {s.record.url for s in self.records}
        return [u for u in dict.fromkeys(urljoin(page.record.url, str(h)) for h in links) if u in present]


def _scan(warcs: Path) -> Iterator[Stored]:
    """Every response and revisit with its (offset, length), found by reading the files."""
    for path in sorted(warcs.glob("*.warc.gz")):
        entries = []
        for offset, record in iter_records(path):
            payload = record.content_stream().read() if record.rec_type == "response" else b""
            entries.append((offset, record, payload))
        ends = [offset for offset, _, _ in entries[1:]] + [path.stat().st_size]
        for (offset, record, payload), end in zip(entries, ends, strict=True):
            if record.rec_type in ("response", "revisit"):
                headers = record.rec_headers
                moment = datetime.strptime(headers.get_header("WARC-Date")[:19], "%Y-%m-%dT%H:%M:%S")
                location = BundleRecord(
                    headers.get_header("WARC-Target-URI"),
                    moment.replace(tzinfo=UTC),
                    path.name,
                    offset,
                    end - offset,
                )
                yield Stored(location, record.rec_type, headers.get_header("WARC-Record-ID"), payload)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """A first crawl of a small replica, then an unchanged re-crawl (which writes revisits)."""
    data_dir = tmp_path_factory.mktemp("bundle-archive")
    site = Site(ReplicaConfig(articles_per_host=2, documents_per_host=1, faults=False))
    with ReplicaServer(site) as server:
        crawl_replica(server, data_dir)
        crawl_replica(server, data_dir)
    warcs = data_dir / "warcs"
    return Archive(warcs, list(_scan(warcs)))


def _check_wacz_ourselves(path: Path) -> dict[str, bytes]:
    """What `wacz validate` does not check: required files, STORED entries, every hash and size."""
    with zipfile.ZipFile(path) as wacz:
        entries = {info.filename: info for info in wacz.infolist()}
        content = {name: wacz.read(name) for name in entries}
    assert set(REQUIRED) | {"datapackage-digest.json"} == set(entries)
    assert all(info.compress_type == zipfile.ZIP_STORED for info in entries.values())
    package = json.loads(content["datapackage.json"])
    assert package["profile"] == "data-package" and package["wacz_version"] == "1.1.1"
    assert package["created"].endswith("Z") and package["software"].startswith("scoarchive")
    resources = {r["path"]: r for r in package["resources"]}
    assert set(resources) == set(REQUIRED) - {"datapackage.json"}
    for name, resource in resources.items():
        assert resource["hash"] == "sha256:" + hashlib.sha256(content[name]).hexdigest()
        assert resource["bytes"] == len(content[name]) and resource["name"] == Path(name).name
    digest = json.loads(content["datapackage-digest.json"])
    assert digest == {
        "path": "datapackage.json",
        "hash": "sha256:" + hashlib.sha256(content["datapackage.json"]).hexdigest(),
    }
    return content


def _wacz_validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([script("wacz"), "validate", "-f", str(path)], capture_output=True, text=True)


def test_bundle_of_the_example_articles(archive: Archive, tmp_path: Path) -> None:
    captures = [
        archive.capture(JUBILEE, "SCO celebrates its 20th anniversary"),
        archive.capture(ALIBABA, "SCO Secretary-General’s videoconference with Alibaba Group delegation"),
    ]
    assert any(r.url.endswith(".css") for r in captures[0].also)
    assert any(r.url.endswith(".jpg") for r in captures[0].also)
    out = write_wacz(tmp_path / "evidence.wacz", captures, "Q2/2021 briefing", archive.warcs)
    assert out == tmp_path / "evidence.wacz" and not list(tmp_path.glob(".*part"))

    validated = _wacz_validate(out)
    assert validated.returncode == 0 and "Validation succeeded" in validated.stdout, validated
    content = _check_wacz_ourselves(out)

    pages = [json.loads(line) for line in content["pages/pages.jsonl"].decode().splitlines()]
    assert pages[0] == {"format": "json-pages-1.0", "id": "pages", "title": "Q2/2021 briefing"}
    assert [(p["url"], p["title"]) for p in pages[1:]] == [(c.url, c.title) for c in captures]
    assert all(
        p["ts"].startswith(c.timestamp.strftime("%Y-%m-%dT%H:%M:%S"))
        for p, c in zip(pages[1:], captures, strict=True)
    )

    extracted = tmp_path / "extracted"
    zipfile.ZipFile(out).extractall(extracted)
    data = extracted / "archive" / "data.warc.gz"
    assert warcio_check(data).returncode == 0
    # our index is exactly what cdxj-indexer makes of the bundle's WARC, in C byte order
    lines = content["indexes/index.cdxj"].decode().splitlines()
    assert lines == sorted(cdxj_index([data]), key=str.encode)
    assert lines == sorted(lines, key=str.encode)
    wanted = {r.url for c in captures for r in (c, *c.also)}
    assert {json.loads(line.split(" ", 2)[2])["url"] for line in lines} == wanted  # shared css once
    first = next(iter_records(data))[1]
    assert first.rec_type == "warcinfo" and first.rec_headers.get_header("WARC-Filename") == "data.warc.gz"
    for line in lines:  # every record byte for byte, at its new offset
        entry = json.loads(line.split(" ", 2)[2])
        source = archive.find(entry["url"]).record
        with open(archive.warcs / source.warc_file, "rb") as handle:
            handle.seek(source.warc_offset)
            original = handle.read(source.warc_length)
        start = int(entry["offset"])
        assert data.read_bytes()[start : start + int(entry["length"])] == original

    timestamp = captures[0].timestamp.strftime("%Y%m%d%H%M%S")
    replay = pywb_replay(tmp_path / "pywb", JUBILEE, timestamp, [data], cdxj_dir=extracted / "indexes")
    assert replay["raw"]["status"] == 200 and replay["raw"]["body"] == archive.find(JUBILEE).payload
    assert b"By resolutely upholding multilateralism" in replay["raw"]["body"]
    assert replay["browser"]["status"] == 200


def test_a_revisit_comes_with_its_original(archive: Archive, tmp_path: Path) -> None:
    revisit = archive.find(HOME, "revisit")
    original = archive.find(HOME).record
    assert revisit.record.warc_file != original.warc_file
    alone = BundleCapture(**dataclasses.asdict(revisit.record), title="SCO home")
    with pytest.raises(BundleError, match="needs its original record"):
        write_wacz(tmp_path / "home.wacz", [alone], "home", archive.warcs)
    assert not list(tmp_path.iterdir())

    location = WarcLocation(original.warc_file, original.warc_offset, original.warc_length)
    capture = dataclasses.replace(alone, refers_to=location)
    out = write_wacz(tmp_path / "home.wacz", [capture], "home", archive.warcs)
    assert _wacz_validate(out).returncode == 0
    content = _check_wacz_ourselves(out)
    entries = [
        json.loads(line.split(" ", 2)[2]) for line in content["indexes/index.cdxj"].decode().splitlines()
    ]
    assert sorted((e["mime"], e["status"]) for e in entries) == [
        ("text/html", "200"),
        ("warc/revisit", "304"),
    ]
    with gzip.open(zipfile.ZipFile(out).open("archive/data.warc.gz")) as data:
        assert revisit.record_id.encode() in data.read()


def test_wrong_locations_are_refused(archive: Archive, tmp_path: Path) -> None:
    page = archive.capture(JUBILEE, "t", with_requisites=False)
    css = archive.find("http://eng.sectsco.org/css/main.css").record
    cases = {
        "holds http://eng.sectsco.org/css/main.css": dataclasses.replace(
            page, warc_offset=css.warc_offset, warc_length=css.warc_length
        ),
        f"{page.warc_length + 9} is not exactly one": dataclasses.replace(
            page, warc_length=page.warc_length + 9
        ),
        f"{page.warc_length - 9} is not exactly one": dataclasses.replace(
            page, warc_length=page.warc_length - 9
        ),
        "not found in": dataclasses.replace(page, warc_file="missing.warc.gz"),
        "not \\S+ of 2001": dataclasses.replace(page, timestamp=datetime(2001, 1, 1, tzinfo=UTC)),
        "no WARC record at": dataclasses.replace(page, warc_offset=page.warc_offset + 3),
    }
    for message, capture in cases.items():
        with pytest.raises(BundleError, match=message):
            write_wacz(tmp_path / "bad.wacz", [capture], "bad", archive.warcs)
    with pytest.raises(BundleError, match="no captures"):
        write_wacz(tmp_path / "bad.wacz", [], "bad", archive.warcs)
    assert not list(tmp_path.iterdir())
