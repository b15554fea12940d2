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

from alvh_assets.attribution.contribution import CONTRIBUTION_DAILY, CONTRIBUTION_DOC
from alvh_assets.warehouse import TableDoc

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

STRATEGY = "Strategy of the registry (alvh_assets/strategy/registry.py)."
PERIOD_USD = "USD, whole book, over the period"
SHARE_YR = "share of the average NAV a year (USD ÷ years ÷ avg_nav; 0.01 = 1%)"
_PERFORMANCE = {
    "strategy": STRATEGY,
    "period": "'all' (the whole range) or a calendar year 'YYYY'.",
    "start_date": "First session of the period.",
    "end_date": "Last session of the period.",
    "sessions": "Sessions in the period.",
    "start_nav": "NAV at the close before the period (initial capital before the first "
    "session), USD.",
    "end_nav": "NAV at the period's last close, USD.",
    "total_pnl": f"end_nav − start_nav, {PERIOD_USD}.",
    "cagr": "(end/start)^(365/days) − 1, days from the session before the period (decimal).",
    "ann_vol": "std(r, ddof=1) × √252 of the daily returns (decimal).",
    "sharpe": "mean(r − rf) / std(r − rf, ddof=1) × √252.",
    "sortino": "mean(r − rf) × 252 / (√mean(min(r − rf, 0)²) × √252).",
    "max_drawdown": "Deepest NAV / running max − 1 (negative decimal).",
    "max_drawdown_peak": "The last peak before the deepest trough.",
    "max_drawdown_trough": "Session of the deepest trough.",
    "max_drawdown_sessions": "Sessions from the peak to recovery (or to the period's end).",
    "calmar": "cagr / |max_drawdown|.",
    "worst_day": "Lowest daily return (decimal).",
    "worst_day_date": "Session of the worst day.",
    "worst_month": "Lowest calendar-month return from month-end NAVs (decimal).",
    "worst_month_label": "The worst month, YYYY-MM.",
    "cvar_95": "Mean of the ceil(0.05 n) worst daily returns (decimal).",
    "beta_spx": "cov(r, r_SPX) / var(r_SPX) of the daily returns.",
    "hedge_carry": f"Σ hedge_carry of daily_pnl (theta the hedge legs bled), {PERIOD_USD}; "
    "negative = cost.",
    "avg_nav": "Mean NAV of the period's sessions, USD (the base of every _pct_nav_yr).",
    "hedge_premium_paid": f"−Σ cash_flow of the opening hedge fills, {PERIOD_USD}, positive "
    "(commissions and fees included; a spread's short leg nets the debit); 0 without a hedge.",
    "hedge_premium_recovered": f"Σ cash_flow of the closing hedge fills (sales, buy-backs, "
    f"settlements), {PERIOD_USD}.",
    "hedge_net_spend": f"paid − recovered = −Σ cash_flow of every hedge fill, {PERIOD_USD}.",
    "hedge_premium_paid_pct_nav_yr": f"hedge_premium_paid as a {SHARE_YR}.",
    "hedge_premium_recovered_pct_nav_yr": f"hedge_premium_recovered as a {SHARE_YR}.",
    "hedge_net_spend_pct_nav_yr": f"hedge_net_spend as a {SHARE_YR}.",
    "hedge_cost_drag": "= hedge_net_spend_pct_nav_yr: the net premium paid, annual share of "
    "the average NAV (methodology §4).",
    "hedge_spend_flag": "below / within / above the 1–12% of average NAV a year anchor of §3 "
    "(hedge_premium_paid_pct_nav_yr against attribution.hedge_spend_min/max_pct_nav_yr); "
    "null without a hedge.",
    "hedge_stress_sessions": "Sessions of the period inside a configured stress window.",
    "hedge_stress_payoff": "The hedge legs' market P&L on those sessions (Σ hedge_<bucket> + "
    "hedge_carry), USD.",
    "hedge_protection_per_dollar": "hedge_stress_payoff / hedge_premium_paid; null when "
    "nothing was paid or no stress session.",
    "trading_costs": f"Σ (commission + exchange fees + slippage) of the fills, {PERIOD_USD}, "
    "positive.",
    "trading_costs_entry": "trading_costs of condor_entry fills, USD, positive.",
    "trading_costs_roll": "trading_costs of condor_roll fills, USD, positive.",
    "trading_costs_exit": "trading_costs of condor_exit and halt_close fills, USD, positive.",
    "trading_costs_hedge": "trading_costs of hedge_* fills, USD, positive.",
    "rebalancing_cost": "Cash costs (commission + exchange fees + slippage) of rebalancing "
    "trades only (condor_roll, hedge_roll, hedge_trim, hedge_monetize), USD, positive "
    "(methodology §2).",
    "roll_opportunity_cost": "MEMO (§2): Σ strategy.fills.opportunity_cost, the time value the "
    "condor's rolls gave up, USD; in no cost and no sum.",
    "premium_collected": "Original credits of the condors opened in the period, USD: "
    "Σ −qty × price × 100 of the condor_entry fills.",
    "xirr": "XIRR (ACT/365) of −start NAV and +end NAV (= CAGR without external flows).",
    "hedge_capital_sessions": "Sessions with an open hedge leg.",
    "avg_premium_at_risk": "Mean premium at risk (cost basis of the open hedge legs, Σ quantity "
    "× entry price × 100) over the period's sessions, USD.",
    "hedge_xirr": "XIRR of the hedge's own flows (decimal a year); null with the reason in "
    "hedge_xirr_note.",
    "hedge_xirr_note": "Why hedge_xirr is null (null when it has a value).",
    "hedge_capital_cost": "WACC-style cost of hedge capital: (−hedge_carry × 365 / days) / "
    "avg_premium_at_risk (decimal a year); null with the reason in hedge_capital_cost_note.",
    "hedge_capital_cost_note": "Why hedge_capital_cost is null (null when it has a value).",
    "alvh_contribution_bp_week": "ALVH only: 1e4 × Σ (r_ALVH − r_unhedged) ÷ (sessions / 5), "
    "basis points a week, the whole-period average.",
    "contribution_windows": "Hedged strategies: complete rolling windows of "
    "attribution.contribution_daily ending in the period with a value.",
    "contribution_share_meeting": "Share of those windows meeting the contribution target "
    "(the monitored metric of 003).",
    "contribution_mean_bp_week": "Mean risk-adjusted bp/week of those windows.",
    "avg_breakeven_shift": "Mean outward shift of the combined lower break-even (share of the "
    "condor's break-even).",
}
DOCS: dict[str, TableDoc] = {
    "attribution.daily_pnl": TableDoc(
        "Where each strategy's NAV change came from, every day: condor theta, delta/gamma and "
        "vega P&L (yesterday's Greeks; delta/gamma takes the rest), hedge P&L per bucket, "
        "hedge carry (theta), commissions, exchange fees, slippage, interest, and a residual "
        "that is zero to the cent. No memo figure is a component: the roll opportunity cost "
        "(methodology §2 memo) is in attribution.performance, the stress windows' "
        "roll_opportunity_cost_memo bucket and v_roll_opportunity_cost_memo_monthly. Rules: "
        "alvh_assets/attribution/daily_pnl.py. Grain: strategy, date, component.",
        {
            "strategy": STRATEGY,
            "date": "Session (NYSE trading day).",
            "component": "P&L component: " + ", ".join(COMPONENTS) + ".",
            "category": "Category of the component: condor, hedge, hedge_carry, "
            "trading_costs, interest, residual.",
            "bucket": "Hedge bucket of a hedge_<bucket> component; null otherwise.",
            "amount": "P&L of the component, USD, whole book; gains positive, costs negative. "
            "The components of a strategy-day sum to its NAV change (exact DOUBLE).",
        },
    ),
    "attribution.performance": TableDoc(
        "Per strategy, for the whole range ('all') and each calendar year: CAGR, volatility, "
        "Sharpe, Sortino, max drawdown and its length, Calmar, worst day and month, CVaR 95%, "
        "beta to SPX, hedge spend (premium paid, recovered, net, each as a share of average "
        "NAV a year; the hedge cost drag is the net) and protection per dollar (stress-window "
        "hedge payoff / premium paid), trading costs (cash) in all and by trade kind (entry, "
        "roll, exit, hedge) beside the premium collected, rebalancing cost (cash costs of "
        "rebalancing trades only), the roll opportunity cost (MEMO, in no sum), XIRR, the "
        "hedge's XIRR and WACC-style cost of hedge capital (only where meaningful, else null "
        "with the reason), ALVH's bp/week contribution, the share of rolling windows meeting "
        "the contribution target, average break-even shift. Definitions: docs/attribution.md. "
        "Grain: strategy, period.",
        _PERFORMANCE,
    ),
    "attribution.stress_windows": TableDoc(
        "P&L of each strategy and each hedge bucket in the named stress windows of the "
        "methodology (only windows inside the data); the bucket roll_opportunity_cost_memo is "
        "a memo outside 'total'. Grain: strategy, window, bucket.",
        {
            "strategy": STRATEGY,
            "window": "Name of the stress window (attribution.stress_windows in the config).",
            "bucket": "total (NAV change), condor, each hedge bucket, hedge_carry, "
            "trading_costs, interest, or the memo roll_opportunity_cost_memo (not in total).",
            "window_start": "The window's configured first day.",
            "window_end": "The window's configured last day.",
            "first_date": "First session of the data inside the window.",
            "last_date": "Last session of the data inside the window.",
            "sessions": "Sessions of the data inside the window.",
            "start_nav": "NAV at the close before the window, USD.",
            "pnl": "P&L of the bucket over the window, USD, whole book; gains positive.",
            "pnl_pct_of_nav": "pnl / start_nav (decimal).",
        },
    ),
    "attribution.contribution_daily": CONTRIBUTION_DOC,
}
"""The data dictionary of the ``attribution`` tables (table and column comments), one entry
per table of :data:`TABLES`, column for column (a test holds them equal). Money in USD for
the whole book, exact DOUBLE (the views ``attribution.v_*`` show it as DECIMAL(18,2))."""
