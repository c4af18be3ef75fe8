"""CDXJ export: the archive's capture index in the form pywb and other Wayback tools read.

``export_cdxj(data_dir, out_dir)`` writes ``out_dir/index.cdxj``: one line per response and
revisit record of every loaded WARC file, ``SURT-key SP 14-digit-timestamp SP {json}``, with
the fields cdxj-indexer writes (``url``, ``mime``, ``status``, ``digest``, ``length``,
``offset``, ``filename``), sorted in ``LC_ALL=C`` byte order. Give pywb that file as the
collection's index and the WARC files as its archive, and it replays the collection unchanged,
without re-indexing.

Revisits. pywb replays a *server-not-modified* revisit with the 304 it recorded, so a
citation pinned to a re-crawl's timestamp would show an empty "Not Modified" page. In this
index every revisit line points at the record its ``WARC-Refers-To`` names (that record's
``filename``, ``offset``, ``length``, ``mime`` and ``status``), so pywb replays the original
200 response at every capture time, as scoarchive's own replay does. Only a revisit whose
referred record is not in the warehouse keeps its own ``warc/revisit`` line.

The source is the warehouse's published snapshot (itself derived from the WARC files), so the
export is as current as the last ``scoarchive load``. For a line whose SURT key and URL are
ASCII (every SCO address), the bytes equal cdxj-indexer's; elsewhere only the JSON string
escaping differs.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from scoarchive.core.settings import DataDir
from scoarchive.warehouse import WarehouseError, current_snapshot

INDEX_NAME = "index.cdxj"


FETCH_BATCH = 100_000


# DuckDB compares VARCHAR by bytes (no collation), which is LC_ALL=C order.
_CDXJ_SQL = """
WITH lines AS (
    SELECT
        c.surt, c.capture_time, c.url, c.payload_digest,
        coalesce(o.mime, CASE WHEN c.record_type = 'revisit' THEN 'warc/revisit' ELSE c.mime END) AS mime,
        coalesce(o.status, c.status) AS status,
        coalesce(o.warc_file, c.warc_file) AS filename,
        coalesce(o.warc_offset, c.warc_offset) AS "offset",
        coalesce(o.warc_length, c.warc_length) AS length
    FROM captures AS c
    -- an equality only, so DuckDB hash-joins (a constant term makes it a nested loop)
LEFT JOIN captures AS o ON o.record_id = CASE WHEN c.record_type = 'revisit' THEN c.refers_to END
    WHERE c.surt IS NOT NULL AND c.record_type IN ('response', 'revisit')
)
SELECT surt || ' ' || strftime(capture_time, '%Y%m%d%H%M%S') || ' {"url": ' || to_json(url)
    || ', "mime": ' || to_json(coalesce(mime, 'unk'))
    || ', "status": ' || to_json(coalesce(CAST(status AS VARCHAR), '-'))
    || ', "digest": ' || to_json(coalesce(payload_digest, '-'))
    || ', "length": ' || to_json(CAST(length AS VARCHAR))
    || ', "offset": ' || to_json(CAST("offset" AS VARCHAR))
    || ', "filename": ' || to_json(filename) || '}' AS line
FROM lines
ORDER BY line
"""


def export_cdxj(data_dir: Path | str, out_dir: Path | str) -> Path:
    """Write the sorted CDXJ index of the archive to ``out_dir/index.cdxj``; return its path.

    Written to a temporary file and renamed, so a reader never sees half an index.
    """
    snapshot = current_snapshot(DataDir(data_dir).root)
    if snapshot is None:
        raise WarehouseError(f"no warehouse in {DataDir(data_dir).root}: run `scoarchive load` first")
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    path = target / INDEX_NAME
    temporary = target / f".{INDEX_NAME}.{os.getpid()}.tmp"
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        cursor = con.execute(_CDXJ_SQL)
        with open(temporary, "wb") as handle:
            while batch := cursor.fetchmany(FETCH_BATCH):
                handle.write(b"".join(line.encode("utf-8") + b"\n" for (line,) in batch))
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    os.replace(temporary, path)
    return path
