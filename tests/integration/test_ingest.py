"""Ingestion through Dagster on a short real range: raw tables, quarantine, checks, reruns."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from alvh_assets.dagster_support import AlvhSettings, WarehouseResource
from alvh_assets.ingest import assets as ingest_assets
from alvh_assets.ingest import run
from alvh_assets.ingest.sources import SOURCES
from alvh_assets.sample.generate import generate_sample_market
from orchestration.definitions import DAILY_INGEST, REFERENCE, defs
from orchestration.runs import materialize, partition_range_tags
from tests.checks import failed as failed_names
from tests.checks import outcomes
from tests.warehouse_tables import warehouse_tables

START, END = dt.date(2008, 11, 17), dt.date(2008, 11, 21)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing_nov08")
    generate_sample_market(START, END, out)
    return out


def _resources(landing: Path, db: Path) -> dict:
    return {
        **defs.resources,
        "alvh": AlvhSettings(landing_dir=str(landing)),
        "warehouse": WarehouseResource(path=str(db)),
    }


def _ingest(landing: Path, db: Path, start: dt.date = START, end: dt.date = END) -> list:
    results = []
    with dg.DagsterInstance.ephemeral() as instance:
        for selection, tags in (
            (REFERENCE, None),
            (DAILY_INGEST, partition_range_tags(start, end)),
        ):
            r = materialize(defs, selection, instance, _resources(landing, db), tags=tags)
            assert r.success
            results.append(r)
    return results


def _tables(db: Path) -> dict[str, pl.DataFrame]:
    return warehouse_tables(db, stamps=False)


@pytest.fixture(scope="module")
def warehouse(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("wh") / "alvh.duckdb"
    results = _ingest(landing, db)
    evals = [e for r in results for e in r.get_asset_check_evaluations()]
    assert not failed_names(evals)
    assert len(outcomes(evals)) >= 50  # every GE expectation and conservation check ran
    # grouped: a raw table's GE suite is one blocking and at most one non-blocking check
    ge = sorted(e.check_name for e in evals if e.check_name.startswith("ge_"))
    assert ge and all(n.endswith(("_blocking", "_nonblocking")) for n in ge), ge
    assert len(evals) <= 3 * len(SOURCES)
    return db


def test_every_raw_table_is_loaded_and_quarantine_is_empty(warehouse: Path) -> None:
    t = _tables(warehouse)
    for name in (
        "cboe_option_eod",
        "cfe_vx_settlements",
        "cboe_index_daily",
        "nyse_breadth_daily",
        "fred_observations",
        "macro_release_calendar",
        "fomc_decisions",
        "valuation_monthly",
    ):
        assert t[f"raw.{name}"].height > 0, name
    assert t["quarantine.rejected_rows"].height == 0
    days = t["raw.cboe_option_eod"]["quote_date"].unique().sort().to_list()
    assert days == [START + dt.timedelta(days=i) for i in range(5)]
    lineage = t["raw.cboe_option_eod"].select("_source_file", "_source_sha256", "_source_row")
    assert lineage.null_count().sum_horizontal().item() == 0


def test_front_vx_settle_on_2008_11_20_is_the_real_value(warehouse: Path) -> None:
    vx = _tables(warehouse)["raw.cfe_vx_settlements"]
    front = vx.filter(pl.col("trade_date") == dt.date(2008, 11, 20)).sort("contract_expiration")
    assert front.row(0, named=True)["contract"] == "Z (Dec 08)"
    assert front.row(0, named=True)["settle"] == 66.23  # CFE_Z08_VX.csv, 11/20/2008


def test_conservation_log_adds_up(warehouse: Path) -> None:
    log = _tables(warehouse)["quarantine.ingest_log"]
    assert log.height >= 25  # 10 chain files, ~10 CFE contracts, index, breadth, macro
    total = log["rows_loaded"] + log["rows_quarantined"] + log["rows_outside_window"]
    assert (log["rows_read"] == total).all()


def test_reingesting_the_same_range_leaves_identical_tables(
    landing: Path, warehouse: Path, tmp_path: Path
) -> None:
    db = tmp_path / "again.duckdb"
    shutil.copy(warehouse, db)
    before = _tables(db)
    _ingest(landing, db)
    after = _tables(db)
    assert before.keys() == after.keys()
    for name in before:
        assert before[name].equals(after[name]), name


def test_pre_2007_vx_settlements_are_stored_divided_by_ten(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    generate_sample_market(dt.date(2006, 6, 1), dt.date(2006, 6, 2), landing, include_chains=False)
    db = tmp_path / "wh.duckdb"
    cfe = [a for a in ingest_assets.INGEST_ASSETS if a.key.path[-1] == "cfe_vx_settlements"]
    r = dg.materialize(cfe, resources=_resources(landing, db), partition_key="2006-06-01")
    assert r.success
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT settle, price_scale FROM raw.cfe_vx_settlements WHERE "
            "trade_date = '2006-06-01' AND contract = 'N (Jul 06)'"
        ).fetchone()
    assert row == (15.35, 10)  # the file says 153.50 (2006-06-01: the default partitions'
    # first day is 2006-05-30, warmup_days before sample_start)


def test_a_window_read_in_pieces_loads_what_one_piece_does(
    landing: Path, warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "CHUNK_SESSIONS", 2)
    eod = SOURCES["cboe_option_eod"]
    pieces = run.pieces(eod, landing, (dt.date(2008, 11, 15), END))
    assert pieces == [  # contiguous calendar days, cut every 2 sessions
        (dt.date(2008, 11, 15), dt.date(2008, 11, 18)),
        (dt.date(2008, 11, 19), dt.date(2008, 11, 20)),
        (dt.date(2008, 11, 21), END),
    ]
    assert run.pieces(SOURCES["cboe_index_daily"], landing, (START, END)) == [(START, END)]
    db = tmp_path / "pieces.duckdb"
    _ingest(landing, db)
    pieced, whole = _tables(db), _tables(warehouse)
    assert pieced.keys() == whole.keys()
    for name, frame in whole.items():
        if name == "quarantine.ingest_log":  # logged per piece: same files and counts
            cols = ["source", "source_file", "rows_read", "rows_loaded", "rows_quarantined"]
            frame, pieced[name] = (f.select(cols).sort(cols) for f in (frame, pieced[name]))
        assert pieced[name].equals(frame), name


@pytest.mark.parametrize("chunk", [63, 2])
def test_unreadable_file_fails_the_asset_naming_it_and_loads_nothing(
    landing: Path, warehouse: Path, tmp_path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "CHUNK_SESSIONS", chunk)  # 2: the bad file is in the 2nd piece
    bad_landing = tmp_path / "landing"
    shutil.copytree(landing, bad_landing)
    bad = bad_landing / "cboe/option_eod/SPX/UnderlyingOptionsEODCalcs_^SPX_2008-11-19.zip"
    bad.write_bytes(b"PK\x03\x04 this is not a zip archive")
    db = tmp_path / "wh.duckdb"
    shutil.copy(warehouse, db)
    before = _tables(db)["raw.cboe_option_eod"]
    eod = [a for a in ingest_assets.INGEST_ASSETS if a.key.path[-1] == "cboe_option_eod"]
    r = dg.materialize(
        eod,
        resources=_resources(bad_landing, db),
        raise_on_error=False,
        tags=partition_range_tags(START, END),
    )
    assert not r.success
    failure = r.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert "UnderlyingOptionsEODCalcs_^SPX_2008-11-19.zip" in failure.description
    assert "unreadable zip" in failure.description
    assert _tables(db)["raw.cboe_option_eod"].equals(before)


def test_a_failing_ge_check_blocks_downstream(
    landing: Path, warehouse: Path, tmp_path: Path
) -> None:
    db = tmp_path / "wh.duckdb"
    shutil.copy(warehouse, db)
    with duckdb.connect(str(db)) as con:  # corrupt one row of the latest batch
        con.execute("UPDATE raw.cboe_option_eod SET bid_eod = ask_eod + 1 WHERE rowid = 10")
    eod_key = dg.AssetKey(["raw", "cboe_option_eod"])
    ran: list[str] = []

    @dg.asset(deps=[eod_key])
    def downstream() -> None:
        ran.append("downstream")

    checks = [
        c
        for c in ingest_assets.INGEST_CHECKS
        if eod_key in c.keys_by_input_name.values()
        or any(k.asset_key == eod_key for k in c.check_keys)
    ]
    r = dg.materialize(
        [*checks, downstream, dg.AssetSpec(eod_key)],
        resources=_resources(landing, db),
        raise_on_error=False,
        selection=dg.AssetSelection.assets(downstream)
        | dg.AssetSelection.checks_for_assets(eod_key),
    )
    checks = {e.check_name: e for e in r.get_asset_check_evaluations()}
    evals = outcomes(checks.values())
    assert evals["ask_eod_ge_bid_eod"] is False
    assert evals["ask_1545_ge_bid_1545"] is True
    blocking = checks["ge_raw_cboe_option_eod_blocking"]
    assert blocking.passed is False
    assert "ask_eod_ge_bid_eod" in blocking.description
    assert "ask_1545_ge_bid_1545" not in blocking.metadata["failed_expectations"].value
    assert ran == []
