"""Dagster assets ``attribution/*``: daily P&L by component, performance, stress windows.

One partitioned multi-asset: a run replaces its window of ``attribution.daily_pnl`` and
recomputes the whole-range tables. The blocking conservation check proves that the
components of every strategy-day add up to its NAV change to the cent.
"""

import dagster as dg
import polars as pl

from alvh_assets import warehouse as wh
from alvh_assets.attribution.daily_pnl import CENT
from alvh_assets.attribution.run import attribute_window
from alvh_assets.attribution.schema import COMPONENTS, DOCS, KEYS, TABLES
from alvh_assets.dagster_support import (
    AlvhSettings,
    WarehouseResource,
    WriterRun,
    Written,
    keys_unique_rules,
    sql_checks,
    sql_rule,
    table_specs,
    writer_asset,
)
from alvh_assets.metadata import markdown_table
from alvh_assets.strategy.book import REBALANCING_KINDS
from alvh_assets.strategy.registry import REGISTRY, names_sql
from alvh_assets.strategy.run import strategy_window

OWNERS = ["team:alvh-quant"]
DAILY_PNL, PERFORMANCE, STRESS = (
    dg.AssetKey(["attribution", n]) for n in ("daily_pnl", "performance", "stress_windows")
)
DEPS = [
    dg.AssetKey(["strategy", n])
    for n in ("account_daily", "positions_daily", "fills", "hedge_budget_daily")
]
DESCRIPTIONS = {table: doc.description for table, doc in DOCS.items()}
SPECS = table_specs(KEYS, DESCRIPTIONS, "attribution", OWNERS, DEPS)


def _table_metadata(table: str, frame: pl.DataFrame) -> dict[str, object]:
    """The previews of a written table: whole-range performance, P&L totals by component."""
    if frame.is_empty():
        return {}
    if table == "attribution.performance":
        cols = ["strategy", "period", "end_nav", "cagr", "sharpe", "max_drawdown"]
        cols += ["hedge_premium_paid_pct_nav_yr", "hedge_cost_drag"]
        cols += ["hedge_protection_per_dollar", "contribution_share_meeting"]
        cols += ["trading_costs", "rebalancing_cost"]
        cols += ["roll_opportunity_cost"]
        perf = frame.filter(pl.col("period") == "all").select(cols)
        return {"preview": dg.MetadataValue.md(markdown_table(perf))}
    if table == "attribution.daily_pnl":
        totals = frame.group_by("strategy", "component").agg(pl.col("amount").sum())
        wide = totals.pivot(on="strategy", index="component", values="amount")
        return {"totals_by_component": dg.MetadataValue.md(markdown_table(wide, 20))}
    return {}


def _attribute(ctx: WriterRun) -> list[Written]:
    """Attribute the partition window; refresh performance and stress windows."""
    cfg = ctx.alvh.load()
    window = strategy_window(*ctx.window, cfg)
    frames = {t: pl.DataFrame(schema=s) for t, s in TABLES.items()}
    if window is not None:
        with ctx.warehouse.connect() as con:
            frames = attribute_window(con, window, cfg)
    span = "-" if window is None else f"{window[0]}..{window[1]}"
    return [
        Written(t, f.height, window=span, metadata=_table_metadata(t, f)) for t, f in frames.items()
    ]


attribution_tables = writer_asset("attribution_tables", SPECS, _attribute)


@dg.asset_check(
    asset=DAILY_PNL,
    name="components_sum_to_nav_change",
    blocking=True,
    description="For every strategy and day of strategy.account_daily: the day's components "
    "(residual included; no memo figure is a component) sum to NAV(t) - NAV(t-1) (initial "
    "capital before the first day) and the residual is within half a cent.",
)
def components_sum_to_nav_change(
    alvh: AlvhSettings, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    """Conservation of the attribution, to the cent."""
    capital = alvh.load().execution.initial_capital
    with warehouse.connect(read_only=True) as con:
        bad = wh.read_frame(
            con,
            "WITH a AS (SELECT strategy, date, nav - coalesce(lag(nav) OVER "
            "(PARTITION BY strategy ORDER BY date), ?) AS nav_change FROM strategy.account_daily), "
            "p AS (SELECT strategy, date, sum(amount) AS total, "
            "sum(amount) FILTER (component = 'residual') AS residual "
            "FROM attribution.daily_pnl GROUP BY ALL) "
            "SELECT a.strategy, a.date, a.nav_change, p.total, p.residual FROM a "
            "LEFT JOIN p USING (strategy, date) "
            f"WHERE p.total IS NULL OR abs(p.total - a.nav_change) > {CENT} "
            f"OR abs(p.residual) > {CENT} LIMIT 50",
            [capital],
        )
        worst = con.execute(
            "SELECT max(abs(amount)) FROM attribution.daily_pnl WHERE component = 'residual'"
        ).fetchone()[0]
    return dg.AssetCheckResult(
        passed=bad.is_empty(),
        metadata={
            "violations": bad.height,
            "max_abs_residual_usd": dg.MetadataValue.float(float(worst or 0.0)),
            "sample": dg.MetadataValue.md(markdown_table(bad, 10)) if bad.height else "none",
        },
    )


_REBALANCING = ", ".join(f"'{k}'" for k in REBALANCING_KINDS)

ATTRIBUTION_ASSETS = [attribution_tables]
ATTRIBUTION_RULES = [
    *keys_unique_rules(KEYS),
    sql_rule(
        DAILY_PNL,
        "no_memo_among_components",
        "Every attribution.daily_pnl row is one of the components that sum to the NAV change "
        f"({', '.join(COMPONENTS)}): no memo figure such as the roll opportunity cost "
        "(methodology §2).",
        "SELECT strategy, date, component FROM attribution.daily_pnl WHERE component NOT IN "
        f"({', '.join(repr(c) for c in COMPONENTS)}) LIMIT 50",
    ),
    sql_rule(
        PERFORMANCE,
        "rebalancing_cost_is_cash_costs_of_rebalancing_trades",
        "For the whole range ('all'), rebalancing_cost = commissions + exchange fees + "
        f"slippage of the fills of rebalancing kinds ({_REBALANCING}), and "
        "roll_opportunity_cost = Σ fills.opportunity_cost (methodology §2).",
        "WITH f AS (SELECT strategy, sum(commission + exchange_fees + slippage) FILTER "
        f"(trade_kind IN ({_REBALANCING})) AS cash_costs, sum(opportunity_cost) AS memo "
        "FROM strategy.fills GROUP BY ALL) "
        "SELECT p.strategy, p.rebalancing_cost, f.cash_costs, p.roll_opportunity_cost, f.memo "
        "FROM attribution.performance p LEFT JOIN f USING (strategy) WHERE p.period = 'all' "
        "AND (abs(p.rebalancing_cost - coalesce(f.cash_costs, 0)) > 0.005 "
        "OR abs(p.roll_opportunity_cost - coalesce(f.memo, 0)) > 0.005) LIMIT 50",
    ),
    sql_rule(
        PERFORMANCE,
        "hedge_spend_is_the_hedge_fills_cash",
        "For the whole range ('all'), hedge_net_spend = -Σ cash_flow of the non-condor fills "
        "and hedge_premium_paid = -Σ cash_flow of those that open a leg (buy a long_* leg, sell "
        "a short_* leg), recovered = paid - net (methodology §4, hedge spend).",
        "WITH f AS (SELECT strategy, -sum(cash_flow) AS net, -coalesce(sum(cash_flow) FILTER "
        "(side <> 'settle' AND CASE WHEN starts_with(leg, 'long') THEN quantity > 0 "
        "ELSE quantity < 0 END), 0) AS paid FROM strategy.fills WHERE kind <> 'condor' "
        "GROUP BY ALL) "
        "SELECT p.strategy, p.hedge_net_spend, f.net, p.hedge_premium_paid, f.paid "
        "FROM attribution.performance p LEFT JOIN f USING (strategy) WHERE p.period = 'all' "
        "AND (abs(p.hedge_net_spend - coalesce(f.net, 0)) > 0.005 "
        "OR abs(p.hedge_premium_paid - coalesce(f.paid, 0)) > 0.005 "
        "OR abs(p.hedge_premium_paid - p.hedge_premium_recovered - p.hedge_net_spend) > 0.005) "
        "LIMIT 50",
    ),
    sql_rule(
        PERFORMANCE,
        "every_registered_strategy_has_its_performance",
        "attribution.performance has the whole-range row ('all') of every strategy of the "
        f"registry ({', '.join(REGISTRY)}) that has account rows, and no other strategy.",
        "SELECT DISTINCT a.strategy, 'no performance row' AS what FROM strategy.account_daily a "
        "ANTI JOIN attribution.performance p ON p.strategy = a.strategy AND p.period = 'all' "
        "UNION ALL SELECT DISTINCT strategy, 'not registered' FROM attribution.performance "
        f"WHERE strategy NOT IN {names_sql()} LIMIT 50",
    ),
]
ATTRIBUTION_CHECKS = [
    *sql_checks(ATTRIBUTION_RULES),
    components_sum_to_nav_change,
]
