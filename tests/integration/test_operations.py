"""Operations through the real CLI in subprocesses: a backfill killed (``kill -9`` of the
CLI process alone, as a user would) at three points — while the raw tables load, while dbt
builds the marts, while the strategies run — leaves no process of its tree behind, and each
rerun resumes; the last one ends on the same tables as an uninterrupted run, with no
duplicates. Then `alvh status` and `alvh sql` on the result. Slow: ``make test-slow``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

pytestmark = pytest.mark.slow_cli

ALVH = str(Path(sys.executable).with_name("alvh"))
START, END = "2008-10-06", "2008-10-10"
BACKFILL = ["--set", "warmup_days=10", "backfill", "--start", START, "--end", END]
COMPARED = {
    "raw.cboe_option_eod": "quote_date, root, expiration, strike, option_type",
    "raw.cboe_index_daily": "symbol, date",
    "raw.cfe_vx_settlements": "trade_date, contract_expiration",
    "raw.nyse_breadth_daily": "date",
    "raw.fred_observations": "ALL",
    "quarantine.rejected_rows": "source, source_file, source_row",
    "quarantine.ingest_log": "ALL",
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


def _logged(line: str) -> Callable[[subprocess.Popen, Path], bool]:
    """True once the CLI's console log holds ``line`` (the per-asset structured line an asset
    writes when its rows are in). The poller never opens the Dagster instance while the CLI
    may be creating it: two processes initialising one SQLite storage corrupt its schema."""

    def logged(proc: subprocess.Popen, log: Path) -> bool:
        return line in log.read_text(errors="replace")

    return logged


def _dbt_running(proc: subprocess.Popen, log: Path) -> bool:
    """A ``dbt`` process runs in the CLI's process group (the staging views or the marts)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[2]) == proc.pid and any(
            a.endswith(b"/dbt") or a == b"dbt" for a in cmdline.split(b"\0")[:2]
        ):
            return True
    return False


KILL_POINTS: dict[str, tuple[Callable[[subprocess.Popen, Path], bool], float]] = {
    # point: (when it is reached, seconds to wait after, so the step is well under way)
    "ingest": (_logged("asset=raw.cboe_option_eod "), 0.0),
    "dbt": (_dbt_running, 2.0),
    "strategies": (_logged("asset=strategy."), 0.0),
}


def _kill_at(proc: subprocess.Popen, log: Path, point: str, timeout: float) -> None:
    """SIGKILL the CLI process alone once ``point`` is reached, then require every process
    of its group (dbt, reader workers, the watchdog) gone within 20 s."""
    reached, delay = KILL_POINTS[point]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the backfill ended before reaching {point}"
        if reached(proc, log):
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            _assert_group_gone(proc.pid, 20.0)
            return
        time.sleep(0.1)
    raise AssertionError(f"the backfill never reached {point}")


def _assert_group_gone(pgid: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(pgid, signal.SIGKILL)
    raise AssertionError(f"processes of the killed CLI's group {pgid} outlived it by {seconds}s")


@pytest.fixture(scope="module")
def resumed(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    home = tmp_path_factory.mktemp("ops")
    env = _env(home, landing)
    for point in KILL_POINTS:
        log = home / f"killed_at_{point}.log"
        with log.open("w") as err:
            proc = subprocess.Popen(
                [ALVH, *BACKFILL], env=env, stdout=subprocess.DEVNULL, stderr=err,
                start_new_session=True,
            )  # fmt: skip
            _kill_at(proc, log, point, timeout=600)
    done = subprocess.run([ALVH, *BACKFILL], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    try:
        with dg.DagsterInstance.get() as instance:  # no killed run left 'started'
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


@pytest.fixture(scope="module")
def uninterrupted(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("ops_reference")
    done = subprocess.run(
        [ALVH, *BACKFILL], env=_env(home, landing), capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return home / "warehouse" / "alvh.duckdb"


def _table(db: Path, table: str) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        frame = con.execute(f"SELECT * FROM {table} ORDER BY {COMPARED[table]}").pl()
    frame = frame.drop([c for c in TIMESTAMPS if c in frame.columns])
    return frame.sort(frame.columns)  # 'ORDER BY ALL' included the stamps


def test_a_backfill_killed_at_three_points_resumes_to_the_uninterrupted_tables(
    resumed: tuple[Path, dict], uninterrupted: Path
) -> None:
    home, _ = resumed
    for table in COMPARED:
        got, want = _table(home / "warehouse" / "alvh.duckdb", table), _table(uninterrupted, table)
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
    assert out.stdout.splitlines() == ["days", "5"]
    bad = subprocess.run(
        [ALVH, "sql", "select * from nope"], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "nope" in bad.stderr
