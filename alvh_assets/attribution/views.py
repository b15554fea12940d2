"""Documented SQL views for the questions analysts ask most (schema ``attribution``).

Each view is plain SQL over the public tables, created (``CREATE OR REPLACE``) with its
description and a description of every column as DuckDB comments, so ``duckdb_views()``,
``duckdb_columns()`` and BI tools show them. The SQL names its tables without a catalog, so
the views work in a published copy opened under any name.

**Money as a BI user sees it** (issue 20) [choice]: every USD column of a view is
``DECIMAL(18,2)``, rounded to the cent (half away from zero) *after* the view sums the exact
values; shares, rates, strikes and index levels stay DOUBLE. The tables keep the exact
DOUBLE amounts, and the conservation checks (components sum to the NAV change, to the cent)
run on the tables, never on the views. A sum of rounded view rows can therefore differ from
the rounded exact total by up to half a cent per row.
"""

from __future__ import annotations

import duckdb

from alvh_assets.strategy.book import REBALANCING_KINDS
from alvh_assets.warehouse import sql_text

_REBALANCING = ", ".join(f"'{k}'" for k in REBALANCING_KINDS)
MONEY = "DECIMAL(18, 2)"
"""The SQL type of a view's USD column: cents, exact in BI tools and spreadsheets."""


def usd(expr: str) -> str:
    """``expr`` (exact DOUBLE USD) rounded to the cent as :data:`MONEY`."""
    return f"CAST(round({expr}, 2) AS {MONEY})"


STRATEGY = "Strategy of the registry (alvh_assets/strategy/registry.py)."
MONTH = "First day of the calendar month."

VIEWS: dict[str, tuple[str, str, dict[str, str]]] = {
    "attribution.v_allocation_latest": (
        "Hedge layers of every strategy on the latest day: one row per strategy, bucket and "
        "tranche, with the rule or signal that set each tranche.",
        f"""
        SELECT l.strategy, l.date, l.bucket, l.tranche, l.active, l.instrument, l.expiration,
               l.long_strike, l.short_strike, l.contracts,
               {usd("l.premium_at_risk")} AS premium_at_risk,
               {usd("l.target_premium")} AS target_premium,
               l.rule, l.action, l.blocked_by
        FROM strategy.layer_allocations_daily l
        WHERE l.date = (SELECT max(date) FROM strategy.layer_allocations_daily)
        """,
        {
            "strategy": STRATEGY,
            "date": "The latest session of strategy.layer_allocations_daily.",
            "bucket": "Hedge bucket (short_term, medium_term, long_dated, calendar, or a "
            "baseline's single layer).",
            "tranche": "Tranche within the bucket.",
            "active": "Whether the tranche holds a position at the close.",
            "instrument": "The option or spread held (ROOT YYYY-MM-DD STRIKE{C|P}).",
            "expiration": "Expiration of the tranche's legs.",
            "long_strike": "Strike of the long leg, index points.",
            "short_strike": "Strike of a spread's short leg, index points (null for one option).",
            "contracts": "Contracts held (of each leg).",
            "premium_at_risk": "Cost basis of the tranche's open legs, USD (DECIMAL, cents).",
            "target_premium": "Premium the tranche targets, USD (DECIMAL, cents).",
            "rule": "The rule or signal that set the tranche (methodology §3).",
            "action": "The day's action (add, roll, trim, monetize, lapse, expire, close, hold, "
            "none).",
            "blocked_by": "Rule that blocked adding to the tranche today (null when none).",
        },
    ),
    "attribution.v_cost_breakdown_monthly": (
        "Monthly P&L by strategy and component (USD; costs negative): condor Greeks, hedge "
        "buckets, hedge carry, commissions, exchange fees, slippage, interest. No memo figure: "
        "the roll opportunity cost is in v_roll_opportunity_cost_memo_monthly.",
        f"""
        SELECT strategy, date_trunc('month', date)::DATE AS month, category, component,
               {usd("sum(amount)")} AS amount
        FROM attribution.daily_pnl
        GROUP BY ALL
        """,
        {
            "strategy": STRATEGY,
            "month": MONTH,
            "category": "Category of the component (condor, hedge, hedge_carry, trading_costs, "
            "interest, residual).",
            "component": "P&L component of attribution.daily_pnl.",
            "amount": "The month's P&L of the component, USD (DECIMAL, cents; costs negative).",
        },
    ),
    "attribution.v_hedge_payoff_stress": (
        "Hedge payoff per strategy, stress window and hedge bucket (USD and share of the NAV "
        "at the window's start), beside the condor's P&L and the strategy total.",
        f"""
        SELECT strategy, "window", window_start, window_end, first_date, last_date, sessions,
               bucket, {usd("pnl")} AS pnl, pnl_pct_of_nav
        FROM attribution.stress_windows
        """,
        {
            "strategy": STRATEGY,
            "window": "Name of the stress window.",
            "window_start": "The window's configured first day.",
            "window_end": "The window's configured last day.",
            "first_date": "First session of the data inside the window.",
            "last_date": "Last session of the data inside the window.",
            "sessions": "Sessions of the data inside the window.",
            "bucket": "total, condor, a hedge bucket, hedge_carry, trading_costs, interest, or "
            "the memo roll_opportunity_cost_memo (not in total).",
            "pnl": "P&L of the bucket over the window, USD (DECIMAL, cents).",
            "pnl_pct_of_nav": "pnl / NAV before the window (decimal, from the exact amounts).",
        },
    ),
    "attribution.v_nav_drawdown": (
        "NAV of every strategy every day with its running peak and drawdown (share below "
        "the peak), and SPX for comparison.",
        f"""
        SELECT strategy, date, {usd("nav")} AS nav, spx_close,
               {usd("max(nav) OVER (PARTITION BY strategy ORDER BY date)")} AS peak_nav,
               nav / max(nav) OVER (PARTITION BY strategy ORDER BY date) - 1 AS drawdown
        FROM strategy.account_daily
        """,
        {
            "strategy": STRATEGY,
            "date": "Session.",
            "nav": "NAV at mid at the close, USD (DECIMAL, cents).",
            "spx_close": "SPX close, index points.",
            "peak_nav": "Highest NAV up to the session, USD (DECIMAL, cents).",
            "drawdown": "NAV / peak − 1 (decimal, ≤ 0; from the exact NAV).",
        },
    ),
    "attribution.v_daily_pnl_by_category": (
        "Daily P&L per strategy split into condor, hedge, hedge carry, trading costs "
        "(commissions, exchange fees, slippage) and interest (USD), with the NAV change they "
        "add up to (no memo figure inside).",
        f"""
        SELECT strategy, date,
               {usd("sum(amount) FILTER (category = 'condor')")} AS condor,
               {usd("sum(amount) FILTER (category = 'hedge')")} AS hedge,
               {usd("sum(amount) FILTER (category = 'hedge_carry')")} AS hedge_carry,
               {usd("sum(amount) FILTER (category = 'trading_costs')")} AS trading_costs,
               {usd("sum(amount) FILTER (category = 'interest')")} AS interest,
               {usd("sum(amount)")} AS nav_change
        FROM attribution.daily_pnl
        GROUP BY ALL
        """,
        {
            "strategy": STRATEGY,
            "date": "Session.",
            "condor": "Condor P&L (theta, delta/gamma, vega), USD (DECIMAL, cents).",
            "hedge": "Hedge P&L of every bucket, USD (DECIMAL, cents; null without a hedge).",
            "hedge_carry": "Theta the hedge legs bled, USD (DECIMAL, cents; null without a hedge).",
            "trading_costs": "Commissions, exchange fees and slippage, USD (DECIMAL, cents; "
            "negative).",
            "interest": "Interest on cash, USD (DECIMAL, cents).",
            "nav_change": "NAV change of the day, USD (DECIMAL, cents): the exact sum of every "
            "component, the residual included, rounded once.",
        },
    ),
    "attribution.v_trading_costs_by_kind_monthly": (
        "Monthly trading costs (commissions, exchange fees, slippage; USD, positive) per "
        "strategy and trade kind (condor_entry, condor_roll, condor_exit, halt_close, hedge_*), "
        "with whether the kind is a rebalancing trade (methodology §2), beside the premium the "
        "month's condor entries collected.",
        f"""
        SELECT strategy, date_trunc('month', date)::DATE AS month, trade_kind,
               trade_kind IN ({_REBALANCING}) AS rebalancing,
               count(*) AS fills, {usd("sum(commission)")} AS commissions,
               {usd("sum(exchange_fees)")} AS exchange_fees, {usd("sum(slippage)")} AS slippage,
               {usd("sum(commission + exchange_fees + slippage)")} AS trading_costs,
               {usd("sum(-quantity * price * 100) FILTER (trade_kind = 'condor_entry')")}
                   AS premium_collected
        FROM strategy.fills
        GROUP BY ALL
        """,
        {
            "strategy": STRATEGY,
            "month": MONTH,
            "trade_kind": "Kind of the fills (strategy.fills.trade_kind).",
            "rebalancing": "Whether the kind is a rebalancing trade (methodology §2).",
            "fills": "Fills of the kind in the month.",
            "commissions": "Commissions, USD (DECIMAL, cents; positive = cost).",
            "exchange_fees": "Exchange fees, USD (DECIMAL, cents; positive = cost).",
            "slippage": "Slippage, USD (DECIMAL, cents; positive = cost).",
            "trading_costs": "commissions + exchange_fees + slippage, USD (DECIMAL, cents).",
            "premium_collected": "Original credit of the month's condor entries, USD (DECIMAL, "
            "cents; null for other kinds).",
        },
    ),
    "attribution.v_roll_opportunity_cost_memo_monthly": (
        "MEMO, outside every P&L sum: the time value the condor's rolls gave up each month "
        "(002 'value given up'; USD, positive), per strategy. Never a cost or a P&L component "
        "(methodology §2): the components of attribution.daily_pnl sum to the NAV change "
        "without it.",
        f"""
        SELECT strategy, date_trunc('month', date)::DATE AS month, count(*) AS roll_fills,
               {usd("sum(opportunity_cost)")} AS roll_opportunity_cost_memo
        FROM strategy.fills
        WHERE trade_kind = 'condor_roll'
        GROUP BY ALL
        """,
        {
            "strategy": STRATEGY,
            "month": MONTH,
            "roll_fills": "Condor roll fills in the month.",
            "roll_opportunity_cost_memo": "MEMO: time value the rolls gave up, USD (DECIMAL, "
            "cents; positive); in no P&L sum.",
        },
    ),
}


"""View -> (description, SQL, column -> description): the view's comment and its columns'."""


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create every view with its comment and its columns' comments; returns their
    names."""
    for name, (description, sql, columns) in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
        con.execute(f"COMMENT ON VIEW {name} IS {sql_text(description)}")
        for column, text in columns.items():
            con.execute(f'COMMENT ON COLUMN {name}."{column}" IS {sql_text(text)}')
    return list(VIEWS)
