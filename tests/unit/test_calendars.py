"""Trading days and expiry rules, checked against the real CFE files and known dates."""

from __future__ import annotations

import datetime as dt

import polars as pl

from alvh_assets import landing
from alvh_assets.calendars import (
    is_trading_day,
    next_trading_day,
    previous_trading_day,
    spx_monthly_expiration,
    trading_days,
    vx_expiration,
)
from alvh_assets.sample import real_data

D = dt.date


def test_xnys_closures_are_respected() -> None:
    days = trading_days("2001-09-07", "2001-09-18")
    assert days == [D(2001, 9, 7), D(2001, 9, 10), D(2001, 9, 17), D(2001, 9, 18)]
    assert not is_trading_day("2012-10-29")  # Hurricane Sandy
    assert not is_trading_day("2008-03-21")  # Good Friday
    assert previous_trading_day("2008-03-24") == D(2008, 3, 20)
    assert next_trading_day("2008-12-24") == D(2008, 12, 26)
    assert len(trading_days("2007-07-02", "2009-06-30")) == 504


def test_spx_monthly_expiration_moves_before_good_friday() -> None:
    assert spx_monthly_expiration(2008, 3) == D(2008, 3, 20)
    assert spx_monthly_expiration(2008, 10) == D(2008, 10, 17)


def test_vx_expiration_matches_every_real_cfe_contract() -> None:
    """The last trade date of each real CFE file is its expiration (the final settlement
    row), except where the file stops early: the two mid-2004 files (N04, V04) end a week
    before expiry, and contracts still trading when the data set ends (2014-08-14)."""
    data_end = D(2014, 8, 14)
    truncated = {"CFE_N04_VX.csv", "CFE_V04_VX.csv"}
    checked = 0
    for path in real_data.cfe_vx_files():
        df = real_data._read_cfe(path)
        last = df.select(pl.col("Trade Date").str.strptime(pl.Date, "%m/%d/%Y").max()).item()
        expiry = landing.vx_label_expiration(df["Futures"][0])
        assert expiry >= last, path.name
        if last < data_end and path.name not in truncated:
            assert expiry == last, path.name
            checked += 1
    assert checked >= 110


def test_two_digit_label_years_of_the_modelled_1999_contracts_are_1999() -> None:
    # 30 days before the third Friday of February 1999 (the 19th)
    assert landing.vx_label_expiration("F (Jan 99)") == D(1999, 1, 20)
    assert landing.vx_label_expiration("Z (Dec 99)") == vx_expiration(1999, 12)
    assert landing.vx_label_expiration("F (Jan 00)") == vx_expiration(2000, 1)


def test_vx_expiration_named_dates() -> None:
    assert vx_expiration(2008, 11) == D(2008, 11, 19)
    assert vx_expiration(2008, 3) == D(2008, 3, 19)  # from Thursday 2008-03-20 (Good Friday)
    assert vx_expiration(2007, 5) == D(2007, 5, 16)


def test_real_vx_loader_undoes_the_x10_quote() -> None:
    v = real_data.vx_settlements()
    before = v.filter(pl.col("trade_date") == D(2006, 1, 3), pl.col("contract") == "F (Jan 06)")
    assert before["settle"].item() == 12.02  # file says 120.20
    front = v.filter(pl.col("trade_date") == D(2008, 11, 20)).sort("expiration").row(0, named=True)
    assert (front["contract"], front["settle"]) == ("Z (Dec 08)", 66.23)
