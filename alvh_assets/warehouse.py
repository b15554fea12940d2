"""The DuckDB warehouse: connections, schemas, and transactional replace-writes.

Every write replaces a well-defined slice (a partition window, or a whole table) inside
one transaction, so re-runs never duplicate and a crash leaves the previous state.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from alvh_assets import paths

SCHEMAS = ("raw", "quarantine", "pricing", "strategy", "attribution")

_DUCK_TYPES: dict[type[pl.DataType], str] = {
    pl.Utf8: "VARCHAR",
    pl.Date: "DATE",
    pl.Float64: "DOUBLE",
    pl.Float32: "FLOAT",
    pl.Int64: "BIGINT",
    pl.Int32: "INTEGER",
    pl.Int16: "SMALLINT",
    pl.Int8: "TINYINT",
    pl.Boolean: "BOOLEAN",
}


def duck_type(dtype: pl.DataType) -> str:
    """DuckDB column type of a polars dtype."""
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    try:
        return _DUCK_TYPES[type(dtype)]
    except KeyError:
        raise TypeError(f"no DuckDB type for polars dtype {dtype}") from None


_LOCK_PID = re.compile(r"\(PID (\d+)\)")


class WarehouseLockedError(duckdb.IOException):
    """Another process holds a lock on the warehouse file that conflicts with ours, and did
    not release it within the wait; ``pid`` is that process (None when DuckDB did not say).
    The message is one line: the file, the PID, and where analysts read instead."""

    def __init__(self, path: Path, pid: int | None, waited: float) -> None:
        self.path, self.pid, self.waited = path, pid, waited

        who = (f"process {pid}" + _process_name(pid)) if pid else "another process"
        super().__init__(
            f"the warehouse {path} is locked by {who} (waited {waited:.0f} s); stop that "
            f"process, and read the published copy instead (alvh sql, or "
            f"{paths.published_dir() / 'alvh.duckdb'})"
        )


def _process_name(pid: int) -> str:
    try:
        return f" ({Path(f'/proc/{pid}/comm').read_text().strip()})"
    except OSError:
        return ""


def is_lock_error(error: BaseException) -> bool:
    """True for DuckDB's "Could not set lock on file …: Conflicting lock is held …"."""
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


def lock_holder(message: str) -> int | None:
    """The PID in DuckDB's lock error (``… is held in /usr/bin/python3 (PID 123) …``)."""
    found = _LOCK_PID.search(message)
    return int(found.group(1)) if found else None


def open_with_retry(
    target: Path, read_only: bool = False, wait: float | None = None, config: dict | None = None
) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect(target)``, retried while another process holds a conflicting lock
    (a short-lived reader), with jittered exponential backoff (50 ms doubling to 1 s) for at
    most ``wait`` seconds (default :func:`alvh_assets.paths.lock_wait_seconds`) in all; then
    :class:`WarehouseLockedError` naming the holder's PID. Any other error is raised at once."""
    wait = paths.lock_wait_seconds() if wait is None else wait
    deadline = time.monotonic() + max(wait, 0.0)
    delay = 0.05
    started = time.monotonic()
    while True:
        try:
            return duckdb.connect(str(target), read_only=read_only, config=config or {})
        except duckdb.IOException as e:
            if not is_lock_error(e):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise WarehouseLockedError(
                    target, lock_holder(str(e)), time.monotonic() - started
                ) from e
            time.sleep(min(left, delay * random.uniform(0.5, 1.5)))
            delay = min(delay * 2, 1.0)


@contextmanager
def connect(
    path: Path | str | None = None, read_only: bool = False, wait: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file (default :func:`paths.warehouse_path`), DuckDB's
    memory capped at :func:`~alvh_assets.paths.duckdb_memory_limit` (beyond it, DuckDB
    spills to disk).

    A lock held by another process (a reader of the working file, another run) is waited
    for up to ``wait`` seconds (default :func:`alvh_assets.paths.lock_wait_seconds`), then
    :class:`WarehouseLockedError` (see :func:`open_with_retry`)."""
    target = Path(path) if path else paths.warehouse_path()
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    con = open_with_retry(target, read_only, wait)
    try:
        con.execute(f"SET memory_limit = '{paths.duckdb_memory_limit()}'")
        yield con
    finally:
        con.close()


@dataclass(frozen=True)
class TableDoc:
    """The data dictionary entry of a table: what it holds (its DuckDB table comment) and what
    each column means (its column comments; units, signs, per-contract or per-book). Declared
    beside the table's column layout, one home per table, and stored in the warehouse by
    :func:`ensure_table`, so ``duckdb_tables()``/``duckdb_columns()`` and BI tools show it in
    the warehouse and in every published copy (``COPY FROM DATABASE`` carries comments)."""

    description: str
    columns: Mapping[str, str] = field(default_factory=dict)


def ensure_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    schema: Mapping[str, pl.DataType],
    doc: TableDoc | None = None,
) -> None:
    """``CREATE SCHEMA/TABLE IF NOT EXISTS`` for ``schema.table`` with these columns; a table
    made by an older version gains the columns it lacks (``ALTER TABLE … ADD COLUMN``, null
    in existing rows). With ``doc``, the table and column comments are set where they differ
    (:func:`set_comments`)."""
    schema_name, table_name = table.split(".", 1)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema_name}")
    cols = ", ".join(f'"{name}" {duck_type(dtype)}' for name, dtype in schema.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            [schema_name, table_name],
        ).fetchall()
    }
    for name, dtype in schema.items():
        if name not in have:
            con.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {duck_type(dtype)}')
    if doc is not None:
        set_comments(con, table, doc)


def set_comments(
    con: duckdb.DuckDBPyConnection, table: str, doc: TableDoc, database: str | None = None
) -> int:
    """``COMMENT ON TABLE``/``COMMENT ON COLUMN`` of ``schema.table`` (in the attached
    ``database``, default the current one) from ``doc``, only where the stored comment differs
    (a run that changes nothing leaves the catalog as it was, so an incremental publish still
    finds it unchanged); columns ``doc`` does not describe keep their comment. Returns the
    comments written."""
    schema_name, table_name = table.split(".", 1)
    db = sql_text(database) if database else "current_database()"
    qualified = f'"{database}".{table}' if database else table
    where = (
        f"database_name = {db} AND schema_name = {sql_text(schema_name)} "
        f"AND table_name = {sql_text(table_name)}"
    )
    row = con.execute(f"SELECT comment FROM duckdb_tables() WHERE {where}").fetchone()
    written = 0
    if row is not None and row[0] != doc.description:
        con.execute(f"COMMENT ON TABLE {qualified} IS {sql_text(doc.description)}")
        written += 1
    have = dict(
        con.execute(f"SELECT column_name, comment FROM duckdb_columns() WHERE {where}").fetchall()
    )
    for column, text in doc.columns.items():
        if column in have and have[column] != text:
            con.execute(f'COMMENT ON COLUMN {qualified}."{column}" IS {sql_text(text)}')
            written += 1
    return written


def sql_text(value: str) -> str:
    """``value`` as a SQL string literal (``COMMENT ON`` takes no bound parameter)."""
    return "'" + value.replace("'", "''") + "'"


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, ROLLBACK on any error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def delete_window(
    con: duckdb.DuckDBPyConnection,
    table: str,
    column: str | None,
    window: tuple[dt.date, dt.date] | None,
    extra_where: str = "TRUE",
    params: list | None = None,
) -> None:
    """Delete ``table`` rows with ``column`` in the inclusive ``window`` (all rows when
    either is None), restricted by ``extra_where``."""
    if column is None or window is None:
        con.execute(f"DELETE FROM {table} WHERE {extra_where}", params or [])
    else:
        con.execute(
            f'DELETE FROM {table} WHERE "{column}" BETWEEN ? AND ? AND ({extra_where})',
            [window[0], window[1], *(params or [])],
        )


def insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Append ``frame`` to ``table`` by column name; returns the row count.

    The frame is read by DuckDB's replacement scan of a local variable, not ``register``:
    inside a transaction a registered (even unregistered) view keeps its Arrow data alive
    until COMMIT, which held a twenty-year backfill's every row in memory (11 GB)."""
    if frame.height:
        _alvh_insert = frame.to_arrow()  # noqa: F841 - read by name in the SQL below
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _alvh_insert")
    return frame.height


def read_frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None
) -> pl.DataFrame:
    """Run a query and return a polars frame."""
    return con.execute(sql, params or []).pl()


def read_by_date(
    con: duckdb.DuckDBPyConnection, select: str, date_col: str, max_rows: int = 1_000_000
) -> Iterator[pl.DataFrame]:
    """The rows of ``select`` (a query with a ``date_col`` column) in pieces of whole dates,
    each of at most ``max_rows`` rows (a single larger date is one piece); bounds memory."""
    counts = con.execute(
        f'SELECT "{date_col}", count(*) FROM ({select}) GROUP BY 1 ORDER BY 1'
    ).fetchall()
    pieces: list[list] = []
    size = 0
    for day, n in counts:
        if not pieces or size + n > max_rows:
            pieces.append([day, day])
            size = 0
        pieces[-1][1] = day
        size += n
    if not pieces:
        yield read_frame(con, f"SELECT * FROM ({select}) LIMIT 0")
    for lo, hi in pieces:
        yield read_frame(
            con, f'SELECT * FROM ({select}) WHERE "{date_col}" BETWEEN ? AND ?', [lo, hi]
        )
