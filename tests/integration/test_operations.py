"""Operations through the real CLI in subprocesses: a backfill killed mid-run resumes to
the same tables as an uninterrupted run, with no duplicates; then `alvh status` and
`alvh sql` on the result."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from alvh_assets.config import AlvhConfig
from alvh_assets.strategy.run import run_window
from tests.integration.oct08 import END, START, WARMUP

pytestmark = pytest.mark.slow

ALVH = str(Path(sys.executable).with_name("alvh"))
WARMUP_DAYS = (START - WARMUP).days  # the same ingest window as the `built` fixture
BACKFILL = [
    "--set",
    f"warmup_days={WARMUP_DAYS}",
    "backfill",
    "--start",
    f"{START}",
    "--end",
    f"{END}",
]
COMPARED = {
    "raw.cboe_option_eod": "quote_date, root, expiration, strike, option_type",
    "raw.cboe_index_daily": "symbol, date",
    "raw.cfe_vx_settlements": "trade_date, contract_expiration",
    "raw.nyse_breadth_daily": "date",
    "quarantine.rejected_rows": "source, source_file, source_row",
    "pricing.option_greeks": "quote_date, root, expiration, strike, option_type",
    "marts.fct_regime_daily": "date",
    "marts.fct_indicators_daily": "date",
    "strategy.account_daily": "strategy, date",
    "strategy.fills": "strategy, fill_id",
    "strategy.layer_allocations_daily": "strategy, date, bucket, tranche",
    "attribution.daily_pnl": "strategy, date, component",
}
TIMESTAMPS = ("_ingested_at", "_computed_at")


def _env(home: Path, landing: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ALVH_HOME": str(home),
        "ALVH_LANDING_DIR": str(landing),
        "ALVH_WAREHOUSE": str(home / "warehouse" / "alvh.duckdb"),
        "DAGSTER_HOME": str(home / "dagster_home"),
    }


def _kill_when_raw_loaded(proc: subprocess.Popen, dagster_home: Path, timeout: float) -> None:
    """Kill the CLI (and its children) as soon as the raw option table is materialized:
    mid-way through the backfill (usually inside the ingest-and-pricing run; wherever it
    lands, the rerun must finish the work)."""
    raw = dg.AssetKey(["raw", "cboe_option_eod"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the backfill ended before it could be interrupted"
        if (dagster_home / "dagster.yaml").exists():
            os.environ["DAGSTER_HOME"] = str(dagster_home)
            with dg.DagsterInstance.get() as instance:
                if instance.get_latest_materialization_event(raw) is not None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    return
        time.sleep(0.2)
    raise AssertionError("the raw tables were never loaded")


@pytest.fixture(scope="module")
def resumed(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    home = tmp_path_factory.mktemp("ops")
    env = _env(home, landing)
    saved = os.environ.get("DAGSTER_HOME")
    proc = subprocess.Popen(
        [ALVH, *BACKFILL], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        _kill_when_raw_loaded(proc, home / "dagster_home", timeout=600)
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved
    done = subprocess.run([ALVH, *BACKFILL], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    try:
        with dg.DagsterInstance.get() as instance:  # the killed run is not left 'started'
            stuck = instance.get_run_records(
                filters=dg.RunsFilter(
                    statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]
                )
            )
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved
    assert stuck == []
    return home, env


def _table(db: Path, table: str) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        frame = con.execute(f"SELECT * FROM {table} ORDER BY {COMPARED[table]}").pl()
    return frame.drop([c for c in TIMESTAMPS if c in frame.columns])


def test_a_killed_backfill_resumes_to_the_uninterrupted_tables(
    resumed: tuple[Path, dict], built: Path, tmp_path: Path
) -> None:
    home, _ = resumed
    reference = tmp_path / "alvh.duckdb"
    shutil.copy(built, reference)
    with duckdb.connect(str(reference)) as con:  # the strategy of an uninterrupted run
        from alvh_assets.attribution.run import attribute_window

        run_window(con, (START, END), AlvhConfig())
        attribute_window(con, (START, END), AlvhConfig())
    for table in COMPARED:
        got, want = _table(home / "warehouse" / "alvh.duckdb", table), _table(reference, table)
        assert want.height > 0 or table == "quarantine.rejected_rows", table
        assert got.equals(want), table


def test_status_lists_partitions_checks_and_quarantine(resumed: tuple[Path, dict]) -> None:
    _, env = resumed
    out = subprocess.run([ALVH, "status"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = {tuple(line.split()) for line in out.stdout.splitlines()}
    assert ("marts/fct_regime_daily", f"{END}") in lines, out.stdout
    assert ("strategy/account_daily", f"{END}") in lines
    assert "checks (" in out.stdout and "quarantined rows by source and reason" in out.stdout


def test_sql_reads_the_published_copy(resumed: tuple[Path, dict]) -> None:
    home, env = resumed
    assert (home / "warehouse" / "published" / "alvh.duckdb").exists()
    query = "select count(*) as days from marts.fct_regime_daily"
    out = subprocess.run(
        [ALVH, "sql", "--format", "csv", query], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["days", "15"]
    bad = subprocess.run(
        [ALVH, "sql", "select * from nope"], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "nope" in bad.stderr
