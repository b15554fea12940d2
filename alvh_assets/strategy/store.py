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
from alvh_assets.strategy.book import REBALANCING_KINDS, Fill, Position
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
STRATEGY = f"Strategy of the registry ({', '.join(REGISTRY)}; alvh_assets/strategy/registry.py)."
USD = "USD, whole book (all contracts, × 100 multiplier)"
_FILL = {
    "strategy": STRATEGY,
    "fill_id": "Fill id YYYYMMDD-nnn, numbered per strategy and session.",
    "date": "Session (NYSE trading day) of the trade or settlement.",
    "group_id": "The position group: a condor's cycle condor-YYYYMMDD (entry to final close, "
    "kept through rolls) or a hedge tranche's group.",
    "kind": "Book the leg belongs to: condor, alvh (ALVH tranches), single_layer, static.",
    "leg": "Leg role: short_put, long_put, short_call, long_call.",
    "position_id": "Id of the leg traded (strategy.positions_daily.position_id).",
    "root": "Option root: SPX, SPXW (SPX options) or VIX, VIXW (VIX options).",
    "expiration": "Expiration date of the option traded.",
    "strike": "Strike, index points.",
    "option_type": "C (call) or P (put).",
    "side": "buy, sell, or settle (cash settlement at expiry).",
    "quantity": "Contracts, signed: + bought, − sold.",
    "bid": "Bid of the quote traded at (index points per unit; null for a settlement).",
    "ask": "Ask of the quote traded at (index points per unit; null for a settlement).",
    "mid": "Mid of the quote, (bid + ask) / 2 (index points; null for a settlement).",
    "price": "Fill price per unit, index points: mid ± config share of the half-spread "
    "(always inside the quote); a settlement's price is the root's settlement value.",
    "commission": f"Commission, {USD}; positive = cost (0.65 per contract by default).",
    "exchange_fees": f"Exchange fees, {USD}; positive = cost (0.66 per contract by default).",
    "slippage": f"Slippage against the mid, {USD}; positive = cost: share × half-spread × "
    "100 × contracts.",
    "opportunity_cost": f"MEMO, {USD}: time value of the closed legs a condor roll gave up "
    "(methodology §2 'value given up'); neither a cash flow nor a cost, in no P&L sum; 0 "
    "for other fills.",
    "cash_flow": f"Cash of the fill, {USD}; + received, − paid: −quantity × price × 100 − "
    "commission − exchange fees (slippage is inside the price).",
    "reason": "Why the trade happened: entry, roll with its trigger, exit kind, halt "
    "close-out, settlement, tranche add/trim/monetize/lapse with its signal.",
    "bucket": "Hedge bucket (short_term, medium_term, long_dated, calendar, single_layer, "
    "static); null for condor legs.",
    "tranche": "Hedge tranche number within its bucket; null for condor legs.",
    "iv": "Implied volatility of the quote traded (decimal, 0.25 = 25%); null for settlements.",
    "trade_kind": "condor_entry, condor_roll, condor_exit, halt_close, settlement, hedge_add, "
    "hedge_roll, hedge_trim, hedge_monetize, hedge_lapse (rebalancing kinds: "
    + ", ".join(REBALANCING_KINDS)
    + ").",
    "cycle_id": "A condor leg's cycle (= its group_id, entry to final close); null for hedges.",
    "instrument": "The option in words: ROOT YYYY-MM-DD STRIKE{C|P}, e.g. SPX 2008-11-21 800P.",
}
_KEYED = {"strategy": STRATEGY, "date": "Session (NYSE trading day), at the close."}
_BREAKEVENS = {
    "condor_breakeven_low": "Lower break-even of the condor alone at expiry, SPX points.",
    "condor_breakeven_high": "Upper break-even of the condor alone at expiry, SPX points.",
    "combined_breakeven_low": "Lower break-even of the condor with the SPX put hedges, SPX "
    "points (VIX legs have no SPX payoff and are left out).",
    "combined_breakeven_high": "Upper break-even of the condor with the SPX put hedges, SPX "
    "points.",
}
_POSITION = {
    **_KEYED,
    "position_id": "Id of the open leg (stable from its opening fill to its close).",
    "book_order": "Order of the leg in the book (rebuilding the state keeps it).",
    "group_id": _FILL["group_id"],
    "kind": _FILL["kind"],
    "bucket": _FILL["bucket"],
    "tranche": _FILL["tranche"],
    "leg": _FILL["leg"],
    "root": _FILL["root"],
    "expiration": "Expiration date of the option.",
    "strike": _FILL["strike"],
    "option_type": _FILL["option_type"],
    "quantity": "Contracts held, signed: + long, − short.",
    "entry_date": "Session the leg was opened.",
    "entry_price": "Fill price per unit at the opening, index points.",
    "target_delta": "Delta the condor's short strike was chosen for (null for hedges).",
    "cycle_credit": "A condor leg's cycle: the original credit of the entry fills, USD "
    "(Σ −qty × fill price × 100), the same on every leg of the cycle; exits are measured on it.",
    "cycle_cash": "A condor leg's cycle: every cash flow of its fills so far (entry, rolls; net "
    "of commissions and fees), USD, the same on every leg of the cycle.",
    "dte": "Calendar days to expiration.",
    "quoted": "Whether the day's chain quoted the option (else marked at the last mid).",
    "bid": "Bid at the close, index points per unit.",
    "ask": "Ask at the close, index points per unit.",
    "mid": "Mid at the close (or the last known), index points per unit.",
    "iv": "Implied volatility of the mark (decimal).",
    "underlying_price": "Underlying level used for the Greeks (SPX forward or VX future).",
    "mark_value": f"Value at mid, {USD}, signed: quantity × mid × 100 (shorts negative).",
    "liquidation_value": f"Value if closed now, {USD}, signed: quantity × (bid for longs, ask "
    "for shorts) × 100.",
    "delta_usd": f"Delta exposure, {USD}: quantity × delta × underlying × 100.",
    "gamma_usd_1pct": f"Change of delta_usd for a 1% move of the underlying, {USD}.",
    "vega_usd_1vol": f"P&L for +1 volatility point, {USD}.",
    "theta_usd_1day": f"P&L of one calendar day's decay, {USD}.",
    **_BREAKEVENS,
}
_BUDGET = {
    **_KEYED,
    "base_pct": "Base hedge budget from the rule in base_rule, share of condor notional "
    "(wing width × 100 × contracts); 0.02 = 2%.",
    "base_rule": "Rule that set the base budget (methodology §3).",
    "regime_ceiling_pct": "Cap by the day's regime (neutral-to-bullish days), share of "
    "condor notional; null when it does not apply.",
    "leverage_cap_pct": "Cap by the gross leverage limit: cap × NAV / condor notional − 1, "
    "share of condor notional; null without a condor.",
    "cost_ceiling_pct": "Cap by the cost ceiling (net hedge spend ≤ time value captured), share "
    "of condor notional.",
    "budget_pct": "The day's budget: the base under every cap, share of condor notional.",
    "budget_usd": "The day's budget in USD (budget_pct × condor notional), whole book.",
    "binding_rule": "The rule or cap that set budget_pct.",
    "gross_leverage": "Gross leverage: (condor notional + premium at risk) / NAV (null when "
    "NAV ≤ 0).",
    "beta_raised": "Whether the rolling beta to SPX raised the base budget.",
    "pe_blocked": "Whether peak-earnings P/E blocks new layers.",
    "new_layers_blocked": "Whether new hedge layers are blocked today.",
    "blocked_by": "The rule blocking new layers (null when none).",
    "skipped_rules": "Rules skipped for a missing input, '; '-separated with the reason "
    "(null when none).",
    "time_value_captured": "Cost ceiling, earning side: closed cycles' credit + the open "
    "cycle's decayed time value, USD, cumulative.",
    "hedge_net_spend": "Cost ceiling, spending side: net premium paid for hedges so far, USD "
    "(paid − recovered), cumulative.",
    "spend_room_usd": "time_value_captured − hedge_net_spend, USD: what the hedge may still spend.",
    "condor_notional": "Condor notional, USD: wing width × 100 × contracts.",
    "condor_credit": "Credit of the open condor, USD (Σ −qty × entry price × 100).",
    "premium_at_risk": "Premium at risk, USD: cost basis of the open hedge legs, Σ quantity × "
    "entry price × 100 (a spread's short leg nets it).",
    "premium_at_risk_pct": "premium_at_risk / condor_notional.",
    "hedge_market_value": "Market value of the open hedge legs at mid, USD.",
    "nav": "NAV at the close, USD (as strategy.account_daily.nav).",
    "regime": "Regime of the day (marts.fct_regime_daily).",
    "pe": "P/E ratio known on the day (point in time).",
    "pcf": "Price / cash flow ratio known on the day (point in time).",
    "event_window": "Whether the day is inside a macro event window (CPI, PPI, FOMC).",
    **_BREAKEVENS,
    "breakeven_shift": "Outward shift of the lower break-even the hedge buys, share of the "
    "condor's: (condor_breakeven_low − combined_breakeven_low) / condor_breakeven_low.",
    "breakeven_shift_flag": "below, within or above the config range "
    "[hedge.breakeven_shift_min, hedge.breakeven_shift_max] (null without a shift).",
    "liquidity_ok": "Event-window liquidity test: whether the hedge can be unwound (gates new "
    "condor risk).",
    "liquid_hedge_value": "Value of the hedge legs that can be unwound, USD.",
    "unwind_slippage": "Slippage of unwinding the hedge with spreads widened 2×, USD.",
    "condor_blocked_by": "Rule blocking new condor risk today (null when none).",
    "narrow_steps": "Strike steps the condor was narrowed by to finance the mid-layer VIX "
    "call spread.",
    "cum_closed_cycle_credit": "Credit of the closed condor cycles so far, USD, cumulative at "
    "the close.",
    "cum_hedge_net_spend": "Net hedge spend so far, USD, cumulative at the close.",
}
_LAYER = {
    **_KEYED,
    "bucket": "Hedge bucket: short_term, medium_term, long_dated, calendar (ALVH), or the "
    "baselines' single layer.",
    "tranche": "Tranche within the bucket (short_term 1-4, medium_term 1-4, long_dated 1-2, "
    "calendar 1).",
    "target_share": "The tranche's target share of the hedge budget (0.25 = 25%).",
    "target_premium": "Premium the tranche targets, USD (its share of budget_usd, or the "
    "premium redeployed into it).",
    "active": "Whether the tranche holds a position at the close.",
    "instrument": "The option or spread held (ROOT YYYY-MM-DD STRIKE{C|P}).",
    "root": _FILL["root"],
    "expiration": "Expiration of the tranche's legs.",
    "long_strike": "Strike of the long leg, index points.",
    "short_strike": "Strike of the short leg of a spread, index points (null for a single option).",
    "contracts": "Contracts held (of each leg).",
    "premium_at_risk": "Cost basis of the tranche's open legs, USD (Σ quantity × entry price "
    "× 100).",
    "market_value": "Market value of the tranche's legs at mid, USD.",
    "entry_cost": "What opening the tranche cost, USD.",
    "redeploy_premium": "Monetization proceeds waiting to be redeployed into the tranche, USD.",
    "rule": "The rule or signal that set the tranche (methodology §3).",
    "since": "Session the tranche's current position was opened.",
    "action": "The day's action: add, roll, trim, monetize, lapse, expire, close (joined "
    "with + when several), hold (held, no trade) or none (empty).",
    "blocked_by": "Rule that blocked adding to the tranche today (null when none).",
}
_ACCOUNT = {
    **_KEYED,
    "cash": "Cash at the close, USD, after the day's trades, settlements and interest.",
    "interest": "Interest credited today on cash at the short rate, USD.",
    "trade_cash_flow": "Σ cash_flow of the day's fills, USD; + received, − paid.",
    "commissions": "Σ commission of the day's fills, USD, positive = cost.",
    "exchange_fees": "Σ exchange fees of the day's fills, USD, positive = cost.",
    "slippage": "Σ slippage of the day's fills, USD, positive = cost.",
    "fills": "Number of fills today.",
    "open_positions": "Open legs at the close.",
    "positions_value": "Σ mark_value of the open legs, USD (at mid).",
    "liquidation_value": "Σ liquidation_value of the open legs, USD (bid for longs, ask for "
    "shorts).",
    "margin": "Margin of the defined-risk spreads, USD: the wider wing × 100 × contracts.",
    "nav": "NAV at mid, USD: cash + positions_value.",
    "nav_liquidation": "NAV at liquidation value, USD: cash + liquidation_value.",
    "rate": "Short rate (FEDFUNDS, decimal a year; 0.02 = 2%) known on the day.",
    "spx_close": "SPX close, index points.",
    "quotes_missing": "Open legs the day's chain did not quote (marked at their last mid).",
    "halted": "Solvency halt: NAV ≤ margin closed everything; nothing trades after it.",
    "halt_date": "Session of the halt (null when not halted).",
    "halt_reason": "Why the account halted (null when not halted).",
}
DOCS: dict[str, wh.TableDoc] = {
    "strategy.fills": wh.TableDoc(
        f"Every trade of the strategies ({', '.join(REGISTRY)}) with bid, ask, mid, fill price "
        "(mid ± share of the half-spread), commission, exchange fees, slippage, cash flow, the "
        "reason (entry, roll with its trigger, exit kind, halt close-out, settlement, tranche "
        "add/trim/monetize with its signal), trade_kind, cycle_id (a condor leg's cycle, entry "
        "to final close) and the roll's opportunity_cost: a MEMO (time value given up, "
        "methodology §2), neither a cash flow nor a cost. Settlements are cash at the root's "
        "settlement value, no fees. Grain: strategy, fill_id.",
        _FILL,
    ),
    "strategy.positions_daily": wh.TableDoc(
        "Every open option leg at the close, after the day's trades: mark at mid and at "
        "liquidation value (bid for longs, ask for shorts), Greeks in USD (delta, gamma per 1% "
        "move, vega per vol point, theta per day) and the break-evens of the condor alone and "
        "combined with the SPX put hedges; a condor leg's cycle_credit (original credit) and "
        "cycle_cash (cash of the cycle's fills so far), on which its exits are measured. "
        "Grain: strategy, date, position_id.",
        _POSITION,
    ),
    "strategy.hedge_budget_daily": wh.TableDoc(
        "The day's hedge budget on the common basis of every hedged strategy (methodology §3, "
        "settled 2026-12): premium at risk (open cost basis of the hedge legs) as a share of "
        "condor notional (wing width × 100 × contracts): base rule, every cap's value, the "
        "binding rule, the block on new layers (peak-earnings P/E), the rules skipped for a "
        "missing input; the cost ceiling's cumulative sides (time_value_captured = closed "
        "cycles' credit + the open cycle's decayed time value, hedge_net_spend, "
        "spend_room_usd; cum_* at the close); the liquidity test that gates new condor risk in "
        "event windows (liquidity_ok, liquid_hedge_value, unwind_slippage, condor_blocked_by); "
        "narrow_steps of the mid-layer financing; the break-even shift the hedge buys. "
        "Grain: strategy, date.",
        _BUDGET,
    ),
    "strategy.layer_allocations_daily": wh.TableDoc(
        "The hedge layers every day: ALVH's ten tranches (short_term 1-4, medium_term 1-4, "
        "long_dated 1-2) and its VIX call calendar (calendar 1) with target share, active "
        "flag, instrument, strikes, expiry, contracts, premium at risk (open cost basis) and "
        "market value, the rule or signal that set them and the day's action; the baselines' "
        "single layer. Grain: strategy, date, bucket, tranche.",
        _LAYER,
    ),
    "strategy.account_daily": wh.TableDoc(
        "The account of each strategy every day ("
        + "; ".join(f"{s.name}: {s.description}" for s in REGISTRY.values())
        + "): cash, interest at the short rate, trading cash flow and costs, margin of "
        "defined-risk spreads, NAV at mid and at liquidation value, and the solvency halt "
        "(halted, halt_date, halt_reason): when NAV <= margin the account closes everything "
        "and trades no more (methodology §2). Grain: strategy, date.",
        _ACCOUNT,
    ),
}
"""The data dictionary of the ``strategy`` tables (table and column comments), one entry per
table of :data:`TABLES`, column for column (a test holds them equal). Units: prices and
strikes in index points per unit; money in USD for the whole book (contracts × 100)."""
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
        wh.ensure_table(con, table, schema, DOCS[table])


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
    "DOCS",
    "KEYS",
    "TABLES",
    "Collector",
    "ensure_tables",
    "load_states",
    "replace_window",
]
