"""Performance metrics and the performance / stress-window tables, every number worked by hand.

Sessions used for the tables: 2008-12-29, 30, 31, 2009-01-02, 05 (NYSE); the session before
the first is 2008-12-26 (the base date). Default config: initial capital 1,000,000 USD,
252 trading days a year, CVaR at 95%.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics

import numpy as np
import polars as pl
import pytest

from alvh_assets.attribution import metrics as m
from alvh_assets.attribution.contribution import contribution_daily
from alvh_assets.attribution.hedge import HEDGE_BOOK, hedge_fills
from alvh_assets.attribution.performance import performance_table, stress_windows_table
from alvh_assets.attribution.schema import COMPONENTS, DAILY_PNL, PERFORMANCE, STRESS_WINDOWS
from alvh_assets.config import AlvhConfig, AttributionConfig, StressWindow

D = dt.date
DAYS = [D(2008, 12, 29), D(2008, 12, 30), D(2008, 12, 31), D(2009, 1, 2), D(2009, 1, 5)]
BASE = D(2008, 12, 26)
CAP = 1_000_000.0


# --- metrics -------------------------------------------------------------------------------


def test_daily_returns_and_risk_free():
    assert m.daily_returns(np.array([110.0, 99.0]), 100.0) == pytest.approx([0.10, -0.10])
    rf = m.risk_free_returns(
        np.array([0.0365, 0.073, 0.0]), [D(2009, 1, 2), D(2009, 1, 5)] + [D(2009, 1, 6)]
    )
    # first session 0; then yesterday's rate over the calendar gap: 3 days at 3.65%, 1 at 7.3%
    assert rf == pytest.approx([0.0, math.exp(0.0365 * 3 / 365) - 1, math.exp(0.073 / 365) - 1])


def test_max_drawdown_peak_trough_recovery():
    days = [D(2009, 1, d) for d in (5, 6, 7, 8, 9, 12)]
    base = D(2009, 1, 2)
    # running max 100, 110, 110, 110, 110, 110, 120; deepest 88/110 - 1 = -20% on Jan 7;
    # peak 110 on Jan 5 (index 1 counting the start NAV), back to 110 on Jan 9 (index 5)
    dd = m.max_drawdown(np.array([110, 99, 88, 95, 110, 120.0]), days, 100.0, base)
    assert dd.depth == pytest.approx(-0.20)
    assert (dd.peak, dd.trough, dd.sessions) == (D(2009, 1, 5), D(2009, 1, 7), 4)
    # not recovered: peak (index 1) to the last session (index 4) = 3 sessions
    dd = m.max_drawdown(np.array([110, 99, 88, 95.0]), days[:4], 100.0, base)
    assert (dd.depth, dd.sessions) == (pytest.approx(-0.20), 3)
    # the start NAV is the peak: peak date = base date; recovery at 100 on the 3rd session
    dd = m.max_drawdown(np.array([90, 80, 100.0]), days[:3], 100.0, base)
    assert dd.depth == pytest.approx(-0.20)
    assert (dd.peak, dd.trough, dd.sessions) == (base, D(2009, 1, 6), 3)
    # never below the running max
    assert m.max_drawdown(np.array([100, 101.0]), days[:2], 100.0, base) == (0.0, None, None, 0)
    assert m.calmar(0.1, 0.0) is None
    assert m.calmar(0.1, -0.2) == pytest.approx(0.5)


def test_sharpe_sortino_vol_by_explicit_loop():
    r = [0.01, -0.02, 0.015, 0.003, -0.004, 0.012]
    rf = [0.0, 0.0001, 0.0001, 0.0003, 0.0001, 0.0001]
    n, N = len(r), 252
    x = [r[i] - rf[i] for i in range(n)]
    mean = sum(x) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in x) / (n - 1))
    down = math.sqrt(sum(min(v, 0.0) ** 2 for v in x) / n)
    mean_r = sum(r) / n
    vol = math.sqrt(sum((v - mean_r) ** 2 for v in r) / (n - 1)) * math.sqrt(N)
    assert m.sharpe(np.array(r), np.array(rf), N) == pytest.approx(mean / sd * math.sqrt(N))
    assert m.sortino(np.array(r), np.array(rf), N) == pytest.approx(
        mean * N / (down * math.sqrt(N))
    )
    assert m.ann_vol(np.array(r), N) == pytest.approx(vol)
    # undefined: one return, no deviation, no downside
    assert m.sharpe(np.array([0.01]), np.array([0.0]), N) is None
    assert m.sharpe(np.array([0.01, 0.01]), np.zeros(2), N) is None
    assert m.sortino(np.array([0.01, 0.02]), np.zeros(2), N) is None
    assert m.ann_vol(np.array([0.01]), N) is None


def test_cagr():
    assert m.cagr(100.0, 121.0, 730) == pytest.approx(0.10)  # 1.21^(1/2) - 1
    assert m.cagr(100.0, 90.0, 365) == pytest.approx(-0.10)
    assert m.cagr(100.0, 110.0, 0) is None


def test_worst_day_and_month():
    days = [D(2008, 1, 30), D(2008, 1, 31), D(2008, 2, 28), D(2008, 2, 29), D(2008, 3, 3)]
    nav = np.array([105.0, 104.0, 95.0, 93.6, 98.28])
    # months: Jan 104/100 - 1 = +4%, Feb 93.6/104 - 1 = -10%, Mar 98.28/93.6 - 1 = +5%
    assert m.worst_month(nav, days, 100.0) == (pytest.approx(-0.10), "2008-02")
    # the first month is measured from the start NAV: Jan 90/100 - 1 = -10%
    assert m.worst_month(np.array([95.0, 90.0, 99.0]), days[:3], 100.0) == (
        pytest.approx(-0.10),
        "2008-01",
    )
    # days: +5%, -0.952%, -8.654%, -1.474%, +5%  -> worst 95/104 - 1 on Feb 28
    assert m.worst_day(m.daily_returns(nav, 100.0), days) == (pytest.approx(95 / 104 - 1), days[2])


def test_cvar():
    r = np.array([0.01 * i for i in range(20)]) - 0.05  # -0.05 … 0.14
    assert m.cvar(r, 0.95) == pytest.approx(-0.05)  # k = ceil(0.05 × 20) = 1
    r40 = np.concatenate((r, r + 0.001))
    assert m.cvar(r40, 0.95) == pytest.approx((-0.05 - 0.049) / 2)  # k = 2
    assert m.cvar(r[:5], 0.90) == pytest.approx(-0.05)  # k = ceil(0.5) = 1
    assert m.cvar(r, 0.80) == pytest.approx((-0.05 - 0.04 - 0.03 - 0.02) / 4)
    assert m.cvar(np.array([]), 0.95) is None


def test_beta_is_two():
    spx_r = [np.nan, 0.01, -0.02, 0.005, 0.03, -0.01]  # first SPX return undefined
    r = [0.05] + [2 * v for v in spx_r[1:]]  # the first NAV return is skipped with it
    assert m.beta(np.array(r), np.array(spx_r)) == pytest.approx(2.0)
    assert m.beta(np.array([0.1, 0.2]), np.array([np.nan, 0.1])) is None


def test_xirr():
    excel = [D(2008, 1, 1), D(2008, 3, 1), D(2008, 10, 30), D(2009, 2, 15), D(2009, 4, 1)]
    flows = [-10000, 2750, 4250, 3250, 2750]
    x = m.xirr(excel, flows)
    # Excel quotes 0.373362535; its iteration stops within 1e-8, the exact root is 1.5e-9 lower
    assert x == pytest.approx(0.373362535, abs=1e-8)
    npv = sum(
        cf / (1 + x) ** ((d - excel[0]).days / 365) for d, cf in zip(excel, flows, strict=True)
    )
    assert npv == pytest.approx(0.0, abs=1e-9)
    assert m.xirr([D(2010, 1, 1), D(2011, 1, 1)], [-100, 110]) == pytest.approx(0.10, abs=1e-12)
    assert m.xirr([D(2010, 1, 1), D(2011, 1, 1)], [100, 110]) is None
    assert m.xirr([D(2010, 1, 1), D(2011, 1, 1)], [0.0, 0.0]) is None
    # a near-total loss over 30 days: (1/100)^(365/30) - 1 ~ -100%
    assert m.xirr([D(2010, 1, 1), D(2010, 1, 31)], [-100, 1]) == pytest.approx(-1.0)


# --- tables --------------------------------------------------------------------------------

NAV = {
    # returns +1%, -0.990099%, +2%, +1%, -2%
    "unhedged": [1_010_000.0, 1_000_000.0, 1_020_000.0, 1_030_200.0, 1_009_596.0],
    # returns +0.5%, 0, +0.5%, +2%, +1%: never a drawdown
    "alvh_442": [1_005_000.0, 1_005_000.0, 1_010_025.0, 1_030_225.5, 1_040_527.755],
}
RATE = 0.0365  # rf = exp(0.0001 × calendar days) - 1
R_UNH = [0.01, 1_000_000 / 1_010_000 - 1, 0.02, 0.01, -0.02]
R_ALVH = [0.005, 0.0, 0.005, 0.02, 0.01]
PAR = [10_000.0, 10_000.0, 12_000.0, 12_000.0, 9_060.0]  # alvh premium at risk
SHIFT = [0.012, None, 0.015, 0.018, None]
ALVH_PNL = {
    "condor_theta": [200.0, 210.0, 220.0, 230.0, 240.0],
    "hedge_short_term": [50.0, -20.0, 300.0, 0.0, 100.0],
    "hedge_long_dated": [0.0] * 5,
    "hedge_carry": [-100.0, -100.0, -120.0, -120.0, -150.0],
    "commissions": [-13.0, 0.0, -2.6, 0.0, -3.9],
    "slippage": [-50.0, 0.0, -10.0, 0.0, -15.0],
    "interest": [1.0, 1.0, 1.0, 2.0, 1.0],
}
UNH_PNL = {"condor_theta": [200.0, 210.0, 220.0, 230.0, 240.0], "interest": [3.0] * 5}


def _spx() -> list[float]:
    """SPX closes whose returns are half the unhedged NAV returns (after the first)."""
    out = [900.0]
    for r in R_UNH[1:]:
        out.append(out[-1] * (1 + r / 2))
    return out


def _frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    account = pl.DataFrame(
        [
            {"strategy": s, "date": d, "nav": nav[i], "rate": RATE, "spx_close": _spx()[i]}
            for s, nav in NAV.items()
            for i, d in enumerate(DAYS)
        ]
    )
    pnl = pl.DataFrame(
        [
            {
                "strategy": s,
                "date": d,
                "component": c,
                "category": COMPONENTS[c],
                "bucket": c.removeprefix("hedge_") if COMPONENTS[c] == "hedge" else None,
                "amount": amounts[i],
            }
            for s, comps in (("alvh_442", ALVH_PNL), ("unhedged", UNH_PNL))
            for c, amounts in comps.items()
            for i, d in enumerate(DAYS)
        ],
        schema=DAILY_PNL,
    )
    budget = pl.DataFrame(
        [
            {
                "strategy": "alvh_442",
                "date": d,
                "premium_at_risk": PAR[i],
                "breakeven_shift": SHIFT[i],
            }
            for i, d in enumerate(DAYS)
        ]
        + [
            {"strategy": "unhedged", "date": d, "premium_at_risk": 0.0, "breakeven_shift": None}
            for d in DAYS
        ]
    )
    # (strategy, date, kind, trade_kind, quantity, price, commission, slippage, opportunity
    # cost, cash flow): the costs are those of ALVH_PNL; the roll on 01-02 costs nothing in
    # cash and gives up 700 USD of time value (a memo)
    fills = pl.DataFrame(
        [
            ("alvh_442", DAYS[0], "condor", "condor_entry", -1, 50.065, 6.5, 25.0, 0.0, 5_000.0),
            ("alvh_442", DAYS[0], "alvh", "hedge_add", 1, 99.685, 6.5, 25.0, 0.0, -10_000.0),
            ("alvh_442", DAYS[2], "alvh", "hedge_roll", 1, 19.974, 2.6, 10.0, 0.0, -2_000.0),
            ("alvh_442", DAYS[3], "condor", "condor_roll", 1, 0.0, 0.0, 0.0, 700.0, 0.0),
            ("alvh_442", DAYS[4], "alvh", "hedge_monetize", -1, 30.039, 3.9, 15.0, 0.0, 3_000.0),
            ("unhedged", DAYS[0], "condor", "condor_entry", -1, 50.0, 0.0, 0.0, 0.0, 5_000.0),
        ],
        schema=[
            "strategy",
            "date",
            "kind",
            "trade_kind",
            "quantity",
            "price",
            "commission",
            "slippage",
            "opportunity_cost",
            "cash_flow",
        ],
        orient="row",
    ).with_columns(
        exchange_fees=pl.lit(0.0),
        reason=pl.col("trade_kind"),
        leg=pl.when(pl.col("kind") == "condor")
        .then(pl.lit("short_put"))
        .otherwise(pl.lit("long_call")),
        side=pl.when(pl.col("quantity") > 0).then(pl.lit("buy")).otherwise(pl.lit("sell")),
    )
    return account, pnl, budget, fills


COST = [8_000.0, 8_000.0, 11_000.0, 11_000.0, 9_000.0]  # alvh premium at risk (cost basis)


def _hedge_book() -> pl.DataFrame:
    """ALVH's hedge book: cost basis COST, market value PAR, one open leg every session."""
    return pl.DataFrame(
        {
            "strategy": "alvh_442",
            "date": DAYS,
            "hedge_legs": [1] * 5,
            "premium_at_risk": COST,
            "hedge_market_value": PAR,
        },
        schema=HEDGE_BOOK,
    )


def _row(t: pl.DataFrame, strategy: str, period: str) -> dict:
    rows = t.filter((pl.col("strategy") == strategy) & (pl.col("period") == period)).to_dicts()
    assert len(rows) == 1
    return rows[0]


YEAR_END = StressWindow(name="year end", start=D(2008, 12, 30), end=D(2009, 1, 2))


def test_performance_table_two_strategies_across_a_year_end():
    # XIRR and capital cost are shown from 2 sessions with an open hedge leg (default 60)
    cfg = AlvhConfig(
        attribution=AttributionConfig(stress_windows=(YEAR_END,), hedge_min_capital_sessions=2)
    )
    account, pnl, budget, fills = _frames()
    t = performance_table(
        account, pnl, budget, fills, cfg, _hedge_book(), contribution_daily(account, cfg)
    )
    assert t.schema == pl.Schema(PERFORMANCE)
    assert sorted(zip(t["strategy"], t["period"], strict=True)) == sorted(
        (s, p) for s in NAV for p in ("all", "2008", "2009")
    )

    u = _row(t, "unhedged", "all")
    assert (u["start_date"], u["end_date"], u["sessions"]) == (DAYS[0], DAYS[4], 5)
    assert (u["start_nav"], u["end_nav"]) == (CAP, 1_009_596.0)
    assert u["total_pnl"] == pytest.approx(9_596.0)
    cagr = (1_009_596.0 / CAP) ** (365 / 10) - 1  # base 2008-12-26 -> 2009-01-05: 10 days
    assert u["cagr"] == pytest.approx(cagr)
    assert u["xirr"] == pytest.approx(cagr, rel=1e-9)  # no external flows: XIRR = CAGR
    # 1,030,200 on Jan 2 -> 1,009,596 on Jan 5 = -2%, not recovered (1 session)
    assert u["max_drawdown"] == pytest.approx(-0.02)
    assert (u["max_drawdown_peak"], u["max_drawdown_trough"]) == (DAYS[3], DAYS[4])
    assert u["max_drawdown_sessions"] == 1
    assert u["calmar"] == pytest.approx(cagr / 0.02)
    assert (u["worst_day"], u["worst_day_date"]) == (pytest.approx(-0.02), DAYS[4])
    # Dec: 1,020,000 / 1,000,000 - 1 = +2%; Jan: 1,009,596 / 1,020,000 - 1 = -1.02%
    assert u["worst_month"] == pytest.approx(1_009_596 / 1_020_000 - 1)
    assert u["worst_month_label"] == "2009-01"
    assert u["cvar_95"] == pytest.approx(-0.02)  # k = ceil(0.05 × 5) = 1
    assert u["beta_spx"] == pytest.approx(2.0)
    gaps = [0, 1, 1, 2, 3]  # calendar days from the previous session (first: rf = 0)
    x = [R_UNH[i] - (math.exp(RATE * gaps[i] / 365) - 1) for i in range(5)]
    mean = sum(x) / 5
    sd = math.sqrt(sum((v - mean) ** 2 for v in x) / 4)
    assert u["sharpe"] == pytest.approx(mean / sd * math.sqrt(252))
    down = math.sqrt(sum(min(v, 0) ** 2 for v in x) / 5)
    assert u["sortino"] == pytest.approx(mean * 252 / (down * math.sqrt(252)))
    assert (u["hedge_carry"], u["hedge_cost_drag"], u["rebalancing_cost"]) == (0.0, 0.0, 0.0)
    assert (u["roll_opportunity_cost"], u["premium_collected"]) == (0.0, pytest.approx(5_000.0))
    assert u["hedge_xirr"] is None and u["hedge_capital_cost"] is None
    assert u["hedge_xirr_note"] == u["hedge_capital_cost_note"] == "no hedge in the period"
    assert u["alvh_contribution_bp_week"] is None and u["avg_breakeven_shift"] is None
    # no hedge: nothing paid, recovered or spent (0), no flag and no protection per dollar
    spend = ("hedge_premium_paid", "hedge_premium_recovered", "hedge_net_spend")
    assert [u[c] for c in spend] == [0.0, 0.0, 0.0]
    assert [u[f"{c}_pct_nav_yr"] for c in spend] == [0.0, 0.0, 0.0]
    assert (u["hedge_stress_payoff"], u["hedge_stress_sessions"]) == (0.0, 3)
    assert u["hedge_spend_flag"] is None and u["hedge_protection_per_dollar"] is None
    assert u["contribution_windows"] is None  # not a hedged strategy: not compared

    u8 = _row(t, "unhedged", "2008")  # 1,010,000 then 1,000,000, back at 1,020,000
    assert (u8["start_nav"], u8["end_nav"], u8["sessions"]) == (CAP, 1_020_000.0, 3)
    assert u8["cagr"] == pytest.approx(1.02 ** (365 / 5) - 1)  # 2008-12-26 -> 12-31
    assert u8["max_drawdown"] == pytest.approx(1_000_000 / 1_010_000 - 1)
    assert (u8["max_drawdown_peak"], u8["max_drawdown_trough"]) == (DAYS[0], DAYS[1])
    assert u8["max_drawdown_sessions"] == 2  # 12-29 -> recovered 12-31
    u9 = _row(t, "unhedged", "2009")
    assert (u9["start_nav"], u9["end_nav"], u9["sessions"]) == (1_020_000.0, 1_009_596.0, 2)
    assert u9["cagr"] == pytest.approx((1_009_596 / 1_020_000) ** (365 / 5) - 1)
    assert u9["worst_month_label"] == "2009-01"

    a = _row(t, "alvh_442", "all")
    assert (a["max_drawdown"], a["max_drawdown_peak"], a["max_drawdown_sessions"]) == (
        0.0,
        None,
        0,
    )
    assert a["calmar"] is None
    carry = -100 - 100 - 120 - 120 - 150  # -590
    assert a["hedge_carry"] == pytest.approx(carry)
    # hedge spend: bought 10,000 (12-29) and 2,000 (12-31, a roll's new leg), sold 3,000
    # (01-05); 10 calendar days from the base date; average NAV of the five sessions
    avg_nav = sum(NAV["alvh_442"]) / 5
    assert a["avg_nav"] == pytest.approx(avg_nav)
    assert (a["hedge_premium_paid"], a["hedge_premium_recovered"]) == (12_000.0, 3_000.0)
    assert a["hedge_net_spend"] == 9_000.0
    assert a["hedge_premium_paid_pct_nav_yr"] == pytest.approx(12_000 / (10 / 365) / avg_nav)
    assert a["hedge_premium_recovered_pct_nav_yr"] == pytest.approx(3_000 * 36.5 / avg_nav)
    assert a["hedge_net_spend_pct_nav_yr"] == pytest.approx(9_000 * 36.5 / avg_nav)
    # the hedge cost drag is the net premium paid per year, share of the average NAV (§4)
    assert a["hedge_cost_drag"] == a["hedge_net_spend_pct_nav_yr"]
    assert a["hedge_spend_flag"] == "above"  # ~43% of NAV a year > 12%
    # stress window 12-30..01-02: hedge buckets (-20 + 300 + 0) + carry (-100 - 120 - 120)
    assert (a["hedge_stress_sessions"], a["hedge_stress_payoff"]) == (3, pytest.approx(-60.0))
    assert a["hedge_protection_per_dollar"] == pytest.approx(-60 / 12_000)
    # Rebalancing cost = cash costs of the rebalancing fills only (methodology §2: "Rebalancing
    # cost means cash costs only (commissions, exchange fees, slippage) of rebalancing trades"):
    # the hedge roll (2.6 + 10) and the monetization (3.9 + 15), not the entry nor the hedge
    # purchase (6.5 + 25 each); the roll's 700 USD of time value given up is a memo beside it.
    assert a["rebalancing_cost"] == pytest.approx(2.6 + 10 + 3.9 + 15)
    assert a["trading_costs"] == pytest.approx(13 + 2.6 + 3.9 + 50 + 10 + 15)
    assert a["trading_costs_entry"] == pytest.approx(6.5 + 25)
    assert a["trading_costs_hedge"] == pytest.approx(6.5 + 25 + 2.6 + 10 + 3.9 + 15)
    assert (a["trading_costs_roll"], a["trading_costs_exit"]) == (0.0, 0.0)
    assert a["roll_opportunity_cost"] == pytest.approx(700.0)
    assert a["premium_collected"] == pytest.approx(5_006.5)  # 1 × 50.065 × 100
    # carry per year over the average cost basis (not the market value PAR)
    assert a["avg_premium_at_risk"] == pytest.approx(9_400.0)
    assert a["hedge_capital_cost"] == pytest.approx((590 * 365 / 10) / 9_400)
    assert (a["hedge_capital_sessions"], a["hedge_xirr_note"]) == (5, None)
    assert (a["contribution_windows"], a["contribution_share_meeting"]) == (0, None)
    assert a["alvh_contribution_bp_week"] == pytest.approx(
        1e4 * (sum(R_ALVH) - sum(R_UNH)) / (5 / 5)
    )
    assert a["avg_breakeven_shift"] == pytest.approx((0.012 + 0.015 + 0.018) / 3)
    # hedge flows: 0 at 12-26, -10,000 12-29, -2,000 12-31, +3,000 and mark +9,060 on 01-05
    y = a["hedge_xirr"]
    npv = sum(
        cf / (1 + y) ** ((d - BASE).days / 365)
        for d, cf in ((DAYS[0], -10_000), (DAYS[2], -2_000), (DAYS[4], 12_060))
    )
    assert npv == pytest.approx(0.0, abs=1e-6)

    a8 = _row(t, "alvh_442", "2008")
    # -10,000 on 12-29, then -2,000 and a +12,000 mark on 12-31: net +10,000 -> 0%
    assert a8["hedge_xirr"] == pytest.approx(0.0, abs=1e-12)
    assert a8["hedge_carry"] == pytest.approx(-320.0)
    assert a8["hedge_capital_cost"] == pytest.approx((320 * 365 / 5) / 9_000)
    assert (a8["hedge_premium_paid"], a8["hedge_premium_recovered"]) == (12_000.0, 0.0)
    # 12-30, 12-31: (-20 + 300) - (100 + 120) = 60
    assert a8["hedge_protection_per_dollar"] == pytest.approx(60 / 12_000)
    assert a8["avg_breakeven_shift"] == pytest.approx(0.0135)
    assert a8["alvh_contribution_bp_week"] == pytest.approx(
        1e4 * (sum(R_ALVH[:3]) - sum(R_UNH[:3])) / (3 / 5)
    )
    a9 = _row(t, "alvh_442", "2009")
    # -12,000 mark at 12-31, +3,000 fill and +9,060 mark on 01-05: 1.005 over 5 days
    assert a9["hedge_xirr"] == pytest.approx(1.005**73 - 1, rel=1e-9)
    assert (a9["hedge_premium_paid"], a9["hedge_net_spend"]) == (0.0, -3_000.0)
    assert a9["hedge_stress_payoff"] == pytest.approx(-120.0)  # 01-02: carry only
    assert a9["hedge_protection_per_dollar"] is None  # nothing paid in 2009
    assert a9["hedge_spend_flag"] == "below"
    assert a9["start_nav"] == 1_010_025.0
    assert a9["avg_breakeven_shift"] == pytest.approx(0.018)
    assert a9["rebalancing_cost"] == pytest.approx(3.9 + 15)
    assert a9["roll_opportunity_cost"] == pytest.approx(700.0)
    assert a9["premium_collected"] == 0.0


def test_stress_windows_table_sums():
    windows = (
        StressWindow(name="year end", start=D(2008, 12, 30), end=D(2009, 1, 2)),
        StressWindow(name="from the start", start=D(2008, 12, 1), end=D(2008, 12, 29)),
        StressWindow(name="empty", start=D(2010, 1, 1), end=D(2010, 1, 31)),
    )
    account, pnl, _, fills = _frames()
    t = stress_windows_table(
        account, pnl, AlvhConfig(attribution=AttributionConfig(stress_windows=windows)), fills
    )
    assert t.schema == pl.Schema(STRESS_WINDOWS)
    assert "empty" not in t["window"].to_list()

    a = t.filter((pl.col("strategy") == "alvh_442") & (pl.col("window") == "year end"))
    assert a["bucket"].to_list() == [
        "total",
        "condor",
        "short_term",
        "long_dated",
        "hedge_carry",
        "trading_costs",
        "interest",
        "roll_opportunity_cost_memo",
    ]
    assert (a["first_date"][0], a["last_date"][0], a["sessions"][0]) == (DAYS[1], DAYS[3], 3)
    assert a["start_nav"][0] == 1_005_000.0  # NAV of 12-29
    pnl_of = dict(zip(a["bucket"], a["pnl"], strict=True))
    expected = {
        "total": 1_030_225.5 - 1_005_000.0,
        "condor": 210.0 + 220.0 + 230.0,
        "short_term": -20.0 + 300.0 + 0.0,
        "long_dated": 0.0,
        "hedge_carry": -100.0 - 120.0 - 120.0,
        "trading_costs": -2.6 - 10.0,
        "interest": 1.0 + 1.0 + 2.0,
        "roll_opportunity_cost_memo": -700.0,  # a memo: not in "total"
    }
    assert pnl_of == pytest.approx(expected)
    assert a["pnl_pct_of_nav"].to_list() == pytest.approx(
        [v / 1_005_000.0 for v in expected.values()]
    )

    u = t.filter((pl.col("strategy") == "unhedged") & (pl.col("window") == "from the start"))
    assert u["bucket"].to_list() == [
        "total", "condor", "hedge_carry", "trading_costs", "interest", "roll_opportunity_cost_memo"
    ]  # fmt: skip
    assert u["start_nav"][0] == CAP  # no session before the window: initial capital
    assert u["pnl"].to_list() == pytest.approx([10_000.0, 200.0, 0.0, 0.0, 3.0, 0.0])
    assert (u["window_start"][0], u["window_end"][0]) == (D(2008, 12, 1), D(2008, 12, 29))


# --- hedge spend, hedge returns where meaningful, rolling contribution ----------------------


def test_hedge_fills_net_a_spread_and_count_sales_and_settlements_as_recovered():
    # a VIX call spread opened (long bought for 1,000, short sold for 300: premium paid = the
    # net debit 700), then closed (long sold for 2,500, short bought back for 900) and a
    # second long call settled for 400: recovered = 2,500 - 900 + 400 = 2,000; net -1,300
    fills = pl.DataFrame(
        [
            ("condor", "short_put", "sell", -1, 5_000.0),  # not a hedge fill
            ("alvh", "long_call", "buy", 2, -1_000.0),
            ("alvh", "short_call", "sell", -2, 300.0),
            ("alvh", "long_call", "sell", -2, 2_500.0),
            ("alvh", "short_call", "buy", 2, -900.0),
            ("alvh", "long_call", "settle", -1, 400.0),
        ],
        schema=["kind", "leg", "side", "quantity", "cash_flow"],
        orient="row",
    )
    h = hedge_fills(fills)
    assert h["opening"].to_list() == [True, True, False, False, False]
    assert (h["paid"].sum(), h["recovered"].sum()) == (700.0, 2_000.0)
    assert h["paid"].sum() - h["recovered"].sum() == -h["cash_flow"].sum()


def test_hedge_xirr_and_capital_cost_only_where_meaningful():
    account, pnl, budget, fills = _frames()
    # default: 60 sessions with an open hedge leg needed, the book has 5 -> n/a with the reason
    t = performance_table(account, pnl, budget, fills, AlvhConfig(), _hedge_book())
    a = _row(t, "alvh_442", "all")
    assert a["hedge_xirr"] is None and a["hedge_capital_cost"] is None
    assert a["hedge_xirr_note"] == "hedge capital tied up on 5 sessions (< 60)"
    assert a["hedge_capital_cost_note"] == a["hedge_xirr_note"]
    # flows that never change sign: only a sale (+3,000) and no market value at either end
    cfg = AlvhConfig(attribution=AttributionConfig(hedge_min_capital_sessions=1))
    sale_only = fills.filter(
        (pl.col("kind") == "condor") | (pl.col("trade_kind") == "hedge_monetize")
    )
    book = _hedge_book().with_columns(hedge_market_value=pl.lit(0.0))
    a = _row(performance_table(account, pnl, budget, sale_only, cfg, book), "alvh_442", "all")
    assert a["hedge_xirr"] is None
    assert a["hedge_xirr_note"] == "the hedge's cash flows do not change sign"
    assert a["hedge_capital_cost"] == pytest.approx((590 * 365 / 10) / 9_400)
    assert a["hedge_capital_cost_note"] is None


# Mon 2009-01-05 … Tue 01-13 (NYSE sessions; the base date before 01-05 is Fri 01-02)
CDAYS = [D(2009, 1, d) for d in (5, 6, 7, 8, 9, 12, 13)]
CR_U = [0.01, -0.02, 0.01, 0.0, 0.02, -0.01, 0.01]
CR_H = [0.005, -0.005, 0.01, 0.0, 0.01, 0.0, 0.005]


def _account(returns: dict[str, list[float]], days: list[dt.date], rate: float) -> pl.DataFrame:
    rows = []
    for s, rs in returns.items():
        nav = CAP
        for d, r in zip(days, rs, strict=True):
            nav *= 1 + r
            rows.append({"strategy": s, "date": d, "nav": nav, "rate": rate, "spx_close": 900.0})
    return pl.DataFrame(rows)


def test_rolling_contribution_by_hand():
    # a 7-calendar-day window, rf = 0: on 01-12 the window holds 01-06 … 01-12 (5 sessions)
    # and its returns accrue from the close of 01-05: 7 days = 1 week
    account = _account({"unhedged": CR_U, "alvh_442": CR_H}, CDAYS, 0.0)
    cfg = AlvhConfig.model_validate(
        {"hedge": {"contribution_window_days": 7, "contribution_target_bp_week": 150.0}}
    )
    t = contribution_daily(account, cfg)
    assert t["strategy"].unique().to_list() == ["alvh_442"]
    r = t.filter(pl.col("date") == D(2009, 1, 12)).row(0, named=True)
    rh, ru = CR_H[1:6], CR_U[1:6]
    big_rh, big_ru = math.prod(1 + x for x in rh) - 1, math.prod(1 + x for x in ru) - 1
    assert big_rh == pytest.approx(0.995 * 1.01 * 1.01 - 1)  # 0.0149995
    assert big_ru == pytest.approx(0.98 * 1.01 * 1.02 * 0.99 - 1)  # -0.00049996
    sh, su = statistics.stdev(rh), statistics.stdev(ru)
    assert (r["window_start"], r["sessions"], r["complete"]) == (D(2009, 1, 5), 5, True)
    assert (r["return_hedged"], r["return_unhedged"]) == (
        pytest.approx(big_rh),
        pytest.approx(big_ru),
    )
    assert (r["vol_hedged"], r["vol_unhedged"]) == (pytest.approx(sh), pytest.approx(su))
    assert r["excess_bp_week"] == pytest.approx(1e4 * (big_rh - big_ru))
    m2 = big_rh * su / sh - big_ru  # M²: the hedged return at the unhedged volatility
    assert r["risk_adjusted_bp_week"] == pytest.approx(1e4 * m2)
    # 1e4 × (0.0149995 × 0.0158114 / 0.0067082 + 0.00049996) = 358.54 bp a week
    assert r["risk_adjusted_bp_week"] == pytest.approx(358.5412, abs=1e-4)
    assert r["target_bp_week"] == 150.0 and r["meets_target"] is True
    # 01-08: the window (01-01, 01-08] starts before the base date 01-02: incomplete
    early = t.filter(pl.col("date") == D(2009, 1, 8)).row(0, named=True)
    assert (early["complete"], early["meets_target"]) == (False, None)
    # 01-09: window (01-02, 01-09], sessions 01-05 … 01-09 from the base date 01-02
    r9 = t.filter(pl.col("date") == D(2009, 1, 9)).row(0, named=True)
    assert (r9["window_start"], r9["sessions"], r9["complete"]) == (D(2009, 1, 2), 5, True)
    rh9, ru9 = CR_H[:5], CR_U[:5]
    m2_9 = (math.prod(1 + x for x in rh9) - 1) * statistics.stdev(ru9) / statistics.stdev(rh9) - (
        math.prod(1 + x for x in ru9) - 1
    )
    assert r9["risk_adjusted_bp_week"] == pytest.approx(1e4 * m2_9)
    assert r9["risk_adjusted_bp_week"] == pytest.approx(270.0774, abs=1e-4)
    assert r9["meets_target"] is True
    # performance: the share of the complete windows (01-09, 01-12, 01-13) meeting 150 bp/week
    complete = t.filter(pl.col("complete"))
    assert complete["date"].to_list() == [D(2009, 1, 9), D(2009, 1, 12), D(2009, 1, 13)]
    _, pnl, budget, fills = _frames()
    perf = performance_table(account, pnl.clear(), budget.clear(), fills.clear(), cfg, None, t)
    a = _row(perf, "alvh_442", "all")
    assert a["contribution_windows"] == 3
    assert a["contribution_share_meeting"] == pytest.approx(complete["meets_target"].mean())
    assert a["contribution_mean_bp_week"] == pytest.approx(complete["risk_adjusted_bp_week"].mean())
    # the config's target is read: at 1,000 bp/week no window meets it
    high = AlvhConfig.model_validate(
        {"hedge": {"contribution_window_days": 7, "contribution_target_bp_week": 1000.0}}
    )
    assert not any(contribution_daily(account, high)["meets_target"].drop_nulls())


def test_rolling_contribution_matches_pandas_time_windows():
    # 80 sessions of seeded returns and a 3.65% rate; pandas' offset windows ('30D', closed
    # right) give the same sessions, compounded returns and volatilities
    pd = pytest.importorskip("pandas")
    days = [d for d in (D(2009, 3, 2) + dt.timedelta(days=i) for i in range(120))]
    days = [d for d in days if d.weekday() < 5][:80]
    rng = np.random.default_rng(7)
    ru = rng.normal(0.0, 0.01, len(days))
    rh = 0.6 * ru + rng.normal(0.0003, 0.003, len(days))
    account = _account({"unhedged": list(ru), "static_permanent": list(rh)}, days, 0.0365)
    t = contribution_daily(account, AlvhConfig())
    rf = m.risk_free_returns(np.full(len(days), 0.0365), days)
    idx = pd.DatetimeIndex(days)

    def roll_prod(x: np.ndarray) -> np.ndarray:
        return pd.Series(1 + x, index=idx).rolling("30D").apply(np.prod, raw=True).to_numpy() - 1

    assert t["sessions"].to_list() == pd.Series(1, index=idx).rolling("30D").sum().tolist()
    assert t["return_hedged"].to_numpy() == pytest.approx(roll_prod(rh), rel=1e-9)
    assert t["return_unhedged"].to_numpy() == pytest.approx(roll_prod(ru), rel=1e-9)
    assert t["return_risk_free"].to_numpy() == pytest.approx(roll_prod(rf), rel=1e-9)
    sd = pd.Series(rh, index=idx).rolling("30D").std().to_numpy()
    assert t["vol_hedged"].to_numpy()[1:] == pytest.approx(sd[1:], rel=1e-9)
    su = pd.Series(ru, index=idx).rolling("30D").std().to_numpy()
    weeks = (t["date"] - t["window_start"]).dt.total_days().to_numpy() / 7
    big_rf = roll_prod(rf)
    m2 = (roll_prod(rh) - big_rf) * su / sd - (roll_prod(ru) - big_rf)
    assert t["risk_adjusted_bp_week"].to_numpy()[1:] == pytest.approx(
        1e4 * m2[1:] / weeks[1:], rel=1e-9
    )
    # complete from the first session 30 days after the base date (Fri 2009-02-27)
    first_complete = t.filter(pl.col("complete"))["date"][0]
    assert first_complete == min(d for d in days if d >= D(2009, 3, 29))
