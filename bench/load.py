"""Load benchmark: bulk-insert synthetic capture rows, then time URL lookups on the snapshot.

Run: ``python bench/load.py [--rows N] [--lookups K]``. Rows go through the loader's own bulk
path (``warehouse.bulk_insert``: JSON-lines files read by DuckDB) into a migrated work database
with the production schema (primary key on record_id, indexes on url and article_key), which
is then published as a snapshot like a real load. Lookups are what an analyst's citation check
does: every capture of one URL, on a read-only connection to the published snapshot. Prints
figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from scoarchive.core.settings import DataDir
from scoarchive.warehouse import connect
from scoarchive.warehouse.loading import bulk_insert
from scoarchive.warehouse.schema import CAPTURE_COLUMNS, migrate
from scoarchive.warehouse.snapshots import publish

HOSTS = ("eng.sectsco.org", "rus.sectsco.org", "chn.sectsco.org")
CHUNK = 100_000


def synthetic_captures(start: int, count: int, urls: int, rng: random.Random) -> list[dict[str, Any]]:
    """Capture rows shaped like a long-running archive: ~urls distinct pages, many revisits."""
    epoch = datetime(2024, 1, 1)
    rows = []
    for n in range(start, start + count):
        page = rng.randrange(urls)
        host = HOSTS[page % 3]
        url = f"http://{host}/2024{page % 12 + 1:02d}{page % 28 + 1:02d}/{700000 + page}.html"
        revisit = rng.random() < 0.7
        rows.append(
            {
                "record_id": f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>",
                "url": url,
                "surt": f"org,sectsco,{host.split('.')[0]})/{url.split('/', 3)[3]}",
                "capture_time": epoch + timedelta(seconds=n * 7, microseconds=n % 1_000_000),
                "status": 304 if revisit else 200,
                "mime": None if revisit else "text/html",
                "payload_digest": f"sha1:{page:032d}",
                "record_type": "revisit" if revisit else "response",
                "warc_file": f"scoarchive-bench-{n // 50_000:05d}.warc.gz",
                "warc_offset": (n % 50_000) * 4096,
                "warc_length": 4096,
                "crawl_run_id": f"run-{n // 100_000}",
                "refers_to": f"<urn:uuid:00000000-0000-4000-8000-{page:012d}>" if revisit else None,
                "refers_to_uri": url if revisit else None,
                "refers_to_date": epoch if revisit else None,
                "revisit_profile": "server-not-modified" if revisit else None,
                "article_key": f"{host}/{700000 + page}",
                "content_length": 300 if revisit else 18_000,
                "content_encoding": None if revisit else "gzip",
                "truncated": None,
                "location": None,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--urls", type=int, default=50_000, help="distinct URLs among the rows")
    parser.add_argument("--lookups", type=int, default=1_000)
    args = parser.parse_args()
    rng = random.Random(2021)
    root = Path(tempfile.mkdtemp(prefix="scoarchive-bench-load-"))
    try:
        warehouse = DataDir(root).warehouse
        tmp = warehouse / "tmp"
        tmp.mkdir(parents=True)
        work = warehouse / "work.duckdb"
        con = duckdb.connect(str(work))
        migrate(con)
        generating = inserting = 0.0
        for start in range(0, args.rows, CHUNK):
            began = time.perf_counter()
            rows = synthetic_captures(start, min(CHUNK, args.rows - start), args.urls, rng)
            generating += time.perf_counter() - began
            began = time.perf_counter()
            con.execute("BEGIN")
            bulk_insert(con, "captures", CAPTURE_COLUMNS, rows, tmp)
            con.execute("COMMIT")
            inserting += time.perf_counter() - began
        began = time.perf_counter()
        added_again = bulk_insert(
            con, "captures", CAPTURE_COLUMNS, synthetic_captures(0, CHUNK, args.urls, rng), tmp
        )
        reload = time.perf_counter() - began
        con.execute("CHECKPOINT")
        con.close()
        began = time.perf_counter()
        snapshot = publish(work, warehouse)
        publishing = time.perf_counter() - began
        print(f"{args.rows:,} capture rows, {args.urls:,} distinct URLs")
        print(
            f"  bulk insert           {args.rows / inserting:12,.0f} rows/s  ({inserting:.1f} s; "
            f"rows built in {generating:.1f} s, not counted)"
        )
        print(
            f"  re-insert {CHUNK:,} rows   {added_again} added, "
            f"{CHUNK / reload:,.0f} rows/s (idempotent no-op)"
        )
        print(f"  publish snapshot      {publishing:.2f} s for {snapshot.stat().st_size / 2**20:.0f} MiB")

        analyst = connect(root)
        urls = [row[0] for row in analyst.execute("SELECT DISTINCT url FROM captures").fetchall()]
        sample = [rng.choice(urls) for _ in range(args.lookups)]
        timings = []
        for url in sample:
            began = time.perf_counter()
            found = analyst.execute(
                "SELECT capture_time, record_type, status, warc_file, warc_offset FROM captures "
                "WHERE url = ? ORDER BY capture_time",
                [url],
            ).fetchall()
            timings.append(time.perf_counter() - began)
            assert found
        analyst.close()
        quantiles = statistics.quantiles(timings, n=100)
        print(f"  lookup of one URL's captures ({args.lookups:,} random URLs, read-only snapshot):")
        print(f"    p50 {quantiles[49] * 1000:.2f} ms   p99 {quantiles[98] * 1000:.2f} ms")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
