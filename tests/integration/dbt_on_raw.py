"""Run the real dbt models on a small DuckDB file whose ``raw`` tables a test writes itself
(for models whose behaviour needs constructed inputs: dbt Python models cannot have dbt unit
tests, and some cases need long histories)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl

from alvh_assets.config import load_config, mart_vars
from orchestration.dbt import DBT_DIR


def write_raw(db: Path, tables: dict[str, pl.DataFrame]) -> None:
    """Create ``raw.<name>`` from each frame (columns as given)."""
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        for name, frame in tables.items():
            con.register("frame", frame.to_arrow())
            con.execute(f"CREATE TABLE raw.{name} AS SELECT * FROM frame")
            con.unregister("frame")


def dbt(db: Path, target: Path, *args: str) -> subprocess.CompletedProcess:
    """``dbt <args>`` on ``db`` (named ``alvh.duckdb``: the catalog name the dbt relations
    use) with the config's default vars, its artifacts in ``target``."""
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            *args,
            "--vars",
            json.dumps(mart_vars(load_config())),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(target),
        ],
        cwd=DBT_DIR,
        env={**os.environ, "ALVH_WAREHOUSE": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"},
        capture_output=True,
        text=True,
        timeout=600,
    )


def run_dbt(db: Path, target: Path, *select: str) -> None:
    """``dbt run --select …`` (no partial parse) on ``db``; fails with dbt's output."""
    out = dbt(db, target, "run", "--no-partial-parse", "--select", *select)
    assert out.returncode == 0, out.stdout[-3000:]


def read_tables(db: Path, *tables: str) -> dict[str, pl.DataFrame]:
    """``schema.table`` -> its rows, ordered by the first column."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY 1").pl() for t in tables}
