"""Indicators (methodology §3): equality with TA-Lib on the real VIX (1990-) and S&P 500
(1999-2018) closes, hand-computed small cases, causality by truncation, and a named real-day
value (VIX RSI(14) on 2008-10-10)."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from alvh_assets.marts import indicators as ind
from alvh_assets.sample.real_data import sp500_daily, vix_daily

talib = pytest.importorskip("talib")

TOL = 1e-9  # absolute, as required against TA-Lib

VIX_RSI14_2008_10_10 = 82.34866105845299
"""TA-Lib ``RSI(close, 14)`` of the Cboe VIX close on Friday 2008-10-10 (close 69.95), over
the full history since 1990-01-02 (the same to 1e-12 when started in 2004)."""


@pytest.fixture(scope="module")
def vix() -> np.ndarray:
    return vix_daily()["close"].to_numpy()


@pytest.fixture(scope="module")
def spx() -> np.ndarray:
    return sp500_daily()["close"].to_numpy()


def _assert_same(ours: np.ndarray, ref: np.ndarray, tol: float = TOL) -> None:
    """Identical NaN positions and ``|ours − ref| <= tol`` elsewhere."""
    assert ours.dtype == np.float64
    assert ours.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    ok = ~np.isnan(ref)
    assert ok.any()
    assert np.max(np.abs(ours[ok] - ref[ok])) <= tol


# --------------------------------------------------------------------------------------------
# TA-Lib parity on real data
# --------------------------------------------------------------------------------------------

PAIRS: dict[str, tuple[Callable, Callable]] = {
    "EMA12": (lambda x: ind.ema(x, 12), lambda x: talib.EMA(x, 12)),
    "EMA26": (lambda x: ind.ema(x, 26), lambda x: talib.EMA(x, 26)),
    "RSI14": (lambda x: ind.rsi_wilder(x, 14), lambda x: talib.RSI(x, 14)),
    "MACD_line": (lambda x: ind.macd(x)[0], lambda x: talib.MACD(x, 12, 26, 9)[0]),
    "MACD_signal": (lambda x: ind.macd(x)[1], lambda x: talib.MACD(x, 12, 26, 9)[1]),
    "MACD_hist": (lambda x: ind.macd(x)[2], lambda x: talib.MACD(x, 12, 26, 9)[2]),
    "SMA20": (lambda x: ind.sma(x, 20), lambda x: talib.SMA(x, 20)),
    "SMA50": (lambda x: ind.sma(x, 50), lambda x: talib.SMA(x, 50)),
    "SMA200": (lambda x: ind.sma(x, 200), lambda x: talib.SMA(x, 200)),
    "MAX20": (lambda x: ind.rolling_max(x, 20), lambda x: talib.MAX(x, 20)),
    "MAX252": (lambda x: ind.rolling_max(x, 252), lambda x: talib.MAX(x, 252)),
    "SUM20": (lambda x: ind.rolling_sum(x, 20), lambda x: talib.SUM(x, 20)),
}


@pytest.mark.parametrize("series", ["vix", "spx"])
@pytest.mark.parametrize("name", list(PAIRS))
def test_matches_talib_on_real_closes(name: str, series: str, request) -> None:
    x = request.getfixturevalue(series)
    ours, ref = PAIRS[name]
    _assert_same(ours(x), ref(x))


def test_sma_is_bit_identical_to_talib(vix, spx) -> None:
    """SMA reproduces TA-Lib's running-sum order exactly (no cumsum-difference drift)."""
    for x in (vix, spx):
        for n in (2, 20, 50, 200):
            np.testing.assert_array_equal(ind.sma(x, n), talib.SMA(x, n))


@pytest.mark.parametrize("name", ["EMA12", "RSI14", "MACD_line", "MACD_signal", "MACD_hist"])
def test_leading_nans_start_after_them_like_talib(name: str, vix) -> None:
    """A series that begins later (a VX contract): the indicator starts at its first value."""
    x = np.r_[np.full(37, np.nan), vix[:3000]]
    ours, ref = PAIRS[name]
    _assert_same(ours(x), ref(x))
    _assert_same(ind.sma(x, 20), talib.SMA(x, 20), tol=0.0)


def test_interior_nan_poisons_the_recursion_like_talib(vix) -> None:
    x = vix[:200].copy()
    x[100] = np.nan
    for name in ("EMA12", "MACD_line", "MACD_signal", "SMA20"):
        ours, ref = PAIRS[name]
        out = ours(x)
        _assert_same(out, ref(x))
        assert np.isnan(out[100:]).all()
    # deliberate deviation: TA-Lib's RSI writes 0.0 (an "oversold" level) after a NaN, we
    # write NaN; before the NaN the two agree
    rsi = ind.rsi_wilder(x)
    assert np.isnan(rsi[100:]).all()
    assert (talib.RSI(x, 14)[100:] == 0.0).all()
    _assert_same(rsi[:100], talib.RSI(x, 14)[:100])


def test_macd_alignment_quirk(vix) -> None:
    """TA-Lib seeds the fast EMA on the slow EMA's seed day (index 25) with the mean of the 12
    closes ending there, so MACD's line is *not* EMA12 − EMA26 at first; all three outputs
    start at index 33 = (26 − 1) + (9 − 1)."""
    line, sig, hist = ind.macd(vix)
    for out in (line, sig, hist):
        assert np.isnan(out[:33]).all()
        assert not np.isnan(out[33:]).any()
    naive = talib.EMA(vix, 12) - talib.EMA(vix, 26)
    assert abs(line[33] - naive[33]) > 1e-6  # the quirk is visible …
    assert abs(talib.MACD(vix)[0][33] - naive[33]) > 1e-6  # … in TA-Lib itself
    # explicit construction: fast EMA seeded at 25 with mean(close[14:26])
    fast = [float(np.mean(vix[14:26]))]
    slow = [float(np.mean(vix[0:26]))]
    for v in vix[26:34]:
        fast.append(fast[-1] + 2 / 13 * (v - fast[-1]))
        slow.append(slow[-1] + 2 / 27 * (v - slow[-1]))
    m = np.array(fast) - np.array(slow)  # MACD values at 25 … 33
    assert line[33] == pytest.approx(m[-1], abs=1e-12)
    assert sig[33] == pytest.approx(np.mean(m), abs=1e-12)  # signal seed = mean of 25 … 33
    # long after the seeds the difference has decayed away
    assert abs(line[2000] - naive[2000]) < 1e-9


def test_macd_swaps_fast_and_slow_like_talib(vix) -> None:
    x = vix[:500]
    for a, b in zip(ind.macd(x, 26, 12, 9), talib.MACD(x, 26, 12, 9), strict=True):
        _assert_same(a, b)
    for a, b in zip(ind.macd(x, 26, 12, 9), ind.macd(x, 12, 26, 9), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("fast", "slow", "signal"), [(2, 3, 1), (3, 10, 4), (5, 35, 5)])
def test_macd_other_periods_match_talib(fast, slow, signal, spx) -> None:
    for a, b in zip(
        ind.macd(spx, fast, slow, signal), talib.MACD(spx, fast, slow, signal), strict=True
    ):
        _assert_same(a, b)


def test_short_inputs_are_all_nan_like_talib() -> None:
    x = np.arange(1.0, 34.0)  # 33 values: one short of MACD's first output
    for a, b in zip(ind.macd(x), talib.MACD(x), strict=True):
        assert np.isnan(a).all() and np.isnan(b).all()
    assert np.isnan(ind.rsi_wilder(x[:14])).all()
    assert np.isnan(ind.ema(x[:2], 3)).all()
    assert np.isnan(ind.sma(np.full(5, np.nan), 2)).all()
    assert ind.ema(np.array([]), 3).shape == (0,)


# --------------------------------------------------------------------------------------------
# named real-day value
# --------------------------------------------------------------------------------------------


def _rsi_plain_python(close: list[float], period: int) -> list[float]:
    """Wilder's RSI written out independently: RS = avg gain / avg loss, RSI = 100 − 100/(1+RS)."""
    out = [math.nan] * len(close)
    gains = [max(close[i] - close[i - 1], 0.0) for i in range(1, len(close))]
    losses = [max(close[i - 1] - close[i], 0.0) for i in range(1, len(close))]
    avg_g = sum(gains[:period]) / period
    avg_l = sum(losses[:period]) / period
    for t in range(period, len(close)):
        if t > period:
            avg_g = (avg_g * (period - 1) + gains[t - 1]) / period
            avg_l = (avg_l * (period - 1) + losses[t - 1]) / period
        out[t] = 100.0 if avg_l == 0 else 100.0 - 100.0 / (1.0 + avg_g / avg_l)
    return out


def test_vix_rsi14_on_2008_10_10(vix) -> None:
    """VIX RSI(14) on 2008-10-10 (VIX closed at 69.95 after 52.05, 53.68, 57.53, 63.92) is
    82.3487: TA-Lib, this module and a plain-Python Wilder loop agree."""
    dates = vix_daily()["date"].to_list()
    i = dates.index(dt.date(2008, 10, 10))
    assert vix[i] == 69.95
    assert talib.RSI(vix, 14)[i] == pytest.approx(VIX_RSI14_2008_10_10, abs=1e-12)
    assert ind.rsi_wilder(vix, 14)[i] == pytest.approx(VIX_RSI14_2008_10_10, abs=1e-12)
    plain = _rsi_plain_python(vix.tolist(), 14)
    assert plain[i] == pytest.approx(VIX_RSI14_2008_10_10, abs=1e-9)
    # the loop agrees with the vectorized RSI on the whole series too
    _assert_same(ind.rsi_wilder(vix, 14), np.array(plain))


# --------------------------------------------------------------------------------------------
# hand-computed small cases
# --------------------------------------------------------------------------------------------


def test_ema_span3_by_hand() -> None:
    """alpha = 2/(3+1) = 0.5; seed mean(2, 4, 6) = 4 at index 2; 0.5·8 + 0.5·4 = 6;
    0.5·3 + 0.5·6 = 4.5; 0.5·9 + 0.5·4.5 = 6.75."""
    x = np.array([2.0, 4.0, 6.0, 8.0, 3.0, 9.0])
    expected = np.array([np.nan, np.nan, 4.0, 6.0, 4.5, 6.75])
    np.testing.assert_array_equal(ind.ema(x, 3), expected)
    np.testing.assert_array_equal(talib.EMA(x, 3), expected)
    # leading NaNs: the same numbers, shifted
    y = np.r_[np.nan, np.nan, x]
    np.testing.assert_array_equal(ind.ema(y, 3), np.r_[np.nan, np.nan, expected])
    np.testing.assert_array_equal(talib.EMA(y, 3), np.r_[np.nan, np.nan, expected])


def test_sma_and_rolling_max_by_hand() -> None:
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0])
    np.testing.assert_array_equal(ind.sma(x, 3), [np.nan, np.nan, 8 / 3, 2.0, 10 / 3, 5.0, 16 / 3])
    np.testing.assert_array_equal(ind.rolling_max(x, 3), [np.nan, np.nan, 4, 4, 5, 9, 9])
    np.testing.assert_array_equal(ind.sma(x, 1), x)
    z = x.copy()
    z[3] = np.nan  # rolling_max: NaN only for the windows containing the NaN
    np.testing.assert_array_equal(
        ind.rolling_max(z, 3), [np.nan, np.nan, 4, np.nan, np.nan, np.nan, 9]
    )


def test_rsi_period3_by_hand() -> None:
    """Diffs +1, −0.5, +1.5, −1, +2. Seed (index 3): G = 2.5/3, L = 0.5/3 → 83.33;
    index 4: G = (2·2.5/3 + 0)/3 = 5/9, L = (2·0.5/3 + 1)/3 = 4/9 → 55.56;
    index 5: G = (2·5/9 + 2)/3 = 28/27, L = (2·4/9)/3 = 8/27 → 77.78."""
    x = np.array([10.0, 11.0, 10.5, 12.0, 11.0, 13.0])
    expected = [np.nan, np.nan, np.nan, 250 / 3, 500 / 9, 700 / 9]
    np.testing.assert_allclose(ind.rsi_wilder(x, 3), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(talib.RSI(x, 3), expected, rtol=0, atol=1e-12)


def test_rsi_edge_levels_follow_talib() -> None:
    flat = np.full(30, 20.0)  # no gains, no losses: TA-Lib writes 0, not 0/0
    _assert_same(ind.rsi_wilder(flat), talib.RSI(flat, 14), tol=0.0)
    assert ind.rsi_wilder(flat)[14] == 0.0
    up = np.arange(1.0, 31.0)
    _assert_same(ind.rsi_wilder(up), talib.RSI(up, 14), tol=0.0)
    assert (ind.rsi_wilder(up)[14:] == 100.0).all()
    down = up[::-1].copy()
    assert (ind.rsi_wilder(down)[14:] == 0.0).all()


def test_macd_small_periods_by_hand() -> None:
    """MACD(2, 4, 2) on 7 points. Slow (alpha 0.4) and fast (alpha 2/3) are both seeded at
    index 3: slow with mean(x[0:4]) = 6, fast with mean(x[2:4]) = 7 (a stand-alone EMA(2)
    would be seeded at index 1). Signal (alpha 2/3) seeded at index 4 with mean(line[3:5])."""
    x = np.array([2.0, 8.0, 6.0, 8.0, 3.0, 9.0, 5.0])
    fast = {3: 7.0}
    slow = {3: 6.0}
    for t in (4, 5, 6):
        fast[t] = fast[t - 1] + 2 / 3 * (x[t] - fast[t - 1])
        slow[t] = slow[t - 1] + 0.4 * (x[t] - slow[t - 1])
    line = {t: fast[t] - slow[t] for t in fast}  # 1.0, −2.0+…, …
    assert line[3] == 1.0 and line[4] == pytest.approx(13 / 3 - 4.8)
    sig = {4: (line[3] + line[4]) / 2}
    for t in (5, 6):
        sig[t] = sig[t - 1] + 2 / 3 * (line[t] - sig[t - 1])
    exp_line = np.array([np.nan] * 4 + [line[t] for t in (4, 5, 6)])
    exp_sig = np.array([np.nan] * 4 + [sig[t] for t in (4, 5, 6)])
    got = ind.macd(x, 2, 4, 2)
    for a, b in zip(got, (exp_line, exp_sig, exp_line - exp_sig), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    for a, b in zip(got, talib.MACD(x, 2, 4, 2), strict=True):
        _assert_same(a, b, tol=1e-12)


def test_macd_crosses_up_and_down_on_known_days() -> None:
    """VIX-like series flat at 20, jumping to 30 on day 60. The MACD line (12/26) jumps by
    30·(2/13 − 2/27) > 0 while the signal moves by only 2/10 of that: cross up on day 60.
    Later the fast EMA catches up, the line decays faster than its signal and crosses below
    it on day 74 (histogram +0.0039 on day 73, −0.0799 on day 74)."""
    x = np.full(90, 20.0)
    x[60:] = 30.0
    line, sig, hist = ind.macd(x)
    assert (hist[33:60] == 0.0).all()  # flat at an exact binary value: exact zeros
    expected = np.zeros(90, dtype=np.int8)
    expected[60] = 1
    expected[74] = -1
    np.testing.assert_array_equal(ind.crossovers(line, sig), expected)
    t_line, t_sig, t_hist = talib.MACD(x, 12, 26, 9)
    np.testing.assert_array_equal(ind.crossovers(t_line, t_sig), expected)
    assert t_hist[73] == pytest.approx(0.0039, abs=1e-4)
    assert t_hist[74] == pytest.approx(-0.0799, abs=1e-4)
    assert line[60] - line[59] == pytest.approx(10 * (2 / 13 - 2 / 27), abs=1e-12)
    assert sig[60] - sig[59] == pytest.approx(0.2 * (line[60] - line[59]), abs=1e-12)
    assert ind.crossovers(line, sig).dtype == np.int8


def test_crossovers_rule() -> None:
    """+1: d from <= 0 to > 0; −1: d from > 0 to <= 0 (so crosses alternate); 0 on NaN."""
    sig = np.zeros(12)
    line = np.array([np.nan, -1, 0, 1, 0, 0, -1, 0, -1, 2, np.nan, 3])
    got = ind.crossovers(line, sig)
    np.testing.assert_array_equal(got, [0, 0, 0, 1, -1, 0, 0, 0, 0, 1, 0, 0])
    assert got.dtype == np.int8
    # touching zero from below and falling back is no cross
    np.testing.assert_array_equal(ind.crossovers([-1.0, 0.0, -1.0], [0.0, 0.0, 0.0]), [0, 0, 0])
    np.testing.assert_array_equal(ind.crossovers([np.nan], [0.0]), [0])
    with pytest.raises(ValueError):
        ind.crossovers([1.0, 2.0], [1.0])


def test_crossovers_eps_ignores_rounding_noise_on_flat_series() -> None:
    for v in (21.1, 0.1, 1234.56, 13.37):  # not exactly representable: EMA seeds are rounded
        line, sig, hist = ind.macd(np.full(300, v))
        assert np.nanmax(np.abs(hist)) < 1e-12
        assert not ind.crossovers(line, sig, eps=1e-12).any()


def test_crossovers_alternate_on_real_vix(vix) -> None:
    c = ind.crossovers(*ind.macd(vix)[:2])
    events = c[c != 0]
    assert len(events) > 100
    assert (events[1:] != events[:-1]).all()  # up, down, up, … never two in a row


def test_realized_vol_formula() -> None:
    """rv[t] = sqrt(252)·stdev(ln returns t−n+1 … t, ddof=1); NaN until n returns exist."""
    close = np.array([100.0, 101.0, 99.0, 102.0, 102.0, 98.0])
    r = [math.log(close[i] / close[i - 1]) for i in range(1, 6)]
    got = ind.realized_vol(close, 3)
    assert np.isnan(got[:3]).all()
    for t in (3, 4, 5):
        assert got[t] == pytest.approx(math.sqrt(252) * statistics.stdev(r[t - 3 : t]), abs=1e-13)


def test_realized_vol_on_real_spx_matches_plain_python(spx) -> None:
    got = ind.realized_vol(spx, 20)
    r = [math.log(spx[i] / spx[i - 1]) for i in range(1, len(spx))]
    ref = [math.nan] * 20 + [
        math.sqrt(252) * statistics.stdev(r[t - 20 : t]) for t in range(20, len(spx))
    ]
    _assert_same(got, np.array(ref), tol=1e-12)
    assert np.nanmin(got) > 0.03 and np.nanmax(got) < 1.5  # plausible annualized decimals


def test_iv_rank_and_percentile_by_hand() -> None:
    x = np.array([20.0, 30.0, 10.0, 25.0, 25.0, 40.0, 10.0])
    # window 4: [20,30,10,25] → (25−10)/(30−10) = 0.75; [30,10,25,25] → 15/20; …
    np.testing.assert_allclose(
        ind.iv_rank(x, 4), [np.nan] * 3 + [0.75, 0.75, 1.0, 0.0], rtol=0, atol=1e-15
    )
    # strictly below today, out of the 4 values in the window (today included)
    np.testing.assert_array_equal(
        ind.iv_percentile(x, 4), [np.nan] * 3 + [2 / 4, 1 / 4, 3 / 4, 0.0]
    )
    assert np.isnan(ind.iv_rank(np.full(6, 15.0), 3)[2:]).all()  # flat window: no rank
    z = x.copy()
    z[1] = np.nan
    assert np.isnan(ind.iv_percentile(z, 4)[3:5]).all()
    assert not np.isnan(ind.iv_percentile(z, 4)[5])


def test_iv_rank_and_percentile_on_real_vix_match_plain_python(vix) -> None:
    rank = ind.iv_rank(vix, 252)
    pct = ind.iv_percentile(vix, 252)
    assert np.isnan(rank[:251]).all() and np.isnan(pct[:251]).all()
    for t in range(251, len(vix), 97):
        w = vix[t - 251 : t + 1].tolist()
        assert rank[t] == (vix[t] - min(w)) / (max(w) - min(w))
        assert pct[t] == sum(v < vix[t] for v in w) / 252
    assert np.nanmax(pct) <= 251 / 252


# --------------------------------------------------------------------------------------------
# breadth
# --------------------------------------------------------------------------------------------


def test_ad_line() -> None:
    got = ind.ad_line([1500, 1200, 900], [1000, 1400, 2100], base=100_000)
    np.testing.assert_array_equal(got, [100_500.0, 100_300.0, 99_100.0])
    np.testing.assert_array_equal(ind.ad_line([3, 1], [1, 4]), [2.0, -1.0])
    assert ind.ad_line([3, 1], [1, 4]).dtype == np.float64


# Hand-worked base-free divergence (methodology §3), lookback 3, threshold 2%:
#   day            0      1      2      3      4
#   advances    1050   1050   1650   1700   1700
#   declines     950    950   1350   1800   1800
#   net          100    100    300   -100   -100
#   A/D line     100    200    500    400    300      (cumulative, base 0)
#   issues      2000   2000   3000   3500   3500
#   SPX         1000   1010   1005   1008   1012      (day 4 at its 3-day closing high)
# Day 4: 3-day A/D high H = 500, shortfall H − ad = 200; 3-day issues traded
# V = 3000 + 3500 + 3500 = 10,000 and 2% of it is 200: "at least" → divergence.
DIV_SPX = [1000.0, 1010.0, 1005.0, 1008.0, 1012.0]
DIV_ADV = [1050.0, 1050.0, 1650.0, 1700.0, 1700.0]
DIV_DEC = [950.0, 950.0, 1350.0, 1800.0, 1800.0]


def test_ad_divergence_hand_worked_at_the_threshold() -> None:
    got = ind.ad_divergence(DIV_SPX, DIV_ADV, DIV_DEC, lookback=3, threshold=0.02)
    np.testing.assert_array_equal(got, [False, False, False, False, True])
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(
        ind.rolling_sum(np.add(DIV_ADV, DIV_DEC), 3), [np.nan, np.nan, 7000.0, 8500.0, 10000.0]
    )
    # a threshold of 2.01% needs 201 > 200: no divergence
    assert not ind.ad_divergence(DIV_SPX, DIV_ADV, DIV_DEC, 3, 0.0201).any()


def test_ad_divergence_just_misses_the_threshold() -> None:
    # day 4 with declines 1799: net −99, shortfall 500 − 301 = 199 < 2% of 9,999 = 199.98
    dec = [*DIV_DEC[:4], 1799.0]
    assert not ind.ad_divergence(DIV_SPX, DIV_ADV, dec, 3, 0.02).any()
    # A/D far enough below its high, but SPX 1007 below day 3's 1008: no divergence
    assert not ind.ad_divergence([*DIV_SPX[:4], 1007.0], DIV_ADV, DIV_DEC, 3, 0.02).any()


def test_ad_divergence_is_base_free_where_the_old_level_rule_was_not() -> None:
    """The old rule (A/D line ≥ 2% below its high *as a share of the line's level*) gave
    different days for the same breadth depending on the line's arbitrary starting value;
    the shortfall against issues traded only sees the breadth."""
    spx = np.array(DIV_SPX)
    ad = ind.ad_line(DIV_ADV, DIV_DEC)  # 100 … 300, base 0
    # with base 1,000: 1,300 <= 0.98 × 1,500 = 1,470 (old rule fires); base 100,000:
    # 100,300 > 0.98 × 100,500 = 98,490 (old rule silent) — same breadth, different answer
    line = ad + 1_000.0
    assert line[-1] <= 0.98 * ind.rolling_max(line, 3)[-1]
    line = ad + 100_000.0
    assert not line[-1] <= 0.98 * ind.rolling_max(line, 3)[-1]
    # the new rule takes the counts themselves: one answer
    assert ind.ad_divergence(spx, DIV_ADV, DIV_DEC, 3, 0.02)[-1]


def test_ad_divergence_matches_a_plain_loop_on_real_spx(spx) -> None:
    """Random breadth beside the real S&P 500 closes, the rule re-derived day by day."""
    rng = np.random.default_rng(7)
    adv = rng.integers(800, 2200, len(spx)).astype(float)
    dec = rng.integers(800, 2200, len(spx)).astype(float)
    ours = ind.ad_divergence(spx, adv, dec, 20, 0.02)
    ad = np.cumsum(adv - dec)
    ref = np.zeros(len(spx), dtype=bool)
    for t in range(19, len(spx)):
        w = slice(t - 19, t + 1)
        short = max(ad[w]) - ad[t]
        ref[t] = spx[t] >= max(spx[w]) and short > 0 and short >= 0.02 * sum(adv[w] + dec[w])
    np.testing.assert_array_equal(ours, ref)
    assert ours.sum() > 10


def test_ad_divergence_nan_and_validation() -> None:
    adv = [*DIV_ADV[:3], np.nan, DIV_ADV[4]]
    assert not ind.ad_divergence(DIV_SPX, adv, DIV_DEC, 3, 0.02).any()
    with pytest.raises(ValueError, match="differ in length"):
        ind.ad_divergence(DIV_SPX, DIV_ADV[:4], DIV_DEC, 3, 0.02)
    with pytest.raises(ValueError, match="threshold"):
        ind.ad_divergence(DIV_SPX, DIV_ADV, DIV_DEC, 3, -0.01)


def test_persist_counts_a_signal_for_n_sessions() -> None:
    flags = [False, True, False, False, False, False, False, True, False]
    np.testing.assert_array_equal(
        ind.persist(flags, 5), [False, True, True, True, True, True, False, True, True]
    )
    np.testing.assert_array_equal(ind.persist(flags, 1), flags)
    np.testing.assert_array_equal(ind.persist(np.array([np.nan, 1.0, 0.0]), 2), [False, True, True])


# --------------------------------------------------------------------------------------------
# causality, input types, validation, speed
# --------------------------------------------------------------------------------------------

CAUSAL: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "ema": lambda x: ind.ema(x, 26),
    "sma": lambda x: ind.sma(x, 200),
    "rsi": lambda x: ind.rsi_wilder(x, 14),
    "macd_line": lambda x: ind.macd(x)[0],
    "macd_signal": lambda x: ind.macd(x)[1],
    "macd_hist": lambda x: ind.macd(x)[2],
    "crossovers": lambda x: ind.crossovers(*ind.macd(x)[:2]),
    "rolling_max": lambda x: ind.rolling_max(x, 20),
    "realized_vol": lambda x: ind.realized_vol(x, 20),
    "iv_rank": lambda x: ind.iv_rank(x, 252),
    "iv_percentile": lambda x: ind.iv_percentile(x, 252),
    "ad_divergence": lambda x: ind.ad_divergence(
        x, np.nan_to_num(10 * np.sqrt(x)), np.nan_to_num(2 * x), 20
    ),
    "rolling_sum": lambda x: ind.rolling_sum(x, 20),
    "persist": lambda x: ind.persist(x > 30, 5),
}


@pytest.mark.parametrize("name", list(CAUSAL))
def test_truncation_leaves_past_values_bit_identical(name: str, vix) -> None:
    x = np.r_[np.full(5, np.nan), vix]  # with a late start, as for a VX contract
    f = CAUSAL[name]
    full = f(x)
    for t in (5, 17, 30, 38, 39, 40, 256, 257, 1000, 4731, len(x) - 2):
        np.testing.assert_array_equal(f(x[: t + 1]), full[: t + 1], err_msg=f"cut at {t}")


def test_ad_line_truncation() -> None:
    rng = np.random.default_rng(1)
    adv, dec = rng.integers(500, 2500, (2, 300)).astype(float)
    full = ind.ad_line(adv, dec, 100_000)
    for t in (0, 1, 150, 298):
        np.testing.assert_array_equal(
            ind.ad_line(adv[: t + 1], dec[: t + 1], 100_000), full[: t + 1]
        )


def test_accepts_polars_series_and_lists(vix) -> None:
    s = pl.Series("close", [None, *vix[:300].tolist()], dtype=pl.Float64)
    _assert_same(ind.ema(s, 12), talib.EMA(np.r_[np.nan, vix[:300]], 12))
    _assert_same(ind.rsi_wilder(vix[:300].tolist()), talib.RSI(vix[:300], 14))


def test_validation() -> None:
    with pytest.raises(ValueError):
        ind.ema(np.ones((3, 3)), 2)
    with pytest.raises(ValueError):
        ind.ema(np.ones(5), 0)
    with pytest.raises(ValueError):
        ind.sma(np.ones(5), 2.5)
    with pytest.raises(ValueError):
        ind.realized_vol(np.ones(5), 1)
    with pytest.raises(ValueError):
        ind.ad_divergence(np.ones(5), np.ones(4), np.ones(5))
    with pytest.raises(ValueError):
        ind.ad_divergence(np.ones(5), np.ones(5), np.ones(5), threshold=-0.1)
    with pytest.raises(ValueError):
        ind.persist(np.ones(5), 0)
