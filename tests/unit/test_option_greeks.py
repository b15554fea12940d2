"""IV and Greeks per option row (alvh_assets.pricing.option_greeks) on hand-built frames:
parity forwards, VIX on the VX future, reasons, point-in-time carry, speed."""

from __future__ import annotations

import datetime as dt
import math
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from alvh_assets.calendars import trading_days
from alvh_assets.ingest.readers.valuation import read_valuation
from alvh_assets.pricing import bsm_greeks, bsm_price, implied_vol_bsm
from alvh_assets.pricing.expiry_time import time_to_expiry
from alvh_assets.pricing.option_greeks import (
    OPTION_COLUMNS,
    OUTPUT_SCHEMA,
    PricingParams,
    carry_asof,
    option_greeks,
)
from alvh_assets.sample import carry, real_data
from alvh_assets.sample.macro import valuation_text

QD = dt.date(2008, 3, 3)  # a Monday; March 1 was a Saturday
EXP = dt.date(2008, 4, 18)  # 46 calendar days later, a Friday: SPX settles at 09:30
T = (46 * 1440 + 570 - 945) * (1 / 525_600)  # 15:45 quote to the 09:30 AM settlement, in minutes
FF_FEB = 3.0  # FEDFUNDS for February 2008, known from 2008-03-01
R = math.log1p(FF_FEB / 100)
SP500, DIVIDEND = 1500.0, 30.0  # valuation month 2007-11, published 2008-02-01
Q = math.log1p(DIVIDEND / SP500)
S = 1330.0


def _fred(rows: list[tuple[dt.date, float, dt.date | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "series_id": ["FEDFUNDS"] * len(rows),
            "observation_date": [r[0] for r in rows],
            "value": [r[1] for r in rows],
            "vintage": [r[2] for r in rows],
        },
        schema={
            "series_id": pl.Utf8,
            "observation_date": pl.Date,
            "value": pl.Float64,
            "vintage": pl.Date,
        },
    )


def _valuation(rows: list[tuple[dt.date, dt.date, float | None, float | None, float | None]]):
    return pl.DataFrame(
        {
            "month": [r[0] for r in rows],
            "publication_date": [r[1] for r in rows],
            "sp500": [r[2] for r in rows],
            "dividend": [r[3] for r in rows],
            "dividend_yield": [r[4] for r in rows],
        },
        schema={
            "month": pl.Date,
            "publication_date": pl.Date,
            "sp500": pl.Float64,
            "dividend": pl.Float64,
            "dividend_yield": pl.Float64,
        },
    )


FRED = _fred(
    [
        (dt.date(2008, 1, 1), 3.94, None),
        (dt.date(2008, 2, 1), FF_FEB, None),
    ]
)
VALUATION = _valuation([(dt.date(2007, 11, 1), dt.date(2008, 2, 1), SP500, DIVIDEND, 0.02)])
NO_VX = pl.DataFrame(
    schema={"trade_date": pl.Date, "contract_expiration": pl.Date, "settle": pl.Float64}
)


def _rows(
    strikes: np.ndarray,
    is_call: np.ndarray,
    bid: np.ndarray,
    ask: np.ndarray,
    *,
    root: str = "SPX",
    symbol: str = "^SPX",
    quote_date: dt.date = QD,
    expiration: dt.date = EXP,
    level: float | None = S,
    vendor_iv: np.ndarray | None = None,
) -> pl.DataFrame:
    n = len(strikes)
    index_fields = None if symbol == "^VIX" else level
    return pl.DataFrame(
        {
            "quote_date": [quote_date] * n,
            "root": [root] * n,
            "expiration": [expiration] * n,
            "strike": np.asarray(strikes, dtype=float),
            "option_type": np.where(is_call, "C", "P"),
            "underlying_symbol": [symbol] * n,
            "bid_1545": np.asarray(bid, dtype=float),
            "ask_1545": np.asarray(ask, dtype=float),
            "underlying_bid_1545": [index_fields] * n,
            "underlying_ask_1545": [index_fields] * n,
            "active_underlying_price_1545": [level] * n,
            "implied_volatility_1545": (
                np.full(n, np.nan) if vendor_iv is None else np.asarray(vendor_iv, dtype=float)
            ),
        },
        schema_overrides={
            "underlying_bid_1545": pl.Float64,
            "underlying_ask_1545": pl.Float64,
            "active_underlying_price_1545": pl.Float64,
        },
    ).with_columns(pl.col("implied_volatility_1545").fill_nan(None))


def _spx_chain(q_true: float, put_bid: bool = True) -> tuple[pl.DataFrame, np.ndarray]:
    """Calls and puts 1200..1460 priced by BSM (S, R, q_true) on a smile; mid = model price
    exactly (bid/ask = price -/+ 0.05)."""
    K = np.repeat(np.arange(1200.0, 1465.0, 10.0), 2)
    call = np.tile([True, False], len(K) // 2)
    F = S * math.exp((R - q_true) * T)
    sigma = 0.22 - 0.35 * np.log(K / F) + 0.8 * np.log(K / F) ** 2
    price = bsm_price(S, K, T, R, q_true, sigma, call)
    bid = price - 0.05
    if not put_bid:
        bid = np.where(call, bid, 0.0)
    return _rows(K, call, bid, price + 0.05, vendor_iv=sigma), sigma


def test_output_schema_and_one_row_per_input_row_in_input_order() -> None:
    chain, _ = _spx_chain(Q)
    shuffled = chain.sample(fraction=1.0, shuffle=True, seed=7)
    out = option_greeks(shuffled, FRED, VALUATION, NO_VX)
    assert out.schema == pl.Schema(OUTPUT_SCHEMA)
    assert out.select("strike", "option_type").equals(shuffled.select("strike", "option_type"))


def test_parity_forward_is_recovered_exactly_and_replaces_the_dividend_assumption() -> None:
    q_true = 0.035  # the quotes' carry differs from the valuation file's 2%
    chain, sigma = _spx_chain(q_true)
    out = option_greeks(chain, FRED, VALUATION, NO_VX)
    fwd = S * math.exp((R - q_true) * T)
    assert out["forward_source"].unique().to_list() == ["put_call_parity"]
    assert out["parity_strikes"].unique().to_list() == [5]
    np.testing.assert_allclose(out["forward"].to_numpy(), fwd, rtol=1e-13)
    assert out["rate"].unique().to_list() == [pytest.approx(R, abs=1e-16)]
    assert out["dividend_yield"].unique().to_list() == [pytest.approx(Q, abs=1e-16)]
    assert out["time_to_expiry"].unique().to_list() == [T]
    assert out["days_to_expiry"].unique().to_list() == [46]
    # Black-76 on the parity forward = BSM with the implied dividend yield
    assert (out["iv_reason"] == "OK").all()
    np.testing.assert_allclose(out["iv"].to_numpy(), sigma, rtol=0, atol=1e-10)
    np.testing.assert_allclose(out["iv_diff"].to_numpy(), 0.0, atol=1e-10)
    K, call = chain["strike"].to_numpy(), chain["option_type"].to_numpy() == "C"
    mid = chain.select((pl.col("bid_1545") + pl.col("ask_1545")) / 2).to_series().to_numpy()
    bsm_iv = implied_vol_bsm(mid, S, K, T, R, q_true, call).iv
    np.testing.assert_allclose(out["iv"].to_numpy(), bsm_iv, rtol=0, atol=1e-10)
    g = bsm_greeks(S, K, T, R, q_true, sigma, call)
    np.testing.assert_allclose(out["spot_delta"].to_numpy(), g.delta, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(out["spot_gamma"].to_numpy(), g.gamma, rtol=1e-8)
    np.testing.assert_allclose(out["vega"].to_numpy(), g.vega, rtol=1e-8)
    # forward Greeks: delta = e^{-rT} N(d1) (calls), rho = -T V
    d1 = (np.log(fwd / K) + 0.5 * sigma**2 * T) / (sigma * math.sqrt(T))
    nd1 = 0.5 * (1 + np.vectorize(math.erf)(d1 / math.sqrt(2)))
    disc = math.exp(-R * T)
    expected_delta = np.where(call, disc * nd1, disc * (nd1 - 1))
    np.testing.assert_allclose(out["delta"].to_numpy(), expected_delta, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(out["rho"].to_numpy(), -T * mid, rtol=1e-8)


def test_parity_uses_the_median_of_the_strikes_nearest_the_money() -> None:
    chain, _ = _spx_chain(Q)
    fwd = S * math.exp((R - Q) * T)
    # one bad quote near the money (a call mid 3 points too high) is outvoted by the median
    bad = (pl.col("strike") == 1330.0) & (pl.col("option_type") == "C")
    skewed = chain.with_columns(
        pl.when(bad).then(pl.col(c) + 3.0).otherwise(pl.col(c)).alias(c)
        for c in ("bid_1545", "ask_1545")
    )
    out = option_greeks(skewed, FRED, VALUATION, NO_VX)
    np.testing.assert_allclose(out["forward"].to_numpy(), fwd, rtol=1e-13)
    # with a single strike, the bad quote moves the forward by 3 / e^{-rT}
    one = option_greeks(skewed, FRED, VALUATION, NO_VX, PricingParams(parity_strikes=1))
    assert one["parity_strikes"].unique().to_list() == [1]
    assert one["forward"][0] == pytest.approx(fwd + 3.0 / math.exp(-R * T), rel=1e-12)


def test_carry_forward_when_puts_have_no_bid() -> None:
    chain, _ = _spx_chain(Q, put_bid=False)
    out = option_greeks(chain, FRED, VALUATION, NO_VX)
    assert out["forward_source"].unique().to_list() == ["carry"]
    assert out["parity_strikes"].null_count() == out.height
    np.testing.assert_allclose(out["forward"].to_numpy(), S * math.exp((R - Q) * T), rtol=1e-14)
    assert out["underlying_price"].unique().to_list() == [S]


def test_implausible_parity_forward_falls_back_to_carry() -> None:
    chain, _ = _spx_chain(Q)
    shifted = chain.with_columns(pl.col("active_underlying_price_1545") * 1.2)  # S off by 20%
    out = option_greeks(shifted, FRED, VALUATION, NO_VX)
    assert out["forward_source"].unique().to_list() == ["carry"]
    loose = option_greeks(shifted, FRED, VALUATION, NO_VX, PricingParams(max_parity_deviation=0.5))
    assert loose["forward_source"].unique().to_list() == ["put_call_parity"]


def test_zero_bid_rows_are_priced_from_the_mid_and_flagged() -> None:
    chain, _ = _spx_chain(Q)
    wing = _rows(np.array([900.0]), np.array([False]), np.array([0.0]), np.array([0.10]))
    out = option_greeks(pl.concat([chain, wing]), FRED, VALUATION, NO_VX)
    row = out.row(-1, named=True)
    assert row["has_bid"] is False and row["mid"] == 0.05
    assert row["iv_reason"] == "OK" and 0 < row["iv"] < 5
    assert row["forward_source"] == "put_call_parity"  # the wing does not spoil the forward
    assert out["has_bid"][:-1].all()


def _black76_by_hand(F: float, K: float, t: float, r: float, vol: float, call: bool):
    ncdf = lambda x: 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))  # noqa: E731
    d1 = (math.log(F / K) + 0.5 * vol * vol * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    disc = math.exp(-r * t)
    if call:
        price = disc * (F * ncdf(d1) - K * ncdf(d2))
        delta = disc * ncdf(d1)
    else:
        price = disc * (K * ncdf(-d2) - F * ncdf(-d1))
        delta = -disc * ncdf(-d1)
    pdf = math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
    gamma = disc * pdf / (F * vol * math.sqrt(t))
    vega = disc * F * pdf * math.sqrt(t)
    return price, delta, gamma, vega


VIX_EXP = dt.date(2008, 3, 19)  # VX/VIX expiry of March 2008, 16 days after QD


def test_vix_rows_are_black76_on_the_vx_future_of_the_same_expiry() -> None:
    F, vol = 25.35, 0.95
    t = (16 * 1440 + 570 - 945) * (1 / 525_600)  # 15:45 to the 09:30 SOQ of expiry Wednesday
    cases = [(20.0, True), (25.0, True), (30.0, True), (20.0, False), (27.5, False)]
    by_hand = [_black76_by_hand(F, K, t, R, vol, c) for K, c in cases]
    prices = np.array([h[0] for h in by_hand])
    rows = _rows(
        np.array([K for K, _ in cases]),
        np.array([c for _, c in cases]),
        prices - 0.05,
        prices + 0.05,
        root="VIX",
        symbol="^VIX",
        expiration=VIX_EXP,
        level=22.0,  # spot VIX: reported, never used to price
    )
    vx = pl.DataFrame(
        {
            "trade_date": [QD, QD, QD - dt.timedelta(days=3)],
            "contract_expiration": [VIX_EXP, dt.date(2008, 4, 16), VIX_EXP],
            "settle": [F, 26.0, 99.0],
        }
    )
    out = option_greeks(rows, FRED, VALUATION, vx)
    assert out["forward_source"].unique().to_list() == ["vx_future"]
    assert out["forward"].unique().to_list() == [F]
    assert out["underlying_price"].unique().to_list() == [22.0]
    assert (out["iv_reason"] == "OK").all()
    np.testing.assert_allclose(out["iv"].to_numpy(), vol, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["delta"].to_numpy(), [h[1] for h in by_hand], rtol=1e-10)
    np.testing.assert_allclose(out["gamma"].to_numpy(), [h[2] for h in by_hand], rtol=1e-10)
    np.testing.assert_allclose(out["vega"].to_numpy(), [h[3] for h in by_hand], rtol=1e-10)
    np.testing.assert_allclose(out["rho"].to_numpy(), -t * prices, rtol=1e-10)
    assert out["spot_delta"].null_count() == out.height  # VIX Greeks are on the future


def test_vix_row_without_a_vx_settle_that_day_has_no_iv_and_says_why() -> None:
    rows = _rows(
        np.array([25.0, 25.0]),
        np.array([True, False]),
        np.array([2.0, 1.5]),
        np.array([2.2, 1.7]),
        root="VIX",
        symbol="^VIX",
        expiration=VIX_EXP,
        level=22.0,
    )
    vx = pl.DataFrame(  # a settle of another day, and a null settle (not traded) on the day
        {
            "trade_date": [QD - dt.timedelta(days=3), QD],
            "contract_expiration": [VIX_EXP, VIX_EXP],
            "settle": [24.0, None],
        },
        schema_overrides={"settle": pl.Float64},
    )
    out = option_greeks(rows, FRED, VALUATION, vx)
    assert out["iv_reason"].to_list() == ["NO_VX_SETTLE"] * 2
    for col in ("iv", "forward", "forward_source", "delta", "gamma", "vega", "iv_diff"):
        assert out[col].null_count() == 2, col
    assert out["mid"].to_list() == [2.1, 1.6]


def test_am_series_on_its_expiry_day_is_past_settlement_and_pm_0dte_prices_15_minutes() -> None:
    """At 15:45 of the expiry day an SPX (AM) series settled at 09:30: no IV, no Greeks, no
    crash; the SPXW (PM) series of the same day still has 15 minutes and gets an IV."""
    k, call = np.array([1325.0, 1335.0]), np.array([False, True])
    t0 = 15 * (1 / 525_600)
    sigma = 0.20
    price = bsm_price(S, k, t0, R, Q, sigma, call)
    am = _rows(k, call, price - 0.05, price + 0.05, expiration=QD)
    pm = _rows(k, call, price - 0.05, price + 0.05, root="SPXW", expiration=QD)
    # the pre-2015 Saturday listing of an AM monthly settled on the Friday before
    sat = _rows(k, call, price - 0.05, price + 0.05, quote_date=dt.date(2008, 3, 14))
    sat = sat.with_columns(pl.lit(dt.date(2008, 3, 15)).alias("expiration"))
    out = option_greeks(pl.concat([am, pm, sat]), FRED, VALUATION, NO_VX)
    assert out["days_to_expiry"].to_list() == [0, 0, 0, 0, 1, 1]
    assert out["iv_reason"].to_list()[:2] == ["AT_OR_PAST_SETTLEMENT"] * 2
    assert out["iv_reason"].to_list()[4:] == ["AT_OR_PAST_SETTLEMENT"] * 2
    assert out["time_to_expiry"].to_list()[:2] == [0.0, 0.0]
    past = out.filter(pl.col("iv_reason") == "AT_OR_PAST_SETTLEMENT")
    for col in ("iv", "delta", "gamma", "vega", "theta", "rho", "iv_diff"):
        assert past[col].null_count() == 4, col
    zero_dte = out[2:4]
    assert zero_dte["iv_reason"].to_list() == ["OK", "OK"]
    assert zero_dte["time_to_expiry"].to_list() == [t0, t0]
    np.testing.assert_allclose(zero_dte["iv"].to_numpy(), sigma, atol=2e-3)


def test_reasons_for_expiring_rows_missing_rate_and_iv_above_max() -> None:
    chain, _ = _spx_chain(Q)
    expiring = _rows(np.array([1300.0]), np.array([True]), np.array([29.0]), np.array([31.0]))
    expiring = expiring.with_columns(pl.lit(QD).alias("expiration"))
    early = chain.with_columns(pl.lit(dt.date(2008, 1, 31)).alias("quote_date"))  # no FF known
    # 1-day wing quoted 0 / 0.05 far from the money: mid vol above 500%
    wing = _rows(
        np.array([400.0]),
        np.array([False]),
        np.array([0.0]),
        np.array([0.05]),
        expiration=QD + dt.timedelta(days=1),
    )
    out = option_greeks(pl.concat([chain, expiring, early, wing]), FRED, VALUATION, NO_VX)
    n = chain.height
    assert out["iv_reason"][n] == "AT_OR_PAST_SETTLEMENT" and out["time_to_expiry"][n] == 0.0
    assert out["iv_reason"][n + 1 : 2 * n + 1].unique().to_list() == ["NO_RATE"]
    assert out["rate"][n + 1 : 2 * n + 1].null_count() == n
    assert out["iv_reason"][-1] == "IV_ABOVE_MAX"
    bad = out.filter(pl.col("iv_reason") != "OK")
    assert bad["iv"].null_count() == bad.height == bad["delta"].null_count()
    assert out.filter(pl.col("iv_reason") == "OK")["iv"].null_count() == 0


def test_missing_columns_raise() -> None:
    chain, _ = _spx_chain(Q)
    with pytest.raises(ValueError, match="bid_1545"):
        option_greeks(chain.drop("bid_1545"), FRED, VALUATION, NO_VX)
    with pytest.raises(ValueError):
        PricingParams(parity_strikes=0)


# --------------------------------------------------------------------------------------------
# Carry, point in time
# --------------------------------------------------------------------------------------------


def test_fedfunds_of_month_m_is_not_used_before_the_first_day_of_m_plus_1() -> None:
    fred = _fred(
        [
            (dt.date(2008, 1, 1), 3.94, None),
            (dt.date(2008, 2, 1), 2.98, None),
            (dt.date(2008, 3, 1), 2.61, None),
        ]
    )
    days = [dt.date(2008, 2, 29), dt.date(2008, 3, 3), dt.date(2008, 3, 31), dt.date(2008, 4, 1)]
    out = carry_asof(days, fred, VALUATION)
    assert out["rate_month"].to_list() == [
        dt.date(2008, 1, 1),
        dt.date(2008, 2, 1),
        dt.date(2008, 2, 1),
        dt.date(2008, 3, 1),
    ]
    expected = [math.log1p(v / 100) for v in (3.94, 2.98, 2.98, 2.61)]
    assert out["rate"].to_list() == pytest.approx(expected, abs=1e-16)
    # through the pricing function: a quote on Feb 29 discounts with January's rate
    chain, _ = _spx_chain(Q)
    priced = option_greeks(
        chain.with_columns(pl.lit(dt.date(2008, 2, 29)).alias("quote_date")), fred, VALUATION, NO_VX
    )
    assert priced["rate"].unique().to_list() == [pytest.approx(math.log1p(0.0394), abs=1e-16)]


def test_fedfunds_vintages_count_from_their_date_and_never_replace_a_newer_month() -> None:
    fred = _fred(
        [
            (dt.date(2008, 1, 1), 3.94, dt.date(2008, 2, 1)),
            (dt.date(2008, 2, 1), 2.98, dt.date(2008, 3, 3)),
            (dt.date(2008, 2, 1), 3.05, dt.date(2008, 3, 10)),  # revision of February
            (dt.date(2008, 1, 1), 4.10, dt.date(2008, 3, 20)),  # late revision of January
        ]
    )
    days = [dt.date(2008, 2, 29), dt.date(2008, 3, 3), dt.date(2008, 3, 10), dt.date(2008, 3, 20)]
    out = carry_asof(days, fred, VALUATION)
    assert out["rate_month"].to_list() == [dt.date(2008, 1, 1)] + [dt.date(2008, 2, 1)] * 3
    expected = [math.log1p(v / 100) for v in (3.94, 2.98, 3.05, 3.05)]
    assert out["rate"].to_list() == pytest.approx(expected, abs=1e-16)


def test_valuation_row_is_not_used_before_its_publication_date() -> None:
    valuation = _valuation(
        [
            (dt.date(2007, 11, 1), dt.date(2008, 2, 1), 1500.0, 30.0, 0.02),
            (dt.date(2007, 12, 1), dt.date(2008, 3, 3), 1480.0, None, 0.021),  # no dividend
        ]
    )
    days = [dt.date(2008, 1, 31), dt.date(2008, 2, 1), dt.date(2008, 2, 29), dt.date(2008, 3, 3)]
    out = carry_asof(days, FRED, valuation)
    assert out["dividend_month"].to_list() == [
        None,
        dt.date(2007, 11, 1),
        dt.date(2007, 11, 1),
        dt.date(2007, 12, 1),
    ]
    expected = [None, math.log1p(0.02), math.log1p(0.02), math.log1p(0.021)]
    assert out["dividend_yield"].to_list() == pytest.approx(expected, abs=1e-16)


def test_warehouse_carry_equals_the_packaged_carry_rule(tmp_path: Path) -> None:
    """From the rows the ingest loads (FRED file, sample valuation file), carry_asof gives
    exactly alvh_assets.sample.carry.daily_carry, the rule the sample chains were priced with."""
    end = dt.date(2018, 12, 31)
    path = tmp_path / "valuation_monthly.csv"
    path.write_text(valuation_text(end)[0])
    valuation = read_valuation(path).accepted
    fred = real_data.fred_series("FEDFUNDS").with_columns(
        pl.lit("FEDFUNDS").alias("series_id"), pl.lit(None, pl.Date).alias("vintage")
    )
    days = trading_days(dt.date(1999, 1, 4), end)
    ours = carry_asof(days, fred, valuation)
    ref = carry.daily_carry(days)
    assert ours["date"].to_list() == ref["date"].to_list()
    np.testing.assert_array_equal(ours["rate"].to_numpy(), ref["rate"].to_numpy())
    # the reader's number parsing may differ from pl.read_csv by an ulp
    np.testing.assert_allclose(
        ours["dividend_yield"].to_numpy(), ref["dividend_yield"].to_numpy(), rtol=1e-15, atol=0
    )


# --------------------------------------------------------------------------------------------
# Speed
# --------------------------------------------------------------------------------------------


def test_a_day_of_4300_rows_prices_well_under_a_second() -> None:
    parts = []
    for days in (3, 10, 17, 24, 31, 45, 59, 80, 108, 171, 290, 654):  # 12 expiries
        K = np.repeat(np.arange(700.0, 1880.0, 6.5), 2)[: 2 * 180]  # 180 strikes, C and P
        call = np.tile([True, False], len(K) // 2)
        t = time_to_expiry(QD, QD + dt.timedelta(days=days), "SPX")
        sig = 0.25 + 0.1 * np.log(K / S) ** 2
        price = bsm_price(S, K, t, R, Q, sig, call)
        chain = _rows(K, call, np.maximum(price - 0.1, 0.0), price + 0.1)
        parts.append(chain.with_columns(pl.lit(QD + dt.timedelta(days=days)).alias("expiration")))
    day = pl.concat(parts).select(OPTION_COLUMNS)
    assert day.height == 4320
    option_greeks(day, FRED, VALUATION, NO_VX)  # warm-up (imports, caches)
    t0 = time.perf_counter()
    out = option_greeks(day, FRED, VALUATION, NO_VX)
    elapsed = time.perf_counter() - t0
    assert out.height == day.height
    assert (out["iv_reason"] == "OK").mean() > 0.95
    assert elapsed < 0.5, elapsed


# VIX weeklies: the VX curve interpolated between the neighbouring expiries. The VX rows are
# the hand-made CFE files of tests/data/real_layouts/cfe_vx (today's layout) read by the
# reader: monthlies 2023-08-16 (Q (Aug 2023)) and 2023-09-20 (U (Sep 2023)), the weekly
# VX35 08/30/2023 between them.
LAYOUTS = Path(__file__).parents[1] / "data" / "real_layouts" / "cfe_vx"
FRED_2023 = _fred([(dt.date(2023, 6, 1), 5.08, None), (dt.date(2023, 7, 1), 5.12, None)])
VALUATION_2023 = _valuation([(dt.date(2023, 5, 1), dt.date(2023, 7, 3), 4180.0, 68.0, 0.016)])


def _layout_vx() -> pl.DataFrame:
    from alvh_assets.ingest.readers.cfe_vx import read_cfe_vx

    return pl.concat([read_cfe_vx(p).accepted for p in sorted(LAYOUTS.glob("VX_*.csv"))])


def _vix_rows(cases: list[tuple[str, dt.date, dt.date]], mids: list[float]) -> pl.DataFrame:
    """One 17-strike call per (root, quote date, expiration), mid ``mids[i]`` (±0.05)."""
    return pl.concat(
        [
            _rows(
                np.array([17.0]),
                np.array([True]),
                np.array([m - 0.05]),
                np.array([m + 0.05]),
                root=root,
                symbol="^VIX",
                quote_date=qd,
                expiration=exp,
                level=15.0,
            )
            for (root, qd, exp), m in zip(cases, mids, strict=True)
        ]
    )


def test_vixw_without_a_vx_settle_is_priced_on_the_interpolated_vx_curve() -> None:
    vx = _layout_vx()
    cases = [
        ("VIXW", dt.date(2023, 8, 14), dt.date(2023, 8, 23)),  # Aug 16 monthly .. Aug 30 weekly
        ("VIXW", dt.date(2023, 8, 17), dt.date(2023, 9, 6)),  # Aug 30 weekly .. Sep 20 monthly
        ("VIXW", dt.date(2023, 8, 15), dt.date(2023, 8, 30)),  # the weekly's own settle
    ]
    # by hand, linear in calendar days between the expiries, on the files' settles
    forwards = [
        15.40 + (16.60 - 15.40) * 7 / 14,  # 16.00
        17.85 + (18.40 - 17.85) * 7 / 21,  # 18.0333…
        17.10,
    ]
    # price each call by hand on its forward at 80% vol, with the T the pricer uses
    first = option_greeks(_vix_rows(cases, [1.0] * 3), FRED_2023, VALUATION_2023, vx)
    r = math.log1p(5.12 / 100)
    prices = [
        _black76_by_hand(f, 17.0, t, r, 0.80, True)[0]
        for f, t in zip(forwards, first["time_to_expiry"].to_list(), strict=True)
    ]
    out = option_greeks(_vix_rows(cases, prices), FRED_2023, VALUATION_2023, vx)
    assert out["forward_source"].to_list() == ["vx_interpolated", "vx_interpolated", "vx_future"]
    np.testing.assert_allclose(out["forward"].to_numpy(), forwards, rtol=0, atol=1e-12)
    assert out["forward"][0] == pytest.approx(16.0, abs=1e-12)
    assert out["forward"][1] == pytest.approx(18.033333333333, abs=1e-9)
    assert out["iv_reason"].to_list() == ["OK"] * 3
    np.testing.assert_allclose(out["iv"].to_numpy(), 0.80, rtol=0, atol=1e-9)


def test_vix_without_a_bracketing_vx_pair_has_no_forward() -> None:
    vx = _layout_vx()
    cases = [
        ("VIX", dt.date(2023, 8, 14), dt.date(2023, 10, 18)),  # after the last VX expiry
        # the Aug 16 monthly expires on the quote date (its settle is the VRO, not a
        # forward): no live expiry before Aug 23
        ("VIXW", dt.date(2023, 8, 16), dt.date(2023, 8, 23)),
    ]
    out = option_greeks(_vix_rows(cases, [1.0, 1.0]), FRED_2023, VALUATION_2023, vx)
    assert out["iv_reason"].to_list() == ["NO_VX_SETTLE"] * 2
    for col in ("forward", "forward_source", "iv"):
        assert out[col].null_count() == 2, col
