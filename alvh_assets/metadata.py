"""Small renderers for Dagster metadata shared by every topic's assets, and the facts about
a warehouse table that metadata reports (its columns, its rows per day); Dagster-free."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl


def markdown_table(frame: pl.DataFrame, rows: int = 20) -> str:
    """The first ``rows`` rows of ``frame`` as a Markdown table (floats to 6 significant
    digits)."""
    head = frame.head(rows)
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    for row in head.iter_rows():
        cells = (f"{v:.6g}" if isinstance(v, float) else str(v) for v in row)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, str]]:
    """``(name, DuckDB type, comment)`` of every column of ``schema.table`` in table order,
    as the warehouse has them (``duckdb_columns()``; comment ``""`` when none is set)."""
    schema, name = table.split(".", 1)
    return [
        (column, dtype, comment or "")
        for column, dtype, comment in con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() "
            "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, name],
        ).fetchall()
    ]


def rows_per_day(
    con: duckdb.DuckDBPyConnection, table: str, column: str, first: dt.date, last: dt.date
) -> dict[dt.date, int]:
    """Rows of ``table`` per value of its date ``column`` in ``[first, last]`` (days without
    rows absent): one partition's own row count in a range run."""
    return dict(
        con.execute(
            f'SELECT "{column}", count(*) FROM {table} WHERE "{column}" BETWEEN ? AND ? '
            "GROUP BY ALL",
            [first, last],
        ).fetchall()
    )
