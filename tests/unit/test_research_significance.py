"""PSR, DSR and the paired bootstrap of :mod:`alvh_assets.research.significance`, against
cases computed by hand here and the worked example of Bailey & López de Prado (2014)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from arch.bootstrap import StationaryBootstrap
from scipy.stats import norm

from alvh_assets.research import significance as sig

X = np.array([0.010, -0.004, 0.006, 0.002, -0.012, 0.008, 0.003, -0.001, 0.005, 0.0])


def _moments(x: np.ndarray) -> tuple[float, float, float]:
    """SR (ddof=1), skewness and kurtosis from the central moments, by hand."""
    mu = x.sum() / len(x)
    d = x - mu
    m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
    sd = math.sqrt((d**2).sum() / (len(x) - 1))
    return mu / sd, m3 / m2**1.5, m4 / m2**2


def test_sharpe_moments_and_psr_by_hand() -> None:
    sr, g3, g4 = _moments(X)
    stats = sig.sharpe_stats(X)
    assert stats.sessions == 10
    assert stats.sharpe == pytest.approx(sr, rel=1e-12)
    assert stats.skewness == pytest.approx(g3, rel=1e-12)
    assert stats.kurtosis == pytest.approx(g4, rel=1e-12)
    z = sr * math.sqrt(9) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)
    assert sig.psr(sr, 10, g3, g4) == pytest.approx(norm.cdf(z), rel=1e-12)
    # against a benchmark SR* the numerator is SR - SR*
    z1 = (sr - 0.1) * 3 / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)
    assert sig.psr(sr, 10, g3, g4, 0.1) == pytest.approx(norm.cdf(z1), rel=1e-12)


def test_psr_of_normal_returns_is_the_t_like_probability() -> None:
    # skewness 0, kurtosis 3: PSR = Φ(SR √(n−1) / √(1 + SR²/2))
    assert sig.psr(0.1, 101, 0.0, 3.0) == pytest.approx(
        norm.cdf(0.1 * 10 / math.sqrt(1 + 0.005)), rel=1e-12
    )
    assert sig.psr(0.0, 50, 0.0, 3.0) == pytest.approx(0.5)
    assert sig.sharpe_stats(np.zeros(5)).sharpe is None


def test_deflated_sharpe_ratio_worked_example_of_bailey_and_lopez_de_prado_2014() -> None:
    """ "The Deflated Sharpe Ratio" (J. Portfolio Management 40(5), 2014), numerical example:
    N = 100 trials whose annualized Sharpe ratios have variance 1/2, the best an annualized
    SR of 2.5, T = 1250 daily returns (5 years of 250), skewness −3, kurtosis 10. The paper
    finds SR₀ ≈ 0.1132 (non-annualized) and DSR ≈ 0.9004."""
    var_daily = 0.5 / 250
    sr0 = sig.expected_max_sharpe(var_daily, 100)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)
    best = sig.SharpeStats(1250, 2.5 / math.sqrt(250), -3.0, 10.0)
    sr0_, dsr = sig.deflated_sharpe(best, var_daily, 100)
    assert sr0_ == sr0
    assert dsr == pytest.approx(0.9004, abs=5e-4)
    # by hand: the expected maximum of N standard normals' approximation
    g = 0.5772156649015329
    by_hand = math.sqrt(var_daily) * (
        (1 - g) * norm.ppf(1 - 1 / 100) + g * norm.ppf(1 - 1 / (100 * math.e))
    )
    assert sr0 == pytest.approx(by_hand, rel=1e-12)


def test_one_trial_is_not_deflated() -> None:
    best = sig.SharpeStats(100, 0.1, 0.0, 3.0)
    assert sig.deflated_sharpe(best, 0.0, 1) == (0.0, sig.psr(0.1, 100, 0.0, 3.0))


def _arrays(r: np.ndarray, spend: np.ndarray, nav: np.ndarray, names: list[str]) -> dict:
    n = r.shape[0]
    return {
        "strategies": names,
        "r": r,
        "rf": np.zeros((n, len(names))),
        "spend": spend,
        "nav": nav,
    }


def test_point_differences_by_hand() -> None:
    a = np.array([0.01, -0.02, 0.015, 0.005, -0.01, 0.02])
    b = np.array([0.012, -0.03, 0.01, 0.004, -0.02, 0.015])
    r = np.column_stack([a, b])
    spend = np.column_stack([np.full(6, 100.0), np.zeros(6)])
    nav = np.column_stack([np.full(6, 1e6), np.full(6, 1e6)])
    out = sig.compare(_arrays(r, spend, nav, ["alvh_442", "unhedged"]), 252, reps=50, seed=1)
    got = {row["metric"]: row for row in out.iter_rows(named=True)}

    def sharpe(x: np.ndarray) -> float:
        return x.mean() / x.std(ddof=1) * math.sqrt(252)

    def cagr(x: np.ndarray) -> float:
        return float(np.prod(1 + x) ** (252 / 6) - 1)

    def mdd(x: np.ndarray) -> float:
        w = np.concatenate(([1.0], np.cumprod(1 + x)))
        return float(np.min(w / np.maximum.accumulate(w) - 1))

    assert got["sharpe"]["difference"] == pytest.approx(sharpe(a) - sharpe(b), rel=1e-12)
    assert got["cagr"]["difference"] == pytest.approx(cagr(a) - cagr(b), rel=1e-12)
    assert mdd(a) == pytest.approx(1.01 * 0.98 / 1.01 - 1)  # one day down 2%
    assert got["max_drawdown"]["difference"] == pytest.approx(mdd(a) - mdd(b), rel=1e-12)
    # 600 USD over 6/252 years on 1e6 average NAV
    assert got["hedge_spend"]["value"] == pytest.approx(600 / (6 / 252) / 1e6, rel=1e-12)
    assert got["hedge_spend"]["difference"] == pytest.approx(600 / (6 / 252) / 1e6, rel=1e-12)
    assert set(out["versus"]) == {"unhedged"} and out.height == 4


def test_intervals_are_arch_stationary_bootstrap_percentiles() -> None:
    rng = np.random.default_rng(7)
    n = 300
    common = rng.normal(0.0005, 0.01, n)
    r = np.column_stack([common + rng.normal(0.0005, 0.002, n), common, common * 0.5])
    spend = np.column_stack([rng.uniform(0, 50, n), np.zeros(n), rng.uniform(0, 20, n)])
    nav = 1e6 * np.cumprod(1 + r, axis=0)
    arrays = _arrays(r, spend, nav, ["unhedged", "alvh_442", "static_permanent"])
    out = sig.compare(arrays, 252, reps=200, block_size=5.0, seed=11)
    # the same resamples straight from arch: percentile interval of ALVH minus the others
    bs = StationaryBootstrap(5.0, r, np.zeros(n), spend, nav, seed=11)

    def func(r_, rf_, s_, nav_):
        s = sig._statistics(r_, rf_, s_, nav_, 252)
        return (s[:, [1]] - s[:, [0, 2]]).ravel()

    ci = bs.conf_int(func, reps=200, method="percentile", size=0.95)
    rows = out.sort(pl.col("versus"), pl.col("metric").replace_strict(sig.METRICS, range(4)))
    # rows sorted by versus: static_permanent (column 1 of the others) before unhedged
    lo = np.concatenate([ci[0].reshape(4, 2)[:, j] for j in (1, 0)])
    hi = np.concatenate([ci[1].reshape(4, 2)[:, j] for j in (1, 0)])
    assert rows["ci_low"].to_numpy() == pytest.approx(lo)
    assert rows["ci_high"].to_numpy() == pytest.approx(hi)
    assert (out["ci_low"] <= out["difference"]).all()
    assert (out["difference"] <= out["ci_high"]).all()
    # the unhedged column's steady 5 bp/day edge over ALVH is significant: CAGR CI below 0
    vs = out.filter((pl.col("versus") == "unhedged") & (pl.col("metric") == "cagr")).row(
        0, named=True
    )
    assert vs["excludes_zero"] and vs["ci_high"] < 0


def test_identical_strategies_have_zero_differences_and_zero_width_intervals() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(0, 0.01, 60)
    r = np.column_stack([a, a])
    flat = np.zeros((60, 2))
    nav = np.full((60, 2), 1e6)
    out = sig.compare(_arrays(r, flat, nav, ["alvh_442", "x"]), 252, reps=100)
    assert out["difference"].abs().max() == 0.0
    assert out["ci_low"].abs().max() == 0.0 and out["ci_high"].abs().max() == 0.0
    assert not out["excludes_zero"].any()
    assert 1.0 <= out["block_size"][0] <= 30
