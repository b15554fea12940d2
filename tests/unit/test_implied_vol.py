"""Implied volatility: round trips, reason codes, robustness, QuantLib and py_vollib.

Information criterion used by the round-trip tests (documented in ``implied_vol``): a price
``P`` known to relative precision ``eps`` determines sigma only to ``eps * P / vega``
(``vega = dP/dsigma``). A case is *informative* when that bound is <= 1e-10 and the normalised
out-of-the-money price ``beta`` is >= ``BETA_MIN`` (1e-300); there the IV must be OK and within
1e-8 of the true sigma. Elsewhere (deep in/out of the money, short-dated, low vol) the result
must be OK and within ``1e-8 + 512 eps P / vega`` of sigma (the normalised Black function
itself is accurate to ~4e-14 ~ 180 eps relative), or NaN with ``ZERO_PRICE``.

On the 22,550-point grid below (deliberately including 1-day, 5%-vol, K/S = 2 options that
are 100+ standard deviations out of the money) 80.7% of the cases are informative; the other
19.3% are 15.1% ``ZERO_PRICE`` (OTM price below 1e-300 or ITM time value rounded away) and 4.2%
OK-but-ill-conditioned deep ITM prices. Every excluded case is more than 4 standard deviations
(``|ln(F/K)| / (sigma sqrt(T))``) from the forward, and the tests assert exactly that.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pytest

from alvh_assets.pricing import (
    BETA_MIN,
    IVReason,
    IVResult,
    black76_greeks,
    black76_price,
    bsm_greeks,
    bsm_price,
    implied_vol_black76,
    implied_vol_bsm,
)
from alvh_assets.pricing import implied_vol as ivm

ql = pytest.importorskip("QuantLib")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # py_vollib is an alias of vollib
    from py_vollib.black.implied_volatility import implied_volatility as vollib_iv_black
    from py_vollib.black_scholes_merton.implied_volatility import (
        implied_volatility as vollib_iv_bsm,
    )

EPS = float(np.finfo(np.float64).eps)
S0 = 100.0


def _grid(n_k: int = 41, n_v: int = 25) -> tuple[np.ndarray, ...]:
    """K/S 0.5-2, T 1 day - 3 years, vol 5%-300%, calls and puts."""
    k = S0 * np.geomspace(0.5, 2.0, n_k)
    t = np.array([1, 2, 7, 14, 30, 61, 91, 182, 365, 730, 1095]) / 365.0
    v = np.geomspace(0.05, 3.0, n_v)
    c = np.array([True, False])
    return tuple(a.ravel() for a in np.meshgrid(k, t, v, c, indexing="ij"))


def _check_round_trip(
    res: IVResult, sigma: np.ndarray, price: np.ndarray, vega: np.ndarray, sd_dist: np.ndarray
) -> tuple[int, int]:
    """Assert the round-trip contract; returns (#informative, #excluded)."""
    with np.errstate(all="ignore"):
        info_err = EPS * price / vega  # sigma error from one ulp of price
    informative = (info_err <= 1e-10) & (res.reason != IVReason.ZERO_PRICE)
    err = np.abs(res.iv - sigma)
    assert np.all(res.reason[informative] == IVReason.OK)
    assert np.max(err[informative]) <= 1e-8, np.max(err[informative])
    assert res.iv.dtype == np.float64 and res.reason.dtype == np.int8

    excluded = ~informative
    ok = excluded & (res.reason == IVReason.OK)
    zero = excluded & (res.reason == IVReason.ZERO_PRICE)
    assert np.all((ok | zero)[excluded])  # nothing else is allowed
    assert np.all(np.isnan(res.iv[zero]))
    assert np.all(err[ok] <= 1e-8 + 512.0 * info_err[ok])
    # The excluded cases are the ones far from the money in standard deviations:
    # |ln(F/K)| / (sigma sqrt(T)) > 4 for every one of them.
    assert np.all(sd_dist[excluded] > 4.0), np.min(sd_dist[excluded])
    return int(informative.sum()), int(excluded.sum())


@pytest.mark.parametrize(("r", "q"), [(0.045, 0.013), (-0.006, 0.025)])
def test_bsm_round_trip_grid(r: float, q: float) -> None:
    K, T, V, C = _grid()
    g = bsm_greeks(S0, K, T, r, q, V, C)
    res = implied_vol_bsm(g.price, S0, K, T, r, q, C)
    F = S0 * np.exp((r - q) * T)
    sd_dist = np.abs(np.log(F / K)) / (V * np.sqrt(T))
    n_info, n_excl = _check_round_trip(res, V, g.price, g.vega, sd_dist)
    # All options within 4 standard deviations of the forward are informative, and the
    # excluded set is a minority even of this deliberately extreme grid.
    assert n_info > 0.8 * K.size, (n_info, n_excl)
    assert np.sum(res.reason == IVReason.ZERO_PRICE) < 0.16 * K.size


def test_black76_round_trip_grid() -> None:
    K, T, V, C = _grid()
    F, r = 25.0, 0.045
    K = K * F / S0
    g = black76_greeks(F, K, T, r, V, C)
    res = implied_vol_black76(g.price, F, K, T, r, C)
    sd_dist = np.abs(np.log(F / K)) / (V * np.sqrt(T))
    n_info, n_excl = _check_round_trip(res, V, g.price, g.vega, sd_dist)
    assert n_info > 0.8 * K.size, (n_info, n_excl)


def test_round_trip_is_accurate_to_machine_precision_where_well_conditioned() -> None:
    # Near the money the relative error should be at the 1e-15 level, not merely 1e-8.
    K = S0 * np.geomspace(0.8, 1.25, 31)
    T = np.array([7, 30, 182, 730]) / 365.0
    V = np.geomspace(0.08, 1.5, 9)
    K, T, V, C = (a.ravel() for a in np.meshgrid(K, T, V, [True, False], indexing="ij"))
    F = S0 * np.exp(0.03 * T)
    near = np.abs(np.log(F / K)) / (V * np.sqrt(T)) < 2.0  # within 2 standard deviations
    K, T, V, C = K[near], T[near], V[near], C[near]
    assert K.size > 1000
    p = bsm_price(S0, K, T, 0.04, 0.01, V, C)
    res = implied_vol_bsm(p, S0, K, T, 0.04, 0.01, C)
    assert np.all(res.reason == IVReason.OK)
    assert np.max(np.abs(res.iv / V - 1.0)) < 1e-13


def test_excluded_cases_are_tiny_or_swamped_prices() -> None:
    # Documented criterion, shown directly: an underflowed OTM price gives ZERO_PRICE, a deep
    # ITM price whose time value is below the rounding of its intrinsic value gives an OK but
    # information-free vol or ZERO_PRICE, never a wrong reason.
    p_otm = bsm_price(100.0, 200.0, 1 / 365, 0.04, 0.0, 0.05, True)  # underflows to 0
    assert float(p_otm) == 0.0
    tiny = implied_vol_bsm(1e-305, 100.0, 200.0, 1 / 365, 0.04, 0.0, True)  # beta < BETA_MIN
    assert tiny.reason == IVReason.ZERO_PRICE and np.isnan(tiny.iv)
    p_itm = bsm_price(100.0, 50.0, 1 / 365, 0.04, 0.0, 0.05, True)
    res = implied_vol_bsm(p_itm, 100.0, 50.0, 1 / 365, 0.04, 0.0, True)
    assert res.reason == IVReason.ZERO_PRICE  # time value is exactly 0 after rounding
    assert BETA_MIN == 1e-300


# --------------------------------------------------------------------------------------------
# Reason codes and robustness
# --------------------------------------------------------------------------------------------


def test_every_reason_code() -> None:
    S, K, T, r, q = 100.0, 110.0, 0.5, 0.05, 0.02
    F = S * math.exp((r - q) * T)
    D = math.exp(-r * T)
    fair = float(bsm_price(S, K, T, r, q, 0.3, True))
    fair_put = float(bsm_price(S, K, T, r, q, 0.3, False))
    cases = [
        # (price, S, K, T, is_call, expected)
        (fair, S, K, T, True, IVReason.OK),
        (fair_put, S, K, T, False, IVReason.OK),
        (1.0, S, K, 0.0, True, IVReason.ZERO_TIME),
        (1.0, S, K, -0.1, True, IVReason.ZERO_TIME),
        (0.0, S, K, T, True, IVReason.ZERO_PRICE),
        (1e-305, S, K, T, True, IVReason.ZERO_PRICE),
        (D * (K - F) * 0.999, S, K, T, False, IVReason.BELOW_INTRINSIC),
        (D * (K - F), S, K, T, False, IVReason.ZERO_PRICE),  # exactly intrinsic: no time value
        (S * math.exp(-q * T), S, K, T, True, IVReason.ABOVE_UPPER_BOUND),
        (K * D * 1.001, S, K, T, False, IVReason.ABOVE_UPPER_BOUND),
        (np.nan, S, K, T, True, IVReason.INVALID_INPUT),
        (fair, np.inf, K, T, True, IVReason.INVALID_INPUT),
        (fair, S, -K, T, True, IVReason.INVALID_INPUT),
        (fair, S, 0.0, T, True, IVReason.INVALID_INPUT),
        (fair, -S, K, T, True, IVReason.INVALID_INPUT),
        (-1.0, S, K, T, True, IVReason.INVALID_INPUT),
        (fair, S, K, np.nan, True, IVReason.INVALID_INPUT),
    ]
    price, S_, K_, T_, C, expected = (np.array(c) for c in zip(*cases, strict=True))
    res = implied_vol_bsm(price, S_, K_, T_, r, q, C.astype(bool))
    np.testing.assert_array_equal(res.reason, expected.astype(np.int8))
    assert np.all(np.isnan(res.iv) == (res.reason != IVReason.OK))
    assert res.iv[0] == pytest.approx(0.3, abs=1e-14) and res.iv[1] == pytest.approx(0.3, abs=1e-14)
    assert {int(c) for c in res.reason} == {int(c) for c in IVReason} - {IVReason.NOT_CONVERGED}

    # Black-76 uses the same rules with the futures price; invalid rate is INVALID_INPUT.
    res76 = implied_vol_black76(
        [1.0, 1.0, 0.0, 30.0, 0.5, 1.0],
        [25.0, 25.0, 25.0, 25.0, 25.0, 25.0],
        [30.0, 30.0, 30.0, 20.0, 20.0, 30.0],
        [0.08, 0.0, 0.08, 0.08, 0.08, 0.08],
        [0.05, 0.05, 0.05, 0.05, 0.05, np.nan],
        [True, True, True, True, True, True],
    )
    np.testing.assert_array_equal(
        res76.reason,
        [
            IVReason.OK,
            IVReason.ZERO_TIME,
            IVReason.ZERO_PRICE,
            IVReason.ABOVE_UPPER_BOUND,
            IVReason.BELOW_INTRINSIC,
            IVReason.INVALID_INPUT,
        ],
    )


def test_not_converged_path_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    # The safety net cannot be reached with realistic inputs; force it by allowing a single
    # iteration and an impossible step tolerance.
    monkeypatch.setattr(ivm, "_MAX_ITERATIONS", 1)
    monkeypatch.setattr(ivm, "_STEP_TOL", 0.0)
    res = implied_vol_bsm(
        bsm_price(100.0, 120.0, 0.5, 0.0, 0.0, 0.25, True), 100.0, 120.0, 0.5, 0.0, 0.0, True
    )
    assert res.reason == IVReason.NOT_CONVERGED and np.isnan(res.iv)


def test_never_raises_or_warns_on_garbage_and_extremes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ivm, "_BLOCK", 4096)  # many cache blocks, including a partial one
    rng = np.random.default_rng(11)
    n = 50_000
    pool = np.array([np.nan, np.inf, -np.inf, 0.0, -1.0, 1e-320, 1e-300, 1e300, 5e-324])

    def col(lo: float, hi: float) -> np.ndarray:
        a = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
        m = rng.random(n) < 0.05
        a[m] = rng.choice(pool, m.sum())
        return a

    price, S, K, T = col(1e-12, 1e3), col(1e-3, 1e6), col(1e-3, 1e6), col(1e-6, 50.0)
    r, q = rng.uniform(-0.1, 0.2, n), rng.uniform(-0.1, 0.2, n)
    C = rng.random(n) < 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = implied_vol_bsm(price, S, K, T, r, q, C)
        res76 = implied_vol_black76(price, S, K, T, r, C)
    for out in (res, res76):
        assert set(np.unique(out.reason)) <= {int(c) for c in IVReason}
        assert np.all(np.isnan(out.iv) == (out.reason != IVReason.OK))
        assert np.all(out.iv[out.reason == IVReason.OK] > 0)
    # Every OK result reprices its input (relative 1e-9, or within the information bound).
    ok = res.reason == IVReason.OK
    g = bsm_greeks(S[ok], K[ok], T[ok], r[ok], q[ok], res.iv[ok], C[ok])
    assert np.all(np.abs(g.price - price[ok]) <= 1e-9 * price[ok] + 1e-300)
    assert ok.sum() > 0.3 * n


def test_extreme_moneyness_and_volatility_round_trip() -> None:
    # Far outside realistic chains but inside |ln(F/K)| <= 700: still exact where informative.
    x = -np.geomspace(1e-14, 600.0, 60)
    s = np.geomspace(1e-4, 80.0, 60)
    X, Sd = (a.ravel() for a in np.meshgrid(x, s, indexing="ij"))
    F, T = 1.0, 1.0
    K = F * np.exp(-X)
    g = black76_greeks(F, K, T, 0.0, Sd, True)
    res = implied_vol_black76(g.price, F, K, T, 0.0, True)
    with np.errstate(all="ignore"):
        info_err = EPS * g.price / g.vega
    ok = res.reason == IVReason.OK
    # huge s: the price rounds to the upper bound D F, which carries no information either
    saturated = (res.reason == IVReason.ABOVE_UPPER_BOUND) & (g.price >= F * (1 - 4 * EPS))
    assert np.all(ok | (res.reason == IVReason.ZERO_PRICE) | saturated)
    assert ok.sum() > 0.6 * X.size
    assert np.all(np.abs(res.iv[ok] - Sd[ok]) <= 1e-12 * Sd[ok] + 64 * info_err[ok])


def test_shapes_and_broadcasting() -> None:
    K = np.array([[90.0], [100.0], [110.0]])
    T = np.array([0.1, 0.5, 1.0, 2.0])
    p = bsm_price(100.0, K, T, 0.03, 0.01, 0.25, True)
    res = implied_vol_bsm(p, 100.0, K, T, 0.03, 0.01, True)
    assert res.iv.shape == (3, 4) and res.reason.shape == (3, 4)
    np.testing.assert_allclose(res.iv, 0.25, rtol=1e-14)
    scalar = implied_vol_black76(1.2, 25.0, 30.0, 0.08, 0.05, True)
    assert scalar.iv.shape == () and scalar.reason.shape == ()
    empty = implied_vol_bsm(np.array([]), 100.0, 100.0, 1.0, 0.0, 0.0, True)
    assert empty.iv.shape == (0,)
    # inputs (contiguous float64, i.e. used without copying) are never modified in place
    Kf = np.repeat(K[:, 0], 4)
    Tf, pf = np.tile(T, 3), p.ravel().copy()
    saved = (Kf.copy(), Tf.copy(), pf.copy())
    implied_vol_bsm(pf, 100.0, Kf, Tf, 0.03, 0.01, True)
    implied_vol_black76(pf, 100.0, Kf, Tf, 0.03, True)
    for a, b in zip((Kf, Tf, pf), saved, strict=True):
        np.testing.assert_array_equal(a, b)


def test_large_array_is_vectorized_and_fast() -> None:
    rng = np.random.default_rng(3)
    n = 400_000
    K = S0 * np.exp(rng.uniform(np.log(0.7), np.log(1.4), n))
    T = np.exp(rng.uniform(np.log(7 / 365), np.log(2.0), n))
    V = np.exp(rng.uniform(np.log(0.08), np.log(1.2), n))
    C = rng.random(n) < 0.5
    F = S0 * np.exp(0.03 * T)
    near = np.abs(np.log(F / K)) / (V * np.sqrt(T)) < 4.0  # price carries the information
    K, T, V, C = K[near], T[near], V[near], C[near]
    p = bsm_price(S0, K, T, 0.04, 0.01, V, C)

    t0 = time.perf_counter()
    res = implied_vol_bsm(p, S0, K, T, 0.04, 0.01, C)
    elapsed = time.perf_counter() - t0
    assert np.all(res.reason == IVReason.OK)
    assert np.max(np.abs(res.iv - V)) < 1e-10
    assert elapsed < 2.0  # ~0.15 s on one core; generous bound for loaded CI machines


# --------------------------------------------------------------------------------------------
# Independent libraries
# --------------------------------------------------------------------------------------------

IV_CASES = [
    # S, K, days, r, q, vol, call
    (100.0, 100.0, 30, 0.045, 0.013, 0.2, True),
    (100.0, 80.0, 365, 0.045, 0.013, 0.35, False),
    (100.0, 150.0, 730, 0.03, 0.02, 0.6, True),
    (100.0, 60.0, 7, 0.05, 0.0, 1.5, True),
    (100.0, 190.0, 1095, -0.004, 0.01, 0.15, False),
    (4500.0, 4300.0, 45, 0.052, 0.015, 0.18, False),
    (4500.0, 4800.0, 3, 0.052, 0.015, 0.12, True),
    (100.0, 55.0, 90, 0.02, 0.03, 2.8, False),
    (100.0, 125.0, 182, 0.04, 0.01, 0.07, True),
]


@pytest.mark.parametrize(("S", "K", "days", "r", "q", "vol", "call"), IV_CASES)
def test_bsm_iv_matches_quantlib_and_py_vollib(
    S: float, K: float, days: int, r: float, q: float, vol: float, call: bool
) -> None:
    T = days / 365
    today = ql.Date(2, ql.January, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(S)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), 0.3, dc)),
    )
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if call else ql.Option.Put, K)
    option = ql.VanillaOption(payoff, ql.EuropeanExercise(today + days))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    # Price with QuantLib's own engine at the true vol, then invert with all three.
    vol_process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(S)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, dc)),
    )
    option.setPricingEngine(ql.AnalyticEuropeanEngine(vol_process))
    price = option.NPV()
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    ql_iv = option.impliedVolatility(price, process, 1e-14, 1000, 1e-4, 5.0)
    vl_iv = vollib_iv_bsm(price, S, K, T, r, q, "c" if call else "p")
    ours = implied_vol_bsm(price, S, K, T, r, q, call)
    assert ours.reason == IVReason.OK
    assert float(ours.iv) == pytest.approx(ql_iv, abs=1e-8)
    assert float(ours.iv) == pytest.approx(vl_iv, abs=1e-8)
    assert float(ours.iv) == pytest.approx(vol, abs=1e-8)


def test_black76_iv_matches_quantlib_and_py_vollib() -> None:
    rng = np.random.default_rng(5)
    n = 300
    F = 25.0
    K = F * np.exp(rng.uniform(np.log(0.6), np.log(1.7), n))
    T = np.exp(rng.uniform(np.log(7 / 365), np.log(1.5), n))
    V = np.exp(rng.uniform(np.log(0.3), np.log(2.0), n))  # VIX-option vols
    C = rng.random(n) < 0.5
    r = 0.045
    sd_dist = np.abs(np.log(F / K)) / (V * np.sqrt(T))
    keep = sd_dist < 3.0  # informative prices, where the three solvers must agree
    K, T, V, C = K[keep], T[keep], V[keep], C[keep]
    disc = np.exp(-r * T)
    ql_price = np.array(
        [
            ql.blackFormula(ql.Option.Call if c else ql.Option.Put, k, F, v * math.sqrt(t), d)
            for k, t, v, c, d in zip(K, T, V, C, disc, strict=True)
        ]
    )
    np.testing.assert_allclose(black76_price(F, K, T, r, V, C), ql_price, rtol=1e-10)
    ql_iv = np.array(
        [
            ql.blackFormulaImpliedStdDev(
                ql.Option.Call if c else ql.Option.Put, k, F, p, d, 0.0, 0.5, 1e-14, 1000
            )
            / math.sqrt(t)
            for k, t, c, p, d in zip(K, T, C, ql_price, disc, strict=True)
        ]
    )
    vl_iv = np.array(
        [
            vollib_iv_black(p, F, k, r, t, "c" if c else "p")
            for k, t, c, p in zip(K, T, C, ql_price, strict=True)
        ]
    )
    ours = implied_vol_black76(ql_price, F, K, T, r, C)
    assert np.all(ours.reason == IVReason.OK)
    np.testing.assert_allclose(ours.iv, ql_iv, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.iv, vl_iv, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.iv, V, rtol=0, atol=1e-8)


def test_vix_like_black76_iv() -> None:
    F, K, T, sigma, r = 25.0, 30.0, 0.08, 1.0, 0.05

    def ncdf(z: float) -> float:
        return 0.5 * math.erfc(-z / math.sqrt(2.0))

    sd = sigma * math.sqrt(T)
    d1 = (math.log(F / K) + 0.5 * sd * sd) / sd
    call = math.exp(-r * T) * (F * ncdf(d1) - K * ncdf(d1 - sd))  # hand-computed Black-76
    res = implied_vol_black76(call, F, K, T, r, True)
    assert res.reason == IVReason.OK
    assert float(res.iv) == pytest.approx(sigma, abs=1e-13)
