"""Publishing the warehouse for BI readers: one read-only publication, swapped as a unit.

The warehouse has a single writer, and DuckDB will not let another process open a file
that a process holds read-write. So readers (notebooks, BI tools, ``duckdb -readonly``)
get a publication of their own: a DuckDB copy plus Parquet files of the ``marts``,
``strategy`` and ``attribution`` tables, all from one snapshot. Layout of
``published/`` (:func:`alvh_assets.paths.published_dir`)::

    releases/<id>/alvh.duckdb                     one publication (id: UTC time, pid)
    releases/<id>/parquet/<schema>/<table>.parquet
    current      -> releases/<id>                 the one pointer, swapped atomically
    alvh.duckdb  -> current/alvh.duckdb           stable names readers already use
    parquet      -> current/parquet

:func:`publish` writes a new release and then swaps ``current``:

1. sweep the temporary files and folders of publishes whose process is dead
   (:func:`sweep_stale_temps`: a killed publish leaves a warehouse-sized temp behind);
2. ``CHECKPOINT`` the warehouse (its WAL is folded into the file);
3. write the release into ``releases/.<id>.tmp-<pid>/``, **incrementally** when ``current``
   names a release holding ``<catalog>.duckdb`` (see below), else in full: ``ATTACH`` a new
   ``<catalog>.duckdb`` with ``STORAGE_VERSION 'v1.4.0'``, so any DuckDB ≥ 1.4 opens it,
   ``COPY FROM DATABASE … (SCHEMA)`` (every schema, table, view and comment), drop what is
   not for readers (below), and insert the rows of every reader table; write the copy's
   ``meta`` tables (:mod:`alvh_assets.publication`: when, data through which day, code
   version, config hash, rows per table); export the Parquet tables from that copy (same
   snapshot) into the same folder; ``DETACH`` (which checkpoints the copy);
4. ``fsync`` and seal the folder read-only (files 0444, folders 0555), rename it to
   ``releases/<id>``, then point ``current`` at it: a fresh relative symlink
   ``os.replace``-d over the old one, an atomic rename on POSIX;
5. make the stable names once (symlinks through ``current``, so they never change again);
   delete the releases beyond the :data:`KEEP_RELEASES` newest (never the current one).

**Incremental publishing** (issue 18: a day's publish no longer copies the warehouse).
The new release starts as a copy of the current release's DuckDB file (a reflink where the
file system has them, else a kernel copy: the one step still proportional to the
warehouse's size), attached read-write in the staging folder; the old file is never
written, so its readers keep their snapshot. If the two catalogs differ in anything but
table contents (schemas, a table's DDL — a column added —, views, indexes, sequences,
macros, types, comments; compared over the reader schemas), or the previous copy holds
anything a copy no longer may (a schema outside :data:`READER_SCHEMAS`, a scratch table),
the copy is dropped and the release is written in full. ``meta`` is rewritten every time.
Otherwise each table is compared with its copy by a *fingerprint*, computed on both sides
(so nothing is stored between publishes and a release made by older code is a valid base):

* per partition: a table of at least :data:`PARTITION_MIN_ROWS` rows with a date column of
  :data:`PARTITION_COLUMNS` (``raw.cboe_option_eod``, ``pricing.option_greeks``: by
  ``quote_date``) is split by day, any other table is one partition;
* per partition, the row count and the sum of the rows' 64-bit ``hash``: of the whole row,
  or, in a table with a write stamp (:data:`STAMP_COLUMNS`: ``_ingested_at``,
  ``_computed_at``), of the stamp only. The pipeline stamps every row it writes with the
  run's time and replaces rows (delete + insert) instead of updating them, so a partition
  rewritten by a run has new stamps; a stamped table changed by hand without its stamps
  is not seen — publish with ``full=True`` (``alvh publish --full``) after such an edit.

A partition whose fingerprint differs is deleted from the copy and inserted again from the
warehouse (a day's run: the day's option rows and greeks, and the derived tables that
changed, whole); an unchanged table is left as it is, and its Parquet file is a hard link
to the previous release's (one inode, no bytes written; sealed 0444 in both). Deleting a
release deletes its links only. Any DuckDB or file error in these steps falls back to the
full copy. Two different row sets of one partition with the same count and the same sum of
64-bit hashes (odds about 2^-64 per changed partition) would be taken as unchanged.
Costs measured: ``BENCHMARKS.md`` ("Publishing a day").

**Reading one publication.** A reader that resolves ``current`` once
(``os.path.realpath("published/current")``, or :func:`published_database`) and reads every
file under that folder reads one publication across all files, whatever publishes
happen meanwhile. Paths through the stable names are resolved anew at every open, so two
Parquet files opened as ``published/parquet/…`` may come from two publications. The
DuckDB copy is one file: opened through ``published/alvh.duckdb`` it is one consistent
snapshot for the life of the connection. A reader that holds a file open keeps reading it
after its release is deleted (Linux keeps an unlinked inode while it is open); a reader
that resolved ``current`` but opens its files only after :data:`KEEP_RELEASES` - 1 further
publishes finds them gone and must resolve ``current`` again.

Within one Python process DuckDB caches the database by path, so a process that still
holds a connection to ``published/alvh.duckdb`` gets the *old* snapshot from
``duckdb.connect(path)``: close every connection first, or ``ATTACH`` from a fresh
``duckdb.connect()``.

**Only reader schemas** (issue 20): a copy holds the schemas of :data:`READER_SCHEMAS` and
``meta``, never dbt's ``staging``/``intermediate`` views, ``main`` or a scratch table
(:data:`SCRATCH`: dbt's ``…__dbt_tmp…`` left by an interrupted or standalone ``dbt build``).
dbt stores its views with catalog-qualified SQL (``alvh.raw.…``, the catalog being the
warehouse file's stem), which fails in a copy attached under another name (``Catalog "alvh"
does not exist``); the views readers get (``attribution.v_*``) name their tables without a
catalog, so the copy opens under any name or file name. The copy is still named
``<catalog>.duckdb`` (``alvh.duckdb``), the name readers already use. Table and column
comments (the data dictionary, ``docs/data_dictionary.md``) are part of the catalog and
copied with it. On failure before ``current`` is swapped, the new release and
every temporary are removed and the previous publication is left as it was. A
``published/`` from before the release layout (a plain ``alvh.duckdb`` file and
``parquet/`` folder) is converted on the first publish: the file is replaced atomically by
its symlink, the folder is renamed aside and replaced by its symlink (for that one
instant ``published/parquet`` is missing).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import stat
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from alvh_assets import paths
from alvh_assets.config import AlvhConfig, config_hash, load_config
from alvh_assets.publication import SCHEMA as META
from alvh_assets.publication import Publication, write_meta

PARQUET_SCHEMAS = ("marts", "strategy", "attribution")
READER_SCHEMAS = ("raw", "quarantine", "pricing", "marts", "strategy", "attribution", "research")
"""The warehouse schemas a publication copies (the contract's tables, the sweeps' results);
dbt's ``staging`` and ``intermediate`` views and ``main`` stay in the warehouse."""
SCRATCH = re.compile(r"__dbt_(tmp|backup)")
"""Names of scratch tables never published (dbt's temporaries and backups)."""
STORAGE_VERSION = "v1.4.0"
KEEP_RELEASES = 3
"""Releases kept on disk: the current one and the two before it (older ones are deleted)."""
PARTITION_COLUMNS = ("quote_date", "date", "trade_date")
"""Date columns by which a large table is split into day partitions when published."""
PARTITION_MIN_ROWS = 100_000
"""Tables with fewer rows are compared and rewritten whole."""
STAMP_COLUMNS = ("_ingested_at", "_computed_at")
"""Write-stamp columns: the pipeline writes them with the time of the run on every row it
inserts and never updates a row in place, so a table's rows are unchanged when the count
and the stamps of each partition are."""
RELEASES = "releases"
CURRENT = "current"
PARQUET = "parquet"
FILE_MODE = 0o444
"""Mode of every published file: nobody writes a publication once it is sealed."""
DIR_MODE = 0o555
"""Mode of every folder inside a release."""

_FICLONE = 0x40049409
"""Linux ``ioctl`` request: make the target file share the source file's extents."""
_TEMP = re.compile(r"\.tmp-(\d+)(?:\.wal)?$")
"""A publish's temporary: ``….tmp-<pid>`` (and DuckDB's ``….tmp-<pid>.wal``), in this layout
(``releases/.<id>.tmp-<pid>/``, ``.current.tmp-<pid>``) or the one before it
(``.alvh.duckdb.tmp-<pid>``, ``parquet/<schema>/.<table>.parquet.tmp-<pid>``)."""
_RELEASE = re.compile(r"^\d{8}T\d{12}Z-\d+$")
"""A release folder's name: ``<UTC %Y%m%dT%H%M%S%f>Z-<pid>``, which sorts by time."""


@dataclass(frozen=True)
class PublishResult:
    """What :func:`publish` wrote: ``path`` and ``parquet`` are the stable names (through
    ``current``), ``release`` the folder they resolve to now; ``swept`` the temporaries of
    dead publishes removed first, ``pruned`` the old releases deleted; ``incremental``
    whether the release was made from the previous one (else a full copy), ``reused`` the
    tables it left as they were, ``linked`` the Parquet files hard-linked from it;
    ``publication`` the copy's ``meta.publication`` row (``tables`` leaves ``meta`` out)."""

    path: Path
    tables: tuple[str, ...]
    views: tuple[str, ...]
    parquet: tuple[Path, ...]
    bytes: int
    seconds: float
    release: Path
    swept: tuple[Path, ...] = ()
    pruned: tuple[Path, ...] = ()
    reused: tuple[str, ...] = ()
    linked: tuple[Path, ...] = ()
    incremental: bool = False
    publication: Publication | None = None


def published_database(target_dir: Path | None = None) -> Path:
    """The DuckDB copy of the current publication in ``target_dir`` (default
    :func:`~alvh_assets.paths.published_dir`): ``current`` resolved once to
    ``releases/<id>/<catalog>.duckdb``, so whoever opens it reads one publication even if a
    publish swaps ``current`` meanwhile.
    Without a ``current`` pointer (nothing published yet, or a publication from before the
    release layout) it is ``<target_dir>/alvh.duckdb``, which may not exist: callers check."""
    target_dir = Path(target_dir) if target_dir else paths.published_dir()
    current = target_dir / CURRENT
    if current.is_symlink():
        release = Path(os.path.realpath(current))
        copies = sorted(release.glob("*.duckdb"))
        if copies:
            return copies[0]
    return target_dir / "alvh.duckdb"


def publish(
    con: duckdb.DuckDBPyConnection,
    target_dir: Path | None = None,
    *,
    full: bool = False,
    config: AlvhConfig | None = None,
) -> PublishResult:
    """Publish the warehouse behind ``con`` (read-write) to ``target_dir`` (default
    :func:`~alvh_assets.paths.published_dir`): a new sealed release ``releases/<id>/`` holding
    ``<catalog>.duckdb`` (reader schemas and ``meta`` only) and
    ``parquet/<schema>/<table>.parquet``, made current by one atomic pointer swap (see the
    module doc). ``config`` (default: the defaults, :func:`~alvh_assets.config.load_config`)
    is the configuration whose hash ``meta.publication`` records. Stale temporaries of dead
    publishes are swept first; releases beyond :data:`KEEP_RELEASES` are deleted after."""
    start = time.perf_counter()
    target_dir = Path(target_dir) if target_dir else paths.published_dir()
    releases = target_dir / RELEASES
    releases.mkdir(parents=True, exist_ok=True)
    swept = sweep_stale_temps(target_dir)
    catalog = con.execute("SELECT current_database()").fetchone()[0]
    pid = os.getpid()
    release_id = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}Z-{pid}"
    staging = releases / f".{release_id}.tmp-{pid}"
    release = releases / release_id
    copy = f"{catalog}.duckdb"
    alias = f"{catalog}_publish_{pid}"
    previous = None if full else _previous_release(target_dir, copy)
    parquet: list[Path] = []
    linked: list[Path] = []
    try:
        staging.mkdir()
        con.execute("SET enable_progress_bar = false")  # no progress bar in run logs
        con.execute(f'CHECKPOINT "{catalog}"')
        unchanged = None
        if previous is not None:
            unchanged = _incremental(con, catalog, previous / copy, staging / copy, alias)
        incremental = unchanged is not None
        if unchanged is None:  # first publish, full=True, or a change of schema: copy all
            unchanged = frozenset()
            _copy_all(con, catalog, staging / copy, alias)
        publication = write_meta(
            con,
            alias,
            release=release_id,
            incremental=incremental,
            config_hash=config_hash(config or load_config()),
        )
        tables = tuple(t for t in _names(con, "table", alias) if not t.startswith(f"{META}."))
        views = _names(con, "view", alias)
        for name in tables:
            schema, table = name.split(".", 1)
            if schema not in PARQUET_SCHEMAS:
                continue
            rel = Path(PARQUET) / schema / f"{table}.parquet"
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            parquet.append(rel)
            if name in unchanged and previous is not None and _link(previous / rel, staging / rel):
                linked.append(rel)
                continue
            con.execute(
                f'COPY (SELECT * FROM "{alias}"."{schema}"."{table}") TO {_lit(staging / rel)} '
                "(FORMAT parquet)"
            )
        con.execute(f'DETACH "{alias}"')
        _seal(staging)
        os.rename(staging, release)
        _fsync(releases)
        _symlink(target_dir / CURRENT, f"{RELEASES}/{release_id}")
        _fsync(target_dir)
    except BaseException:
        con.execute(f'DETACH DATABASE IF EXISTS "{alias}"')
        _remove_tree(staging)
        if _points_to(target_dir / CURRENT) != release_id:
            _remove_tree(release)
        raise
    _stable_name(target_dir, copy)
    _stable_name(target_dir, PARQUET)
    pruned = _prune(releases, keep=release_id)
    size = sum(p.stat().st_size for p in release.rglob("*") if p.is_file())
    return PublishResult(
        path=target_dir / copy,
        tables=tables,
        views=views,
        parquet=tuple(target_dir / p for p in parquet),
        bytes=size,
        seconds=time.perf_counter() - start,
        release=release,
        swept=swept,
        pruned=pruned,
        reused=tuple(sorted(unchanged)),
        linked=tuple(target_dir / p for p in linked),
        incremental=incremental,
        publication=publication,
    )


def _copy_all(con: duckdb.DuckDBPyConnection, catalog: str, dest: Path, alias: str) -> None:
    """Write the whole copy ``dest`` (attached as ``alias``, storage :data:`STORAGE_VERSION`):
    the catalog of ``catalog`` (``COPY FROM DATABASE … (SCHEMA)``: schemas, tables, views,
    comments), less what is not for readers (:func:`_drop_strays`), then the rows of every
    reader table (:func:`_tables`)."""
    con.execute(f"ATTACH {_lit(dest)} AS \"{alias}\" (STORAGE_VERSION '{STORAGE_VERSION}')")
    con.execute(f'COPY FROM DATABASE "{catalog}" TO "{alias}" (SCHEMA)')
    _drop_strays(con, alias)
    for schema, table in _tables(con, catalog):
        con.execute(
            f'INSERT INTO "{alias}"."{schema}"."{table}" '
            f'SELECT * FROM "{catalog}"."{schema}"."{table}"'
        )


def _strays(con: duckdb.DuckDBPyConnection, db: str) -> list[tuple[str, str, str | None]]:
    """What a copy may not hold, in catalog ``db``: schemas outside :data:`READER_SCHEMAS`
    and ``meta`` (``(kind, schema, None)``, ``main`` excepted), the tables and views of
    ``main`` and the scratch tables (:data:`SCRATCH`) anywhere (``(kind, schema, name)``)."""
    allowed = (*READER_SCHEMAS, META, "main")
    schemas = con.execute(
        f"SELECT schema_name FROM duckdb_schemas() WHERE database_name = {_lit(db)} "
        "AND NOT internal"
    ).fetchall()
    found: list[tuple[str, str, str | None]] = [
        ("schema", s, None) for (s,) in schemas if s not in allowed
    ]
    for kind in ("table", "view"):
        user = " AND NOT internal" if kind == "view" else ""
        for schema, name in con.execute(
            f"SELECT schema_name, {kind}_name FROM duckdb_{kind}s() "
            f"WHERE database_name = {_lit(db)}{user}"
        ).fetchall():
            if schema in allowed and (schema == "main" or SCRATCH.search(name)):
                found.append((kind, schema, name))
    return found


def _drop_strays(con: duckdb.DuckDBPyConnection, db: str) -> None:
    """Drop from the copy ``db`` everything :func:`_strays` lists (a schema with its
    contents)."""
    for kind, schema, name in _strays(con, db):
        if name is None:
            con.execute(f'DROP SCHEMA "{db}"."{schema}" CASCADE')
        else:
            con.execute(f'DROP {kind.upper()} "{db}"."{schema}"."{name}"')


def _clone(source: Path, dest: Path, failed: list[BaseException]) -> None:
    """Copy ``source`` to a new file ``dest``: a reflink (``FICLONE``: shared extents, no
    bytes copied) where the file system has them (XFS, Btrfs), else a kernel copy. Run in a
    thread: an error is appended to ``failed``."""
    try:
        try:
            with open(source, "rb") as src, open(dest, "xb") as dst:
                fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
            return
        except OSError:
            dest.unlink(missing_ok=True)
        shutil.copyfile(source, dest)
    except BaseException as error:  # noqa: BLE001 - handed to the publishing thread
        failed.append(error)


def _link(source: Path, link: Path) -> bool:
    """Hard-link ``link`` to ``source`` (a sealed file of the previous release: the same
    bytes, one inode, no copy); ``False`` if that fails (then the caller writes it)."""
    try:
        os.link(source, link)
    except OSError:
        return False
    return True


def _previous_release(target_dir: Path, copy: str) -> Path | None:
    """The release ``current`` points at, if it holds the DuckDB copy ``copy`` (so it can be
    the base of an incremental publish); ``None`` otherwise (nothing published yet, a
    publication from before the release layout, another catalog)."""
    current = target_dir / CURRENT
    if not current.is_symlink():
        return None
    release = Path(os.path.realpath(current))
    return release if (release / copy).is_file() and _RELEASE.match(release.name) else None


def _incremental(
    con: duckdb.DuckDBPyConnection, catalog: str, base: Path, dest: Path, alias: str
) -> frozenset[str] | None:
    """Make ``dest`` (attached as ``alias``) equal to the warehouse ``catalog`` by copying
    the previous release's DuckDB file ``base`` and rewriting only what differs: per table,
    or per day partition of a large table (:func:`_fingerprints`). Returns the tables left
    as they were, or ``None`` (``dest`` removed) when the two catalogs differ in anything
    but table contents (objects, DDL, view SQL), or the copy fails: the caller copies all."""
    began = False
    try:
        failed: list[BaseException] = []
        copier = threading.Thread(target=_clone, args=(base, dest, failed))
        copier.start()  # the file copy (I/O) runs while the warehouse's side is fingerprinted
        try:
            parts = {t: _partition(con, catalog, *t) for t in _tables(con, catalog)}
            prints = {t: _fingerprints(con, catalog, *t, part) for t, part in parts.items()}
        finally:
            copier.join()
        if failed:
            raise failed[0]
        con.execute(f'ATTACH {_lit(dest)} AS "{alias}"')
        if _strays(con, alias) or _catalog_signature(con, catalog) != _catalog_signature(
            con, alias
        ):
            raise _UnsureError
        unchanged: set[str] = set()
        con.execute("BEGIN")
        began = True
        for (schema, table), part in parts.items():
            new = prints[schema, table]
            old = _fingerprints(con, alias, schema, table, part)
            if new == old:
                unchanged.add(f"{schema}.{table}")
                continue
            src, dst = f'"{catalog}"."{schema}"."{table}"', f'"{alias}"."{schema}"."{table}"'
            if part is None:
                con.execute(f"DELETE FROM {dst}")
                con.execute(f"INSERT INTO {dst} SELECT * FROM {src}")
                continue
            keys = [k for k in new.keys() | old.keys() if new.get(k) != old.get(k)]
            days = sorted(k for k in keys if k is not None)
            where = f"({part} IS NULL AND {None in keys})"
            if days:  # the range first: DuckDB skips the row groups outside it (zonemaps)
                listed = ", ".join(f"DATE '{d.isoformat()}'" for d in days)
                where += (
                    f" OR ({part} BETWEEN DATE '{days[0].isoformat()}' "
                    f"AND DATE '{days[-1].isoformat()}' AND {part} IN ({listed}))"
                )
            con.execute(f"DELETE FROM {dst} WHERE {where}")
            con.execute(f"INSERT INTO {dst} SELECT * FROM {src} WHERE {where}")
        con.execute("COMMIT")
        began = False
        return frozenset(unchanged)
    except (_UnsureError, duckdb.Error, OSError):
        if began:
            con.execute("ROLLBACK")
        con.execute(f'DETACH DATABASE IF EXISTS "{alias}"')
        for path in (dest, dest.with_name(dest.name + ".wal")):
            path.unlink(missing_ok=True)
        return None


class _UnsureError(Exception):
    """The previous release is no base for an incremental publish: copy everything."""


def _catalog_signature(con: duckdb.DuckDBPyConnection, db: str) -> tuple:
    """Everything :func:`_incremental` does not rewrite, in the reader schemas of catalog
    ``db`` (scratch tables left out): schemas, the DDL of tables, views, indexes, sequences,
    macros and types (for views and macros their SQL), and the comments of tables, views
    and columns."""
    queries = (
        "SELECT schema_name FROM duckdb_schemas() WHERE {where} AND NOT internal",
        "SELECT schema_name, table_name, sql, comment FROM duckdb_tables() WHERE {where} "
        "AND NOT regexp_matches(table_name, {scratch})",
        "SELECT schema_name, view_name, sql, comment FROM duckdb_views() "
        "WHERE {where} AND NOT internal",
        "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
        "WHERE {where} AND comment IS NOT NULL AND NOT regexp_matches(table_name, {scratch})",
        "SELECT schema_name, index_name, sql FROM duckdb_indexes() WHERE {where}",
        "SELECT schema_name, sequence_name, last_value FROM duckdb_sequences() WHERE {where}",
        "SELECT schema_name, function_name, macro_definition FROM duckdb_functions() "
        "WHERE {where} AND NOT internal",
        "SELECT schema_name, type_name FROM duckdb_types() WHERE {where} AND NOT internal",
    )
    where = f"database_name = {_lit(db)} AND schema_name IN ({_readers()})"
    return tuple(
        tuple(
            sorted(
                map(
                    repr,
                    con.execute(q.format(where=where, scratch=_lit(SCRATCH.pattern))).fetchall(),
                )
            )
        )
        for q in queries
    )


def _readers() -> str:
    """:data:`READER_SCHEMAS` as a SQL list of literals."""
    return ", ".join(_lit(s) for s in READER_SCHEMAS)


def _tables(con: duckdb.DuckDBPyConnection, db: str) -> list[tuple[str, str]]:
    """The published tables of catalog ``db``: those of :data:`READER_SCHEMAS`, scratch tables
    (:data:`SCRATCH`) left out; sorted."""
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        f"WHERE database_name = {_lit(db)} AND schema_name IN ({_readers()}) ORDER BY 1, 2"
    ).fetchall()
    return [(s, t) for s, t in rows if not SCRATCH.search(t)]


def _where(db: str, schema: str, table: str) -> str:
    return (
        f"database_name = {_lit(db)} AND schema_name = {_lit(schema)} "
        f"AND table_name = {_lit(table)}"
    )


def _partition(con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str) -> str | None:
    """The day-partition expression (its first :data:`PARTITION_COLUMNS` column of a date
    or timestamp type, as a date) of a table with at least :data:`PARTITION_MIN_ROWS` rows,
    or ``None``: the table is one unit."""
    rows = con.execute(
        f"SELECT estimated_size FROM duckdb_tables() WHERE {_where(db, schema, table)}"
    ).fetchone()
    if rows is None or rows[0] < PARTITION_MIN_ROWS:
        return None
    columns = dict(
        con.execute(
            f"SELECT column_name, data_type FROM duckdb_columns() WHERE {_where(db, schema, table)}"
        ).fetchall()
    )
    for name in PARTITION_COLUMNS:
        if columns.get(name) == "DATE":
            return f'"{name}"'
        if columns.get(name, "").startswith("TIMESTAMP"):
            return f'CAST("{name}" AS DATE)'
    return None


def _fingerprints(
    con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str, part: str | None
) -> dict:
    """Per partition (``part``; one partition ``None`` if the table is one unit): row count
    and the sum of the rows' 64-bit hashes. A table with a write-stamp column
    (:data:`STAMP_COLUMNS`) hashes that stamp only, a table without one every column."""
    columns = {
        r[0]
        for r in con.execute(
            f"SELECT column_name FROM duckdb_columns() WHERE {_where(db, schema, table)}"
        ).fetchall()
    }
    stamp = next((c for c in STAMP_COLUMNS if c in columns), None)
    what = f'"{stamp}"' if stamp else "__publish_row"
    rows = con.execute(
        f"SELECT {part or 'NULL'} AS p, count(*), sum(hash({what})::HUGEINT) "
        f'FROM "{db}"."{schema}"."{table}" __publish_row GROUP BY ALL'
    ).fetchall()
    return {p: (n, h) for p, n, h in rows}


def sweep_stale_temps(target_dir: Path) -> tuple[Path, ...]:
    """Remove, anywhere under ``target_dir``, the temporaries (``….tmp-<pid>``, see
    :data:`_TEMP`) of publishes whose process ``<pid>`` is dead; those of a live process
    (a publish running now, this one included) are kept. Returns what was removed.

    A pid reused by an unrelated process keeps its temporary until that process ends."""
    swept: list[Path] = []
    for root, dirs, files in os.walk(target_dir, followlinks=False):
        for name in [*dirs, *files]:
            match = _TEMP.search(name)
            if match is None or _alive(int(match.group(1))):
                continue
            path = Path(root) / name
            _remove_tree(path)
            swept.append(path)
            if name in dirs:
                dirs.remove(name)
    return tuple(sorted(swept))


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (signal 0 probes without signalling)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _seal(folder: Path) -> None:
    """Flush every file and folder under ``folder`` to disk and make them read-only
    (:data:`FILE_MODE`, :data:`DIR_MODE`), deepest first so ``folder`` is sealed last."""
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = Path(root) / name
            _fsync(path)
            os.chmod(path, FILE_MODE)
        for name in dirs:
            os.chmod(Path(root) / name, DIR_MODE)
        _fsync(Path(root))
    os.chmod(folder, DIR_MODE)


def _symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` atomically: a fresh symlink ``.<name>.tmp-<pid>`` beside it
    is ``os.replace``-d over ``link`` (a reader sees the old or the new target, never none)."""
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _points_to(link: Path) -> str | None:
    """The release id ``link`` (``current``) names, or ``None``."""
    try:
        return Path(os.readlink(link)).name
    except OSError:
        return None


def _stable_name(target_dir: Path, name: str) -> None:
    """Make ``target_dir/name`` the symlink ``current/name`` unless it is already: a file from
    before the release layout is replaced atomically; such a folder is renamed aside to a
    temporary, the link made, the folder deleted (it is missing for that one instant)."""
    link = target_dir / name
    target = f"{CURRENT}/{name}"
    if link.is_symlink():
        if os.readlink(link) != target:
            _symlink(link, target)
        return
    if not link.is_dir():
        _symlink(link, target)
        return
    aside = target_dir / f".{name}.tmp-{os.getpid()}"
    os.rename(link, aside)
    try:
        os.symlink(target, link)
    except BaseException:
        os.rename(aside, link)
        raise
    _remove_tree(aside)


def _prune(releases: Path, keep: str) -> tuple[Path, ...]:
    """Delete the releases beyond the :data:`KEEP_RELEASES` newest by name (time), never
    ``keep`` (the one just made current). Returns the deleted folders."""
    names = sorted((n for n in os.listdir(releases) if _RELEASE.match(n)), reverse=True)
    old = [releases / n for n in names[KEEP_RELEASES:] if n != keep]
    for path in old:
        _remove_tree(path)
    return tuple(old)


def _remove_tree(path: Path) -> None:
    """Delete ``path`` (a file, a symlink or a folder, sealed read-only or not) if it exists."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink(missing_ok=True)
        return
    if not path.exists():
        return
    for root, dirs, _ in os.walk(path):
        os.chmod(root, stat.S_IRWXU)
        for name in dirs:
            sub = Path(root) / name
            if not sub.is_symlink():
                os.chmod(sub, stat.S_IRWXU)
    shutil.rmtree(path)


def _names(con: duckdb.DuckDBPyConnection, kind: str, catalog: str) -> tuple[str, ...]:
    """Sorted ``schema.name`` of the ``kind`` (``table`` or ``view``) objects of ``catalog``."""
    user = " AND NOT internal" if kind == "view" else ""
    rows = con.execute(
        f"SELECT schema_name || '.' || {kind}_name FROM duckdb_{kind}s() "
        f"WHERE database_name = {_lit(catalog)}{user} ORDER BY 1"
    ).fetchall()
    return tuple(r[0] for r in rows)


def _lit(value: Path | str) -> str:
    """``value`` (a path or a name) as a SQL string literal: inlined, because binding a
    parameter makes DuckDB's Python client import pandas (a second, once per process)."""
    return "'" + str(value).replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    """Flush a file (or a directory entry) to disk, so a rename never exposes a hole."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
