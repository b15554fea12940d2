"""Time to expiry in minutes (alvh_assets.pricing.expiry_time): the Cboe VIX white paper's
worked example, hand-computed AM/PM/0DTE/VIXW cases, the pre-2015 Saturday listing, and the
same numbers from scalars, numpy and polars."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from alvh_assets.calendars import spx_monthly_expiration
from alvh_assets.pricing.expiry_time import (
    AM_SETTLEMENT_MINUTE,
    MINUTES_PER_YEAR,
    PM_SETTLEMENT_MINUTE,
    QUOTE_MINUTE,
    is_am_settled,
    time_to_expiry,
)

Y = MINUTES_PER_YEAR


def test_clock_constants() -> None:
    assert (QUOTE_MINUTE, AM_SETTLEMENT_MINUTE, PM_SETTLEMENT_MINUTE) == (945, 570, 960)
    assert MINUTES_PER_YEAR == 365 * 1440


@pytest.mark.parametrize(
    ("root", "days_between", "settle_minute", "expected"),
    [
        # near term: AM settlement 8:30 AM CT (510 min), 24 days between
        ("SPX", 24, 510, 0.0683486),
        # next term: PM settlement 3:00 PM CT (900 min), 31 days between
        ("SPXW", 31, 900, 0.0882686),
    ],
)
def test_vix_white_paper_worked_example(
    root: str, days_between: int, settle_minute: int, expected: float
) -> None:
    """White paper, Step 1: at 9:46 AM CT (854 minutes to midnight)
    T1 = (854 + 510 + 34,560) / 525,600 and T2 = (854 + 900 + 44,640) / 525,600."""
    quote_day = dt.date(2024, 1, 1)  # a Monday: both settlements fall on a Friday
    settlement = quote_day + dt.timedelta(days=days_between + 1)
    assert settlement.weekday() == 4
    t = time_to_expiry(
        quote_day, settlement, root, quote_minute=9 * 60 + 46, am_minute=510, pm_minute=900
    )
    by_hand = (854 + settle_minute + 1440 * days_between) / 525_600
    assert t == pytest.approx(by_hand, rel=1e-15)
    assert round(t, 7) == expected


@pytest.mark.parametrize(
    ("quote_day", "expiration", "root", "minutes"),
    [
        # SPX monthly (AM, 09:30) quoted 15:45 the Thursday before its Friday expiry:
        # 8h15 to midnight (495) + 9h30 after midnight (570)
        (dt.date(2024, 1, 18), dt.date(2024, 1, 19), "SPX", 495 + 570),
        # the same a month out: 495 + 28 days x 1,440 + 570
        (dt.date(2023, 12, 14), dt.date(2024, 1, 19), "SPX", 495 + 35 * 1440 + 570),
        # SPXW weekly (PM, 16:00) quoted Tuesday for Friday: 495 + 2 x 1,440 + 960
        (dt.date(2024, 1, 16), dt.date(2024, 1, 19), "SPXW", 495 + 2 * 1440 + 960),
        # 0DTE SPXW at 15:45 on its expiry day: 15 minutes to the close
        (dt.date(2024, 1, 19), dt.date(2024, 1, 19), "SPXW", 15),
        # SPX AM series at 15:45 on its expiry day: settled 6h15 ago
        (dt.date(2024, 1, 19), dt.date(2024, 1, 19), "SPX", -375),
        # VIX weekly (VIXW, AM on the Wednesday SOQ) quoted Monday: 495 + 1,440 + 570
        (dt.date(2024, 1, 22), dt.date(2024, 1, 24), "VIXW", 495 + 1440 + 570),
        # VIX monthly (AM) quoted the day before its Wednesday expiry
        (dt.date(2024, 3, 19), dt.date(2024, 3, 20), "VIX", 495 + 570),
        # Good Friday 2008: the file lists the Thursday, trusted as the settlement day
        (dt.date(2008, 3, 19), dt.date(2008, 3, 20), "SPX", 495 + 570),
        # pre-2015 Saturday listing of an AM monthly: settles 09:30 on the Friday before
        (dt.date(2014, 1, 16), dt.date(2014, 1, 18), "SPX", 495 + 570),
        (dt.date(2014, 1, 17), dt.date(2014, 1, 18), "SPX", -375),
        # ... but a PM series is never moved (a Saturday would settle on the Saturday)
        (dt.date(2014, 1, 17), dt.date(2014, 1, 18), "SPXW", 495 + 960),
    ],
)
def test_hand_computed_minutes(
    quote_day: dt.date, expiration: dt.date, root: str, minutes: int
) -> None:
    assert time_to_expiry(quote_day, expiration, root) == pytest.approx(minutes / Y, rel=1e-15)


def test_saturday_and_friday_listings_of_the_same_monthly_agree() -> None:
    """Cboe's pre-2015 files list SPX monthlies on the Saturday after the third Friday, the
    sample and :func:`spx_monthly_expiration` on the Friday: the same settlement, same T."""
    friday = spx_monthly_expiration(2012, 3)
    saturday = friday + dt.timedelta(days=1)
    assert (friday.weekday(), saturday.weekday()) == (4, 5)
    quote = dt.date(2012, 2, 21)
    assert time_to_expiry(quote, saturday, "SPX") == time_to_expiry(quote, friday, "SPX")


def test_is_am_settled() -> None:
    assert is_am_settled("SPX") and is_am_settled("VIX") and is_am_settled("VIXW")
    assert not is_am_settled("SPXW") and not is_am_settled("SPXQ")
    np.testing.assert_array_equal(is_am_settled(["SPX", "SPXW", "VIXW"]), [True, False, True])


def test_scalars_numpy_and_polars_give_identical_values() -> None:
    q = [dt.date(2024, 1, 18), dt.date(2024, 1, 16), dt.date(2024, 1, 19), dt.date(2014, 1, 16)]
    e = [dt.date(2024, 1, 19), dt.date(2024, 1, 19), dt.date(2024, 1, 19), dt.date(2014, 1, 18)]
    r = ["SPX", "SPXW", "SPXW", "SPX"]
    scalars = [time_to_expiry(a, b, c) for a, b, c in zip(q, e, r, strict=True)]
    assert all(isinstance(x, float) for x in scalars)
    arrays = time_to_expiry(
        np.array(q, dtype="datetime64[D]"), np.array(e, dtype="datetime64[D]"), np.array(r)
    )
    assert isinstance(arrays, np.ndarray) and arrays.tolist() == scalars
    frame = pl.DataFrame({"q": q, "e": e, "r": r})
    by_expr = frame.select(time_to_expiry(pl.col("q"), pl.col("e"), pl.col("r")))
    assert by_expr.to_series().to_list() == scalars
    by_series = time_to_expiry(frame["q"], frame["e"], frame["r"])
    assert isinstance(by_series, pl.Series) and by_series.to_list() == scalars
    # one root for every row, and broadcast of a scalar quote day
    spx = time_to_expiry(frame["q"], frame["e"], "SPX").to_list()
    assert spx == [time_to_expiry(a, b, "SPX") for a, b in zip(q, e, strict=True)]
    one_day = time_to_expiry(dt.date(2024, 1, 16), np.array(e[:3], dtype="datetime64[D]"), "SPXW")
    assert one_day.tolist() == [time_to_expiry(dt.date(2024, 1, 16), b, "SPXW") for b in e[:3]]


def test_null_dates_give_null_not_an_error() -> None:
    frame = pl.DataFrame(
        {"q": [dt.date(2024, 1, 18), None], "e": [dt.date(2024, 1, 19), dt.date(2024, 1, 19)]},
        schema={"q": pl.Date, "e": pl.Date},
    )
    out = frame.select(time_to_expiry(pl.col("q"), pl.col("e"), "SPX")).to_series()
    assert out.to_list() == [pytest.approx(1065 / Y), None]
    arr = time_to_expiry(
        np.array(["2024-01-18", "NaT"], dtype="datetime64[D]"), "2024-01-19", "SPX"
    )
    assert arr[0] == pytest.approx(1065 / Y) and np.isnan(arr[1])
