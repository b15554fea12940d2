"""Snapshots of a warehouse's tables, for tests that compare before and after a run."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

STAMPS = ("_ingested_at", "_computed_at")
"""Lineage stamps: when a run happened, not what it wrote."""


def warehouse_tables(db: Path, stamps: bool = True, logs: bool = True) -> dict[str, pl.DataFrame]:
    """Every table of the DuckDB file ``db`` (``schema.table`` -> rows sorted on every
    column); without ``stamps`` the :data:`STAMPS` columns are dropped (before sorting), and
    without ``logs`` the run logs (tables named ``*_log``) are left out."""
    with duckdb.connect(str(db), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1"
            ).fetchall()
            if logs or not r[0].endswith("_log")
        ]
        frames = {n: con.execute(f"SELECT * FROM {n}").pl() for n in names}
    if not stamps:
        frames = {n: f.drop(STAMPS, strict=False) for n, f in frames.items()}
    return {n: f.sort(f.columns, nulls_last=True) for n, f in frames.items()}
