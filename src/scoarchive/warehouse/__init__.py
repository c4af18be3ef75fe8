"""The DuckDB warehouse: WARC records loaded into tables analysts query with SQL.

The WARC files are the source of truth; the warehouse is derived and can be rebuilt from them
at any time (:func:`reindex`). Its schema is code: numbered SQL migrations in the repository's
``warehouse/migrations/`` (installed as ``scoarchive.warehouse.sql``), applied in order and
recorded in ``schema_migrations``.

Readers and the writer never share a file
------------------------------------------
DuckDB allows one writing process per database file, and a reader that opens a file while a
load commits could see some files loaded and not others. So analysts never open the file the
loader writes:

1. The loader holds ``DATA/warehouse/.load.lock`` (flock) for the whole load, so two loads
   cannot interleave; a second one fails at once with :class:`WarehouseBusy`.
2. It writes a private database, ``DATA/warehouse/work.duckdb``: one transaction per WARC file
   (its captures, extractions, skipped records and its ``loaded_files`` row commit together,
   so a crash leaves whole files loaded or not at all), then it rebuilds the derived tables
   (articles, documents, full-text indexes).
3. It publishes an immutable snapshot: checkpoint and close the work database, copy it to
   ``snapshots/.scoarchive-<n>.duckdb.tmp``, fsync, rename to ``snapshots/scoarchive-<n>.duckdb``.
4. It repoints ``DATA/warehouse/scoarchive.duckdb`` (a relative symlink) and the text file
   ``DATA/warehouse/current`` at the new snapshot, each by writing a temporary and renaming it
   over the old one: a reader resolves either the old snapshot or the new one, never a mix.
5. It deletes snapshots other than the newest two. A reader still holding a deleted snapshot
   open keeps reading it (POSIX unlink semantics); new readers get the current one.

Analysts open ``DATA/warehouse/scoarchive.duckdb`` read-only (:func:`connect` does). Nothing
the loader does touches a published file, so an open analyst connection can neither make a
load fail nor see half of one.

Loading is incremental and idempotent: every closed ``*.warc.gz`` not yet in ``loaded_files``
is read once; captures are keyed by WARC-Record-ID. Records that cannot be used (truncated,
gzip bombs, binary bodies, a damaged file tail) are skipped with a reason kept in
``skipped_records`` and logged; the load goes on. Extraction, the expensive part, runs in a
process pool when ``workers > 1``.

Modules
-------
One job each; the names most callers need are re-exported here (``from scoarchive.warehouse
import load``):

- :mod:`.errors`: :class:`WarehouseError` and :class:`WarehouseBusy`.
- :mod:`.schema`: where the SQL lives, migrations, column types, the fts extension.
- :mod:`.records`: a WARC file's records into capture rows and extraction jobs.
- :mod:`.extraction`: extraction jobs into rows, inline or in worker processes.
- :mod:`.reading`: one WARC file through both, as the batch the loader writes.
- :mod:`.loading`: :func:`load` and :func:`reindex`: bulk inserts, derived tables, indexes.
- :mod:`.snapshots`: the writer lock, publishing and pruning snapshots, read-only connections.
- :mod:`.fulltext`: the one tokenisation for indexing and querying; BM25 per language.
- :mod:`.queries`: what analysts run: :func:`search`, :func:`query`, the shipped queries, exports.
- :mod:`.lookups`: what the other floors ask (the resolver's captures, article versions, ...).
- :mod:`.cdxj`: the CDXJ index pywb and other Wayback tools read.
"""

from scoarchive.warehouse.errors import WarehouseBusy, WarehouseError
from scoarchive.warehouse.fulltext import SearchHit
from scoarchive.warehouse.loading import LoadReport, load, reindex
from scoarchive.warehouse.queries import example_queries, export, query, search
from scoarchive.warehouse.snapshots import connect, current_snapshot, published_path

__all__ = [
    "LoadReport",
    "SearchHit",
    "WarehouseBusy",
    "WarehouseError",
    "connect",
    "current_snapshot",
    "example_queries",
    "export",
    "load",
    "published_path",
    "query",
    "reindex",
    "search",
]
