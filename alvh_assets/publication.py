"""What a published copy holds and when it was made: its ``meta`` schema.

Every publication (:func:`alvh_assets.publish.publish`) writes two tables into its DuckDB
copy, never into the warehouse, so a reader of the file alone knows what it reads:

* ``meta.publication``, one row: ``published_at`` (UTC), ``first_day`` and ``data_through``
  (the first and last session of :data:`DATA_THROUGH_TABLES`' first table with rows, named
  in ``data_through_table``), ``code_version`` (``git describe`` of the project, else the
  installed package's version), ``config_hash`` (:func:`alvh_assets.config.config_hash` of
  the configuration in effect), the ``release`` folder, whether it was ``incremental``, and
  the number of tables and rows;
* ``meta.publication_tables``, one row per published table: schema, table, rows, and the
  first and last value of its date column (:data:`DATE_COLUMNS`) where it has one.

:func:`read_publication` reads ``meta.publication`` back (``alvh status``; the report can
call it); a copy from before this table has none (``None``).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb

from alvh_assets.warehouse import TableDoc, set_comments, sql_text

SCHEMA = "meta"
PUBLICATION = "meta.publication"
PUBLICATION_TABLES = "meta.publication_tables"
DATA_THROUGH_TABLES = (
    ("strategy.account_daily", "date"),
    ("marts.fct_regime_daily", "date"),
    ("raw.cboe_option_eod", "quote_date"),
)
"""Where ``data_through`` is read, first table with rows wins: the strategy book's last
session, else the marts', else the option quotes'."""
DATE_COLUMNS = ("date", "quote_date", "trade_date", "observation_date", "decision_date", "month")
"""A table's date column for ``meta.publication_tables`` (the first of these it has, of
type DATE)."""
PROJECT_ROOT = Path(__file__).resolve().parents[1]

DOCS: dict[str, TableDoc] = {
    PUBLICATION: TableDoc(
        "This publication: when it was made, the data it holds (first and last session), the "
        "code and configuration that made it. One row. Written by alvh publish into the "
        "published copy only.",
        {
            "published_at": "When the publication was made (UTC).",
            "first_day": "First session of data_through_table.",
            "data_through": "Last session of data_through_table: the data is complete "
            "through this day.",
            "data_through_table": "The table first_day and data_through are read from "
            "(strategy.account_daily, else marts.fct_regime_daily, else raw.cboe_option_eod).",
            "code_version": "git describe of the project that published (else the alvh "
            "package version).",
            "config_hash": "SHA-256 (16 hex digits) of the validated ALVH configuration in "
            "effect (alvh_assets.config.config_hash; sweeps key their runs by the same hash).",
            "release": "Release folder of the publication (published/releases/<id>).",
            "incremental": "Whether the copy was made from the previous publication, "
            "rewriting only what changed (else copied in full).",
            "tables": "Tables published (meta excluded).",
            "total_rows": "Rows of those tables.",
        },
    ),
    PUBLICATION_TABLES: TableDoc(
        "Every table of this publication with its row count and date range. Grain: "
        "schema_name, table_name.",
        {
            "schema_name": "Schema of the table.",
            "table_name": "Name of the table.",
            "row_count": "Rows in the table.",
            "date_column": "The table's date column (null when it has none).",
            "first_date": "Smallest value of date_column.",
            "last_date": "Largest value of date_column.",
        },
    ),
}


@dataclass(frozen=True)
class Publication:
    """The row of ``meta.publication`` (see :data:`DOCS` for each field)."""

    published_at: dt.datetime
    first_day: dt.date | None
    data_through: dt.date | None
    data_through_table: str | None
    code_version: str
    config_hash: str
    release: str
    incremental: bool
    tables: int
    total_rows: int


def code_version(root: Path = PROJECT_ROOT) -> str:
    """``git describe --always --dirty --tags`` of ``root``, else the installed ``alvh``
    package's version, else ``unknown``."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        if done.stdout.strip():
            return done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return importlib.metadata.version("alvh")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def write_meta(
    con: duckdb.DuckDBPyConnection,
    db: str,
    *,
    release: str,
    incremental: bool,
    config_hash: str,
    version: str | None = None,
    published_at: dt.datetime | None = None,
) -> Publication:
    """(Re)write ``meta.publication`` and ``meta.publication_tables`` of the attached copy
    ``db`` from its tables (every schema but ``meta``), with their comments; returns the
    publication row."""
    q = f'"{db}"'
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {q}.{SCHEMA}")
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        f"WHERE database_name = {sql_text(db)} AND schema_name <> {sql_text(SCHEMA)} "
        "ORDER BY 1, 2"
    ).fetchall()
    rows = []
    for schema, table in tables:
        column = _date_column(con, db, schema, table)
        name = f'{q}."{schema}"."{table}"'
        if column is None:
            count = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            rows.append((schema, table, count, None, None, None))
            continue
        count, first, last = con.execute(
            f'SELECT count(*), min("{column}"), max("{column}") FROM {name}'
        ).fetchone()
        rows.append((schema, table, count, column, first, last))
    ranges = {f"{s}.{t}": (n, first, last) for s, t, n, _, first, last in rows}
    through = next((t for t, _ in DATA_THROUGH_TABLES if t in ranges and ranges[t][0] > 0), None)
    first_day, last_day = (ranges[through][1], ranges[through][2]) if through else (None, None)
    publication = Publication(
        published_at=published_at or dt.datetime.now(dt.UTC),
        first_day=first_day,
        data_through=last_day,
        data_through_table=through,
        code_version=version if version is not None else code_version(),
        config_hash=config_hash,
        release=release,
        incremental=incremental,
        tables=len(rows),
        total_rows=sum(r[2] for r in rows),
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {q}.{PUBLICATION} (published_at TIMESTAMPTZ, first_day DATE, "
        "data_through DATE, data_through_table VARCHAR, code_version VARCHAR, "
        "config_hash VARCHAR, release VARCHAR, incremental BOOLEAN, tables BIGINT, "
        "total_rows BIGINT)"
    )
    con.execute(
        f"INSERT INTO {q}.{PUBLICATION} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [getattr(publication, f) for f in Publication.__dataclass_fields__],
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {q}.{PUBLICATION_TABLES} (schema_name VARCHAR, "
        "table_name VARCHAR, row_count BIGINT, date_column VARCHAR, first_date DATE, "
        "last_date DATE)"
    )
    if rows:
        con.executemany(f"INSERT INTO {q}.{PUBLICATION_TABLES} VALUES (?, ?, ?, ?, ?, ?)", rows)
    for table, doc in DOCS.items():
        set_comments(con, table, doc, database=db)
    return publication


def _date_column(con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str) -> str | None:
    """The first :data:`DATE_COLUMNS` column of type DATE of ``schema.table`` in ``db``."""
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            f"WHERE database_name = {sql_text(db)} AND schema_name = {sql_text(schema)} "
            f"AND table_name = {sql_text(table)}"
        ).fetchall()
    )
    return next((c for c in DATE_COLUMNS if types.get(c) == "DATE"), None)


def read_publication(path: Path | None = None) -> Publication | None:
    """The ``meta.publication`` row of the published copy ``path`` (default: the current
    publication, :func:`alvh_assets.publish.published_database`), or ``None`` when there is
    no copy or it has no such table (made before it existed). Opened read-only from a fresh
    in-memory connection (never a cached instance of an older publication)."""
    if path is None:
        from alvh_assets.publish import published_database

        path = published_database()
    if not Path(path).is_file():
        return None
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {sql_text(str(path))} AS publication (READ_ONLY)")
        found = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'publication' "
            f"AND schema_name = '{SCHEMA}' AND table_name = 'publication'"
        ).fetchone()[0]
        if not found:
            return None
        fields = ", ".join(Publication.__dataclass_fields__)
        row = con.execute(f"SELECT {fields} FROM publication.{PUBLICATION} LIMIT 1").fetchone()
    finally:
        con.close()
    return Publication(*row) if row else None
