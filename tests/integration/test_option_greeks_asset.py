"""pricing/option_greeks through Dagster on a short sample window: checks, conservation,
agreement with the vendor's IV and Greeks, window replace, speed."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from alvh_assets.dagster_support import AlvhSettings, WarehouseResource
from alvh_assets.pricing import assets as pricing_assets
from alvh_assets.pricing.option_greeks import OPTION_COLUMNS, option_greeks
from alvh_assets.sample.generate import generate_sample_market
from orchestration.definitions import DAILY_INGEST, REFERENCE, defs
from orchestration.runs import materialize, partition_range_tags
from tests.checks import outcomes

START, END = dt.date(2008, 11, 17), dt.date(2008, 11, 21)  # VIX 60-80: a stressed week
KEY = "quote_date, root, expiration, strike, option_type"
GREEKS = pricing_assets.OPTION_GREEKS

LIQUID_IV_TOL = 0.01
"""Largest |iv - vendor_iv| on a liquid SPX/SPXW row (bid > 0, 0.05 <= |delta| <= 0.95), in
vol: the vendor (the sample generator) prices on the carry forward S e^{(r-q)T}, we on the
put-call-parity forward of the quotes, which differs by tick noise (< 1e-4 relative); the
worst liquid row of the default range moves by 0.009, the 99th percentile by 0.0006."""
VIX_IV_TOL = 5.1e-7
"""VIX: same forward (the VX settle), rate, T and mid as the vendor, so only the vendor's
6-decimal rounding of its IV remains (half a unit of the 6th decimal)."""


def _resources(landing: Path, db: Path) -> dict:
    return {
        **defs.resources,
        "alvh": AlvhSettings(landing_dir=str(landing)),
        "warehouse": WarehouseResource(path=str(db)),
    }


def _price(landing: Path, db: Path, start: dt.date = START, end: dt.date = END):
    return dg.materialize(
        [
            *pricing_assets.PRICING_ASSETS,
            *pricing_assets.PRICING_CHECKS,
            *(dg.AssetSpec(k) for k in pricing_assets.RAW_DEPS),
        ],
        selection=dg.AssetSelection.assets(GREEKS) | dg.AssetSelection.checks_for_assets(GREEKS),
        resources=_resources(landing, db),
        tags=partition_range_tags(start, end),
        raise_on_error=False,
    )


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing_pricing")
    generate_sample_market(START, END, out)
    return out


@pytest.fixture(scope="module")
def raw_db(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("wh_raw") / "alvh.duckdb"
    with dg.DagsterInstance.ephemeral() as instance:
        for selection, tags in (
            (REFERENCE, None),
            (DAILY_INGEST, partition_range_tags(START, END)),
        ):
            assert materialize(
                defs, selection, instance, _resources(landing, db), tags=tags
            ).success
    return db


@pytest.fixture(scope="module")
def priced(
    landing: Path, raw_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dg.ExecuteInProcessResult]:
    db = tmp_path_factory.mktemp("wh_priced") / "alvh.duckdb"
    shutil.copy(raw_db, db)
    result = _price(landing, db)
    assert result.success
    return db, result


def _query(db: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).pl()


def _table(db: Path) -> pl.DataFrame:
    return _query(db, f"SELECT * EXCLUDE (_computed_at) FROM {pricing_assets.TABLE} ORDER BY {KEY}")


def test_every_check_runs_and_passes(priced: tuple[Path, dg.ExecuteInProcessResult]) -> None:
    _, result = priced
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(checks) == {
        "rows_priced_equal_raw_option_rows",
        "ge_pricing_option_greeks_blocking",
        "ge_pricing_option_greeks_nonblocking",
    }
    evals = outcomes(checks.values())
    expected = {"rows_priced_equal_raw_option_rows", *(e.name for e in pricing_assets.SUITE)}
    assert set(evals) == expected
    assert all(evals.values()), [k for k, v in evals.items() if not v]
    blocking = checks["ge_pricing_option_greeks_blocking"]
    assert blocking.metadata["expectations"].value == sum(e.blocking for e in pricing_assets.SUITE)
    assert blocking.metadata["failed_expectations"].value == "none"
    events = [e.materialization for e in result.get_asset_materialization_events()]
    meta = events[-1].metadata
    assert meta["rows"].value == meta["window_rows"].value > 25_000
    # each partition carries its own day's rows; together the window's
    days = [e.metadata["dagster/row_count"].value for e in events]
    assert sum(days) == meta["rows"].value and max(days) < meta["rows"].value
    assert 0.98 < meta["share_with_iv"].value <= 1.0
    assert meta["median_abs_iv_diff"].value < 1e-4
    assert "| quote_date | root |" in meta["preview"].value
    assert meta["seconds"].value < 30


def test_one_priced_row_per_raw_option_row(priced: tuple[Path, dg.ExecuteInProcessResult]) -> None:
    db, _ = priced
    raw = _query(db, f"SELECT {KEY} FROM raw.cboe_option_eod ORDER BY {KEY}")
    assert _query(db, f"SELECT {KEY} FROM pricing.option_greeks ORDER BY {KEY}").equals(raw)
    log = _query(db, "SELECT * FROM pricing.option_greeks_log")
    assert log.height == 1
    assert log.row(0, named=True)["raw_rows"] == log.row(0, named=True)["priced_rows"] == raw.height


def test_conservation_check_finds_a_priced_row_with_the_wrong_key(
    priced: tuple[Path, dg.ExecuteInProcessResult], tmp_path: Path
) -> None:
    db = tmp_path / "moved.duckdb"
    shutil.copy(priced[0], db)
    with duckdb.connect(str(db)) as con:  # same count, one key moved off the raw table
        con.execute(
            "UPDATE pricing.option_greeks SET strike = strike + 0.01 WHERE rowid = "
            "(SELECT min(rowid) FROM pricing.option_greeks)"
        )
    check = pricing_assets.rows_priced_equal_raw_option_rows
    result = check(WarehouseResource(path=str(db)))
    assert not result.passed
    assert result.metadata["raw_keys_not_priced"].value == 1
    assert result.metadata["priced_keys_not_in_raw"].value == 1
    assert result.metadata["priced_rows"].value == result.metadata["raw_option_rows"].value


def _joined(db: Path) -> pl.DataFrame:
    return _query(
        db,
        f"""SELECT g.*, r.implied_underlying_price_1545 AS vendor_underlying,
                   r.delta_1545, r.gamma_1545, r.theta_1545, r.vega_1545, r.rho_1545
            FROM pricing.option_greeks g JOIN raw.cboe_option_eod r USING ({KEY})""",
    )


def test_iv_agrees_with_the_vendor_iv(priced: tuple[Path, dg.ExecuteInProcessResult]) -> None:
    db, _ = priced
    both = _joined(db).filter(pl.col("iv").is_not_null() & pl.col("vendor_iv").is_not_null())
    spx = both.filter(pl.col("root") != "VIX")
    liquid = spx.filter(
        pl.col("has_bid") & pl.col("spot_delta").abs().is_between(0.05, 0.95)
    ).with_columns(pl.col("iv_diff").abs().alias("abs_diff"))
    assert liquid.height > 10_000
    assert liquid["abs_diff"].max() < LIQUID_IV_TOL
    assert liquid["abs_diff"].median() < 1e-4
    assert liquid["abs_diff"].quantile(0.99) < 0.002
    vix = both.filter(pl.col("root") == "VIX")
    assert vix.height > 3_000
    assert vix["iv_diff"].abs().max() < VIX_IV_TOL


def test_forwards_and_greeks_match_the_vendor_conventions(
    priced: tuple[Path, dg.ExecuteInProcessResult],
) -> None:
    db, _ = priced
    rows = _joined(db).filter(pl.col("iv").is_not_null() & pl.col("vendor_iv").is_not_null())
    spx = rows.filter(pl.col("root") != "VIX")
    assert spx["forward_source"].unique().to_list() == ["put_call_parity"]
    vendor_fwd = pl.col("vendor_underlying") * (pl.col("rate") * pl.col("time_to_expiry")).exp()
    assert spx.select((pl.col("forward") / vendor_fwd - 1).abs().max()).item() < 2e-4
    liquid = spx.filter(pl.col("has_bid") & pl.col("spot_delta").abs().is_between(0.05, 0.95))
    # BSM spot delta on the parity forward vs the vendor's on the carry forward (default
    # range worst liquid row: 0.0053)
    assert (liquid["spot_delta"] - liquid["delta_1545"]).abs().max() < 0.01
    vix = rows.filter(pl.col("root") == "VIX")
    assert vix["forward_source"].unique().to_list() == ["vx_future"]
    assert (vix["forward"] == vix["vendor_underlying"]).all()
    # same model and vol: the vendor's per-point/per-day Greeks to its 6-decimal rounding
    for ours, theirs in (
        (pl.col("delta"), "delta_1545"),
        (pl.col("gamma"), "gamma_1545"),
        (pl.col("vega") / 100, "vega_1545"),
        (pl.col("theta") / 365, "theta_1545"),
        (pl.col("rho") / 100, "rho_1545"),
    ):
        assert vix.select((ours - pl.col(theirs)).abs().max()).item() < 1e-5, theirs


def test_rerun_of_the_window_leaves_the_table_identical_except_timestamps(
    landing: Path, priced: tuple[Path, dg.ExecuteInProcessResult], tmp_path: Path
) -> None:
    db = tmp_path / "again.duckdb"
    shutil.copy(priced[0], db)
    before = _table(db)
    stamps = _query(db, "SELECT DISTINCT _computed_at FROM pricing.option_greeks")
    assert _price(landing, db).success
    assert _table(db).equals(before)
    after = _query(db, "SELECT DISTINCT _computed_at FROM pricing.option_greeks")
    assert after.height == 1 and after.item() > stamps.item()
    # one day alone replaces that day only
    day = dt.date(2008, 11, 19)
    assert _price(landing, db, day, day).success
    assert _table(db).equals(before)
    per_day = _query(
        db,
        "SELECT quote_date, count(DISTINCT _computed_at) AS n, max(_computed_at) AS at "
        "FROM pricing.option_greeks GROUP BY 1 ORDER BY 1",
    )
    assert per_day["n"].to_list() == [1] * 5
    assert per_day.filter(pl.col("quote_date") == day)["at"].item() > after.item()
    log = _query(db, "SELECT window_start, window_end FROM pricing.option_greeks_log ORDER BY 1")
    assert log.rows() == [(day, day)]  # the overlapping window's log row is replaced


def test_a_day_prices_well_under_a_second(raw_db: Path) -> None:
    with duckdb.connect(str(raw_db), read_only=True) as con:
        day = con.execute(
            f"SELECT {', '.join(OPTION_COLUMNS)} FROM raw.cboe_option_eod "
            f"WHERE quote_date = ? ORDER BY {KEY}",
            [END],
        ).pl()
        fred = con.execute("SELECT * FROM raw.fred_observations").pl()
        valuation = con.execute("SELECT * FROM raw.valuation_monthly").pl()
        vx = con.execute("SELECT * FROM raw.cfe_vx_settlements WHERE trade_date = ?", [END]).pl()
    assert day.height > 4_000
    option_greeks(day, fred, valuation, vx)  # warm-up
    t0 = time.perf_counter()
    out = option_greeks(day, fred, valuation, vx)
    assert time.perf_counter() - t0 < 0.5
    assert out.height == day.height
