"""The shared published layer on DuckLake: the readers' tables as a DuckLake catalog on
PostgreSQL with Parquet data files in a folder (an ``s3://`` path in production).

The pipeline keeps writing its DuckDB file (one writer process). Publishing copies the
reader schemas (:data:`SCHEMAS`: the Parquet schemas of :mod:`alvh_assets.publish` plus
``pricing`` and ``raw``) into the catalog, and many reader processes on many machines
attach the catalog read-only at the same time (``ATTACH 'ducklake:postgres:<conninfo>'``).

The rules :func:`publish_to_lake` keeps:

* **One publication is one DuckLake snapshot.** Every table it replaces, the bookkeeping
  in :data:`META` and the commit message are written in one transaction: a reader's query
  (or its explicit transaction) sees the publication before or the one after, never a mix;
  an error before the commit leaves the catalog as it was.
* **A table is replaced whole** (``CREATE OR REPLACE TABLE … AS SELECT *``), so a new
  column or type in the warehouse arrives with it; a table gone from the warehouse is
  dropped. Views are not published (the dbt views name the warehouse's catalog).
* **Unchanged tables are skipped.** Each table's *fingerprint* (column names and types, row
  count, the sum of the rows' 64-bit hashes: of the write stamp only in a table with one of
  :data:`alvh_assets.publish.STAMP_COLUMNS`, else of the whole row) is computed on the
  warehouse and compared with the one recorded in ``alvh_meta.tables`` by the publication
  that last wrote the table; equal, the table is left as it is (no Parquet file written).
  ``full=True`` rewrites every table.
* **Publications are numbered** 1, 2, … in ``alvh_meta.publications`` (one row each: number,
  UTC time, warehouse file, tables rewritten), and each snapshot's commit message is
  ``alvh publication <n>`` (author ``alvh``; ``extra_info`` the same as JSON). So a reader
  finds the snapshot of publication *n* (:func:`publications`) and time-travels to it:
  ``SELECT … FROM alvh.marts.fct_regime_daily AT (VERSION => <snapshot>)``, or attaches
  the whole catalog as of it (:func:`attach_published` with ``publication=n``).
* **One publisher at a time.** Two concurrent publishes both rewrite ``alvh_meta``:
  DuckLake's commit detects the conflict and the second one fails, changing nothing.

Extensions never download: ``ducklake``, ``postgres`` (and ``httpfs`` for an ``s3://`` data
path) are installed from the Python wheels ``duckdb-extension-<name>`` (a local file copy into
DuckDB's extension folder), with ``autoinstall_known_extensions`` off. Those wheels are built
for one DuckDB version (1.5.5), which is why the project pins ``duckdb==1.5.5``.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from alvh_assets import paths
from alvh_assets.publish import PARQUET_SCHEMAS, STAMP_COLUMNS

SCHEMAS = (*PARQUET_SCHEMAS, "pricing", "raw")
"""The warehouse schemas whose tables are published to the lake."""
META = "alvh_meta"
"""The lake's bookkeeping schema: ``publications`` (one row per publication) and ``tables``
(per published table: its fingerprint and the publication that last wrote it)."""
READER_ALIAS = "alvh"
"""The name readers attach the lake as (the warehouse's own catalog name)."""
WRITER_ALIAS = "alvh_lake"
"""The lake's name inside the publishing connection, beside the warehouse's ``alvh``."""
AUTHOR = "alvh"
"""The author of every publication's snapshot."""
EXTENSION_WHEELS = {
    "ducklake": ("duckdb_extension_ducklake", "ducklake"),
    "postgres_scanner": ("duckdb_extension_postgres", "postgres"),
    "httpfs": ("duckdb_extension_httpfs", "httpfs"),
}
"""Extension name -> (the wheel's module, the file stem of its ``.duckdb_extension``)."""


@dataclass(frozen=True)
class LakePublication:
    """What :func:`publish_to_lake` committed: publication ``number`` as DuckLake snapshot
    ``snapshot``; ``tables`` every published ``schema.table``, ``rewritten`` those written
    anew (the rest were unchanged), ``dropped`` those removed from the lake."""

    number: int
    snapshot: int
    tables: tuple[str, ...]
    rewritten: tuple[str, ...]
    dropped: tuple[str, ...]
    seconds: float


@dataclass(frozen=True)
class Publication:
    """One publication as readers find it in the lake's snapshots."""

    number: int
    snapshot: int
    committed_at: datetime
    rewritten: tuple[str, ...]


def extension_file(name: str) -> Path:
    """The ``.duckdb_extension`` file of extension ``name`` (a key of
    :data:`EXTENSION_WHEELS`) in its installed wheel, built for the running DuckDB; a
    :class:`FileNotFoundError` saying which wheel to install when it is missing."""
    module, stem = EXTENSION_WHEELS[name]
    version = duckdb.__version__
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.origin is not None:
        found = Path(spec.origin).parent / "extensions" / f"v{version}" / f"{stem}.duckdb_extension"
        if found.is_file():
            return found
    wheel = module.replace("_", "-")
    raise FileNotFoundError(
        f"the DuckDB extension {name} for duckdb {version} is not installed: "
        f"pip install {wheel}=={version} (extensions are never downloaded at run time)"
    )


def load_extensions(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> None:
    """Install extensions ``names`` from their wheels (:func:`extension_file`; no download)
    into ``con``'s extension folder and load them; turns off the automatic download of
    known extensions for the connection's database first."""
    con.execute("SET autoinstall_known_extensions = false")
    for name in names:
        con.execute(f"INSTALL {_lit(extension_file(name))}")
        con.execute(f"LOAD {name}")


def attach(
    con: duckdb.DuckDBPyConnection,
    alias: str,
    *,
    read_only: bool,
    catalog: str | None = None,
    data_path: str | None = None,
    snapshot: int | None = None,
) -> None:
    """Attach the lake to ``con`` as ``alias``: catalog ``catalog`` (a libpq conninfo,
    default :func:`~alvh_assets.paths.ducklake_catalog`), loading the extensions first.
    A writer (``read_only=False``) names the data path (default
    :func:`~alvh_assets.paths.ducklake_data_path`, used when the catalog is created) and
    keeps every row in Parquet files (no rows inlined into the catalog); ``snapshot`` pins a
    reader to that DuckLake snapshot for the life of the attachment."""
    catalog = catalog or paths.ducklake_catalog()
    options = []
    if read_only:
        options.append("READ_ONLY")
    else:
        data_path = data_path or paths.ducklake_data_path()
        # READ_WRITE: also from a connection opened read-only (the warehouse, to publish it)
        options += ["READ_WRITE", f"DATA_PATH {_lit(data_path)}", "DATA_INLINING_ROW_LIMIT 0"]
    if snapshot is not None:
        options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
    remote = data_path is not None and data_path.startswith("s3://")
    load_extensions(con, ("ducklake", "postgres_scanner", *(("httpfs",) if remote else ())))
    con.execute(
        f'ATTACH {_lit("ducklake:postgres:" + catalog)} AS "{alias}" ({", ".join(options)})'
    )


@contextmanager
def attach_published(
    *,
    read_only: bool = True,
    publication: int | None = None,
    catalog: str | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory DuckDB connection with the lake attached as
    :data:`READER_ALIAS` (``alvh``) and in use, so ``marts.fct_regime_daily`` names the
    published table. ``publication`` pins the whole catalog to that publication's snapshot
    (time travel; a :class:`LookupError` when there is no such publication). Closed at the
    end of the ``with`` block."""
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{paths.duckdb_memory_limit()}'")
        attach(con, READER_ALIAS, read_only=read_only, catalog=catalog)
        if publication is not None:
            found = {p.number: p.snapshot for p in publications(con, READER_ALIAS)}
            if publication not in found:
                raise LookupError(f"no publication {publication} in the lake: {sorted(found)}")
            con.execute(f'DETACH "{READER_ALIAS}"')
            attach(con, READER_ALIAS, read_only=True, catalog=catalog, snapshot=found[publication])
        con.execute(f'USE "{READER_ALIAS}"')
        yield con
    finally:
        con.close()


def publications(con: duckdb.DuckDBPyConnection, alias: str = READER_ALIAS) -> list[Publication]:
    """The publications of the lake attached as ``alias``, oldest first: the snapshots
    committed by :func:`publish_to_lake` (author :data:`AUTHOR`)."""
    rows = con.execute(
        f'SELECT snapshot_id, snapshot_time, commit_extra_info FROM "{alias}".snapshots() '
        f"WHERE author = {_lit(AUTHOR)} ORDER BY snapshot_id"
    ).fetchall()
    found = []
    for snapshot, committed_at, extra in rows:
        info = json.loads(extra)
        found.append(
            Publication(info["publication"], snapshot, committed_at, tuple(info["rewritten"]))
        )
    return found


def publish_to_lake(
    con: duckdb.DuckDBPyConnection,
    *,
    full: bool = False,
    catalog: str | None = None,
    data_path: str | None = None,
) -> LakePublication:
    """Publish the tables of :data:`SCHEMAS` from the warehouse behind ``con`` into the
    lake (catalog and data path default to :mod:`alvh_assets.paths`) as one snapshot:
    changed tables replaced, unchanged ones skipped (all rewritten with ``full``), tables
    gone from the warehouse dropped, the publication numbered and recorded (module doc).
    ``con`` is only read (it may be a read-only connection); the lake is attached to it for
    the call and detached after."""
    start = time.perf_counter()
    source = con.execute("SELECT current_database()").fetchone()[0]
    warehouse = con.execute(
        f"SELECT path FROM duckdb_databases() WHERE database_name = {_lit(source)}"
    ).fetchone()[0]
    attach(con, WRITER_ALIAS, read_only=False, catalog=catalog, data_path=data_path)
    lake = f'"{WRITER_ALIAS}"'
    try:
        con.execute("BEGIN")
        open_transaction = True
        try:
            _ensure_meta(con, lake)
            number = con.execute(
                f"SELECT coalesce(max(publication), 0) + 1 FROM {lake}.{META}.publications"
            ).fetchone()[0]
            recorded = {
                (s, t): ((cols, n, fp), wrote)
                for s, t, cols, n, fp, wrote in con.execute(
                    f"SELECT schema_name, table_name, columns, row_count, fingerprint, "
                    f"publication FROM {lake}.{META}.tables"
                ).fetchall()
            }
            present = set(_tables(con, WRITER_ALIAS))
            published = _tables(con, source)
            prints = {t: _fingerprint(con, source, *t) for t in published}
            rewritten = [
                t
                for t in published
                if full or t not in present or recorded.get(t, (None,))[0] != prints[t]
            ]
            for schema, table in rewritten:
                con.execute(f'CREATE SCHEMA IF NOT EXISTS {lake}."{schema}"')
                con.execute(
                    f'CREATE OR REPLACE TABLE {lake}."{schema}"."{table}" AS '
                    f'SELECT * FROM "{source}"."{schema}"."{table}"'
                )
            dropped = sorted(present - set(published))
            for schema, table in dropped:
                con.execute(f'DROP TABLE {lake}."{schema}"."{table}"')
            last = {t: wrote for t, (_, wrote) in recorded.items()}
            _record(con, lake, number, warehouse, prints, rewritten, last)
            names = [f"{s}.{t}" for s, t in rewritten]
            info = json.dumps({"publication": number, "warehouse": warehouse, "rewritten": names})
            con.execute(
                f"CALL {lake}.set_commit_message({_lit(AUTHOR)}, "
                f"{_lit(f'alvh publication {number}')}, extra_info => {_lit(info)})"
            )
            open_transaction = False  # a failed COMMIT (a conflict) ends the transaction too
            con.execute("COMMIT")
        except BaseException:
            if open_transaction:
                con.execute("ROLLBACK")
            raise
        # the snapshot this connection committed (not a later one of another publisher)
        snapshot = con.execute(f"FROM {lake}.last_committed_snapshot()").fetchone()[0]
    finally:
        con.execute(f"DETACH {lake}")
    return LakePublication(
        number=number,
        snapshot=snapshot,
        tables=tuple(f"{s}.{t}" for s, t in published),
        rewritten=tuple(names),
        dropped=tuple(f"{s}.{t}" for s, t in dropped),
        seconds=time.perf_counter() - start,
    )


def _ensure_meta(con: duckdb.DuckDBPyConnection, lake: str) -> None:
    """The bookkeeping tables of :data:`META`, created by the first publication."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {lake}.{META}")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {lake}.{META}.publications (publication BIGINT, "
        "published_at TIMESTAMPTZ, warehouse VARCHAR, tables INTEGER, rewritten INTEGER)"
    )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {lake}.{META}.tables (schema_name VARCHAR, "
        "table_name VARCHAR, columns VARCHAR, row_count BIGINT, fingerprint VARCHAR, "
        "publication BIGINT)"
    )


def _record(
    con: duckdb.DuckDBPyConnection,
    lake: str,
    number: int,
    warehouse: str,
    prints: dict[tuple[str, str], tuple[str, int, str]],
    rewritten: list[tuple[str, str]],
    last: dict[tuple[str, str], int],
) -> None:
    """Rewrite ``alvh_meta.tables`` (every published table's fingerprint, and the
    publication that last wrote it) and append publication ``number``'s row. Both tables
    are written by every publication, so two concurrent publishes conflict at commit.
    ``last`` is the publication that last wrote each table, as recorded before."""
    con.execute(f"DELETE FROM {lake}.{META}.tables")
    rows = []
    for (schema, table), (columns, count, fingerprint) in sorted(prints.items()):
        wrote = number if (schema, table) in rewritten else last.get((schema, table), number)
        rows.append(
            f"({_lit(schema)}, {_lit(table)}, {_lit(columns)}, {count}, "
            f"{_lit(fingerprint)}, {wrote})"
        )
    if rows:
        con.execute(f"INSERT INTO {lake}.{META}.tables VALUES {', '.join(rows)}")
    now = datetime.now(UTC).isoformat()
    con.execute(
        f"INSERT INTO {lake}.{META}.publications VALUES ({number}, "
        f"{_lit(now)}::TIMESTAMPTZ, {_lit(warehouse)}, {len(prints)}, {len(rewritten)})"
    )


def _tables(con: duckdb.DuckDBPyConnection, db: str) -> list[tuple[str, str]]:
    """The base tables of :data:`SCHEMAS` in catalog ``db``, sorted."""
    listed = ", ".join(_lit(s) for s in SCHEMAS)
    return con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        f"WHERE database_name = {_lit(db)} AND schema_name IN ({listed}) ORDER BY 1, 2"
    ).fetchall()


def _fingerprint(
    con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str
) -> tuple[str, int, str]:
    """(columns as ``name type`` text, row count, sum of the rows' 64-bit hashes as text:
    DuckLake stores no exact HUGEINT) of one
    table: of its write stamp (:data:`~alvh_assets.publish.STAMP_COLUMNS`) when it has one,
    else of the whole row."""
    columns = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        f"WHERE database_name = {_lit(db)} AND schema_name = {_lit(schema)} "
        f"AND table_name = {_lit(table)} ORDER BY column_index"
    ).fetchall()
    names = {name for name, _ in columns}
    stamp = next((c for c in STAMP_COLUMNS if c in names), None)
    what = f'"{stamp}"' if stamp else "__lake_row"
    count, total = con.execute(
        f"SELECT count(*), coalesce(sum(hash({what})::HUGEINT), 0) "
        f'FROM "{db}"."{schema}"."{table}" __lake_row'
    ).fetchone()
    return ", ".join(f"{n} {t}" for n, t in columns), count, str(total)


def _lit(value: Path | str) -> str:
    """``value`` as a SQL string literal (inlined: binding parameters makes DuckDB's Python
    client import pandas)."""
    return "'" + str(value).replace("'", "''") + "'"
