"""The ``strategy`` schema: table layouts, writing a window, and rebuilding the book.

| table | grain (key) |
|---|---|
| ``strategy.fills`` | strategy, fill_id (``YYYYMMDD-nnn``, numbered per strategy-day) |
| ``strategy.positions_daily`` | strategy, date, position_id (open at the close, after trades) |
| ``strategy.hedge_budget_daily`` | strategy, date |
| ``strategy.layer_allocations_daily`` | strategy, date, bucket, tranche |
| ``strategy.account_daily`` | strategy, date |

A window is replaced in one transaction. :func:`load_states` rebuilds every strategy's
:class:`~.engine.StrategyState` at a session from that session's rows (positions in
``book_order``, tranches, cash, rate, the NAV history the rolling beta needs), which is
what makes a day-by-day run identical to a range run (the cycle columns of the condor
legs and the halt state included).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, fields
from typing import Any

import duckdb
import polars as pl

from alvh_assets import warehouse as wh
from alvh_assets.config import AlvhConfig
from alvh_assets.strategy.book import Fill, Position
from alvh_assets.strategy.engine import DayRows, StrategyState, initial_state
from alvh_assets.strategy.hedges import BUCKETS, Tranche
from alvh_assets.strategy.registry import REGISTRY

F, N, S, D, B = pl.Float64(), pl.Int64(), pl.Utf8(), pl.Date(), pl.Boolean()
KEYED = {"strategy": S, "date": D}

FILLS: dict[str, pl.DataType] = {
    "strategy": S,
    **{
        f.name: {"date": D, "expiration": D, "strike": F, "quantity": N, "tranche": N}.get(
            f.name, F if f.type in ("float", "float | None") else S
        )
        for f in fields(Fill)
    },
    "instrument": S,
}
POSITIONS: dict[str, pl.DataType] = {
    **KEYED,
    "position_id": S,
    "book_order": N,
    "group_id": S,
    "kind": S,
    "bucket": S,
    "tranche": N,
    "leg": S,
    "root": S,
    "expiration": D,
    "strike": F,
    "option_type": S,
    "quantity": N,
    "entry_date": D,
    "entry_price": F,
    "target_delta": F,
    "cycle_credit": F,
    "cycle_cash": F,
    "dte": N,
    "quoted": B,
    "bid": F,
    "ask": F,
    "mid": F,
    "iv": F,
    "underlying_price": F,
    "mark_value": F,
    "liquidation_value": F,
    "delta_usd": F,
    "gamma_usd_1pct": F,
    "vega_usd_1vol": F,
    "theta_usd_1day": F,
    "condor_breakeven_low": F,
    "condor_breakeven_high": F,
    "combined_breakeven_low": F,
    "combined_breakeven_high": F,
}
BUDGET: dict[str, pl.DataType] = {
    **KEYED,
    "base_pct": F,
    "base_rule": S,
    "regime_ceiling_pct": F,
    "leverage_cap_pct": F,
    "cost_ceiling_pct": F,
    "budget_pct": F,
    "budget_usd": F,
    "binding_rule": S,
    "gross_leverage": F,
    "beta_raised": B,
    "pe_blocked": B,
    "new_layers_blocked": B,
    "blocked_by": S,
    "skipped_rules": S,
    "time_value_captured": F,
    "hedge_net_spend": F,
    "spend_room_usd": F,
    "condor_notional": F,
    "condor_credit": F,
    "premium_at_risk": F,
    "premium_at_risk_pct": F,
    "hedge_market_value": F,
    "nav": F,
    "regime": S,
    "pe": F,
    "pcf": F,
    "event_window": B,
    "condor_breakeven_low": F,
    "condor_breakeven_high": F,
    "combined_breakeven_low": F,
    "combined_breakeven_high": F,
    "breakeven_shift": F,
    "breakeven_shift_flag": S,
    "liquidity_ok": B,
    "liquid_hedge_value": F,
    "unwind_slippage": F,
    "condor_blocked_by": S,
    "narrow_steps": N,
    "cum_closed_cycle_credit": F,
    "cum_hedge_net_spend": F,
}
LAYERS: dict[str, pl.DataType] = {
    **KEYED,
    "bucket": S,
    "tranche": N,
    "target_share": F,
    "target_premium": F,
    "active": B,
    "instrument": S,
    "root": S,
    "expiration": D,
    "long_strike": F,
    "short_strike": F,
    "contracts": N,
    "premium_at_risk": F,
    "market_value": F,
    "entry_cost": F,
    "redeploy_premium": F,
    "rule": S,
    "since": D,
    "action": S,
    "blocked_by": S,
}
ACCOUNT: dict[str, pl.DataType] = {
    **KEYED,
    "cash": F,
    "interest": F,
    "trade_cash_flow": F,
    "commissions": F,
    "exchange_fees": F,
    "slippage": F,
    "fills": N,
    "open_positions": N,
    "positions_value": F,
    "liquidation_value": F,
    "margin": F,
    "nav": F,
    "nav_liquidation": F,
    "rate": F,
    "spx_close": F,
    "quotes_missing": N,
    "halted": B,
    "halt_date": D,
    "halt_reason": S,
}
TABLES: dict[str, dict[str, pl.DataType]] = {
    "strategy.fills": FILLS,
    "strategy.positions_daily": POSITIONS,
    "strategy.hedge_budget_daily": BUDGET,
    "strategy.layer_allocations_daily": LAYERS,
    "strategy.account_daily": ACCOUNT,
}
KEYS: dict[str, tuple[str, ...]] = {
    "strategy.fills": ("strategy", "fill_id"),
    "strategy.positions_daily": ("strategy", "date", "position_id"),
    "strategy.hedge_budget_daily": ("strategy", "date"),
    "strategy.layer_allocations_daily": ("strategy", "date", "bucket", "tranche"),
    "strategy.account_daily": ("strategy", "date"),
}


def instrument(f: Fill) -> str:
    """``ROOT YYYY-MM-DD STRIKE{C|P}``, e.g. ``SPX 2008-11-21 800P``."""
    return f"{f.root} {f.expiration:%Y-%m-%d} {f.strike:g}{f.option_type}"


class Collector:
    """Accumulates the rows of many strategy-days and turns them into the five frames."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}

    def add(self, date: dt.date, strategy: str, rows: DayRows) -> None:
        key = {"strategy": strategy, "date": date}
        self.rows["strategy.fills"] += [
            {"strategy": strategy, **asdict(f), "instrument": instrument(f)} for f in rows.fills
        ]
        self.rows["strategy.positions_daily"] += [{**key, **r} for r in rows.positions]
        self.rows["strategy.hedge_budget_daily"].append({**key, **rows.budget})
        self.rows["strategy.layer_allocations_daily"] += [{**key, **r} for r in rows.layers]
        self.rows["strategy.account_daily"].append({**key, **rows.account})

    def frames(self) -> dict[str, pl.DataFrame]:
        return {
            t: pl.DataFrame(rows, schema=TABLES[t], orient="row")
            if rows
            else pl.DataFrame(schema=TABLES[t])
            for t, rows in self.rows.items()
        }


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``strategy`` tables when missing."""
    for table, schema in TABLES.items():
        wh.ensure_table(con, table, schema)


def replace_window(
    con: duckdb.DuckDBPyConnection, window: tuple[dt.date, dt.date], frames: dict[str, pl.DataFrame]
) -> dict[str, int]:
    """Delete the window's rows of every strategy table and insert ``frames`` (caller holds the
    transaction). Returns rows written per table."""
    ensure_tables(con)
    written = {}
    for table, frame in frames.items():
        wh.delete_window(con, table, "date", window)
        written[table] = wh.insert(con, table, frame)
    return written


def load_states(
    con: duckdb.DuckDBPyConnection, day: dt.date | None, cfg: AlvhConfig
) -> dict[str, StrategyState]:
    """Every strategy's state after session ``day``: initial states when ``day`` is None or
    nothing was ever run up to it (the book starts on the first session run), else the
    rows of ``day`` (a missing day is an error: the book would skip it)."""
    if day is not None:
        ensure_tables(con)
        earlier = con.execute(
            "SELECT count(*) FROM strategy.account_daily WHERE date <= ?", [day]
        ).fetchone()[0]
        day = day if earlier else None
    if day is None:
        return {s: initial_state(s, cfg) for s in REGISTRY}
    account = wh.read_frame(
        con, "SELECT * FROM strategy.account_daily WHERE date = ? ORDER BY strategy", [day]
    )
    missing = sorted(set(REGISTRY) - set(account["strategy"].to_list()))
    if missing:
        raise LookupError(
            f"strategy book for {day} not found for {', '.join(missing)} although earlier "
            "sessions have one: run the strategy from the first missing session"
        )
    window = cfg.hedge.beta_window + 1
    history = wh.read_frame(
        con,
        "SELECT strategy, date, nav, spx_close FROM strategy.account_daily WHERE date <= ? "
        "QUALIFY row_number() OVER (PARTITION BY strategy ORDER BY date DESC) <= ? "
        "ORDER BY strategy, date",
        [day, window],
    )
    positions = wh.read_frame(
        con,
        "SELECT * FROM strategy.positions_daily WHERE date = ? ORDER BY strategy, book_order",
        [day],
    )
    layers = wh.read_frame(
        con, "SELECT * FROM strategy.layer_allocations_daily WHERE date = ?", [day]
    )
    budget = {
        r["strategy"]: r
        for r in wh.read_frame(
            con,
            "SELECT strategy, cum_closed_cycle_credit, cum_hedge_net_spend "
            "FROM strategy.hedge_budget_daily WHERE date = ?",
            [day],
        ).iter_rows(named=True)
    }
    states = {}
    pos_fields = [f.name for f in fields(Position) if f.name != "last_mid"]
    for row in account.iter_rows(named=True):
        s = row["strategy"]
        hist = history.filter(pl.col("strategy") == s)
        tranches = initial_tranches_of(s, cfg)
        for t in layers.filter(pl.col("strategy") == s).iter_rows(named=True):
            key = (t["bucket"], t["tranche"])
            if key in tranches:
                tranches[key] = Tranche(
                    bucket=t["bucket"],
                    tranche=t["tranche"],
                    active=t["active"],
                    rule=t["rule"],
                    since=t["since"],
                    instrument=t["instrument"],
                    target_premium=t["redeploy_premium"],
                    entry_cost=t["entry_cost"],
                )
        states[s] = StrategyState(
            strategy=s,
            cash=row["cash"],
            positions=tuple(
                Position(**{k: p[k] for k in pos_fields}, last_mid=p["mid"])
                for p in positions.filter(pl.col("strategy") == s).iter_rows(named=True)
            ),
            tranches=tranches,
            history=tuple(zip(hist["nav"].to_list(), hist["spx_close"].to_list(), strict=True)),
            rate=row["rate"],
            last_date=day,
            halted=bool(row["halted"]),
            halt_date=row["halt_date"],
            halt_reason=row["halt_reason"],
            closed_cycle_credit=budget.get(s, {}).get("cum_closed_cycle_credit") or 0.0,
            hedge_net_spend=budget.get(s, {}).get("cum_hedge_net_spend") or 0.0,
        )
    return states


def initial_tranches_of(strategy: str, cfg: AlvhConfig) -> dict[tuple[str, int], Tranche]:
    """The tranche dictionary a strategy starts from (empty but for ``alvh_442``)."""
    state = initial_state(strategy, cfg)
    return dict(state.tranches)


__all__ = [
    "BUCKETS",
    "KEYS",
    "TABLES",
    "Collector",
    "ensure_tables",
    "load_states",
    "replace_window",
]
