"""Reading the warehouse: full-text search, ad-hoc SQL, the shipped queries, exports.

Everything here opens the current published snapshot read-only (:func:`connect`), so it can
run while a load is in progress and never sees half of one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scoarchive.warehouse import fulltext
from scoarchive.warehouse.fulltext import Query, SearchHit
from scoarchive.warehouse.schema import SQL
from scoarchive.warehouse.snapshots import connect

# Relations `export` writes, each in a deterministic order.
EXPORTS = {
    "captures": "record_id",
    "articles": "article_key, first_seen, content_sha256",
    "articles_latest": "article_key",
    "article_versions": "article_key, version",
    "documents": "url, first_seen, content_sha256, document_key",
    "article_translations": "article_key, language, translation_key",
    "crawl_runs": "first_capture, run_id",
    "skipped_records": "warc_file, warc_offset",
    "outlinks": "record_id, target_url",
}


def search(data_dir: Path | str, words: str | Sequence[str], limit: int = 20) -> list[SearchHit]:
    """Articles (latest versions) matching all ``words`` (and any quoted phrase), best BM25 first.

    Raises ValueError when there is nothing to search for.
    """
    parsed = Query.parse(words)
    con = connect(data_dir)
    try:
        return fulltext.search(con, parsed, limit)
    finally:
        con.close()


def query(data_dir: Path | str, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run SQL on the current snapshot (read-only); column names and rows."""
    con = connect(data_dir)
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()
    finally:
        con.close()


def example_queries() -> dict[str, str]:
    """The analyst queries shipped in ``warehouse/queries``, by file stem."""
    entries = sorted(SQL.joinpath("queries").iterdir(), key=lambda entry: entry.name)
    return {
        e.name.removesuffix(".sql"): e.read_text(encoding="utf-8") for e in entries if e.name.endswith(".sql")
    }


def export(data_dir: Path | str, directory: Path | str, fmt: str = "parquet") -> list[Path]:
    """Write each analyst relation to ``directory`` as one Parquet or CSV file."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown export format {fmt!r} (parquet or csv)")
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
    con = connect(data_dir)
    written = []
    try:
        for relation, order in EXPORTS.items():
            path = target / f"{relation}.{fmt}"
            con.execute(
                f"COPY (SELECT * FROM {relation} ORDER BY {order}) TO '{_sql_string(path)}' ({options})"
            )
            written.append(path)
    finally:
        con.close()
    return written


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")
