"""Documented SQL views for the questions analysts ask most (schema ``attribution``).

Each view is plain SQL over the public tables, created (``CREATE OR REPLACE``) with its
description as the DuckDB comment, so ``duckdb_views()`` and BI tools show it.
"""

from __future__ import annotations

import duckdb

VIEWS: dict[str, tuple[str, str]] = {
    "attribution.v_allocation_latest": (
        "Hedge layers of every strategy on the latest day: one row per strategy, bucket and "
        "tranche, with the rule or signal that set each tranche.",
        """
        SELECT l.strategy, l.date, l.bucket, l.tranche, l.active, l.instrument, l.expiration,
               l.long_strike, l.short_strike, l.contracts, l.premium_at_risk, l.target_premium,
               l.rule, l.action, l.blocked_by
        FROM strategy.layer_allocations_daily l
        WHERE l.date = (SELECT max(date) FROM strategy.layer_allocations_daily)
        """,
    ),
    "attribution.v_cost_breakdown_monthly": (
        "Monthly P&L by strategy and component (USD; costs negative): condor Greeks, hedge "
        "buckets, hedge carry, commissions, exchange fees, slippage, opportunity cost, interest.",
        """
        SELECT strategy, date_trunc('month', date)::DATE AS month, category, component,
               sum(amount) AS amount
        FROM attribution.daily_pnl
        GROUP BY ALL
        """,
    ),
    "attribution.v_hedge_payoff_stress": (
        "Hedge payoff per strategy, stress window and hedge bucket (USD and share of the NAV "
        "at the window's start), beside the condor's P&L and the strategy total.",
        """
        SELECT strategy, "window", window_start, window_end, first_date, last_date, sessions,
               bucket, pnl, pnl_pct_of_nav
        FROM attribution.stress_windows
        """,
    ),
    "attribution.v_nav_drawdown": (
        "NAV of every strategy every day with its running peak and drawdown (share below "
        "the peak), and SPX for comparison.",
        """
        SELECT strategy, date, nav, spx_close,
               max(nav) OVER (PARTITION BY strategy ORDER BY date) AS peak_nav,
               nav / max(nav) OVER (PARTITION BY strategy ORDER BY date) - 1 AS drawdown
        FROM strategy.account_daily
        """,
    ),
    "attribution.v_daily_pnl_by_category": (
        "Daily P&L per strategy split into condor, hedge, hedge carry, rebalancing and "
        "interest (USD), with the NAV change they add up to.",
        """
        SELECT strategy, date,
               sum(amount) FILTER (category = 'condor') AS condor,
               sum(amount) FILTER (category = 'hedge') AS hedge,
               sum(amount) FILTER (category = 'hedge_carry') AS hedge_carry,
               sum(amount) FILTER (category = 'rebalancing') AS rebalancing,
               sum(amount) FILTER (category = 'interest') AS interest,
               sum(amount) AS nav_change
        FROM attribution.daily_pnl
        GROUP BY ALL
        """,
    ),
}


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create every view with its comment; returns their names."""
    for name, (description, sql) in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
        con.execute(f"COMMENT ON VIEW {name} IS '{description.replace(chr(39), chr(39) * 2)}'")
    return list(VIEWS)
