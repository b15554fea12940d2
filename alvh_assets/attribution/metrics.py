"""Performance metrics of a daily NAV series: pure numpy functions, one formula each.

Conventions shared by every function:

* ``nav`` holds the NAVs of a period's sessions and ``start_nav`` the NAV before its first
  session (the initial capital for the very first period); the *base date* is the session
  before the period's first session.
* daily return ``r_t = nav_t / nav_{t-1} - 1`` (``nav_{-1} = start_nav``);
* ``N`` = trading days per year (annualization); ``None`` where a metric is undefined
  (too few returns, zero deviation, zero drawdown, no root).

Cross-checked against ``empyrical-reloaded`` and ``pyxirr`` in
``tests/unit/test_metrics_reference.py`` (real S&P 500 and a short-vol book, 2007-2009);
where a library's convention differs, the function's docstring says how. The libraries stay
test oracles, not dependencies: these functions are a line each, take the daily risk-free
*series* and return ``None`` (not NaN) where a metric is undefined.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

import numpy as np
from scipy.optimize import brentq

Array = np.ndarray


def daily_returns(nav: Array, start_nav: float) -> Array:
    """``r_t = nav_t / nav_{t-1} - 1`` with ``nav_{-1} = start_nav``."""
    nav = np.asarray(nav, dtype=float)
    return nav / np.concatenate(([start_nav], nav[:-1])) - 1.0


def risk_free_returns(rate: Array, dates: list[dt.date]) -> Array:
    """``rf_t = exp(rate_{t-1} × calendar_days(t-1, t) / 365) - 1``; 0 on the first session.

    ``rate`` is the continuous annual short rate of each session (the previous session's
    rate accrues over the calendar gap, as cash interest does)."""
    rate = np.nan_to_num(np.asarray(rate, dtype=float))
    days = np.diff(np.asarray(dates, dtype="datetime64[D]")).astype(float)
    return np.concatenate(([0.0], np.expm1(rate[:-1] * days / 365.0)))


def cagr(start_nav: float, end_nav: float, days: int) -> float | None:
    """``(end_nav / start_nav)^(365 / days) - 1``, ``days`` = calendar days base -> last.

    Calendar-day annualization; ``empyrical.cagr`` counts years as ``len(r) / N`` sessions
    (equal to this with ``annualization = len(r) × 365 / days``)."""
    if days <= 0 or start_nav <= 0 or end_nav < 0:
        return None
    return (end_nav / start_nav) ** (365.0 / days) - 1.0


def ann_vol(r: Array, n: int) -> float | None:
    """``std(r, ddof=1) × sqrt(N)``."""
    return float(np.std(r, ddof=1) * math.sqrt(n)) if len(r) >= 2 else None


def sharpe(r: Array, rf: Array, n: int) -> float | None:
    """``mean(r - rf) / std(r - rf, ddof=1) × sqrt(N)`` (= ``empyrical.sharpe_ratio(r,
    risk_free=rf, annualization=N)``)."""
    x = np.asarray(r) - np.asarray(rf)
    if len(x) < 2:
        return None
    sd = float(np.std(x, ddof=1))
    return float(np.mean(x) / sd * math.sqrt(n)) if sd > 0 else None


def sortino(r: Array, rf: Array, n: int) -> float | None:
    """``mean(r - rf) × N / (sqrt(mean(min(r - rf, 0)^2)) × sqrt(N))`` (downside deviation
    over all returns, target = the risk-free return; = ``empyrical.sortino_ratio(r,
    required_return=rf, annualization=N)``)."""
    x = np.asarray(r) - np.asarray(rf)
    if len(x) < 2:
        return None
    dd = math.sqrt(float(np.mean(np.minimum(x, 0.0) ** 2)))
    return float(np.mean(x) * n / (dd * math.sqrt(n))) if dd > 0 else None


class Drawdown(NamedTuple):
    depth: float  # min_t nav_t / running_max_t - 1 (<= 0)
    peak: dt.date | None
    trough: dt.date | None
    sessions: int  # peak -> recovery (or -> the last session when not recovered)


def max_drawdown(
    nav: Array, dates: list[dt.date], start_nav: float, base_date: dt.date
) -> Drawdown:
    """``min_t nav_t / max(start_nav, nav_0..nav_t) - 1``, with its peak, trough and length.

    The trough is the first session of the deepest drawdown; the peak the last date at or
    before it where the running maximum was set (``base_date`` when it is the start NAV);
    ``sessions`` counts sessions from the peak to the first session back at or above the
    peak NAV, or to the period's last session when not recovered. No drawdown: depth 0,
    no dates, 0 sessions."""
    v = np.concatenate(([start_nav], np.asarray(nav, dtype=float)))
    days = [base_date, *dates]
    run = np.maximum.accumulate(v)
    dd = v / run - 1.0
    t = int(np.argmin(dd))
    if dd[t] >= 0:
        return Drawdown(0.0, None, None, 0)
    p = int(np.flatnonzero(v[: t + 1] == run[t])[-1])
    back = np.flatnonzero(v[t:] >= v[p])
    end = t + int(back[0]) if len(back) else len(v) - 1
    return Drawdown(float(dd[t]), days[p], days[t], end - p)


def calmar(cagr_: float | None, mdd: float) -> float | None:
    """``cagr / |max_drawdown|`` (``None`` when there is no drawdown); the CAGR is
    calendar-day annualized (see :func:`cagr`; ``empyrical.calmar_ratio`` uses sessions)."""
    return None if cagr_ is None or mdd == 0 else cagr_ / abs(mdd)


def worst_day(r: Array, dates: list[dt.date]) -> tuple[float | None, dt.date | None]:
    """``min_t r_t`` and its date (the first one on ties)."""
    if len(r) == 0:
        return None, None
    i = int(np.argmin(r))
    return float(r[i]), dates[i]


def worst_month(
    nav: Array, dates: list[dt.date], start_nav: float
) -> tuple[float | None, str | None]:
    """Worst calendar-month return ``M_m = nav(end of m) / nav(end of m-1) - 1`` and its
    ``YYYY-MM`` label; the first month is measured from ``start_nav``, a month's end NAV is
    its last session's (so a partial last month counts as it stands)."""
    if len(dates) == 0:
        return None, None
    labels = np.array([f"{d:%Y-%m}" for d in dates])
    last = np.flatnonzero(np.append(labels[1:] != labels[:-1], True))
    month_nav = np.asarray(nav, dtype=float)[last]
    m = daily_returns(month_nav, start_nav)
    i = int(np.argmin(m))
    return float(m[i]), str(labels[last[i]])


def cvar(r: Array, level: float) -> float | None:
    """Mean of the ``k`` worst daily returns, ``k = ceil((1 - level) × n)`` (at least 1;
    ``(1 - level) × n`` is rounded to 9 decimals first so 0.05 × 20 gives k = 1).

    ``empyrical.conditional_value_at_risk(r, cutoff=c)`` averages ``floor((n - 1) c) + 1``
    returns: the same ``k`` whenever ``c = 1 - level`` is ``1/m`` for an integer ``m`` (5%,
    2.5%, 1%), one fewer for some ``n`` otherwise (c = 0.3, n = 4: 2 here, 1 there)."""
    n = len(r)
    if n == 0:
        return None
    k = max(1, math.ceil(round((1.0 - level) * n, 9)))
    return float(np.mean(np.sort(r)[:k]))


def beta(r: Array, r_mkt: Array) -> float | None:
    """``cov(r, r_mkt) / var(r_mkt)`` (ddof 1) over the pairs where both are finite (raw
    returns, no risk-free; ``empyrical.beta`` uses ddof 0 in both, the same ratio)."""
    r, m = np.asarray(r, dtype=float), np.asarray(r_mkt, dtype=float)
    ok = np.isfinite(r) & np.isfinite(m)
    r, m = r[ok], m[ok]
    if len(r) < 2:
        return None
    var = float(np.var(m, ddof=1))
    return float(np.cov(r, m, ddof=1)[0, 1] / var) if var > 0 else None


def xirr(dates: list[dt.date], flows: list[float] | Array) -> float | None:
    """Annual rate ``x`` with ``Σ_i cf_i / (1 + x)^((d_i - d_0) / 365) = 0`` (ACT/365).

    Solved for the continuous rate ``y = ln(1 + x)`` with ``scipy.optimize.brentq`` on
    brackets found along a grid ``y = sinh(-6 … 6)`` (x from ≈ -1 to ≈ 1e87) of the
    NPV scaled by its largest discount factor (same sign, never overflows); when several
    roots exist the one nearest 0 is returned. ``None`` when the flows never change sign or
    no root lies in the grid. With only an initial and a final flow this is the CAGR.
    Equal to ``pyxirr.xirr`` (ACT/365) where the root is unique, and tighter: pyxirr's
    Newton step stops within ~1e-9 of the root."""
    cf = np.asarray(flows, dtype=float)
    nz = cf[cf != 0]
    if len(nz) == 0 or np.all(nz > 0) or np.all(nz < 0):
        return None
    d = np.asarray(dates, dtype="datetime64[D]")
    t = (d - d.min()).astype(float) / 365.0

    def npv(y: float) -> float:
        e = -t * y
        return float(np.sum(cf * np.exp(e - e.max())))

    grid = np.sinh(np.linspace(-6.0, 6.0, 481))
    f = np.array([npv(y) for y in grid])
    roots = [float(y) for y, v in zip(grid, f, strict=True) if v == 0]
    for i in np.flatnonzero(f[:-1] * f[1:] < 0):
        roots.append(brentq(npv, grid[i], grid[i + 1], xtol=1e-15, rtol=4 * np.finfo(float).eps))
    return float(np.expm1(min(roots, key=abs))) if roots else None
