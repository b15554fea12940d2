"""Ingest safety through Dagster and the real CLI (issue 13): a refused ingest is one line,
user-fixable, and leaves every table byte-identical; the conservation check of a run that
loaded nothing passes.

Each test states what the code before issue 13 did (the defect it pins)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from alvh_assets.dagster_support import AlvhSettings, WarehouseResource
from alvh_assets.ingest import assets as ingest_assets
from alvh_assets.ingest import run
from alvh_assets.ingest.sources import SOURCES
from orchestration.definitions import defs
from tests.warehouse_tables import warehouse_tables

DAY = dt.date(2008, 10, 8)
WINDOW = (dt.date(2008, 10, 6), dt.date(2008, 10, 10))
NOW = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
LATER = dt.datetime(2024, 1, 3, tzinfo=dt.UTC)


def _resources(landing: Path, db: Path) -> dict:
    return {
        **defs.resources,
        "alvh": AlvhSettings(landing_dir=str(landing)),
        "warehouse": WarehouseResource(path=str(db)),
    }


@pytest.fixture(scope="module")
def ingested(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every source of the October 2008 landing ingested for 2008-10-06 .. 10-10."""
    db = tmp_path_factory.mktemp("safety") / "alvh.duckdb"
    with duckdb.connect(str(db)) as con:
        for s in SOURCES.values():
            run.ingest(con, s, landing, WINDOW if s.daily else None, NOW)
    return db


def test_cli_ingest_of_a_missing_landing_folder_fails_in_one_line_changing_nothing(
    ingested: Path, tmp_path: Path
) -> None:
    """Before: ``ALVH_LANDING_DIR=/nonexistent alvh ingest --date 2008-10-08`` printed
    ``ingested …``, exited 0 and emptied FRED, FOMC, the release calendar, valuation and the
    day's option, index, CFE and breadth rows."""
    db = tmp_path / "warehouse" / "alvh.duckdb"
    db.parent.mkdir()
    shutil.copy(ingested, db)
    before = warehouse_tables(db)
    env = {
        **os.environ,
        "ALVH_HOME": str(tmp_path),
        "ALVH_LANDING_DIR": "/nonexistent",
        "ALVH_WAREHOUSE": str(db),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    r = subprocess.run(
        [str(Path(sys.executable).with_name("alvh")), "ingest", "--date", "2008-10-08"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 2, r.stderr  # 2: a cause the user can fix (the CLI's contract)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "/nonexistent does not exist" in lines[0]
    assert "ingested" not in r.stdout
    after = warehouse_tables(db)
    assert before.keys() == after.keys()
    for name, frame in before.items():
        assert frame.equals(after[name]), name


def test_a_refused_asset_fails_in_one_user_fixable_line(
    landing: Path, ingested: Path, tmp_path: Path
) -> None:
    """Before: the asset succeeded with the day's VIX rows gone; failures were multi-line
    and said nothing of who can fix them."""
    land = tmp_path / "landing"
    shutil.copytree(landing, land)
    (land / "manifest.json").unlink()
    (land / f"cboe/option_eod/VIX/UnderlyingOptionsEODCalcs_^VIX_{DAY}.csv").unlink()
    db = tmp_path / "alvh.duckdb"
    shutil.copy(ingested, db)
    before = warehouse_tables(db)
    eod = [a for a in ingest_assets.INGEST_ASSETS if a.key.path[-1] == "cboe_option_eod"]
    r = dg.materialize(
        eod, resources=_resources(land, db), partition_key=DAY.isoformat(), raise_on_error=False
    )
    assert not r.success
    failure = r.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert "\n" not in failure.description
    assert "no rows of ^VIX for session(s) 2008-10-08" in failure.description
    assert failure.metadata[ingest_assets.USER_FIXABLE].value is True
    after = warehouse_tables(db)
    for name, frame in before.items():
        assert frame.equals(after[name]), name


def _break_row(path: Path, prefix: str) -> None:
    """Make the close of the row starting with ``prefix`` non-numeric."""
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(
        "".join(ln.rsplit(",", 1)[0] + ",n/a\n" if ln.startswith(prefix) else ln for ln in lines)
    )


def test_the_conservation_check_passes_for_a_run_that_loaded_nothing(
    landing: Path, tmp_path: Path
) -> None:
    """Before: the check counted the raw rows of the raw table's newest stamp, i.e. the
    previous run's, against the latest run's log: a run loading 0 rows (every row of the
    day quarantined) failed the check though its counts balance."""
    land = tmp_path / "landing"
    shutil.copytree(landing, land)
    (land / "manifest.json").unlink()
    _break_row(land / "cboe/index/SPX_History.csv", "10/08/2008")
    _break_row(land / "cboe/index/VIX_History.csv", "2008-10-08")
    db = tmp_path / "alvh.duckdb"
    index = SOURCES["cboe_index_daily"]
    with duckdb.connect(str(db)) as con:
        run.ingest(con, index, land, (dt.date(2008, 10, 7),) * 2, NOW)
        latest = run.ingest(con, index, land, (DAY, DAY), LATER)
    assert latest.rows_loaded == 0 and latest.rows_quarantined == 2
    key = dg.AssetKey(["raw", "cboe_index_daily"])
    check = next(
        c
        for c in ingest_assets.INGEST_CHECKS
        if dg.AssetCheckKey(key, "rows_read_equal_loaded_plus_quarantined") in c.check_keys
    )
    r = dg.materialize(
        [check, dg.AssetSpec(key)],
        resources=_resources(land, db),
        selection=dg.AssetSelection.checks(
            dg.AssetCheckKey(key, "rows_read_equal_loaded_plus_quarantined")
        ),
        raise_on_error=False,
    )
    evals = {e.check_name: e.passed for e in r.get_asset_check_evaluations()}
    assert evals == {"rows_read_equal_loaded_plus_quarantined": True}
