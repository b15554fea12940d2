"""The ``attribution`` tables: layouts and keys (the contract the report and analysts use).

| table | grain (key) |
|---|---|
| ``attribution.daily_pnl`` | strategy, date, component |
| ``attribution.performance`` | strategy, period (``all`` or the calendar year ``YYYY``) |
| ``attribution.stress_windows`` | strategy, window, bucket |
| ``attribution.contribution_daily`` | strategy, date |
"""

from __future__ import annotations

import polars as pl

from alvh_assets.attribution.contribution import CONTRIBUTION_DAILY

F, N, S, D = pl.Float64(), pl.Int64(), pl.Utf8(), pl.Date()

COMPONENTS: dict[str, str] = {
    "condor_theta": "condor",
    "condor_delta_gamma": "condor",
    "condor_vega": "condor",
    "hedge_short_term": "hedge",
    "hedge_medium_term": "hedge",
    "hedge_long_dated": "hedge",
    "hedge_single_layer": "hedge",
    "hedge_static": "hedge",
    "hedge_calendar": "hedge",
    "hedge_carry": "hedge_carry",
    "commissions": "trading_costs",
    "exchange_fees": "trading_costs",
    "slippage": "trading_costs",
    "interest": "interest",
    "residual": "residual",
}
"""Component -> category of ``attribution.daily_pnl`` (USD; gains positive, costs negative).
These components, and only these, sum to the NAV change (methodology §2: "the P&L components
(theta, vega, delta/gamma, hedge, cash costs, interest) alone sum to the NAV change")."""

MEMOS: dict[str, str] = {
    "roll_opportunity_cost": "time value of the closed legs given up by condor rolls (002, "
    "'value given up'; Σ strategy.fills.opportunity_cost); a memo beside the P&L, never a "
    "component of attribution.daily_pnl nor a cost (methodology §2)",
}
"""Memo figures: reported beside the P&L (``attribution.performance``, the
``roll_opportunity_cost_memo`` stress bucket, ``v_roll_opportunity_cost_memo_monthly``),
outside every sum that makes the NAV change."""

DAILY_PNL: dict[str, pl.DataType] = {
    "strategy": S,
    "date": D,
    "component": S,
    "category": S,
    "bucket": S,
    "amount": F,
}
PERFORMANCE: dict[str, pl.DataType] = {
    "strategy": S,
    "period": S,
    "start_date": D,
    "end_date": D,
    "sessions": N,
    "start_nav": F,
    "end_nav": F,
    "total_pnl": F,
    "cagr": F,
    "ann_vol": F,
    "sharpe": F,
    "sortino": F,
    "max_drawdown": F,
    "max_drawdown_peak": D,
    "max_drawdown_trough": D,
    "max_drawdown_sessions": N,
    "calmar": F,
    "worst_day": F,
    "worst_day_date": D,
    "worst_month": F,
    "worst_month_label": S,
    "cvar_95": F,
    "beta_spx": F,
    "hedge_carry": F,
    "avg_nav": F,
    "hedge_premium_paid": F,
    "hedge_premium_recovered": F,
    "hedge_net_spend": F,
    "hedge_premium_paid_pct_nav_yr": F,
    "hedge_premium_recovered_pct_nav_yr": F,
    "hedge_net_spend_pct_nav_yr": F,
    "hedge_cost_drag": F,
    "hedge_spend_flag": S,
    "hedge_stress_sessions": N,
    "hedge_stress_payoff": F,
    "hedge_protection_per_dollar": F,
    "trading_costs": F,
    "trading_costs_entry": F,
    "trading_costs_roll": F,
    "trading_costs_exit": F,
    "trading_costs_hedge": F,
    "rebalancing_cost": F,
    "roll_opportunity_cost": F,
    "premium_collected": F,
    "xirr": F,
    "hedge_capital_sessions": N,
    "avg_premium_at_risk": F,
    "hedge_xirr": F,
    "hedge_xirr_note": S,
    "hedge_capital_cost": F,
    "hedge_capital_cost_note": S,
    "alvh_contribution_bp_week": F,
    "contribution_windows": N,
    "contribution_share_meeting": F,
    "contribution_mean_bp_week": F,
    "avg_breakeven_shift": F,
}
STRESS_WINDOWS: dict[str, pl.DataType] = {
    "strategy": S,
    "window": S,
    "bucket": S,
    "window_start": D,
    "window_end": D,
    "first_date": D,
    "last_date": D,
    "sessions": N,
    "start_nav": F,
    "pnl": F,
    "pnl_pct_of_nav": F,
}
TABLES: dict[str, dict[str, pl.DataType]] = {
    "attribution.daily_pnl": DAILY_PNL,
    "attribution.performance": PERFORMANCE,
    "attribution.stress_windows": STRESS_WINDOWS,
    "attribution.contribution_daily": CONTRIBUTION_DAILY,
}
KEYS: dict[str, tuple[str, ...]] = {
    "attribution.daily_pnl": ("strategy", "date", "component"),
    "attribution.performance": ("strategy", "period"),
    "attribution.stress_windows": ("strategy", "window", "bucket"),
    "attribution.contribution_daily": ("strategy", "date"),
}
