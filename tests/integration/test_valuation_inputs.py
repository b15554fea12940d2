"""The valuation inputs of the hedge-budget rules through the real dbt models, on the sample's
Shiller-derived valuation file as the reader loads it (methodology §3, "Hedge budget"):
P/E on peak earnings and the excess CAPE yield, hand-worked from the rows of
``alvh_assets/data/real/shiller_sp500_monthly.csv``, point in time, and the regime flags
that read them."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from alvh_assets.ingest.readers.valuation import read_valuation
from alvh_assets.sample.macro import valuation_text
from tests.integration.dbt_on_raw import read_tables, run_dbt, write_raw

pytestmark = pytest.mark.slow

D = dt.date
DAYS = (
    D(2000, 6, 1),
    D(2009, 5, 29),  # March 2009 not yet published (2009-06-01)
    D(2009, 6, 1),
    D(2011, 11, 30),
    D(2011, 12, 1),  # September 2011 published
    D(2018, 3, 1),  # December 2017 published
    D(2018, 4, 30),
    D(2018, 5, 1),  # February 2018 published
)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    tmp = tmp_path_factory.mktemp("valuation")
    path = tmp / "valuation_monthly.csv"
    path.write_text(valuation_text(D(2018, 12, 31))[0])
    valuation = read_valuation(path)
    assert valuation.rejected.height == 0
    index = pl.DataFrame(
        {"symbol": "SPX", "date": list(DAYS), "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0}
    )
    db = tmp / "alvh.duckdb"
    write_raw(db, {"valuation_monthly": valuation.accepted, "cboe_index_daily": index})
    run_dbt(db, tmp / "target", "+fct_valuation_daily")
    return read_tables(db, "intermediate.int_valuation__point_in_time", "marts.fct_valuation_daily")


def _month(tables: dict[str, pl.DataFrame], month: dt.date) -> dict:
    frame = tables["intermediate.int_valuation__point_in_time"]
    return frame.filter(pl.col("month") == month).row(0, named=True)


def _day(tables: dict[str, pl.DataFrame], day: dt.date) -> dict:
    return tables["marts.fct_valuation_daily"].filter(pl.col("date") == day).row(0, named=True)


def test_peak_earnings_pe_by_hand(tables) -> None:
    # March 2009: price 757.13; the highest trailing-12-month earnings of April 1999 … March
    # 2009 are June 2007's 84.92 → 757.13 / 84.92 = 8.9158, where the trailing P/E (earnings
    # 6.86) is 110.37
    m = _month(tables, D(2009, 3, 1))
    assert m["peak_earnings"] == 84.92 and m["peak_earnings_months"] == 120
    assert m["peak_earnings_pe"] == pytest.approx(757.13 / 84.92, abs=1e-12)
    assert round(m["peak_earnings_pe"], 4) == 8.9158
    assert round(m["pe"], 2) == 110.37
    # March 2000: earnings at their peak that month (50.95): both P/Es 1442.21 / 50.95 = 28.31
    m = _month(tables, D(2000, 3, 1))
    assert m["peak_earnings"] == 50.95
    assert round(m["peak_earnings_pe"], 3) == 28.306
    # January 2018: 2789.8 / 111.7333 = 24.968 > 24
    m = _month(tables, D(2018, 1, 1))
    assert m["peak_earnings_pe"] == pytest.approx(2789.8 / 111.73333333333332, abs=1e-12)
    assert round(m["peak_earnings_pe"], 3) == 24.968


def test_excess_cape_yield_by_hand(tables) -> None:
    # September 2011: CAPE 19.7, 10-year 1.98%, CPI 226.89 vs 218.44 a year earlier
    m = _month(tables, D(2011, 9, 1))
    infl = 226.89 / 218.44 - 1  # 3.868%
    assert m["cpi_inflation_12m"] == pytest.approx(infl, abs=1e-15)
    assert m["erp_proxy"] == pytest.approx(1 / 19.7 - (0.0198 - infl), abs=1e-15)
    assert round(m["erp_proxy"], 6) == 0.069645  # the 1996-2018 maximum (methodology: 6.96%)
    # March 2009: CAPE 13.32, 10-year 2.82%, CPI 212.71 vs 213.53 (deflation)
    m = _month(tables, D(2009, 3, 1))
    assert m["erp_proxy"] == pytest.approx(1 / 13.32 - (0.0282 - (212.71 / 213.53 - 1)), abs=1e-15)
    assert round(m["erp_proxy"], 5) == 0.04303
    # March 2000: CAPE 43.22, 10-year 6.26%, CPI 171.2 vs 165.0 → negative
    m = _month(tables, D(2000, 3, 1))
    assert round(m["erp_proxy"], 5) == round(1 / 43.22 - (0.0626 - (171.2 / 165.0 - 1)), 5)
    assert m["erp_proxy"] < 0


def test_only_1998_2001_and_2017_2018_above_24_and_only_2011_above_6_5_pct(tables) -> None:
    frame = tables["intermediate.int_valuation__point_in_time"].filter(
        pl.col("month").is_between(D(1996, 1, 1), D(2018, 12, 1))
    )
    high_pe = frame.filter(pl.col("peak_earnings_pe") > 24)["month"]
    assert {m.year for m in high_pe} == {1998, 1999, 2000, 2001, 2017, 2018}
    assert (high_pe.min(), high_pe.max()) == (D(1998, 2, 1), D(2018, 1, 1))
    assert high_pe.len() == 11 + 12 + 12 + 2 + 1 + 1
    assert frame.filter(pl.col("erp_proxy") > 0.065)["month"].to_list() == [D(2011, 9, 1)]


def test_daily_values_are_point_in_time(tables) -> None:
    before = _day(tables, D(2009, 5, 29))
    assert before["valuation_month"] == D(2009, 2, 1)
    on = _day(tables, D(2009, 6, 1))
    assert on["valuation_month"] == D(2009, 3, 1)
    assert on["peak_earnings_pe"] == pytest.approx(757.13 / 84.92, abs=1e-12)
    assert on["long_rate"] == pytest.approx(0.0282) and on["cape"] == 13.32
    assert _day(tables, D(2011, 11, 30))["erp_proxy"] < 0.065  # August 2011
    assert _day(tables, D(2011, 12, 1))["erp_proxy"] == pytest.approx(0.0696448, abs=1e-7)
    # December 2017 (24.25) from 2018-03-01, January 2018 (24.97) to 2018-04-30, February
    # 2018 (23.82) from 2018-05-01
    assert [_day(tables, d)["peak_earnings_pe"] > 24 for d in DAYS[5:]] == [True, True, False]
    assert _day(tables, D(2000, 6, 1))["valuation_month"] == D(2000, 3, 1)
