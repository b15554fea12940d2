"""Publishing the warehouse for BI readers: a read-only copy that is swapped atomically.

The warehouse has a single writer, and DuckDB will not let another process open a file
that a process holds read-write. So readers (notebooks, BI tools, ``duckdb -readonly``)
get their own copy, ``published/alvh.duckdb``, plus Parquet files of the marts,
``strategy`` and ``attribution`` tables, rebuilt by :func:`publish`:

1. ``CHECKPOINT`` the warehouse (its WAL is folded into the file);
2. ``ATTACH`` a temporary file next to the target with ``STORAGE_VERSION 'v1.4.0'``, so
   any DuckDB ≥ 1.4 opens it, and ``COPY FROM DATABASE`` every schema, table and view
   into it; export the Parquet tables from that copy (same snapshot) to temporary names;
3. ``DETACH`` (which checkpoints the copy), ``fsync``, then ``os.replace`` the copy and
   each Parquet file onto its published name.

``os.replace`` is an atomic rename on POSIX: a reader that holds the old file keeps
reading its old snapshot (the unlinked inode lives on while open); a connection opened
afterwards sees the new file. Within one Python process DuckDB caches the database by
path, so a process that still holds a connection to the old file gets the *old* snapshot
from ``duckdb.connect(path)``: close every connection first, or ``ATTACH`` from a fresh
``duckdb.connect()``.

dbt views are stored with catalog-qualified SQL (``alvh.raw.…``, the catalog being the
warehouse file's stem); ``COPY FROM DATABASE`` copies that SQL verbatim, so the copy is
named ``<catalog>.duckdb`` (``alvh.duckdb`` for the project's warehouse) and its views
resolve when it is opened. On failure the temporary files are removed and the previous
publication is left as it was.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from alvh_assets import paths

PARQUET_SCHEMAS = ("marts", "strategy", "attribution")
STORAGE_VERSION = "v1.4.0"


@dataclass(frozen=True)
class PublishResult:
    """What :func:`publish` wrote."""

    path: Path
    tables: tuple[str, ...]
    views: tuple[str, ...]
    parquet: tuple[Path, ...]
    bytes: int
    seconds: float


def published_dir() -> Path:
    """``$ALVH_PUBLISHED_DIR``, default ``published/`` next to the warehouse file."""
    env = os.environ.get("ALVH_PUBLISHED_DIR")
    return Path(env).resolve() if env else paths.warehouse_path().parent / "published"


def published_database(target_dir: Path | None = None) -> Path:
    """The DuckDB copy of the current publication in ``target_dir`` (default
    :func:`published_dir`): ``current`` resolved once to ``releases/<id>/<catalog>.duckdb``,
    so whoever opens it reads one publication even if a publish swaps ``current`` meanwhile.
    Without a ``current`` pointer (nothing published yet, or a publication from before the
    release layout) it is ``<target_dir>/alvh.duckdb``, which may not exist: callers check."""
    target_dir = Path(target_dir) if target_dir else published_dir()
    current = target_dir / "current"
    if current.is_symlink():
        release = Path(os.path.realpath(current))
        copies = sorted(release.glob("*.duckdb"))
        if copies:
            return copies[0]
    return target_dir / "alvh.duckdb"


def publish(con: duckdb.DuckDBPyConnection, target_dir: Path | None = None) -> PublishResult:
    """Copy the warehouse behind ``con`` (read-write) to ``target_dir`` (default
    :func:`published_dir`) as ``<catalog>.duckdb`` plus
    ``parquet/<schema>/<table>.parquet``, each swapped in atomically (see the module doc)."""
    start = time.perf_counter()
    target_dir = Path(target_dir) if target_dir else published_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    catalog = con.execute("SELECT current_database()").fetchone()[0]
    target = target_dir / f"{catalog}.duckdb"
    alias = f"{catalog}_publish_{os.getpid()}"
    tmp_db = target_dir / f".{target.name}.tmp-{os.getpid()}"
    temps: list[Path] = [tmp_db, Path(f"{tmp_db}.wal")]
    renames: list[tuple[Path, Path]] = []
    try:
        for stale in temps:
            stale.unlink(missing_ok=True)
        con.execute("SET enable_progress_bar = false")  # no progress bar in run logs
        con.execute(f'CHECKPOINT "{catalog}"')
        con.execute(f"ATTACH {_lit(tmp_db)} AS \"{alias}\" (STORAGE_VERSION '{STORAGE_VERSION}')")
        con.execute(f'COPY FROM DATABASE "{catalog}" TO "{alias}"')
        tables = _names(con, "table", alias)
        views = _names(con, "view", alias)
        for name in tables:
            schema, table = name.split(".", 1)
            if schema not in PARQUET_SCHEMAS:
                continue
            final = target_dir / "parquet" / schema / f"{table}.parquet"
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
            temps.append(tmp)
            con.execute(
                f'COPY (SELECT * FROM "{alias}"."{schema}"."{table}") TO {_lit(tmp)} '
                "(FORMAT parquet)"
            )
            renames.append((tmp, final))
        con.execute(f'DETACH "{alias}"')
        for src, dst in [(tmp_db, target), *renames]:
            _fsync(src)
            os.replace(src, dst)
        _fsync(target_dir)
    except BaseException:
        con.execute(f'DETACH DATABASE IF EXISTS "{alias}"')
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    parquet = tuple(dst for _, dst in renames)
    size = sum(p.stat().st_size for p in (target, *parquet))
    return PublishResult(target, tables, views, parquet, size, time.perf_counter() - start)


def _names(con: duckdb.DuckDBPyConnection, kind: str, catalog: str) -> tuple[str, ...]:
    """Sorted ``schema.name`` of the ``kind`` (``table`` or ``view``) objects of ``catalog``."""
    user = " AND NOT internal" if kind == "view" else ""
    rows = con.execute(
        f"SELECT schema_name || '.' || {kind}_name FROM duckdb_{kind}s() "
        f"WHERE database_name = ?{user} ORDER BY 1",
        [catalog],
    ).fetchall()
    return tuple(r[0] for r in rows)


def _lit(path: Path) -> str:
    """``path`` as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    """Flush a file (or a directory entry) to disk, so a rename never exposes a hole."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
