"""The daily fold of the strategies: ``state(t) = step(state(t−1), market(t))``.

Each strategy of :data:`registry.REGISTRY` is a complete account (``unhedged``,
``single_layer_vix_call``, ``static_permanent``, ``alvh_442`` and the Cboe CNDR reference
``cboe_cndr``); the engine reads its condor rule and hedge rule from its registry entry.
A day, in order (each a named step of :func:`step`):

1. interest on yesterday's cash at yesterday's short rate: ``cash × (e^{r·days/365} − 1)``;
2. cash settlement of every position expiring today (:func:`book.settlement_value`);
3. solvency (methodology §2, "When NAV falls to or below the margin of the open book, the
   account closes everything at the next quotes and halts"): when the NAV at the day's mids
   is ≤ the margin of the open book, every quoted leg is closed at today's quotes (the first
   quotes after the breach is known; a leg without one is closed at its next quote), the
   account records ``halt_date`` and ``halt_reason`` and trades no more;
4. the condor book by the entry's condor rule, within the gates its hedge sets
   (:mod:`.gates`: the liquidity test, the mid-layer financing) (the house rules,
   :func:`condor.manage_condor`, or the CNDR rules, :func:`cndr.manage_cndr`): exit, roll or
   entry, sized on the NAV at entry — so the strategies' condor books differ once their
   NAVs do;
5. the strategy's hedge rule (:mod:`.hedge_rules`): ALVH tranches under the day's budget
   (:mod:`.budget`, :mod:`.hedges`), a baseline hedge, or none;
6. marks at mid and at liquidation value, Greeks in USD, the combined break-evens, and the
   account (cash, margin of defined-risk spreads, NAV, halt state).

The state after a day is exactly what the day's rows hold (:mod:`.store` rebuilds it from
them), so a range run and day-by-day runs give identical tables.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from alvh_assets.config import AlvhConfig
from alvh_assets.strategy.book import (
    MULTIPLIER,
    Fill,
    Ledger,
    Position,
    intrinsic,
    is_quoted,
    mark_value,
    mid,
    settlement_value,
)
from alvh_assets.strategy.budget import BudgetDecision
from alvh_assets.strategy.condor import condor_book
from alvh_assets.strategy.hedge_rules import closed_cycle_credit, hedge_spend, rolling_beta
from alvh_assets.strategy.hedges import Tranche, cost_basis
from alvh_assets.strategy.market import MarketDay
from alvh_assets.strategy.registry import STRATEGIES, strategy

__all__ = ["STRATEGIES", "condor_book", "mark_value", "rolling_beta"]


@dataclass(frozen=True)
class StrategyState:
    """Everything a strategy carries from one session to the next."""

    strategy: str
    cash: float
    positions: tuple[Position, ...] = ()
    tranches: dict[tuple[str, int], Tranche] = field(default_factory=dict)
    history: tuple[tuple[float, float | None], ...] = ()
    rate: float | None = None
    last_date: dt.date | None = None
    halted: bool = False
    halt_date: dt.date | None = None
    halt_reason: str | None = None
    closed_cycle_credit: float = 0.0
    hedge_net_spend: float = 0.0


def initial_state(name: str, cfg: AlvhConfig) -> StrategyState:
    """A flat account holding the initial capital in cash, with the tranches its registry
    entry starts from."""
    tranches = strategy(name).tranches(cfg)
    return StrategyState(name, cfg.execution.initial_capital, tranches=tranches)


@dataclass
class DayRows:
    """The rows one strategy writes for one day."""

    fills: list[Fill]
    positions: list[dict[str, Any]]
    budget: dict[str, Any]
    layers: list[dict[str, Any]]
    account: dict[str, Any]


def breakevens(positions: Iterable[Position]) -> tuple[float | None, ...]:
    """Break-evens at the condor's expiry: the condor alone and combined with the SPX put
    hedges (valued at intrinsic there, net of their premium). VIX legs have no payoff as a
    function of SPX and are left out. P/L is piecewise linear in SPX, so the crossings are
    solved exactly on the segments between strikes, walking out from the condor's centre."""
    condor = [p for p in positions if p.kind == "condor"]
    shorts = [p.strike for p in condor if p.quantity < 0]
    if len(shorts) < 2:
        return (None, None, None, None)
    hedge = [p for p in positions if p.kind != "condor" and p.root in ("SPX", "SPXW")]
    centre = sum(shorts) / len(shorts)

    def solve(legs: list[Position]) -> tuple[float | None, float | None]:
        strikes = sorted({p.strike for p in legs} | {centre})
        grid = np.array([1e-6, *strikes, strikes[-1] * 3.0])

        def pnl(s: float) -> float:
            return sum(
                p.quantity * (intrinsic(p.option_type, p.strike, s) - p.entry_price) for p in legs
            )

        values = np.array([pnl(s) for s in grid])
        c = int(np.searchsorted(grid, centre))
        if values[c] < 0:
            return (None, None)
        out: list[float | None] = []
        for direction in (-1, 1):
            i, found = c, None
            while 0 <= i + direction < len(grid):
                j = i + direction
                if values[j] < 0:
                    found = grid[i] + (grid[j] - grid[i]) * values[i] / (values[i] - values[j])
                    break
                i = j
            out.append(found)
        return out[0], out[1]

    return (*solve(condor), *solve(condor + hedge))


def _position_row(p: Position, row: dict[str, Any] | None, day: dt.date) -> dict[str, Any]:
    quoted = is_quoted(row)
    m = mid(row) if quoted else p.last_mid
    q = p.quantity * MULTIPLIER
    greeks: dict[str, float | None] = dict.fromkeys(
        ("delta_usd", "gamma_usd_1pct", "vega_usd_1vol", "theta_usd_1day"), None
    )
    if row is not None and row.get("delta") is not None:
        vix = p.root == "VIX"
        level = row["forward"] if vix else row["underlying_price"]
        d = row["delta"] if vix else row["spot_delta"]
        g = row["gamma"] if vix else row["spot_gamma"]
        if level is not None and d is not None and g is not None:
            greeks["delta_usd"] = q * d * level
            greeks["gamma_usd_1pct"] = q * g * level * level / 100.0
        greeks["vega_usd_1vol"] = q * row["vega"] / 100.0
        greeks["theta_usd_1day"] = q * row["theta"] / 365.0
    return {
        "position_id": p.position_id,
        "group_id": p.group_id,
        "kind": p.kind,
        "bucket": p.bucket,
        "tranche": p.tranche,
        "leg": p.leg,
        "root": p.root,
        "expiration": p.expiration,
        "strike": p.strike,
        "option_type": p.option_type,
        "quantity": p.quantity,
        "entry_date": p.entry_date,
        "entry_price": p.entry_price,
        "target_delta": p.target_delta,
        "cycle_credit": p.cycle_credit,
        "cycle_cash": p.cycle_cash,
        "dte": (p.expiration - day).days,
        "quoted": quoted,
        "bid": row["bid"] if quoted else None,
        "ask": row["ask"] if quoted else None,
        "mid": m,
        "iv": row["iv"] if row else None,
        "underlying_price": row["underlying_price"] if row else None,
        "mark_value": None if m is None else q * m,
        "liquidation_value": (q * (row["bid"] if p.quantity > 0 else row["ask"]))
        if quoted
        else None,
        **greeks,
    }


def _interest(state: StrategyState, day: MarketDay) -> float:
    """Interest on yesterday's cash at yesterday's short rate (continuous)."""
    if state.last_date is None or state.rate is None:
        return 0.0
    return state.cash * math.expm1(state.rate * (day.date - state.last_date).days / 365.0)


def _settle(positions: Iterable[Position], day: MarketDay, ledger: Ledger) -> list[Position]:
    """Cash-settle every position expiring today; the others take today's mid when quoted."""
    kept: list[Position] = []
    for p in positions:
        if p.expiration <= day.date:
            level, source = settlement_value(p.root, day)
            if level is None:
                raise ValueError(
                    f"{day.date}: {p.root} {p.expiration:%Y-%m-%d} {p.strike:g}{p.option_type} "
                    "expires but the index file has no settlement value (open/close) that day"
                )
            ledger.settle(p, level, source)
        else:
            row = day.quote(p.key)
            kept.append(replace(p, last_mid=mid(row)) if is_quoted(row) else p)
    return kept


def _solvency(
    state: StrategyState, positions: list[Position], day: MarketDay, cash: float, ledger: Ledger
) -> tuple[StrategyState, list[Position]]:
    """The solvency rule (module docstring, step 3): halt when NAV ≤ margin of the open book,
    then close every quoted leg, today and on each later session until none is left."""
    if not state.halted:
        nav, margin = cash + mark_value(positions), condor_book(positions)[2]
        if nav > margin:
            return state, positions
        reason = f"NAV {nav:,.2f} <= margin {margin:,.2f} of the open book"
        state = replace(state, halted=True, halt_date=day.date, halt_reason=reason)
    kept = []
    for p in positions:
        row = day.quote(p.key)
        if is_quoted(row):
            ledger.trade(p, -p.quantity, row, f"halt: close-out ({state.halt_reason})")
        else:
            kept.append(p)
    return state, kept


def step(state: StrategyState, day: MarketDay, cfg: AlvhConfig) -> tuple[StrategyState, DayRows]:
    """One session of one strategy (module docstring)."""
    if state.last_date is not None and day.date <= state.last_date:
        raise ValueError(f"{state.strategy}: {day.date} does not follow {state.last_date}")
    ledger = Ledger(day.date, cfg.execution)
    interest = _interest(state, day)

    def cash() -> float:
        return state.cash + interest + sum(f.cash_flow for f in ledger.fills)

    positions = _settle(state.positions, day, ledger)
    state, positions = _solvency(state, positions, day, cash(), ledger)
    rules = strategy(state.strategy)
    gates = rules.gates(state, positions, day, cfg)
    if not state.halted:
        nav = cash() + mark_value(positions)
        positions = rules.condor(positions, day, ledger, cfg, nav, gates)
    margin = condor_book(positions)[2]  # hedges never touch the condor legs
    budget, positions, tranches, layers = rules.hedge(
        state, positions, day, ledger, cash() + mark_value(positions), cfg
    )
    closed = state.closed_cycle_credit + closed_cycle_credit(state.positions, positions)
    spend = state.hedge_net_spend + hedge_spend(ledger.fills)
    pos_rows, budget_row, account = _day_rows(state, positions, day, ledger, budget, cfg)
    budget_row.update(
        liquidity_ok=gates.liquidity_ok,
        liquid_hedge_value=gates.liquid_hedge_value,
        unwind_slippage=gates.unwind_slippage,
        condor_blocked_by=gates.block_new_risk,
        narrow_steps=gates.narrow_steps,
        cum_closed_cycle_credit=closed,
        cum_hedge_net_spend=spend,
    )
    account = {**account, "cash": cash(), "interest": interest, "margin": margin}
    account["nav"] = account["cash"] + account["positions_value"]
    account["nav_liquidation"] = account["cash"] + account["liquidation_value"]
    budget_row["nav"] = account["nav"]
    history = (*state.history, (account["nav"], day.spx_close))[-(cfg.hedge.beta_window + 1) :]
    new_state = replace(
        state,
        cash=account["cash"],
        positions=tuple(positions),
        tranches=tranches,
        history=history,
        rate=account["rate"],
        last_date=day.date,
        closed_cycle_credit=closed,
        hedge_net_spend=spend,
    )
    return new_state, DayRows(ledger.fills, pos_rows, budget_row, layers, account)


def _day_rows(
    state: StrategyState,
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    budget: BudgetDecision,
    cfg: AlvhConfig,
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """The day's position rows, budget row and account row (cash, interest, margin and NAV
    are set by :func:`step`)."""
    quotes = {p.position_id: day.quote(p.key) for p in positions}
    pos_rows = [_position_row(p, quotes[p.position_id], day.date) for p in positions]
    be = breakevens(positions)
    for i, r in enumerate(pos_rows):
        r["book_order"] = i
        r.update(zip(("condor_breakeven_low", "condor_breakeven_high"), be[:2], strict=True))
        r.update(zip(("combined_breakeven_low", "combined_breakeven_high"), be[2:], strict=True))
    notional, credit, _ = condor_book(positions)
    hedge_value = sum(r["mark_value"] or 0.0 for r in pos_rows if r["kind"] != "condor")
    at_risk = cost_basis([p for p in positions if p.kind != "condor"])
    shift = None if be[0] is None or be[2] is None else (be[0] - be[2]) / be[0]
    h = cfg.hedge
    flag = None
    if shift is not None:
        flag = "within"
        flag = "below" if shift < h.breakeven_shift_min else flag
        flag = "above" if shift > h.breakeven_shift_max else flag
    budget_row = {
        **asdict(budget),
        "condor_notional": notional,
        "condor_credit": credit,
        "premium_at_risk": at_risk,
        "premium_at_risk_pct": at_risk / notional if notional > 0 else None,
        "hedge_market_value": hedge_value,
        "nav": None,
        "regime": day.signal("regime"),
        "pe": day.signal("pe"),
        "pcf": day.signal("pcf"),
        "event_window": day.signal("event_window"),
        "condor_breakeven_low": be[0],
        "condor_breakeven_high": be[1],
        "combined_breakeven_low": be[2],
        "combined_breakeven_high": be[3],
        "breakeven_shift": shift,
        "breakeven_shift_flag": flag,
    }
    account = {
        "cash": None,
        "interest": None,
        "trade_cash_flow": sum(f.cash_flow for f in ledger.fills),
        "commissions": sum(f.commission for f in ledger.fills),
        "exchange_fees": sum(f.exchange_fees for f in ledger.fills),
        "slippage": sum(f.slippage for f in ledger.fills),
        "fills": len(ledger.fills),
        "open_positions": len(positions),
        "positions_value": sum(r["mark_value"] or 0.0 for r in pos_rows),
        "liquidation_value": sum(r["liquidation_value"] or 0.0 for r in pos_rows),
        "margin": None,
        "nav": None,
        "nav_liquidation": None,
        "rate": day.rate if day.rate is not None else state.rate,
        "spx_close": day.spx_close,
        "quotes_missing": sum(not r["quoted"] for r in pos_rows),
        "halted": state.halted,
        "halt_date": state.halt_date,
        "halt_reason": state.halt_reason,
    }
    return pos_rows, budget_row, account


def run(
    states: dict[str, StrategyState], days: Iterable[MarketDay], cfg: AlvhConfig
) -> Iterable[tuple[MarketDay, dict[str, DayRows]]]:
    """Fold every strategy over ``days`` (in order), yielding each day's rows; ``states`` is
    updated in place."""
    for day in days:
        out = {}
        for name in states:
            states[name], out[name] = step(states[name], day, cfg)
        yield day, out
