"""The warehouse's schema as code: where the SQL lives, migrations, column types, full-text search.

The schema is numbered SQL migrations in the repository's ``warehouse/migrations/`` directory,
applied in order and recorded in ``schema_migrations``; analyst queries ship beside them in
``warehouse/queries/``. The column types here say how Python rows are typed when bulk-loaded
into those tables. The fts extension comes from a wheel (no network); the full-text indexes
built with it are :mod:`.fulltext`'s.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from scoarchive.warehouse.errors import WarehouseError

# The repository's top-level warehouse/ folder, installed as this package's `sql` subpackage.
SQL = resources.files("scoarchive.warehouse.sql")
# The warehouse_state key naming this warehouse's generation: a random id given to a database when
# it is created, kept by every load into it, new after a reindex (which starts a new database).
# Indexes derived from snapshots outside the warehouse (the resolver's) compare it to tell a load,
# which only adds files, from a rebuild, which may change any row.
GENERATION = "generation"

CAPTURE_COLUMNS = {
    "record_id": "VARCHAR",
    "url": "VARCHAR",
    "surt": "VARCHAR",
    "capture_time": "TIMESTAMP",
    "status": "SMALLINT",
    "mime": "VARCHAR",
    "payload_digest": "VARCHAR",
    "record_type": "VARCHAR",
    "warc_file": "VARCHAR",
    "warc_offset": "BIGINT",
    "warc_length": "BIGINT",
    "crawl_run_id": "VARCHAR",
    "refers_to": "VARCHAR",
    "refers_to_uri": "VARCHAR",
    "refers_to_date": "TIMESTAMP",
    "revisit_profile": "VARCHAR",
    "article_key": "VARCHAR",
    "content_length": "BIGINT",
    "content_encoding": "VARCHAR",
    "truncated": "VARCHAR",
    "location": "VARCHAR",
}
EXTRACTION_COLUMNS = {
    "record_id": "VARCHAR",
    "kind": "VARCHAR",
    "item_key": "VARCHAR",
    "url": "VARCHAR",
    "capture_time": "TIMESTAMP",
    "crawl_run_id": "VARCHAR",
    "warc_file": "VARCHAR",
    "warc_offset": "BIGINT",
    "title": "VARCHAR",
    "published": "DATE",
    "page_date": "DATE",
    "url_date": "DATE",
    "date_agrees": "BOOLEAN",
    "date_source": "VARCHAR",
    "authors": "VARCHAR[]",
    "language": "VARCHAR",
    "description": "VARCHAR",
    "encoding": "VARCHAR",
    "text": "VARCHAR",
    "markdown": "VARCHAR",
    "word_count": "INTEGER",
    "pages": "INTEGER",
    "content_sha256": "VARCHAR",
}
SKIP_COLUMNS = {
    "warc_file": "VARCHAR",
    "warc_offset": "BIGINT",
    "record_id": "VARCHAR",
    "url": "VARCHAR",
    "reason": "VARCHAR",
    "damaged": "BOOLEAN",
}
SEARCH_COLUMNS = {
    "article_key": "VARCHAR",
    "url": "VARCHAR",
    "title": "VARCHAR",
    "language": "VARCHAR",
    "published": "DATE",
    "body": "VARCHAR",
}
OUTLINK_COLUMNS = {"record_id": "VARCHAR", "source_url": "VARCHAR", "target_url": "VARCHAR"}
DOCUMENT_PAGE_COLUMNS = {"record_id": "VARCHAR", "fields": "JSON", "pdf_url": "VARCHAR"}
LANGUAGE_LINK_COLUMNS = {
    "record_id": "VARCHAR",
    "language": "VARCHAR",
    "url": "VARCHAR",
    "article_key": "VARCHAR",
}


def fts_extension_path() -> Path:
    """The fts extension shipped by the duckdb-extension-fts wheel: loaded from disk, no network."""
    import duckdb_extension_fts

    package = Path(duckdb_extension_fts.__file__).parent
    found = sorted(package.glob(f"extensions/v{duckdb.__version__}/fts.duckdb_extension"))
    found = found or sorted(package.glob("extensions/*/fts.duckdb_extension"))
    if not found:
        raise WarehouseError(f"fts extension not found under {package}")
    return found[-1]


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load full-text search from the wheel's file: INSTALL would need the network."""
    con.execute(f"LOAD '{fts_extension_path()}'")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, SQL) of every migration file, in order."""
    found = []
    for entry in SQL.joinpath("migrations").iterdir():
        number = entry.name.split("_", 1)[0]
        if entry.name.endswith(".sql") and number.isdigit():
            found.append((int(number), entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8")))
    if not found:
        raise WarehouseError("the package carries no schema migrations (a broken install?)")
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations, each in its own transaction; return the versions applied.

    A database that has no :data:`GENERATION` yet (a new one) is given one.
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        con.execute("BEGIN")
        try:
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [version, name, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.execute("COMMIT")
        except duckdb.Error:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    con.execute("INSERT OR IGNORE INTO warehouse_state VALUES (?, ?)", [GENERATION, uuid.uuid4().hex])
    return applied
