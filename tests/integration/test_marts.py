"""The dbt marts through Dagster on real days: checks, named values, no look-ahead,
range run = day-by-day runs."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from alvh_assets.marts.mart_expectations import MART_TABLES
from alvh_assets.sample import real_data
from orchestration.definitions import MARTS, REFERENCE
from orchestration.runs import partition_range_tags
from tests.integration.oct08 import END, START, WARMUP, run_steps

pytestmark = pytest.mark.slow

T = dt.date(2008, 10, 10)


def _marts(db: Path, upto: dt.date | None = None) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: con.execute(
                f"SELECT * FROM marts.{t} WHERE date <= ? ORDER BY date",
                [upto or dt.date(2100, 1, 1)],
            ).pl()
            for t in MART_TABLES
        }


def test_every_mart_has_one_row_per_trading_day(built: Path) -> None:
    days = [d for d in (START + dt.timedelta(days=i) for i in range(19)) if d.weekday() < 5]
    for name, frame in _marts(built).items():
        assert frame["date"].to_list() == days, name


def test_named_day_values_match_hand_computation_from_the_real_data(built: Path) -> None:
    m = _marts(built)
    ts = m["fct_vix_term_structure_daily"].filter(pl.col("date") == T).row(0, named=True)
    vx = (
        real_data.vx_settlements()
        .filter(pl.col("trade_date") == T, pl.col("expiration") > T)
        .sort("expiration")
    )
    assert ts["vx1_settle"] == vx["settle"][0] and ts["vx2_settle"] == vx["settle"][1]
    assert ts["slope"] == pytest.approx(vx["settle"][1] / vx["settle"][0] - 1, abs=1e-12)
    assert ts["backwardation"] is True and ts["vix_close"] == 69.95

    # Wilder RSI(14) of the real VIX closes, by a plain loop over the ingested history
    closes = real_data.vix_daily().filter(pl.col("date").is_between(WARMUP, T))["close"]
    diff = np.diff(closes.to_numpy())
    gain, loss = np.clip(diff, 0, None), np.clip(-diff, 0, None)
    avg_g, avg_l = gain[:14].mean(), loss[:14].mean()
    for g, lo in zip(gain[14:], loss[14:], strict=True):
        avg_g, avg_l = (avg_g * 13 + g) / 14, (avg_l * 13 + lo) / 14
    ind = m["fct_indicators_daily"].filter(pl.col("date") == T).row(0, named=True)
    assert ind["vix_rsi"] == pytest.approx(100 - 100 / (1 + avg_g / avg_l), abs=1e-9)
    assert ind["vix_rsi"] == pytest.approx(82.3487, abs=1e-3)

    regime = m["fct_regime_daily"].filter(pl.col("date") == T).row(0, named=True)
    assert regime["regime"] == "stressed"  # VIX 69.95 >= 30 and backwardation
    assert regime["vix_rsi_overbought"] is True


def test_vx30_and_valuation_inputs_on_2008_10_10_by_hand(built: Path) -> None:
    """Methodology §3 on the real data of T: the 30-day constant-maturity VX between October
    (expires 2008-10-22, 12 days) and November (2008-11-19, 40 days); the valuation month
    known on T is July 2008 (published 2008-10-01) from Shiller's file."""
    m = _marts(built)
    ts = m["fct_vix_term_structure_daily"].filter(pl.col("date") == T).row(0, named=True)
    vx = (
        real_data.vx_settlements()
        .filter(pl.col("trade_date") == T, pl.col("expiration") > T)
        .sort("expiration")
    )
    assert (vx["expiration"][0], vx["expiration"][1]) == (
        dt.date(2008, 10, 22),
        T + dt.timedelta(40),
    )
    s_lo, s_hi = vx["settle"][0], vx["settle"][1]  # 56.71, 38.31
    assert ts["vx30"] == pytest.approx(s_lo + (s_hi - s_lo) * (30 - 12) / (40 - 12), abs=1e-12)
    assert ts["vx30"] == pytest.approx(44.8814, abs=1e-4) and ts["vx30_beyond_curve"] is False
    ind = m["fct_indicators_daily"].filter(pl.col("date") == T).row(0, named=True)
    assert ind["vx30"] == ts["vx30"]
    assert ind["vx30_macd_hist"] == pytest.approx(ind["vx30_macd"] - ind["vx30_macd_signal"])

    shiller = pl.read_csv(
        real_data.real_data_dir() / "shiller_sp500_monthly.csv", try_parse_dates=True
    )
    window = shiller.filter(pl.col("Date").is_between(dt.date(1998, 8, 1), dt.date(2008, 7, 1)))
    assert window.height == 120
    peak = max(window["Earnings"])  # June 2007: 84.92
    july = shiller.filter(pl.col("Date") == dt.date(2008, 7, 1)).row(0, named=True)
    year_ago = shiller.filter(pl.col("Date") == dt.date(2007, 7, 1)).row(0, named=True)
    infl = july["Consumer Price Index"] / year_ago["Consumer Price Index"] - 1
    v = m["fct_valuation_daily"].filter(pl.col("date") == T).row(0, named=True)
    assert v["valuation_month"] == dt.date(2008, 7, 1)
    assert v["peak_earnings_pe"] == pytest.approx(july["SP500"] / peak, abs=1e-12)  # 14.806
    assert v["pe"] == pytest.approx(july["SP500"] / july["Earnings"], abs=1e-3)  # 25.37
    assert v["cpi_inflation_12m"] == pytest.approx(infl, abs=1e-12)  # 5.60%
    assert v["erp_proxy"] == pytest.approx(1 / july["PE10"] - (0.0401 - infl), abs=1e-12)
    assert round(v["erp_proxy"], 4) == 0.0637
    regime = m["fct_regime_daily"].filter(pl.col("date") == T).row(0, named=True)
    assert (
        regime["extreme_valuation"] is False and regime["peak_earnings_pe"] == v["peak_earnings_pe"]
    )


def test_analyst_can_query_the_regime_mart(built: Path) -> None:
    with duckdb.connect(str(built), read_only=True) as con:
        rows = con.execute("select * from marts.fct_regime_daily").fetchall()
    assert len(rows) == 15


def _copy_without_marts(built: Path, tmp_path: Path, name: str) -> Path:
    """A copy of the built warehouse without its marts. The file keeps the name alvh.duckdb:
    DuckDB names the catalog after the file, and the dbt views refer to it."""
    db = tmp_path / name / "alvh.duckdb"
    db.parent.mkdir()
    shutil.copy(built, db)
    with duckdb.connect(str(db)) as con:
        for t in MART_TABLES:
            con.execute(f"DROP TABLE marts.{t}")
    return db


def test_one_range_run_equals_day_by_day_runs(landing: Path, built: Path, tmp_path: Path) -> None:
    db = _copy_without_marts(built, tmp_path, "daily")
    days = [d for d in (START + dt.timedelta(days=i) for i in range(3)) if d.weekday() < 5]
    for day in days:
        assert run_steps(landing, db, [(MARTS, partition_range_tags(day, day))]) == []
    one, daily = _marts(built, days[-1]), _marts(db)
    for name in MART_TABLES:
        assert daily[name].height == len(days), name
        assert daily[name].equals(one[name]), name


def test_appending_later_days_releases_and_revisions_leaves_earlier_rows_unchanged(
    landing: Path, built: Path, tmp_path: Path
) -> None:
    """Marts built when only data up to T existed equal, up to T, marts rebuilt after
    later days, a later CPI release and an ALFRED revision of an earlier month arrived."""
    as_of_t = _copy_without_marts(built, tmp_path, "as_of_t")
    with duckdb.connect(str(as_of_t)) as con:  # the later days have not arrived yet
        for table, col in (
            ("raw.cboe_option_eod", "quote_date"),
            ("raw.cboe_index_daily", "date"),
            ("raw.cfe_vx_settlements", "trade_date"),
            ("raw.nyse_breadth_daily", "date"),
            ("pricing.option_greeks", "quote_date"),
        ):
            con.execute(f"DELETE FROM {table} WHERE {col} > ?", [T])
        # release calendars (BLS, FOMC) are published ahead, so future dates stay
    assert run_steps(landing, as_of_t, [(MARTS, partition_range_tags(START, T))]) == []

    later = tmp_path / "landing"
    shutil.copytree(landing, later)
    (later / "manifest.json").unlink()  # the files below change after the vendor's manifest
    cal = later / "calendars" / "cpi_ppi_release_calendar_modelled.csv"
    cal.write_text(cal.read_text() + "CPILFESL,2008-10-01,2008-11-19\n")
    fred = later / "fred" / "CPILFESL.csv"
    fred.write_text(fred.read_text() + "2008-10-01,217.0\n")  # the October print
    (later / "fred" / "CPILFESL_revision.csv").write_text(  # August revised after T
        "observation_date,realtime_start,realtime_end,CPILFESL\n"
        "2008-08-01,2008-10-15,9999-12-31,216.9\n"
    )
    revised = _copy_without_marts(built, tmp_path, "revised")
    run_steps(later, revised, [(REFERENCE, None), (MARTS, partition_range_tags(START, END))])
    before, after = _marts(as_of_t), _marts(revised, T)
    for name in MART_TABLES:
        assert before[name].height > 0, name
        diff = [
            c
            for c in before[name].columns
            if not after[name][c].equals(before[name][c], check_names=True)
        ]
        assert diff == [], (name, diff)
    with duckdb.connect(str(revised), read_only=True) as con:
        assert con.execute(
            "SELECT count(*) FROM raw.fred_observations WHERE vintage IS NOT NULL"
        ).fetchone() == (1,)


def test_dbt_docs_generate_works_on_the_warehouse(built: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from orchestration.dbt import DBT_DIR

    dbt = Path(sys.executable).with_name("dbt")
    out = subprocess.run(
        [
            str(dbt),
            "docs",
            "generate",
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(tmp_path / "docs"),
        ],
        cwd=DBT_DIR,
        env={**os.environ, "ALVH_WAREHOUSE": str(built)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-2000:]
    catalog = (tmp_path / "docs" / "catalog.json").read_text()
    assert "fct_regime_daily" in catalog and "fct_spx_vol_surface_daily" in catalog


def test_views_build_on_a_warehouse_made_before_vendor_calcs_flag(
    landing: Path, built: Path, tmp_path: Path
) -> None:
    """A one-day run builds the staging views before it ingests: on a warehouse whose
    raw.cboe_option_eod predates vendor_calcs_flag the views step adds the column (null)
    first, so stg_cboe__option_eod builds and selects it."""
    from orchestration.definitions import VIEWS

    db = tmp_path / "alvh.duckdb"
    shutil.copy(built, db)
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE raw.cboe_option_eod DROP COLUMN vendor_calcs_flag")
    before = os.environ.get("ALVH_WAREHOUSE")
    assert run_steps(landing, db, [(VIEWS, None)]) == []
    assert os.environ.get("ALVH_WAREHOUSE") == before  # dbt's warehouse set for dbt only
    with duckdb.connect(str(db), read_only=True) as con:
        (schema,) = con.execute(
            "SELECT schema_name FROM duckdb_views() WHERE view_name = 'stg_cboe__option_eod'"
        ).fetchone()
        flags = con.execute(
            f"SELECT count(*), count(vendor_calcs_flag) FROM {schema}.stg_cboe__option_eod"
        ).fetchone()
    assert flags[0] > 0 and flags[1] == 0
