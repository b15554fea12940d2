"""Black-Scholes-Merton / Black-76 prices and Greeks: parity, finite differences, QuantLib,
py_vollib and a hand-computed VIX-like Black-76 case."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from alvh_assets.pricing import (
    Greeks,
    black76_greeks,
    black76_price,
    bsm_greeks,
    bsm_price,
)

ql = pytest.importorskip("QuantLib")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # py_vollib is an alias of vollib
    from py_vollib.black import black as vollib_black
    from py_vollib.black_scholes_merton import black_scholes_merton as vollib_bsm

S0 = 100.0


def _grid() -> tuple[np.ndarray, ...]:
    """Moneyness 0.5-2, maturity 1 day - 3 years, vol 5%-300%, calls and puts (flat arrays)."""
    k = S0 * np.geomspace(0.5, 2.0, 13)
    t = np.array([1 / 365, 7 / 365, 30 / 365, 0.25, 1.0, 3.0])
    v = np.geomspace(0.05, 3.0, 7)
    c = np.array([True, False])
    K, T, V, C = (a.ravel() for a in np.meshgrid(k, t, v, c, indexing="ij"))
    return K, T, V, C


# --------------------------------------------------------------------------------------------
# Put-call parity
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("r", "q"), [(0.045, 0.013), (-0.005, 0.03), (0.0, 0.0)])
def test_put_call_parity_bsm(r: float, q: float) -> None:
    K, T, V, _ = _grid()
    call = bsm_price(S0, K, T, r, q, V, True)
    put = bsm_price(S0, K, T, r, q, V, False)
    forward_value = S0 * np.exp(-q * T) - K * np.exp(-r * T)
    np.testing.assert_allclose(call - put, forward_value, rtol=0, atol=1e-10)
    assert np.all(call >= 0.0) and np.all(put >= 0.0)


@pytest.mark.parametrize("r", [0.045, -0.005])
def test_put_call_parity_black76(r: float) -> None:
    K, T, V, _ = _grid()
    F = 25.0 * K / S0  # VIX-like futures levels 12.5-50
    call = black76_price(25.0, F, T, r, V, True)
    put = black76_price(25.0, F, T, r, V, False)
    np.testing.assert_allclose(call - put, np.exp(-r * T) * (25.0 - F), rtol=0, atol=1e-10)


# --------------------------------------------------------------------------------------------
# Greeks vs central finite differences
# --------------------------------------------------------------------------------------------


def _fd_grid() -> tuple[np.ndarray, ...]:
    k = S0 * np.geomspace(0.6, 1.6, 7)
    t = np.array([10 / 365, 0.25, 1.0, 3.0])
    v = np.array([0.08, 0.25, 0.9, 2.5])
    c = np.array([True, False])
    K, T, V, C = (a.ravel() for a in np.meshgrid(k, t, v, c, indexing="ij"))
    return K, T, V, C


def _assert_fd(
    analytic: np.ndarray, fd: np.ndarray, scale: float, rtol: float, noise: np.ndarray | float = 0.0
) -> None:
    """|analytic - fd| <= rtol |fd| + 1e-7 scale + noise (the FD round-off bound)."""
    err = np.abs(analytic - fd)
    assert np.all(err <= rtol * np.abs(fd) + 1e-7 * scale + noise), np.max(err - rtol * np.abs(fd))


def test_bsm_greeks_match_finite_differences() -> None:
    K, T, V, C = _fd_grid()
    r, q = 0.045, 0.013
    g = bsm_greeks(S0, K, T, r, q, V, C)
    np.testing.assert_array_equal(g.price, bsm_price(S0, K, T, r, q, V, C))

    def p(S=S0, T_=T, r_=r, v=V) -> np.ndarray:
        return bsm_price(S, K, T_, r_, q, v, C)

    sd = V * np.sqrt(T)  # steps scale with the width of the distribution
    hs = 1e-4 * S0 * sd
    _assert_fd(g.delta, (p(S=S0 + hs) - p(S=S0 - hs)) / (2 * hs), 1.0, 1e-7)
    hg = 1e-3 * S0 * sd
    gamma_noise = 8 * np.finfo(float).eps * (S0 + p()) / hg**2
    fd_gamma = (p(S=S0 + hg) - 2 * p() + p(S=S0 - hg)) / hg**2
    _assert_fd(g.gamma, fd_gamma, 0.01, 1e-5, gamma_noise)
    hv = 1e-5
    _assert_fd(g.vega, (p(v=V + hv) - p(v=V - hv)) / (2 * hv), S0, 1e-7)
    ht = 1e-5 * T
    _assert_fd(g.theta, -(p(T_=T + ht) - p(T_=T - ht)) / (2 * ht), S0, 1e-6)
    hr = 1e-6
    _assert_fd(g.rho, (p(r_=r + hr) - p(r_=r - hr)) / (2 * hr), S0, 1e-7)
    # sanity of the sign conventions: long options have positive gamma/vega, calls positive rho
    assert np.all(g.gamma >= 0) and np.all(g.vega >= 0) and np.max(g.gamma) > 0
    assert np.all(g.rho[C] >= 0) and np.all(g.rho[~C] <= 0)
    assert np.all(g.delta[C] >= 0) and np.all(g.delta[~C] <= 0)


def test_black76_greeks_match_finite_differences() -> None:
    K, T, V, C = _fd_grid()
    F0, r = 25.0, 0.045
    K = K * F0 / S0
    g = black76_greeks(F0, K, T, r, V, C)
    np.testing.assert_array_equal(g.price, black76_price(F0, K, T, r, V, C))

    def p(F=F0, T_=T, r_=r, v=V) -> np.ndarray:
        return black76_price(F, K, T_, r_, v, C)

    sd = V * np.sqrt(T)  # steps scale with the width of the distribution
    hf = 1e-4 * F0 * sd
    _assert_fd(g.delta, (p(F=F0 + hf) - p(F=F0 - hf)) / (2 * hf), 1.0, 1e-7)
    hg = 1e-3 * F0 * sd
    gamma_noise = 8 * np.finfo(float).eps * (F0 + p()) / hg**2
    fd_gamma = (p(F=F0 + hg) - 2 * p() + p(F=F0 - hg)) / hg**2
    _assert_fd(g.gamma, fd_gamma, 0.01, 1e-5, gamma_noise)
    hv = 1e-5
    _assert_fd(g.vega, (p(v=V + hv) - p(v=V - hv)) / (2 * hv), F0, 1e-7)
    ht = 1e-5 * T
    _assert_fd(g.theta, -(p(T_=T + ht) - p(T_=T - ht)) / (2 * ht), F0, 1e-6)
    hr = 1e-6
    _assert_fd(g.rho, (p(r_=r + hr) - p(r_=r - hr)) / (2 * hr), F0, 1e-7)
    np.testing.assert_allclose(g.rho, -T * g.price, rtol=1e-15)


# --------------------------------------------------------------------------------------------
# Independent libraries: QuantLib and py_vollib
# --------------------------------------------------------------------------------------------


def _ql_bsm(S: float, K: float, days: int, r: float, q: float, vol: float, call: bool):
    """QuantLib AnalyticEuropeanEngine on a BlackScholesMertonProcess (T = days / 365)."""
    today = ql.Date(2, ql.January, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(S)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, dc)),
    )
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if call else ql.Option.Put, K)
    option = ql.VanillaOption(payoff, ql.EuropeanExercise(today + days))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return option, process


QL_CASES = [
    # S, K, days, r, q, vol, call
    (100.0, 100.0, 30, 0.045, 0.013, 0.2, True),
    (100.0, 80.0, 365, 0.045, 0.013, 0.35, False),
    (100.0, 150.0, 730, 0.03, 0.02, 0.6, True),
    (100.0, 60.0, 7, 0.05, 0.0, 1.5, True),
    (100.0, 190.0, 1095, -0.004, 0.01, 0.15, False),
    (4500.0, 4300.0, 45, 0.052, 0.015, 0.18, False),
    (4500.0, 4800.0, 3, 0.052, 0.015, 0.12, True),
    (100.0, 55.0, 90, 0.02, 0.03, 2.8, False),
]


@pytest.mark.parametrize(("S", "K", "days", "r", "q", "vol", "call"), QL_CASES)
def test_bsm_matches_quantlib(
    S: float, K: float, days: int, r: float, q: float, vol: float, call: bool
) -> None:
    option, _ = _ql_bsm(S, K, days, r, q, vol, call)
    g = bsm_greeks(S, K, days / 365, r, q, vol, call)
    assert float(g.price) == pytest.approx(option.NPV(), rel=1e-10, abs=1e-13 * S)
    assert float(g.delta) == pytest.approx(option.delta(), rel=1e-9, abs=1e-12)
    assert float(g.gamma) == pytest.approx(option.gamma(), rel=1e-9, abs=1e-14)
    assert float(g.vega) == pytest.approx(option.vega(), rel=1e-9, abs=1e-12 * S)
    assert float(g.theta) == pytest.approx(option.theta(), rel=1e-9, abs=1e-12 * S)
    assert float(g.rho) == pytest.approx(option.rho(), rel=1e-9, abs=1e-12 * S)


def test_black76_matches_quantlib_black_formula() -> None:
    K, T, V, C = _grid()
    F, r = 25.0, 0.04
    K = K * F / S0
    ours = black76_price(F, K, T, r, V, C)
    disc = np.exp(-r * T)
    ref = np.array(
        [
            ql.blackFormula(ql.Option.Call if c else ql.Option.Put, k, F, v * math.sqrt(t), d)
            for k, t, v, c, d in zip(K, T, V, C, disc, strict=True)
        ]
    )
    # QuantLib evaluates F N(d1) - K N(d2) directly, which cancels for deep OTM prices.
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-13 * F)


def test_prices_match_py_vollib() -> None:
    K, T, V, C = _grid()
    r, q = 0.045, 0.013
    ours = bsm_price(S0, K, T, r, q, V, C)
    ref = np.array(
        [
            vollib_bsm("c" if c else "p", S0, k, t, r, v, q)
            for k, t, v, c in zip(K, T, V, C, strict=True)
        ]
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-13 * S0)
    F = 25.0
    ours76 = black76_price(F, K * F / S0, T, r, V, C)
    ref76 = np.array(
        [
            vollib_black("c" if c else "p", F, k * F / S0, t, r, v)
            for k, t, v, c in zip(K, T, V, C, strict=True)
        ]
    )
    np.testing.assert_allclose(ours76, ref76, rtol=1e-10, atol=1e-13 * F)


# --------------------------------------------------------------------------------------------
# Hand-computed Black-76 on a VIX-future-like input
# --------------------------------------------------------------------------------------------


def test_black76_vix_like_case_against_closed_form() -> None:
    F, K, T, sigma, r = 25.0, 30.0, 0.08, 1.0, 0.05

    def ncdf(z: float) -> float:
        return 0.5 * math.erfc(-z / math.sqrt(2.0))

    sd = sigma * math.sqrt(T)
    d1 = (math.log(F / K) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    D = math.exp(-r * T)
    call = D * (F * ncdf(d1) - K * ncdf(d2))
    put = D * (K * ncdf(-d2) - F * ncdf(-d1))
    pdf = math.exp(-0.5 * d1 * d1) / math.sqrt(2.0 * math.pi)
    # d1 = (ln(25/30) + 0.04) / sqrt(0.08) = -0.503183; call = 1.20284, put = 6.18288
    assert d1 == pytest.approx(-0.5031827, abs=1e-7)
    assert call == pytest.approx(1.2028379, abs=1e-7)
    assert put == pytest.approx(6.1828778, abs=1e-7)

    gc = black76_greeks(F, K, T, r, sigma, True)
    gp = black76_greeks(F, K, T, r, sigma, False)
    assert float(gc.price) == pytest.approx(call, rel=1e-13)
    assert float(gp.price) == pytest.approx(put, rel=1e-13)
    assert float(gc.delta) == pytest.approx(D * ncdf(d1), rel=1e-13)
    assert float(gp.delta) == pytest.approx(-D * ncdf(-d1), rel=1e-13)
    assert float(gc.gamma) == pytest.approx(D * pdf / (F * sd), rel=1e-13)
    assert float(gc.vega) == pytest.approx(D * F * pdf * math.sqrt(T), rel=1e-13)
    assert float(gp.vega) == pytest.approx(float(gc.vega), rel=1e-13)
    theta_c = r * call - D * F * pdf * sigma / (2.0 * math.sqrt(T))
    assert float(gc.theta) == pytest.approx(theta_c, rel=1e-12)
    assert float(gc.rho) == pytest.approx(-T * call, rel=1e-13)


# --------------------------------------------------------------------------------------------
# Degenerate inputs, broadcasting, dtype
# --------------------------------------------------------------------------------------------


def test_zero_time_and_zero_vol_without_warnings() -> None:
    K = np.array([80.0, 100.0, 120.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g0 = bsm_greeks(100.0, K, 0.0, 0.05, 0.02, 0.3, True)
        p0 = bsm_greeks(100.0, K, 0.0, 0.05, 0.02, 0.3, False)
        gs = bsm_greeks(100.0, K, 0.5, 0.05, 0.02, 0.0, True)
        b0 = black76_greeks(25.0, K / 4, 0.0, 0.05, 0.8, True)
    np.testing.assert_array_equal(g0.price, [20.0, 0.0, 0.0])
    np.testing.assert_array_equal(p0.price, [0.0, 0.0, 20.0])
    np.testing.assert_array_equal(g0.delta, [1.0, 0.5, 0.0])  # step, 1/2 at the money
    np.testing.assert_array_equal(p0.delta, [0.0, -0.5, -1.0])
    np.testing.assert_array_equal(b0.delta, [1.0, 0.5, 0.0])
    for g in (g0, p0, b0):
        for field in ("gamma", "vega", "theta", "rho"):
            np.testing.assert_array_equal(getattr(g, field), 0.0)
    # sigma = 0, T > 0: discounted intrinsic value of the forward, and its exact derivatives
    F, D = 100.0 * math.exp(0.03 * 0.5), math.exp(-0.05 * 0.5)
    np.testing.assert_allclose(gs.price, D * np.maximum(F - K, 0.0), rtol=1e-15)
    np.testing.assert_allclose(gs.delta, math.exp(-0.02 * 0.5) * np.array([1.0, 1.0, 0.0]))
    np.testing.assert_array_equal(gs.gamma, 0.0)
    np.testing.assert_array_equal(gs.vega, 0.0)
    h = 1e-6
    fd_theta = -(
        bsm_price(100.0, K, 0.5 + h, 0.05, 0.02, 0.0, True)
        - bsm_price(100.0, K, 0.5 - h, 0.05, 0.02, 0.0, True)
    ) / (2 * h)
    np.testing.assert_allclose(gs.theta, fd_theta, rtol=1e-7, atol=1e-9)


def test_invalid_inputs_give_nan_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = bsm_price(
            [np.nan, 100, 100, 100, -1, 100],
            [100, 0, 100, 100, 100, 100],
            [1, 1, -1, 1, 1, 1],
            0.01,
            0.0,
            [0.2, 0.2, 0.2, -0.1, 0.2, np.inf],
            True,
        )
        g = black76_greeks([np.inf, 25.0], [20.0, -5.0], 1.0, 0.01, 0.5, False)
    assert np.all(np.isnan(p))
    for field in Greeks._fields:
        assert np.all(np.isnan(getattr(g, field)))
    expired_bad = bsm_greeks(100.0, [-5.0, np.nan], 0.0, 0.01, 0.0, 0.2, True)
    assert np.all(np.isnan(expired_bad.theta)) and np.all(np.isnan(expired_bad.rho))
    with pytest.raises(TypeError):
        bsm_price(100.0, 100.0, 1.0, 0.0, 0.0, 0.2, "c")


def test_broadcasting_and_dtype() -> None:
    K = np.array([[90.0], [100.0], [110.0]])
    T = np.array([0.1, 0.5, 1.0, 2.0])
    out = bsm_price(100.0, K, T, 0.03, 0.01, 0.25, np.array([True, False, True, False]))
    assert out.shape == (3, 4) and out.dtype == np.float64
    ref = np.array(
        [
            [
                bsm_price(100.0, k, t, 0.03, 0.01, 0.25, c)
                for t, c in zip(T, [True, False, True, False], strict=True)
            ]
            for k in K[:, 0]
        ]
    )
    np.testing.assert_array_equal(out, ref)
    g = black76_greeks(25.0, 30.0, 0.08, 0.05, 1.0, True)
    assert isinstance(g, Greeks) and g.price.shape == ()
    # inputs are never modified in place
    S = np.full(4, 100.0)
    before = S.copy(), T.copy()
    bsm_greeks(S, 100.0, T, 0.03, 0.01, 0.25, True)
    np.testing.assert_array_equal(S, before[0])
    np.testing.assert_array_equal(T, before[1])
    assert bsm_greeks(100.0, K, T, 0.03, 0.01, 0.25, True).rho.shape == (3, 4)
