"""Shared by the bad-input corpus tests through the real CLI (``test_cli_corpus.py``: the
landing kinds; ``test_cli_corpus_readers.py``: one unreadable file of every reader): the
``alvh`` subprocess, a project home holding good days, and what a refusal must leave."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl

from tests.warehouse_tables import warehouse_tables

ALVH = str(Path(sys.executable).with_name("alvh"))
BAD_INPUTS = Path(__file__).parents[1] / "data" / "bad_inputs"
GOOD_DAY = "2008-10-08"
LOADED = ("2008-10-06", "2008-10-10")  # the window of the baseline ingest
OPTION_DIR = Path("cboe/option_eod")
DAILY_TABLES = {  # daily tables and their date column: the good day's rows must not change
    "raw.cboe_option_eod": "quote_date",
    "raw.cboe_index_daily": "date",
    "raw.cfe_vx_settlements": "trade_date",
    "raw.nyse_breadth_daily": "date",
    "pricing.option_greeks": "quote_date",
}


def chain(landing: Path, root: str, day: str, calcs: bool = True) -> Path:
    name = "UnderlyingOptionsEODCalcs" if calcs else "UnderlyingOptionsEOD"
    return landing / OPTION_DIR / root / f"{name}_^{root}_{day}.csv"


def alvh(home: Path, landing: Path | str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ALVH_HOME": str(home),
        "ALVH_LANDING_DIR": str(landing),
        "ALVH_WAREHOUSE": str(home / "warehouse" / "alvh.duckdb"),
        "DAGSTER_HOME": str(home / "dagster_home"),
    }
    return subprocess.run(
        [ALVH, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def good_day(db: Path) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: con.execute(f"SELECT * FROM {t} WHERE {c} = ? ORDER BY ALL", [GOOD_DAY]).pl()
            for t, c in DAILY_TABLES.items()
        }


def same_tables(got: dict[str, pl.DataFrame], want: dict[str, pl.DataFrame]) -> list[str]:
    """Tables that differ (or appeared/disappeared)."""
    return sorted(
        t for t in got.keys() | want.keys() if t not in got or t not in want
        or not got[t].equals(want[t])
    )  # fmt: skip


def quarantined(db: Path, day: str | None = None) -> dict[str, int]:
    """reason_code -> rows of the last ingest (on ``day`` when given)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT reason_code, count(*) FROM quarantine.rejected_rows "
            "WHERE (? IS NULL OR partition_date = ?::DATE) GROUP BY 1",
            [day, day],
        ).fetchall()
    return dict(rows)


def one_line(stderr: str) -> str:
    """The one error line (the per-asset INFO log lines of the steps that ran may precede it);
    no traceback, no Dagster ERROR record on the console."""
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr[-3000:]
    assert "Traceback" not in stderr and " - ERROR - " not in stderr, stderr[-3000:]
    return errors[0]


def assert_refused(home: Path, land: Path, day: str, expect: str, changed_nothing: bool) -> None:
    """``alvh ingest --date day`` on the landing ``land`` is refused in one line holding
    ``expect`` (exit 2) and leaves the good day byte-identical; with ``changed_nothing``
    (refused before any step wrote) every table, else every table's data (lineage stamps and
    run logs aside: a refusal in the daily step comes after the monthly/calendar sources were
    reloaded, unchanged, by the run's first step, and the sources of the run whose files are
    fine replace the day with the same rows and log that they did)."""
    db = home / "warehouse" / "alvh.duckdb"

    def tables() -> dict[str, pl.DataFrame]:
        if changed_nothing:
            return warehouse_tables(db)
        return warehouse_tables(db, stamps=False, logs=False)

    before, good = tables(), good_day(db)
    done = alvh(home, land, "ingest", "--date", day)
    line = one_line(done.stderr)
    assert done.returncode == 2, line
    assert line.startswith("error: ") and expect in line, line
    assert "/bin/bash" not in line and "root:x" not in line  # never file content
    assert same_tables(good_day(db), good) == []  # byte-identical, lineage stamps included
    assert same_tables(tables(), before) == []
