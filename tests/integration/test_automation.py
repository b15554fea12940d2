"""The automation: the after-close schedule, the landing and macro sensors evaluated on a
staged landing directory, and one sensor request run end to end by the Dagster CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from alvh_assets import landing as landing_contract
from alvh_assets import paths
from alvh_assets.dagster_support import AlvhSettings
from alvh_assets.strategy.registry import REGISTRY
from orchestration import automation
from orchestration.automation import daily_after_close, landing_day_sensor, macro_files_sensor
from tests.integration.oct08 import START

ROOT = Path(__file__).resolve().parents[2]
NY = ZoneInfo("America/New_York")
RESOURCES = {"alvh": AlvhSettings()}
"""The sensors' resource as definitions.py binds it (landing dir from $ALVH_LANDING_DIR)."""
EOD = "cboe/option_eod/{root}/UnderlyingOptionsEODCalcs_^{root}_{day}.csv"


# --------------------------------------------------------------------------------------------
# Schedule
# --------------------------------------------------------------------------------------------


def _tick(day: str) -> dg.RunRequest | dg.SkipReason:
    when = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(18, 30), NY)
    return daily_after_close(dg.build_schedule_context(scheduled_execution_time=when))


def test_schedule_runs_sessions_after_the_close() -> None:
    assert daily_after_close.cron_schedule == "30 18 * * 1-5"
    assert daily_after_close.execution_timezone == "America/New_York"
    assert daily_after_close.job_name == "daily_job"
    request = _tick("2008-10-10")
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == request.run_key == "2008-10-10"


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        ("2008-10-11", "Saturday (weekend)"),
        ("2008-11-27", "NYSE holiday (Thanksgiving)"),
        ("2012-10-29", "NYSE closed"),  # Hurricane Sandy
    ],
)
def test_schedule_skips_closures_naming_them(day: str, reason: str) -> None:
    skip = _tick(day)
    assert isinstance(skip, dg.SkipReason)
    assert day in skip.skip_message and reason in skip.skip_message


# --------------------------------------------------------------------------------------------
# Landing sensor
# --------------------------------------------------------------------------------------------


def _eod(landing: Path, root: str, day: str) -> Path:
    return landing / EOD.format(root=root, day=day)


def _add_day(src: Path, dst: Path, day: str, roots: tuple[str, ...] = ("SPX", "VIX")) -> None:
    """Copy the day's option EOD files of ``roots`` from the sample into ``dst``."""
    for root in roots:
        target = _eod(dst, root, day)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(_eod(src, root, day), target)


def _truncate_history(landing: Path, name: str, last: str) -> None:
    """Drop the rows of an index history after ``last`` (its date format kept)."""
    path = landing / "cboe/index" / name
    keep = []
    for line in path.read_text().splitlines(keepends=True):
        d = landing_contract._parse_date(line.split(",", 1)[0])
        if d is None or d <= dt.date.fromisoformat(last):
            keep.append(line)
    path.write_text("".join(keep))


@pytest.fixture
def staged(landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty landing dir with the sample's index histories (through 2008-10-17), read by
    the sensors through ``$ALVH_LANDING_DIR``."""
    dst = tmp_path / "landing"
    shutil.copytree(landing / "cboe/index", dst / "cboe/index")
    monkeypatch.setenv("ALVH_LANDING_DIR", str(dst))
    monkeypatch.delenv(paths.SENSOR_START_ENV, raising=False)
    return dst


def _evaluate(cursor: str | None) -> tuple[list[str], str | None]:
    """(partition keys requested, new cursor) of one landing-sensor tick."""
    result = landing_day_sensor(dg.build_sensor_context(cursor=cursor, resources=RESOURCES))
    assert isinstance(result, dg.SensorResult)
    for r in result.run_requests or []:
        assert r.run_key == r.partition_key
    return [r.partition_key for r in result.run_requests or []], result.cursor


def test_landing_sensor_requests_days_in_order_and_waits_at_a_gap(
    landing: Path, staged: Path
) -> None:
    for day in ("2008-10-06", "2008-10-07", "2008-10-09", "2008-10-10"):
        _add_day(landing, staged, day)
    _add_day(landing, staged, "2008-10-08", roots=("SPX",))  # VIX file late
    for root in ("SPX", "VIX"):  # a file dated on a Saturday never becomes a run
        shutil.copy(_eod(landing, root, "2008-10-10"), _eod(staged, root, "2008-10-11"))

    assert _evaluate("2008-10-03") == (["2008-10-06", "2008-10-07"], "2008-10-07")
    # 10-08 is incomplete: 10-09 and 10-10 wait; a tick on the same cursor asks for nothing
    assert _evaluate("2008-10-07") == ([], "2008-10-07")

    _add_day(landing, staged, "2008-10-08", roots=("VIX",))
    assert _evaluate("2008-10-07") == (
        ["2008-10-08", "2008-10-09", "2008-10-10"],
        "2008-10-10",
    )
    assert _evaluate("2008-10-10") == ([], "2008-10-10")  # no double runs

    _add_day(landing, staged, "2008-10-13")
    assert _evaluate("2008-10-10") == (["2008-10-13"], "2008-10-13")


def test_landing_sensor_needs_index_rows_and_non_empty_files(
    landing: Path, staged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day in ("2008-10-08", "2008-10-09", "2008-10-10"):
        _add_day(landing, staged, day)
    _truncate_history(staged, "VIX_History.csv", "2008-10-08")
    assert _evaluate("2008-10-07") == (["2008-10-08"], "2008-10-08")

    shutil.copy(landing / "cboe/index/VIX_History.csv", staged / "cboe/index/VIX_History.csv")
    _eod(staged, "SPX", "2008-10-09").write_bytes(b"")
    assert _evaluate("2008-10-08") == ([], "2008-10-08")

    _add_day(landing, staged, "2008-10-09")
    monkeypatch.setattr(automation, "MAX_DAYS_PER_TICK", 1)
    assert _evaluate("2008-10-08") == (["2008-10-09"], "2008-10-09")  # capped tick
    assert _evaluate("2008-10-09") == (["2008-10-10"], "2008-10-10")


def test_landing_sensor_first_tick_starts_at_the_newest_day_or_the_env_start(
    landing: Path, staged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _evaluate(None) == ([], None)  # no option file yet
    for day in ("2008-10-08", "2008-10-09", "2008-10-10"):
        _add_day(landing, staged, day)
    _add_day(landing, staged, "2008-10-13", roots=("SPX",))  # incomplete
    assert _evaluate(None) == (["2008-10-10"], "2008-10-10")

    monkeypatch.setenv(paths.SENSOR_START_ENV, "2008-10-09")
    assert _evaluate(None) == (["2008-10-09", "2008-10-10"], "2008-10-10")


# --------------------------------------------------------------------------------------------
# Macro sensor
# --------------------------------------------------------------------------------------------


def test_macro_sensor_requests_once_per_change(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dst = tmp_path / "landing"
    for folder in ("fred", "calendars", "valuation"):
        shutil.copytree(landing / folder, dst / folder)
    monkeypatch.setenv("ALVH_LANDING_DIR", str(dst))
    cursor: str | None = None
    keys: list[str] = []

    def tick() -> int:
        nonlocal cursor
        result = macro_files_sensor(dg.build_sensor_context(cursor=cursor, resources=RESOURCES))
        cursor = result.cursor
        keys.extend(r.run_key for r in result.run_requests or [])
        return len(result.run_requests or [])

    fred = sorted((dst / "fred").glob("*.csv"))[0]
    original = fred.read_text()
    assert tick() == 1  # first tick: the current state once
    assert set(json.loads(cursor)) >= {"fred/" + fred.name, "valuation/valuation_monthly.csv"}
    assert tick() == 0
    fred.touch()  # same content: no run
    assert tick() == 0
    fred.write_text(original + "2099-01-01,1.0\n")
    assert tick() == 1
    assert tick() == 0
    (dst / "valuation/extra.csv").write_text("a,b\n")
    assert tick() == 1
    (dst / "valuation/extra.csv").unlink()  # a removal alone requests nothing
    assert tick() == 0
    fred.write_text(original)  # back to earlier content: still a change, a new run key
    assert tick() == 1
    assert len(set(keys)) == len(keys) == 4


# --------------------------------------------------------------------------------------------
# End to end: a sensor request through the real Dagster CLI
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_sensor_request_runs_through_the_dagster_cli(
    landing: Path, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.definitions import DAILY, defs

    monkeypatch.setenv("ALVH_LANDING_DIR", str(landing))
    monkeypatch.delenv(paths.SENSOR_START_ENV, raising=False)
    result = landing_day_sensor(dg.build_sensor_context(cursor="2008-10-09", resources=RESOURCES))
    request = result.run_requests[0]
    assert request.partition_key == "2008-10-10"

    db = tmp_path / "wh" / "alvh.duckdb"  # the dbt catalog is the file's stem: keep the name
    db.parent.mkdir()
    shutil.copy(built, db)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    keys = DAILY.resolve(defs.resolve_asset_graph())
    # the warehouse has no strategy book before this day: the backtest starts on it
    overrides = json.dumps({"sample_start": request.partition_key})
    run_config = {"resources": {"alvh": {"config": {"overrides_json": overrides}}}}
    env = {
        **os.environ,
        "ALVH_LANDING_DIR": str(landing),
        "ALVH_WAREHOUSE": str(db),
        "DAGSTER_HOME": str(home),
        "ALVH_HOME": str(tmp_path),
    }
    cmd = [
        str(Path(sys.executable).with_name("dagster")),
        "asset",
        "materialize",
        "-m",
        "orchestration.definitions",
        "--select",
        ",".join(sorted(k.to_user_string() for k in keys)),
        "--partition",
        request.partition_key,
        "--config-json",
        json.dumps(run_config),
    ]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]

    day = dt.date.fromisoformat(request.partition_key)
    with duckdb.connect(str(db), read_only=True) as con:
        regime = con.execute("SELECT count(*) FROM marts.fct_regime_daily WHERE date = ?", [day])
        assert regime.fetchone() == (1,)
        # a one-day run rewrites that day only: the marts still start where the build did
        first = con.execute("SELECT min(date) FROM marts.fct_vix_term_structure_daily")
        assert first.fetchone() == (START,)
        books = con.execute("SELECT count(*) FROM strategy.account_daily WHERE date = ?", [day])
        assert books.fetchone() == (len(REGISTRY),)
        pnl = con.execute("SELECT count(*) FROM attribution.daily_pnl WHERE date = ?", [day])
        assert pnl.fetchone()[0] > 0


# --------------------------------------------------------------------------------------------
# One day through the CLI's plan: one run, the dbt views only when outdated
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_one_day_is_one_run_and_rebuilds_views_only_when_outdated(
    landing: Path, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.pipeline import pipeline_steps, run_steps
    from tests.integration.oct08 import END, resources

    monkeypatch.setenv("ALVH_HOME", str(tmp_path))  # the report is written under it
    db = tmp_path / "wh" / "alvh.duckdb"
    db.parent.mkdir()
    shutil.copy(built, db)
    steps = pipeline_steps(END, END, END)
    assert [s.label for s in steps] == ["dbt staging views", f"{END}: every asset and check"]
    # the warehouse has no strategy book before this day: the backtest starts on it
    res = resources(landing, db, json.dumps({"sample_start": END.isoformat()}))
    ran: list[str] = []
    with dg.DagsterInstance.ephemeral() as instance:
        assert steps[0].needed(instance, res)  # this instance never built the views
        run_steps(steps, instance, res, lambda i, n, label: ran.append(label))
        assert not steps[0].needed(instance, res)  # built after the manifest: skipped next
    assert ran == [steps[0].label, steps[1].label, "done"]
    with duckdb.connect(str(db), read_only=True) as con:
        books = con.execute("SELECT count(*) FROM strategy.account_daily WHERE date = ?", [END])
        assert books.fetchone() == (len(REGISTRY),)
        pnl = con.execute("SELECT count(*) FROM attribution.daily_pnl WHERE date = ?", [END])
        assert pnl.fetchone()[0] > 0
    assert (tmp_path / "reports" / "alvh_report.html").exists()
