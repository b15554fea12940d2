"""Dagster assets ``strategy/*``: the registered strategies (:data:`registry.REGISTRY`) run
over a window of trading days.

One multi-asset writes the five tables of :mod:`alvh_assets.strategy.store` (one run for a
backfill range, continuing from the book persisted at the session before it) and SQL checks
guard them: keys unique, NAV finite and equal to cash + marks, cash conserved day to day, no
open position without a quote, fills only inside the quoted spread, budget within its caps,
ten ALVH tranches every day, NAV never negative, no trade after a halt, entries within the
solvency rule, no losing condor cycle closed as a profit take (methodology §2), every
registered strategy on every session, and the CNDR reference book holding to settlement
(§4 item 5).
"""

import dagster as dg
import polars as pl

from alvh_assets import warehouse as wh
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
from alvh_assets.strategy.registry import REGISTRY, names_sql
from alvh_assets.strategy.run import run_window, strategy_window
from alvh_assets.strategy.store import DOCS, KEYS, TABLES

OWNERS = ["team:alvh-quant"]
DEPS = [
    dg.AssetKey(["pricing", "option_greeks"]),
    dg.AssetKey(["raw", "cboe_option_eod"]),
    dg.AssetKey(["raw", "cboe_index_daily"]),
    *(
        dg.AssetKey(["marts", m])
        for m in (
            "fct_regime_daily",
            "fct_indicators_daily",
            "fct_valuation_daily",
            "fct_macro_events_daily",
        )
    ),
]
DESCRIPTIONS = {table: doc.description for table, doc in DOCS.items()}
SPECS = table_specs(KEYS, DESCRIPTIONS, "strategy", OWNERS, DEPS)
ACCOUNT, POSITIONS, BUDGET, LAYERS, FILLS = (
    dg.AssetKey(["strategy", n])
    for n in (
        "account_daily",
        "positions_daily",
        "hedge_budget_daily",
        "layer_allocations_daily",
        "fills",
    )
)


def _nav_summary(frame: pl.DataFrame) -> pl.DataFrame:
    return (
        frame.sort("date")
        .group_by("strategy", maintain_order=True)
        .agg(
            pl.col("date").last().alias("last_date"),
            pl.col("nav").last().round(2).alias("nav"),
            pl.col("nav").min().round(2).alias("min_nav"),
            (pl.col("commissions") + pl.col("exchange_fees")).sum().round(2).alias("fees"),
            pl.col("slippage").sum().round(2).alias("slippage"),
        )
    )


def _table_metadata(table: str, frame: pl.DataFrame) -> dict[str, object]:
    """The previews of a written table: NAV by strategy, the last day's layers, fills by
    kind."""
    if frame.is_empty():
        return {}
    if table == "strategy.account_daily":
        return {"nav_by_strategy": dg.MetadataValue.md(markdown_table(_nav_summary(frame)))}
    if table == "strategy.layer_allocations_daily":
        last = frame.filter(pl.col("date") == pl.col("date").max())
        cols = ["strategy", "bucket", "tranche", "active", "instrument", "contracts"]
        cols += ["premium_at_risk", "rule", "action"]
        return {"preview": dg.MetadataValue.md(markdown_table(last.select(cols), 20))}
    if table == "strategy.fills":
        reasons = frame.group_by(
            "strategy", pl.col("reason").str.split(":").list.first().alias("kind")
        ).len()
        return {
            "fills_by_kind": dg.MetadataValue.md(
                markdown_table(reasons.sort("strategy", "kind"), 40)
            )
        }
    return {}


def _run_strategies(ctx: WriterRun) -> list[Written]:
    """Run the registered strategies over the partition window (from ``sample_start``) and
    replace it in the ``strategy`` tables."""
    cfg = ctx.alvh.load()
    window = strategy_window(*ctx.window, cfg)
    frames = {t: pl.DataFrame(schema=s) for t, s in TABLES.items()}
    if window is None:
        ctx.log.info(f"window ends before the backtest start {cfg.sample_start}: nothing to run")
    else:
        with ctx.warehouse.connect() as con:
            frames = run_window(con, window, cfg)
    span = "-" if window is None else f"{window[0]}..{window[1]}"
    return [
        Written(t, f.height, window=span, metadata=_table_metadata(t, f)) for t, f in frames.items()
    ]


strategy_book = writer_asset("strategy_book", SPECS, _run_strategies)


# --------------------------------------------------------------------------------------------
# Checks (SQL over the whole table: the tables are small)
# --------------------------------------------------------------------------------------------


def _tranche_count_check() -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=LAYERS,
        name="every_alvh_tranche_every_day",
        blocking=True,
        description="alvh_442 reports each of its configured tranches (4/4/2 by default: ten) "
        "and its VIX call calendar on every day it has an account row.",
    )
    def _c(alvh: AlvhSettings, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        h = alvh.load().hedge
        expected = h.short_term.tranches + h.medium_term.tranches + h.long_dated.tranches + 1
        with warehouse.connect(read_only=True) as con:
            bad = wh.read_frame(
                con,
                "SELECT a.date, count(l.tranche) AS tranches FROM strategy.account_daily a "
                "LEFT JOIN strategy.layer_allocations_daily l USING (strategy, date) "
                f"WHERE a.strategy = 'alvh_442' GROUP BY ALL HAVING tranches <> {expected} "
                "LIMIT 50",
            )
        return dg.AssetCheckResult(
            passed=bad.is_empty(),
            metadata={"expected_tranches": expected, "violations": bad.height},
        )

    return _c


EPS = 1e-6
"""USD tolerance of the account identities (float sums of cents over a backfill)."""

STRATEGY_RULES = [
    *keys_unique_rules(KEYS),
    sql_rule(
        ACCOUNT,
        "nav_finite_and_marked",
        "NAV is finite and equals cash + positions at mid; liquidation NAV = cash + "
        "liquidation value.",
        "SELECT strategy, date, nav, cash, positions_value FROM strategy.account_daily "
        f"WHERE NOT isfinite(nav) OR abs(nav - cash - positions_value) > {EPS} "
        f"OR abs(nav_liquidation - cash - liquidation_value) > {EPS} LIMIT 50",
    ),
    sql_rule(
        ACCOUNT,
        "cash_conserved",
        "cash(t) = cash(t-1) + interest(t) + the day's fill cash flows (and the fills table "
        "agrees with the account's trade cash flow).",
        "WITH a AS (SELECT *, lag(cash) OVER (PARTITION BY strategy ORDER BY date) AS prev "
        "FROM strategy.account_daily), f AS (SELECT strategy, date, sum(cash_flow) AS flow "
        "FROM strategy.fills GROUP BY ALL) "
        "SELECT a.strategy, a.date, a.cash, a.prev, a.interest, a.trade_cash_flow, f.flow "
        "FROM a LEFT JOIN f USING (strategy, date) "
        f"WHERE (a.prev IS NOT NULL AND abs(a.cash - a.prev - a.interest - a.trade_cash_flow) "
        f"> {EPS}) OR abs(coalesce(f.flow, 0) - a.trade_cash_flow) > {EPS} LIMIT 50",
    ),
    sql_rule(
        POSITIONS,
        "no_position_without_a_quote",
        "Every open position has the day's quote (bid and ask) it is marked at.",
        "SELECT strategy, date, position_id, root, expiration, strike, option_type "
        "FROM strategy.positions_daily WHERE NOT quoted OR bid IS NULL OR ask IS NULL LIMIT 50",
    ),
    sql_rule(
        FILLS,
        "fills_at_quoted_prices",
        "Every trade fills inside its quote (bid <= price <= ask, ask > 0); only cash "
        "settlements have no quote.",
        "SELECT strategy, fill_id, side, bid, ask, price FROM strategy.fills "
        "WHERE side <> 'settle' AND (bid IS NULL OR ask IS NULL OR ask <= 0 "
        f"OR price < bid - {EPS} OR price > ask + {EPS}) LIMIT 50",
    ),
    sql_rule(
        BUDGET,
        "budget_within_caps",
        "0 <= budget_pct <= every cap that applies (regime ceiling, gross leverage, cost "
        "ceiling), and budget_usd = budget_pct x condor notional.",
        "SELECT strategy, date, budget_pct, regime_ceiling_pct, leverage_cap_pct, "
        "cost_ceiling_pct FROM strategy.hedge_budget_daily WHERE budget_pct < 0 "
        f"OR budget_pct > coalesce(regime_ceiling_pct, 1e9) + {EPS} "
        f"OR budget_pct > coalesce(leverage_cap_pct, 1e9) + {EPS} "
        f"OR budget_pct > coalesce(cost_ceiling_pct, 1e9) + {EPS} "
        f"OR abs(budget_usd - budget_pct * condor_notional) > {EPS} LIMIT 50",
    ),
    sql_rule(
        ACCOUNT,
        "nav_never_negative",
        "NAV >= 0 on every day (methodology §2 solvency: the account halts when NAV <= margin).",
        "SELECT strategy, date, nav, margin, halted FROM strategy.account_daily "
        f"WHERE nav < -{EPS} LIMIT 50",
    ),
    sql_rule(
        ACCOUNT,
        "halt_is_final_and_nothing_trades_after_it",
        "Once halted an account stays halted with the same halt day, and has no fill after its "
        "halt day but the close-out of a leg that had no quote then (halt_close) and cash "
        "settlements (methodology §2: it trades no more).",
        "WITH h AS (SELECT strategy, min(date) AS first_halt, min(halt_date) AS halt_date, "
        "count(DISTINCT halt_date) AS halt_dates FROM strategy.account_daily WHERE halted "
        "GROUP BY ALL), "
        "late AS (SELECT a.strategy, a.date FROM strategy.account_daily a JOIN h USING "
        "(strategy) WHERE a.date > h.first_halt AND NOT coalesce(a.halted, false)) "
        "SELECT h.strategy, h.halt_date, 'fill ' || f.fill_id || ' ' || f.trade_kind AS what "
        "FROM h JOIN strategy.fills f ON f.strategy = h.strategy AND f.date > h.halt_date "
        "AND f.trade_kind NOT IN ('halt_close', 'settlement') "
        "UNION ALL SELECT strategy, halt_date, 'halt dates: ' || halt_dates FROM h "
        "WHERE halt_dates > 1 OR halt_date <> first_halt "
        "UNION ALL SELECT strategy, date, 'unhalted' FROM late LIMIT 50",
    ),
    sql_rule(
        ACCOUNT,
        "entries_within_solvency",
        "On a day a condor is opened, the account's margin (defined risk) is <= its NAV "
        "(methodology §2: a position is opened only if the margin after it stays <= NAV).",
        "SELECT a.strategy, a.date, a.margin, a.nav FROM strategy.account_daily a "
        "WHERE a.margin > a.nav + 1e-6 AND EXISTS (SELECT 1 FROM strategy.fills f "
        "WHERE f.strategy = a.strategy AND f.date = a.date AND f.trade_kind = 'condor_entry') "
        "LIMIT 50",
    ),
    sql_rule(
        ACCOUNT,
        "every_registered_strategy_every_session",
        "Each session of strategy.account_daily has one row for each strategy of the registry "
        "(alvh_assets.strategy.registry) and no other strategy.",
        "WITH d AS (SELECT DISTINCT date FROM strategy.account_daily), "
        f"r AS (SELECT unnest([{', '.join(repr(n) for n in REGISTRY)}]) AS strategy) "
        "SELECT d.date, r.strategy, 'missing' AS what FROM d CROSS JOIN r "
        "ANTI JOIN strategy.account_daily a ON a.date = d.date AND a.strategy = r.strategy "
        "UNION ALL SELECT date, strategy, 'not registered' FROM strategy.account_daily "
        f"WHERE strategy NOT IN {names_sql()} LIMIT 50",
    ),
    sql_rule(
        FILLS,
        "cndr_condors_held_to_settlement",
        "The Cboe CNDR reference book (cboe_cndr) never rolls nor exits early: its condor fills "
        "are entries, settlements and halt close-outs only, on SPX monthly expiries "
        "(methodology §4 item 5).",
        "SELECT strategy, fill_id, root, trade_kind, reason FROM strategy.fills "
        "WHERE strategy = 'cboe_cndr' AND kind = 'condor' AND (trade_kind NOT IN "
        "('condor_entry', 'settlement', 'halt_close') OR root <> 'SPX') LIMIT 50",
    ),
    sql_rule(
        FILLS,
        "no_losing_cycle_closed_as_profit_take",
        "Every condor cycle closed by a profit take made money over the whole cycle (Σ cash "
        "flows of its fills, entry, rolls and exit, > 0; methodology §2 whole-cycle exits).",
        "SELECT strategy, cycle_id, sum(cash_flow) AS cycle_pnl FROM strategy.fills "
        "WHERE cycle_id IS NOT NULL GROUP BY ALL "
        "HAVING bool_or(reason LIKE 'exit: profit take%') AND sum(cash_flow) <= 0 LIMIT 50",
    ),
]
STRATEGY_CHECKS = [
    *sql_checks(STRATEGY_RULES),
    _tranche_count_check(),
]

STRATEGY_ASSETS = [strategy_book]
