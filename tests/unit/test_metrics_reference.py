"""The performance metrics of :mod:`alvh_assets.attribution.metrics` against well-kept
libraries: ``empyrical-reloaded`` (Sharpe, Sortino, volatility, max drawdown, CVaR, beta,
CAGR, Calmar, monthly returns) and ``pyxirr`` (XIRR), on realistic daily returns.

Two series, both deterministic:

* the real S&P 500 closes of 2007-06-01 .. 2009-12-31 (the crisis; 650-odd sessions), from
  the shipped real data, as the market and as a long-only strategy;
* a short-volatility book of the same sessions: a small carry every day, losses convex in
  the market's down days (a seeded, condor-like profile with fat left tail), with a daily
  risk-free return from a 2% continuous rate.

Convention differences, and how each test bridges them (the metric's docstring states the
same):

* annualisation: ours takes ``N`` (the config's 252); empyrical's ``period='daily'`` is 252,
  passed explicitly as ``annualization=252``.
* risk-free: ours subtracts a *daily series* ``rf``; empyrical's ``risk_free`` /
  ``required_return`` accept the same array (element-wise subtraction).
* ddof: Sharpe and volatility use ``ddof=1`` in both; beta is ``cov/var`` with the same ddof
  in numerator and denominator (ours 1, empyrical 0): the ratio is identical.
* Sortino: both use the downside deviation over *all* returns (``sqrt(mean(min(x, 0)^2))``),
  target = the risk-free return.
* max drawdown: both include the starting NAV as a possible peak.
* CVaR: ours averages the ``k = ceil((1 - level) n)`` worst returns, empyrical the
  ``floor((n - 1) c) + 1`` worst (``c = 1 - level``); the two counts agree whenever ``c`` is
  ``1/m`` for an integer ``m`` (5%, 1%, 2.5%), and the tests check exactly that.
* CAGR / Calmar: ours annualises by calendar days (``365 / days``), empyrical by sessions
  (``N / len(r)``); passing ``annualization = len(r) × 365 / days`` makes empyrical's years
  equal ours.
* XIRR: both ACT/365 (pyxirr's default day count); ours returns the root nearest 0 when
  several exist, pyxirr one root (the flows below have a single one).

Every comparison is at ``rtol=1e-10`` or tighter, so a changed ddof (a factor
``sqrt(n/(n-1))`` ≈ 1 + 8e-4 here), annualisation or window fails.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from alvh_assets.attribution import metrics as m
from alvh_assets.sample import real_data

empyrical = pytest.importorskip("empyrical")
pyxirr = pytest.importorskip("pyxirr")

N = 252
RTOL = 1e-10


@pytest.fixture(scope="module")
def market() -> tuple[list[dt.date], np.ndarray, float]:
    """Real S&P 500 sessions, closes and the close before the first (the start NAV)."""
    spx = real_data.sp500_daily().sort("date")
    rows = spx.filter(spx["date"].is_between(dt.date(2007, 5, 31), dt.date(2009, 12, 31)))
    closes = rows["close"].to_numpy()
    return rows["date"].to_list()[1:], closes[1:], float(closes[0])


@pytest.fixture(scope="module")
def short_vol(market) -> tuple[np.ndarray, float, np.ndarray]:
    """A condor-like NAV on the market's sessions: (nav, start_nav, daily rf)."""
    dates, closes, start = market
    r_mkt = m.daily_returns(closes, start)
    noise = np.random.default_rng(20081010).normal(0.0, 0.002, len(r_mkt))
    r = 0.0006 + 2.5 * np.minimum(r_mkt, 0.0) - 40.0 * r_mkt**2 + noise
    nav = 1_000_000.0 * np.cumprod(1.0 + r)
    rf = m.risk_free_returns(np.full(len(dates), 0.02), dates)
    return nav, 1_000_000.0, rf


@pytest.fixture(scope="module")
def cases(market, short_vol):
    """(name, nav, start NAV, daily rf) of both series."""
    _, closes, start = market
    nav, cap, rf = short_vol
    return [("spx", closes, start, rf), ("short_vol", nav, cap, rf)]


def test_series_are_realistic(market, short_vol):
    dates, closes, start = market
    assert len(dates) > 600
    r = m.daily_returns(closes, start)
    assert r.min() < -0.08 and r.max() > 0.10  # 2008-10-15 and 2008-10-13
    nav, cap, _ = short_vol
    assert m.max_drawdown(nav, dates, cap, dates[0]).depth < -0.2


def test_sharpe_sortino_vol_match_empyrical(cases):
    for name, nav, start, rf in cases:
        r = m.daily_returns(nav, start)
        assert m.sharpe(r, rf, N) == pytest.approx(
            empyrical.sharpe_ratio(r, risk_free=rf, annualization=N), rel=RTOL
        ), name
        assert m.sortino(r, rf, N) == pytest.approx(
            empyrical.sortino_ratio(r, required_return=rf, annualization=N), rel=RTOL
        ), name
        assert m.ann_vol(r, N) == pytest.approx(
            empyrical.annual_volatility(r, annualization=N), rel=RTOL
        ), name
        # the comparisons would catch ddof=0: that changes Sharpe by sqrt(n / (n - 1))
        assert math.sqrt(len(r) / (len(r) - 1)) - 1 > 1e3 * RTOL


def test_max_drawdown_matches_empyrical(cases, market):
    dates = market[0]
    for name, nav, start, _ in cases:
        r = m.daily_returns(nav, start)
        dd = m.max_drawdown(nav, dates, start, dates[0] - dt.timedelta(days=1))
        assert dd.depth == pytest.approx(empyrical.max_drawdown(r), rel=RTOL), name
        # the trough: empyrical's underwater curve is deepest on the same session
        under = empyrical.cum_returns(pd.Series(r, index=pd.to_datetime(dates)), 1.0)
        under = under / under.cummax().clip(lower=1.0) - 1.0
        assert dd.trough == under.idxmin().date(), name


def test_cvar_matches_empyrical_for_reciprocal_levels(cases):
    for name, nav, start, _ in cases:
        r = m.daily_returns(nav, start)
        for level in (0.95, 0.99, 0.975, 0.90):
            for n in (len(r), 100, 101, 120, 250, 251, 20, 21):
                x = r[:n]
                # the cutoff as written (1 - 0.9 = 0.0999…98 would make empyrical's
                # floor((n - 1) c) one short at n = 101)
                cutoff = round(1 - level, 12)
                assert m.cvar(x, level) == pytest.approx(
                    empyrical.conditional_value_at_risk(x, cutoff=cutoff), rel=RTOL
                ), (name, level, n)


def test_cvar_differs_from_empyrical_only_off_reciprocal_cutoffs():
    """c = 0.3, n = 4: ours averages ceil(1.2) = 2 returns, empyrical floor(0.9) + 1 = 1."""
    r = np.array([-0.04, -0.02, 0.01, 0.03])
    assert m.cvar(r, 0.7) == pytest.approx(-0.03)
    assert empyrical.conditional_value_at_risk(r, cutoff=0.3) == pytest.approx(-0.04)


def test_beta_matches_empyrical(cases, market):
    dates, closes, start = market
    r_mkt = m.daily_returns(closes, start)
    r_mkt[0] = np.nan  # as in the performance table: the first market return is unknown
    for name, nav, s, _ in cases:
        r = m.daily_returns(nav, s)
        ok = ~np.isnan(r_mkt)
        assert m.beta(r, r_mkt) == pytest.approx(empyrical.beta(r[ok], r_mkt[ok]), rel=RTOL), name
    assert m.beta(m.daily_returns(closes, start), r_mkt) == pytest.approx(1.0, rel=1e-12)


def test_cagr_and_calmar_match_empyrical_with_calendar_annualisation(cases, market):
    dates = market[0]
    base = dates[0] - dt.timedelta(days=1)
    days = (dates[-1] - base).days
    for name, nav, start, _ in cases:
        r = m.daily_returns(nav, start)
        ann = len(r) * 365.0 / days  # empyrical's years = len(r) / ann = days / 365
        ours = m.cagr(start, float(nav[-1]), days)
        assert ours == pytest.approx(empyrical.cagr(r, annualization=ann), rel=RTOL), name
        dd = m.max_drawdown(nav, dates, start, base).depth
        assert m.calmar(ours, dd) == pytest.approx(
            empyrical.calmar_ratio(r, annualization=ann), rel=RTOL
        ), name


def test_worst_month_matches_empyrical_monthly_aggregation(cases, market):
    dates = market[0]
    index = pd.to_datetime(dates)
    for name, nav, start, _ in cases:
        r = pd.Series(m.daily_returns(nav, start), index=index)
        monthly = empyrical.aggregate_returns(r, "monthly")
        worst, label = m.worst_month(nav, dates, start)
        assert worst == pytest.approx(monthly.min(), rel=RTOL), name
        y, mo = monthly.idxmin()
        assert label == f"{y:04d}-{mo:02d}", name


def _npv(dates: list[dt.date], flows: list[float], x: float) -> float:
    """ACT/365 NPV at annual rate ``x``, summed in extended precision."""
    t = [(d - dates[0]).days / 365.0 for d in dates]
    return float(
        sum(np.longdouble(f) / np.longdouble(1 + x) ** ti for f, ti in zip(flows, t, strict=True))
    )


def test_xirr_matches_pyxirr():
    d = dt.date
    flow_sets = [
        # Excel's documented example
        (
            [d(2008, 1, 1), d(2008, 3, 1), d(2008, 10, 30), d(2009, 2, 15), d(2009, 4, 1)],
            [-10000, 2750, 4250, 3250, 2750],
        ),
        # a hedge book: premiums paid monthly, one large crisis payout, a final mark
        (
            [
                d(2008, 1, 2),
                d(2008, 2, 1),
                d(2008, 3, 3),
                d(2008, 4, 1),
                d(2008, 10, 24),
                d(2008, 12, 31),
            ],
            [-12000.0, -11500.0, -12500.0, -13000.0, 61000.0, 4000.0],
        ),
        # a losing book (the rate is negative)
        ([d(2010, 1, 4), d(2010, 7, 1), d(2011, 1, 3)], [-100000.0, -5000.0, 80000.0]),
        # initial and final flow only: the CAGR (ACT/365)
        ([d(2008, 9, 26), d(2009, 12, 31)], [-1_000_000.0, 1_180_000.0]),
    ]
    for dates, flows in flow_sets:
        ours, theirs = m.xirr(dates, flows), pyxirr.xirr(dates, flows)
        # pyxirr's Newton iteration stops within ~1e-9 of the root (NPV 1.3e-5 USD on the
        # hedge book); ours is bracketed to machine precision: compare at 1e-8 and check
        # that ours is the exact root (the NPV at our rate is ~0 relative to the flows)
        assert ours == pytest.approx(theirs, rel=1e-8, abs=1e-12), flows
        assert abs(_npv(dates, flows, ours)) <= abs(_npv(dates, flows, theirs)) + 1e-9
        assert abs(_npv(dates, flows, ours)) < 1e-12 * max(abs(f) for f in flows)
    dates, flows = flow_sets[-1]
    assert m.xirr(dates, flows) == pytest.approx(
        m.cagr(-flows[0], flows[1], (dates[1] - dates[0]).days), rel=1e-12
    )
