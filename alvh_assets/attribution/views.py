"""Documented SQL views for the questions analysts ask most (schema ``attribution``).

Each view is plain SQL over the public tables, created (``CREATE OR REPLACE``) with its
description as the DuckDB comment, so ``duckdb_views()`` and BI tools show it.
"""

from __future__ import annotations

import duckdb

from alvh_assets.strategy.book import REBALANCING_KINDS

_REBALANCING = ", ".join(f"'{k}'" for k in REBALANCING_KINDS)

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
        "buckets, hedge carry, commissions, exchange fees, slippage, interest. No memo figure: "
        "the roll opportunity cost is in v_roll_opportunity_cost_memo_monthly.",
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
        "Daily P&L per strategy split into condor, hedge, hedge carry, trading costs "
        "(commissions, exchange fees, slippage) and interest (USD), with the NAV change they "
        "add up to (no memo figure inside).",
        """
        SELECT strategy, date,
               sum(amount) FILTER (category = 'condor') AS condor,
               sum(amount) FILTER (category = 'hedge') AS hedge,
               sum(amount) FILTER (category = 'hedge_carry') AS hedge_carry,
               sum(amount) FILTER (category = 'trading_costs') AS trading_costs,
               sum(amount) FILTER (category = 'interest') AS interest,
               sum(amount) AS nav_change
        FROM attribution.daily_pnl
        GROUP BY ALL
        """,
    ),
    "attribution.v_trading_costs_by_kind_monthly": (
        "Monthly trading costs (commissions, exchange fees, slippage; USD, positive) per "
        "strategy and trade kind (condor_entry, condor_roll, condor_exit, halt_close, hedge_*), "
        "with whether the kind is a rebalancing trade (methodology §2), beside the premium the "
        "month's condor entries collected.",
        f"""
        SELECT strategy, date_trunc('month', date)::DATE AS month, trade_kind,
               trade_kind IN ({_REBALANCING}) AS rebalancing,
               count(*) AS fills, sum(commission) AS commissions,
               sum(exchange_fees) AS exchange_fees, sum(slippage) AS slippage,
               sum(commission + exchange_fees + slippage) AS trading_costs,
               sum(-quantity * price * 100) FILTER (trade_kind = 'condor_entry')
                   AS premium_collected
        FROM strategy.fills
        GROUP BY ALL
        """,
    ),
    "attribution.v_roll_opportunity_cost_memo_monthly": (
        "MEMO, outside every P&L sum: the time value the condor's rolls gave up each month "
        "(002 'value given up'; USD, positive), per strategy. Never a cost or a P&L component "
        "(methodology §2): the components of attribution.daily_pnl sum to the NAV change "
        "without it.",
        """
        SELECT strategy, date_trunc('month', date)::DATE AS month, count(*) AS roll_fills,
               sum(opportunity_cost) AS roll_opportunity_cost_memo
        FROM strategy.fills
        WHERE trade_kind = 'condor_roll'
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
