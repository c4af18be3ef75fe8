"""Resolution benchmark: ``resolve()`` and HTTP ``/api/resolve`` against a CDXJ binary search.

    python bench/resolve.py [--captures 1000000] [--queries 20000] [--seconds 10] [--connections 16]

Builds a synthetic archive index of ``--captures`` captures (a published warehouse snapshot
with the production schema: articles captured three times, full / not-modified revisit /
edited, one in a hundred later redirected), then, in the same run:

- ``resolve()`` latency over a mix of citations (current addresses, old-site and ``www.``/
  tracking-parameter spellings, Russian slug addresses, redirects, addresses never archived),
  each with a random date or none;
- the baseline: the way pywb looks a URL up, a binary search (seek and readline) in the sorted
  CDXJ file of the same captures, then the closest timestamp among the key's lines; it only
  finds exact SURT matches, so it is timed on the exact-address queries, as is ``resolve()``
  once more for a like-for-like figure;
- ``/api/resolve`` served by uvicorn (one process) under load from a second process
  (``--connections`` keep-alive connections) for ``--seconds``;
- the first resolution after a load: ``--loads`` times each way, a load of ``--load-size``
  captures (a re-crawl: half new articles, half not-modified revisits of old ones, in a new
  WARC file) is published as a new snapshot, then the resolver serving all of the above
  resolves one of the new articles. Either the load brings the index up to date before it
  returns, as ``scoarchive load`` and the flows do (``update_index``, timed as part of the
  load, in a resolver of its own as the loading process has), or nobody does and the
  resolver catches up within that first call. The baseline, in the same run: the same first
  resolution by a resolver whose index must be built from the whole snapshot, which is what
  every load cost before the index was appended to.

Prints figures; asserts nothing about time. The data lives in ``bench/out/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import duckdb

from scoarchive.core.settings import DataDir
from scoarchive.core.urls import surt_key
from scoarchive.resolve import Resolver, update_index
from scoarchive.service import background_server, create_app
from scoarchive.warehouse.cdxj import export_cdxj
from scoarchive.warehouse.schema import migrate
from scoarchive.warehouse.snapshots import publish

OUT = Path(__file__).resolve().parent / "out" / "resolve"
HOSTS = ("eng.sectsco.org", "rus.sectsco.org", "chn.sectsco.org")
FIRST_ID = 700_000
EPOCH = datetime(2019, 1, 1, tzinfo=UTC)
STEP_SECONDS = 37  # between two articles' first captures
RECRAWL = timedelta(days=30)  # between an article's three captures

# Article a (0-based) has id FIRST_ID + a, host HOSTS[a % 3], a date in its address, and three
# captures: i = 3a (200), 3a+1 (304 revisit of 3a), 3a+2 (200, edited; 301 when a % 100 == 99).
_SYNTHETIC = """
INSERT INTO captures
WITH numbered AS (
    SELECT i, i // 3 AS a, (i % 3)::INTEGER AS kind FROM range({captures}) AS t(i)
), shaped AS (
    SELECT *, ['eng.sectsco.org', 'rus.sectsco.org', 'chn.sectsco.org'][a % 3 + 1] AS host,
        strftime(DATE '2019-01-01' + (a // 50)::INTEGER, '%Y%m%d') AS day,
        strftime(DATE '2019-01-01' + ((a - 1) // 50)::INTEGER, '%Y%m%d') AS previous_day,
        TIMESTAMP '2019-01-01' + to_seconds(a * {step}) AS first_time,
        kind = 2 AND a % 100 = 99 AS redirected,
        '<urn:uuid:00000000-0000-4000-8000-' AS uuid
    FROM numbered
)
SELECT
    uuid || lpad(i::VARCHAR, 12, '0') || '>',
    'http://' || host || '/' || day || '/' || (a + {first})::VARCHAR || '.html',
    'org,sectsco,' || split_part(host, '.', 1) || ')/' || day || '/' || (a + {first})::VARCHAR || '.html',
    first_time + to_days(kind * {recrawl}),
    CASE WHEN kind = 1 THEN 304 WHEN redirected THEN 301 ELSE 200 END,
    CASE WHEN kind = 1 THEN NULL ELSE 'text/html' END,
    'sha1:' || lpad((i - (kind = 1)::INTEGER)::VARCHAR, 32, 'A'),
    CASE WHEN kind = 1 THEN 'revisit' ELSE 'response' END,
    'bench-' || lpad((i // 20000)::VARCHAR, 5, '0') || '.warc.gz',
    (i % 20000) * 2500,
    2500,
    'run-' || kind::VARCHAR,
    CASE WHEN kind = 1 THEN uuid || lpad((i - 1)::VARCHAR, 12, '0') || '>' END,
    CASE WHEN kind = 1 THEN 'http://' || host || '/' || day || '/' || (a + {first})::VARCHAR || '.html' END,
    CASE WHEN kind = 1 THEN first_time END,
    CASE WHEN kind = 1 THEN 'server-not-modified' END,
    host || '/' || (a + {first})::VARCHAR,
    2400,
    'gzip',
    NULL,
    CASE WHEN redirected THEN 'http://' || host || '/' || previous_day || '/' || (a - 1 + {first})::VARCHAR
        || '.html' END
FROM shaped
"""
_TITLES = """
INSERT INTO extractions (record_id, kind, item_key, url, capture_time, warc_file, warc_offset, title, text,
                         content_sha256)
SELECT record_id, 'article', article_key, url, capture_time, warc_file, warc_offset,
       'Synthetic article ' || article_key, 'text', md5(record_id)
FROM captures WHERE record_type = 'response' AND status = 200
"""


# A load: `half` new articles (one 200 each, after every other), then `half` not-modified revisits
# of old articles' latest full capture, in one new WARC file; ids and times continue the archive's.
_LOAD = """
INSERT INTO captures
WITH numbered AS (
    SELECT j, j < {half} AS fresh,
        CASE WHEN j < {half} THEN {articles} + ({number} - 1) * {half} + j
             ELSE (({number} * 7919 + j) * 104729) % {complete} END AS a
    FROM range(2 * {half}) AS t(j)
), shaped AS (
    SELECT *, ['eng.sectsco.org', 'rus.sectsco.org', 'chn.sectsco.org'][a % 3 + 1] AS host,
        strftime(DATE '2019-01-01' + (a // 50)::INTEGER, '%Y%m%d') AS day,
        TIMESTAMP '2019-01-01' + to_seconds(a * {step}) AS first_time,
        '<urn:uuid:00000000-0000-4000-8000-' AS uuid,
        '<urn:uuid:00000000-0000-4000-9000-' || lpad(({number} * 2 * {half} + j)::VARCHAR, 12, '0')
            || '>' AS id
    FROM numbered WHERE fresh OR a % 100 <> 99
)
SELECT
    id,
    'http://' || host || '/' || day || '/' || (a + {first})::VARCHAR || '.html',
    'org,sectsco,' || split_part(host, '.', 1) || ')/' || day || '/' || (a + {first})::VARCHAR || '.html',
    first_time + to_days(CASE WHEN fresh THEN 0 ELSE 3 * {recrawl} END),
    CASE WHEN fresh THEN 200 ELSE 304 END,
    CASE WHEN fresh THEN 'text/html' END,
    'sha1:' || CASE WHEN fresh THEN id ELSE lpad((3 * a + 2)::VARCHAR, 32, 'A') END,
    CASE WHEN fresh THEN 'response' ELSE 'revisit' END,
    '{warc_file}', j * 2500, 2500, 'run-load-{number}',
    CASE WHEN NOT fresh THEN uuid || lpad((3 * a + 2)::VARCHAR, 12, '0') || '>' END,
    NULL, NULL, CASE WHEN NOT fresh THEN 'server-not-modified' END,
    host || '/' || (a + {first})::VARCHAR, 2400, 'gzip', NULL, NULL
FROM shaped
"""


def _loaded_files(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """loaded_files rows for the synthetic files, as the loader commits with their captures."""
    con.execute(
        "INSERT INTO loaded_files SELECT warc_file, max(warc_offset) + 2500, NULL, count(*), 0 "
        f"FROM captures WHERE {where} GROUP BY warc_file"
    )


def build_archive(root: Path, captures: int) -> float:
    """A data directory whose published warehouse snapshot holds ``captures`` synthetic captures."""
    started = time.perf_counter()
    shutil.rmtree(root, ignore_errors=True)
    warehouse = DataDir(root).warehouse
    warehouse.mkdir(parents=True)
    work = warehouse / "work.duckdb"
    con = duckdb.connect(str(work))
    migrate(con)
    step, recrawl = STEP_SECONDS, RECRAWL.days
    con.execute(_SYNTHETIC.format(step=step, recrawl=recrawl, first=FIRST_ID, captures=captures))
    con.execute(_TITLES)
    _loaded_files(con, "true")
    con.execute("CHECKPOINT")
    con.close()
    publish(work, warehouse)
    return time.perf_counter() - started


def load_captures(root: Path, captures: int, number: int, size: int) -> tuple[str, int]:
    """Publish a snapshot with one more WARC file of ``size`` captures; (a new article's URL, added).

    ``captures`` is the synthetic archive's size: its articles are ``0 .. (captures + 2) // 3``,
    the first ``captures // 3`` of them with all three captures.
    """
    articles = (captures + 2) // 3
    warehouse = DataDir(root).warehouse
    warc_file = f"bench-load-{number:05d}.warc.gz"
    con = duckdb.connect(str(warehouse / "work.duckdb"))
    before = con.execute("SELECT count(*) FROM captures").fetchone()
    con.execute(
        _LOAD.format(
            half=size // 2,
            articles=articles,
            complete=captures // 3,
            number=number,
            step=STEP_SECONDS,
            recrawl=RECRAWL.days,
            first=FIRST_ID,
            warc_file=warc_file,
        )
    )
    con.execute(_TITLES + f" AND warc_file = '{warc_file}'")
    _loaded_files(con, f"warc_file = '{warc_file}'")
    after = con.execute("SELECT count(*) FROM captures").fetchone()
    con.execute("CHECKPOINT")
    con.close()
    publish(warehouse / "work.duckdb", warehouse)
    assert before is not None and after is not None
    return article_url(articles + (number - 1) * (size // 2)), after[0] - before[0]


def time_first_resolution(resolver: Resolver, url: str) -> tuple[float, float]:
    """Seconds of the first resolve() after a load, and the process's CPU seconds in it (all
    threads): on a shared machine the first says what a user waits, the second what it costs."""
    started, cpu = time.perf_counter(), time.process_time()
    result = resolver.resolve(url)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if result is None or result.capture.url != url:
        raise SystemExit(f"the new capture {url} was not found after the load")
    return elapsed, cpu


def ms(timing: tuple[float, float], digits: int = 1) -> str:
    """A (wall, CPU) timing in milliseconds."""
    return f"{timing[0] * 1e3:,.{digits}f} ms (CPU {timing[1] * 1e3:,.{digits}f} ms)"


def article_url(a: int, host: str | None = None, prefix: str = "") -> str:
    day = (EPOCH + timedelta(days=a // 50)).strftime("%Y%m%d")
    return f"http://{host or HOSTS[a % 3]}{prefix}/{day}/{FIRST_ID + a}.html"


def make_queries(articles: int, count: int, seed: int = 1) -> list[tuple[str, str, str | None]]:
    """(kind, url, at) citations: the mix a citation tool sends."""
    rng = random.Random(seed)
    span = articles * STEP_SECONDS + 3 * RECRAWL.total_seconds()
    queries = []
    for _ in range(count):
        a = rng.randrange(articles)
        roll = rng.random()
        if roll < 0.4:
            kind, url = "exact", article_url(a)
        elif roll < 0.6:
            kind, url = "old-site", article_url(a, prefix="/news")
        elif roll < 0.7:
            kind, url = (
                "www+tracking",
                article_url(a).replace("http://", "https://www.") + "?utm_source=x#top",
            )
        elif roll < 0.8:
            a -= a % 3 - 1  # a Russian article
            day = (EPOCH + timedelta(days=a // 50)).strftime("%Y%m%d")
            kind, url = (
                "russian-slug",
                f"http://rus.sectsco.org/political/{day}/{FIRST_ID + a}/Zagolovok.html",
            )
        elif roll < 0.9:
            a = (a // 100) * 100 + 99 if (a // 100) * 100 + 99 < articles else a
            kind, url = "redirected", article_url(a)
        else:
            kind, url = "never-archived", article_url(a).replace(".html", "9.html")
        at = None if rng.random() < 0.3 else (EPOCH + timedelta(seconds=rng.uniform(0, span))).isoformat()
        queries.append((kind, url, at))
    return queries


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": ordered[len(ordered) // 2] * 1e3,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
        "mean_ms": sum(ordered) / len(ordered) * 1e3,
    }


def summary(figures: dict[str, float]) -> str:
    return f"p50 {figures['p50_ms']:.3f} ms, p99 {figures['p99_ms']:.3f} ms, mean {figures['mean_ms']:.3f} ms"


def time_resolve(
    resolver: Resolver, queries: list[tuple[str, str, str | None]]
) -> tuple[dict[str, float], int]:
    latencies = []
    found = 0
    for _, url, at in queries:
        moment = datetime.fromisoformat(at) if at else None
        started = time.perf_counter()
        result = resolver.resolve(url, moment)
        latencies.append(time.perf_counter() - started)
        found += result is not None
    return percentiles(latencies), found


class CdxjFile:
    """pywb's lookup: binary search by seek and readline in a sorted CDXJ file, then the closest line."""

    def __init__(self, path: Path) -> None:
        self.handle = open(path, "rb")  # noqa: SIM115 - lives as long as the benchmark
        self.size = path.stat().st_size

    def lines_for(self, key: bytes) -> list[bytes]:
        prefix = key + b" "
        low, high = 0, self.size
        while high - low > 1:  # find the last line start at or before the first line >= prefix
            middle = (low + high) // 2
            self.handle.seek(middle)
            self.handle.readline()
            line = self.handle.readline()
            if not line or line >= prefix:
                high = middle
            else:
                low = middle
        self.handle.seek(low)
        if low:
            self.handle.readline()
        found = []
        for line in self.handle:
            if line.startswith(prefix):
                found.append(line)
            elif line > prefix:
                break
        return found

    def closest(self, url: str, at: str | None) -> bytes | None:
        lines = self.lines_for(surt_key(url).encode())
        if not lines:
            return None
        if at is None:
            return lines[-1]
        wanted = int(datetime.fromisoformat(at).strftime("%Y%m%d%H%M%S"))
        return min(lines, key=lambda line: abs(int(line.split(b" ", 2)[1]) - wanted))


def time_cdxj(index: CdxjFile, queries: list[tuple[str, str, str | None]]) -> tuple[dict[str, float], int]:
    latencies = []
    found = 0
    for _, url, at in queries:
        started = time.perf_counter()
        line = index.closest(url, at)
        latencies.append(time.perf_counter() - started)
        found += line is not None
    return percentiles(latencies), found


# -- HTTP load, run in a second process ---------------------------------------------------------


async def _client(host: str, port: int, paths: list[str], deadline: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    index = 0
    try:
        while time.perf_counter() < deadline:
            path = paths[index % len(paths)]
            index += 1
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _load(base: str, paths: list[str], seconds: float, connections: int) -> dict[str, float]:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    shares = [paths[n::connections] for n in range(connections)]
    await asyncio.gather(*(_client(host, int(port), share, deadline, latencies) for share in shares))
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "per_second": len(latencies) / elapsed, **percentiles(latencies)}


def client_main(base: str, paths_file: str, seconds: float, connections: int) -> None:
    paths = json.loads(Path(paths_file).read_text())
    print(json.dumps(asyncio.run(_load(base, paths, seconds, connections))))


def time_http(
    data_dir: Path,
    resolver: Resolver,
    queries: list[tuple[str, str, str | None]],
    seconds: float,
    connections: int,
) -> dict[str, float]:
    paths = [
        "/api/resolve?url=" + quote(url, safe="") + (f"&at={quote(at, safe='')}" if at else "")
        for _, url, at in queries
    ]
    paths_file = OUT / "paths.json"
    paths_file.write_text(json.dumps(paths))
    with background_server(create_app(data_dir, resolver=resolver)) as base:
        completed = subprocess.run(
            [sys.executable, __file__, "--client", base, str(paths_file), str(seconds), str(connections)],
            capture_output=True,
            text=True,
            check=True,
        )
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--captures", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--loads", type=int, default=3, help="loads timed each way")
    parser.add_argument("--load-size", type=int, default=1_000, help="captures per load")
    args = parser.parse_args()
    began = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    data_dir = OUT / "data"
    print(f"cpus: {os.cpu_count()}, captures: {args.captures:,}, queries: {args.queries:,}")

    seconds = build_archive(data_dir, args.captures)
    print(f"synthetic warehouse snapshot: {seconds:.1f} s")
    resolver = Resolver(data_dir)
    started = time.perf_counter()
    resolver.index()
    index_file = next((DataDir(data_dir).warehouse / "resolve").glob("*.sqlite"))
    print(
        f"resolver index (SQLite) built: {time.perf_counter() - started:.1f} s, "
        f"{index_file.stat().st_size / 1e6:.0f} MB"
    )
    started = time.perf_counter()
    cdxj = export_cdxj(data_dir, OUT / "cdxj")
    print(f"CDXJ export: {time.perf_counter() - started:.1f} s, {cdxj.stat().st_size / 1e6:.0f} MB")

    queries = make_queries(args.captures // 3, args.queries)
    exact = [q for q in queries if q[0] == "exact"]
    resolver.resolve(queries[0][1])  # warm the connection and caches, as a running service is
    figures, found = time_resolve(resolver, queries)
    print(f"\nresolve(), all {len(queries):,} citations ({found:,} found): {summary(figures)}")
    by_kind = {}
    for kind in dict.fromkeys(q[0] for q in queries):
        subset = [q for q in queries if q[0] == kind]
        by_kind[kind], hits = time_resolve(resolver, subset)
        print(f"  {kind:<15} n={len(subset):>6,} found={hits:>6,}  {summary(by_kind[kind])}")
    baseline, hits = time_cdxj(CdxjFile(cdxj), exact)
    print(f"\nbaseline, CDXJ binary search (pywb's lookup), {len(exact):,} exact addresses ({hits:,} found):")
    print(f"  CDXJ:      {summary(baseline)}")
    print(f"  resolve(): {summary(by_kind['exact'])}")
    aliases = [q for q in queries if q[0] in ("old-site", "russian-slug", "www+tracking")]
    _, alias_hits = time_cdxj(CdxjFile(cdxj), aliases)
    print(f"  old-site, slug and www+tracking spellings CDXJ finds: {alias_hits:,} of {len(aliases):,}")

    http = time_http(data_dir, resolver, queries, args.seconds, args.connections)
    print(f"\nHTTP /api/resolve, uvicorn (1 process), {args.connections} connections from a second process:")
    rate = f"{http['per_second']:,.0f} resolves/s"
    print(f"  {rate}, {summary(http)} ({http['requests']:,} in {args.seconds:.0f} s)")

    print(f"\nfirst resolution after a load of {args.load_size:,} captures, by the resolver serving above:")
    eager, lazy, updates = [], [], []
    for number in range(1, 2 * args.loads + 1):
        url, added = load_captures(data_dir, args.captures, number, args.load_size)
        if number <= args.loads:  # the load brings the index up to date, as `scoarchive load` does
            started, cpu = time.perf_counter(), time.process_time()
            update = update_index(data_dir)
            updates.append((time.perf_counter() - started, time.process_time() - cpu))
            eager.append(time_first_resolution(resolver, url))
            how = f"the load updated the index ({update.change} {update.captures:,}) in {ms(updates[-1])}"
            print(f"  load {number} (+{added:,} captures): {how}; first resolve() {ms(eager[-1], 2)}")
        else:  # nobody did: the resolver catches up within the first lookup
            lazy.append(time_first_resolution(resolver, url))
            print(
                f"  load {number} (+{added:,} captures): first resolve(), catching up itself, {ms(lazy[-1])}"
            )
    cold = Resolver(data_dir, index_dir=OUT / f"cold-index-{os.getpid()}")
    shutil.rmtree(cold.index_dir, ignore_errors=True)
    rebuild = time_first_resolution(cold, url)
    shutil.rmtree(cold.index_dir, ignore_errors=True)
    print(f"  baseline, the index rebuilt from the snapshot: first resolve() {ms(rebuild, 0)}")
    for label, times in (
        ("index updated by the load", eager),
        ("catching up in the lookup", lazy),
        ("the load's own update of the index", updates),
    ):
        median = sorted(times)[len(times) // 2]
        print(f"  {label}: median {ms(median, 2)}, worst {ms(max(times), 2)}; "
              f"the rebuild takes {rebuild[0] / median[0]:,.0f}x the median")  # fmt: skip
    print(f"\ntotal {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client_main(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
