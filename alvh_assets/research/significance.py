"""Is ALVH's edge distinguishable from luck? Bootstrap intervals, PSR and DSR.

Formulas and how to read them: ``docs/research.md``. All Sharpe ratios here are computed on
daily excess returns ``x_t = r_t − rf_t`` (the series of ``attribution.performance``'s
Sharpe, :func:`alvh_assets.attribution.metrics.sharpe`).

* **Differences with bootstrap CIs** (:func:`compare`): ALVH (``alvh_442``) minus each other
  strategy in annualized Sharpe, CAGR, max drawdown and hedge spend (% of average NAV a
  year), with a percentile confidence interval from the stationary block bootstrap of
  Politis & Romano (1994), ``arch.bootstrap.StationaryBootstrap``: the sessions are resampled
  in blocks of geometric length, *the same days for every strategy* (a paired bootstrap, so
  the common market moves cancel in the differences). The expected block length is Politis
  & White's (2004, corrected by Patton, Politis & White 2009) optimal length of ALVH's excess
  returns unless given.
* **Probabilistic Sharpe ratio** (:func:`psr`, Bailey & López de Prado 2012):
  ``PSR(SR*) = Φ((SR̂ − SR*)·√(n−1) / √(1 − γ̂₃·SR̂ + (γ̂₄ − 1)/4·SR̂²))`` with the
  non-annualized SR̂, skewness γ̂₃ and (non-excess) kurtosis γ̂₄ of the n daily excess
  returns: the probability that the true Sharpe ratio exceeds SR*.
* **Deflated Sharpe ratio** (:func:`deflated_sharpe`, Bailey & López de Prado 2014): the PSR
  of the best of N trials against the Sharpe ratio expected of the best of N skill-less
  trials, ``SR₀ = √V[SR̂ₖ]·((1−γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)))``, γ the
  Euler–Mascheroni constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

ALVH = "alvh_442"
EULER_GAMMA = 0.5772156649015329
METRICS = ("sharpe", "cagr", "max_drawdown", "hedge_spend")
"""The compared metrics: annualized Sharpe of daily excess returns; CAGR on trading-day
time (``Π(1+r)^(N/n) − 1``); max drawdown of the compounded returns (≤ 0, so a positive
difference is a shallower drawdown); hedge spend = net hedge spend ÷ years (n/N) ÷ average
NAV."""

SIGNIFICANCE: dict[str, pl.DataType] = {
    "strategy": pl.Utf8(),
    "versus": pl.Utf8(),
    "metric": pl.Utf8(),
    "value": pl.Float64(),
    "versus_value": pl.Float64(),
    "difference": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "excludes_zero": pl.Boolean(),
    "sessions": pl.Int64(),
    "block_size": pl.Float64(),
    "reps": pl.Int64(),
    "seed": pl.Int64(),
}
"""One row per compared strategy and metric (``strategy`` is always ``alvh_442``)."""


@dataclass(frozen=True)
class SharpeStats:
    """The moments of a daily excess-return series that PSR and DSR use."""

    sessions: int  # n, the number of daily returns
    sharpe: float | None  # non-annualized SR̂ = mean / std (ddof=1)
    skewness: float | None  # γ̂₃ (sample moments, biased)
    kurtosis: float | None  # γ̂₄ (non-excess: 3 for a normal series)


def sharpe_stats(x: np.ndarray) -> SharpeStats:
    """:class:`SharpeStats` of the excess returns ``x`` (None where undefined)."""
    from scipy.stats import kurtosis, skew  # imported here: ~1 s the code location skips

    x = np.asarray(x, dtype=float)
    n = len(x)
    sd = float(np.std(x, ddof=1)) if n >= 2 else 0.0
    if n < 3 or sd == 0.0:
        return SharpeStats(n, None, None, None)
    return SharpeStats(
        n,
        float(np.mean(x) / sd),
        float(skew(x, bias=True)),
        float(kurtosis(x, fisher=False, bias=True)),
    )


def psr(
    sharpe: float, sessions: int, skewness: float, kurt: float, benchmark: float = 0.0
) -> float | None:
    """Probabilistic Sharpe ratio ``PSR(SR*)`` (module docstring); all Sharpe ratios
    non-annualized. None when the variance term is not positive or n < 2."""
    from scipy.stats import norm

    var = 1.0 - skewness * sharpe + (kurt - 1.0) / 4.0 * sharpe**2
    if sessions < 2 or var <= 0:
        return None
    return float(norm.cdf((sharpe - benchmark) * math.sqrt(sessions - 1) / math.sqrt(var)))


def expected_max_sharpe(sharpe_variance: float, trials: int) -> float:
    """``SR₀``: the expected maximum of ``trials`` Sharpe ratios of variance
    ``sharpe_variance`` when the true Sharpe ratio is 0 (0 for a single trial)."""
    from scipy.stats import norm

    if trials < 2:
        return 0.0
    return math.sqrt(sharpe_variance) * (
        (1.0 - EULER_GAMMA) * norm.ppf(1.0 - 1.0 / trials)
        + EULER_GAMMA * norm.ppf(1.0 - 1.0 / (trials * math.e))
    )


def deflated_sharpe(
    best: SharpeStats, sharpe_variance: float, trials: int
) -> tuple[float, float | None]:
    """(SR₀, DSR) of the best trial given the variance of the trials' Sharpe ratios
    (non-annualized) and their number: ``DSR = PSR(SR₀)``."""
    sr0 = expected_max_sharpe(sharpe_variance, trials)
    if best.sharpe is None:
        return sr0, None
    return sr0, psr(best.sharpe, best.sessions, best.skewness, best.kurtosis, sr0)


# --------------------------------------------------------------------------------------------
# Paired block bootstrap of the differences
# --------------------------------------------------------------------------------------------


def _statistics(
    r: np.ndarray, rf: np.ndarray, spend: np.ndarray, nav: np.ndarray, n_year: int
) -> np.ndarray:
    """The :data:`METRICS` of each column (strategy) of the daily arrays: a (4, k) array."""
    n = r.shape[0]
    x = r - rf[:, None]
    sd = np.std(x, axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = np.where(sd > 0, np.mean(x, axis=0) / sd * math.sqrt(n_year), np.nan)
        growth = np.prod(1.0 + r, axis=0)
        cagr = np.where(growth > 0, np.abs(growth) ** (n_year / n) - 1.0, np.nan)
        wealth = np.vstack([np.ones((1, r.shape[1])), np.cumprod(1.0 + r, axis=0)])
        mdd = np.min(wealth / np.maximum.accumulate(wealth, axis=0) - 1.0, axis=0)
        spend_pct = np.sum(spend, axis=0) / (n / n_year) / np.mean(nav, axis=0)
    return np.vstack([sharpe, cagr, mdd, spend_pct])


def daily_arrays(account: pl.DataFrame, fills: pl.DataFrame, capital: float) -> dict:
    """Per strategy, aligned on the sessions: daily return (from the initial capital), the
    risk-free return, NAV and net hedge spend (−Σ cash flow of the day's non-condor fills).
    ``account``/``fills``: the ``strategy`` frames of one run."""
    from alvh_assets.attribution import metrics as m

    acc = account.sort("strategy", "date")
    names = acc["strategy"].unique(maintain_order=True).to_list()
    spend = (
        fills.filter(pl.col("kind") != "condor")
        .group_by("strategy", "date")
        .agg((-pl.col("cash_flow").sum()).alias("spend"))
    )
    acc = acc.join(spend, on=["strategy", "date"], how="left").with_columns(
        pl.col("spend").fill_null(0.0)
    )
    dates = acc.filter(pl.col("strategy") == names[0])["date"].to_list()
    out: dict = {"strategies": names, "dates": dates}
    cols = {"r": [], "rf": [], "nav": [], "spend": []}
    for s in names:
        a = acc.filter(pl.col("strategy") == s)
        if a["date"].to_list() != dates:
            raise ValueError(f"{s}: sessions differ from {names[0]}'s")
        nav = a["nav"].to_numpy().astype(float)
        cols["r"].append(m.daily_returns(nav, capital))
        cols["rf"].append(m.risk_free_returns(a["rate"].fill_null(0.0).to_numpy(), dates))
        cols["nav"].append(nav)
        cols["spend"].append(a["spend"].to_numpy().astype(float))
    for k, v in cols.items():
        out[k] = np.column_stack(v) if v else np.empty((0, 0))
    return out


def block_size_of(x: np.ndarray) -> float:
    """Politis–White optimal expected block length of the stationary bootstrap, within
    [1, n/2]."""
    from arch.bootstrap import optimal_block_length  # 0.5 s of import: the sweeps' only

    n = len(x)
    if n < 8 or float(np.std(x)) == 0.0:
        return 1.0
    b = float(optimal_block_length(np.asarray(x, dtype=float))["stationary"].iloc[0])
    return float(min(max(b, 1.0), n / 2)) if math.isfinite(b) else 1.0


def compare(
    arrays: dict,
    n_year: int,
    reps: int = 1000,
    block_size: float | None = None,
    seed: int = 0,
    size: float = 0.95,
) -> pl.DataFrame:
    """ALVH minus every other strategy in each of :data:`METRICS`, with the ``size``
    percentile interval of a paired stationary block bootstrap of the sessions
    (:data:`SIGNIFICANCE` rows; intervals null when there are fewer than 3 sessions or no
    ALVH)."""
    names = arrays["strategies"]
    if ALVH not in names:
        return pl.DataFrame(schema=SIGNIFICANCE)
    a = names.index(ALVH)
    others = [i for i in range(len(names)) if i != a]
    r, rf, spend, nav = arrays["r"], arrays["rf"][:, 0], arrays["spend"], arrays["nav"]
    n = r.shape[0]
    point = _statistics(r, rf, spend, nav, n_year)
    diff = point[:, [a]] - point[:, others]  # (4, k-1)
    block = block_size if block_size is not None else block_size_of(r[:, a] - rf)
    low = high = np.full(diff.shape, np.nan)
    if n >= 3 and others:

        def func(r_: np.ndarray, rf_: np.ndarray, spend_: np.ndarray, nav_: np.ndarray):
            s = _statistics(r_, rf_, spend_, nav_, n_year)
            return (s[:, [a]] - s[:, others]).ravel()

        from arch.bootstrap import StationaryBootstrap

        bs = StationaryBootstrap(block, r, rf, spend, nav, seed=seed)
        with np.errstate(divide="ignore", invalid="ignore"):
            ci = bs.conf_int(func, reps=reps, method="percentile", size=size)
        low, high = ci[0].reshape(diff.shape), ci[1].reshape(diff.shape)
    rows = []
    for j, o in enumerate(others):
        for i, metric in enumerate(METRICS):
            lo, hi = _f(low[i, j]), _f(high[i, j])
            rows.append(
                {
                    "strategy": ALVH,
                    "versus": names[o],
                    "metric": metric,
                    "value": _f(point[i, a]),
                    "versus_value": _f(point[i, o]),
                    "difference": _f(diff[i, j]),
                    "ci_low": lo,
                    "ci_high": hi,
                    "excludes_zero": None if lo is None or hi is None else (lo > 0 or hi < 0),
                    "sessions": n,
                    "block_size": block,
                    "reps": reps,
                    "seed": seed,
                }
            )
    return pl.DataFrame(rows, schema=SIGNIFICANCE, orient="row")


def _f(v: float) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def strategy_sharpe_stats(arrays: dict) -> dict[str, SharpeStats]:
    """:class:`SharpeStats` of every strategy's daily excess returns."""
    rf = arrays["rf"][:, 0] if arrays["rf"].size else np.empty(0)
    return {s: sharpe_stats(arrays["r"][:, i] - rf) for i, s in enumerate(arrays["strategies"])}
