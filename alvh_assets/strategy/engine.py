"""The daily fold of the four strategies: ``state(t) = step(state(t−1), market(t))``.

Each strategy is a complete account: ``unhedged``, ``single_layer_vix_call``,
``static_permanent`` and ``alvh_442``. A day, in order (each a named step of :func:`step`):

1. interest on yesterday's cash at yesterday's short rate: ``cash × (e^{r·days/365} − 1)``;
2. cash settlement of every position expiring today (:func:`book.settlement_value`);
3. solvency (methodology §2, "When NAV falls to or below the margin of the open book, the
   account closes everything at the next quotes and halts"): when the NAV at the day's mids
   is ≤ the margin of the open book, every quoted leg is closed at today's quotes (the first
   quotes after the breach is known; a leg without one is closed at its next quote), the
   account records ``halt_date`` and ``halt_reason`` and trades no more;
4. the condor book (:func:`condor.manage_condor`): exit, roll or entry, sized on the NAV at
   entry — so the four strategies' condor books differ once their NAVs do;
5. the strategy's hedge: ALVH tranches under the day's budget (:mod:`.budget`,
   :mod:`.hedges`), a baseline hedge, or none;
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
    mid,
    settlement_value,
)
from alvh_assets.strategy.budget import BudgetDecision, BudgetInputs, alvh_budget
from alvh_assets.strategy.condor import manage_condor, margin_of
from alvh_assets.strategy.hedges import (
    Tranche,
    alvh_day,
    baseline_day,
    halted_tranches,
    initial_tranches,
)
from alvh_assets.strategy.market import MarketDay

STRATEGIES = ("unhedged", "single_layer_vix_call", "static_permanent", "alvh_442")


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


def initial_state(strategy: str, cfg: AlvhConfig) -> StrategyState:
    """A flat account holding the initial capital in cash."""
    tranches = initial_tranches(cfg) if strategy == "alvh_442" else {}
    return StrategyState(strategy, cfg.execution.initial_capital, tranches=tranches)


@dataclass
class DayRows:
    """The rows one strategy writes for one day."""

    fills: list[Fill]
    positions: list[dict[str, Any]]
    budget: dict[str, Any]
    layers: list[dict[str, Any]]
    account: dict[str, Any]


def condor_book(positions: Iterable[Position]) -> tuple[float, float, float]:
    """(notional, open credit, margin) of the condor legs: notional = margin = the wider
    wing × 100 × contracts (:func:`condor.margin_of`; methodology §2 defined risk, §3
    notional), credit = Σ −qty × entry price × 100."""
    legs = [p for p in positions if p.kind == "condor"]
    credit = sum(-p.quantity * p.entry_price for p in legs) * MULTIPLIER
    margin = margin_of(legs)
    return margin, credit, margin


def rolling_beta(history: tuple[tuple[float, float | None], ...], window: int) -> float | None:
    """OLS beta of daily NAV returns on SPX returns over the last ``window`` returns (None
    with fewer, or a missing SPX close)."""
    if len(history) < window + 1:
        return None
    nav = np.array([h[0] for h in history[-(window + 1) :]], dtype=float)
    spx = np.array([np.nan if h[1] is None else h[1] for h in history[-(window + 1) :]])
    if not np.isfinite(spx).all() or (nav <= 0).any():
        return None
    rn, rs = np.diff(nav) / nav[:-1], np.diff(spx) / spx[:-1]
    var = rs.var()
    return float(((rn - rn.mean()) * (rs - rs.mean())).mean() / var) if var > 0 else None


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


def _fixed_budget(pct: float, notional: float, rule: str) -> BudgetDecision:
    return BudgetDecision(
        base_pct=pct,
        base_rule=rule,
        regime_ceiling_pct=None,
        leverage_cap_pct=None,
        cost_ceiling_pct=None,
        budget_pct=pct if notional > 0 else 0.0,
        budget_usd=pct * notional,
        binding_rule=rule if notional > 0 or rule == "halted" else "no_condor",
        gross_leverage=None,
        beta_raised=False,
        pe_blocked=False,
        liquidity_ok=None,
        new_layers_blocked=False,
        blocked_by=None,
        skipped_rules=None,
    )


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
            level = settlement_value(p.root, day)
            if level is None:
                raise ValueError(
                    f"{day.date}: {p.root} {p.expiration:%Y-%m-%d} {p.strike:g}{p.option_type} "
                    "expires but the index file has no settlement value (open/close) that day"
                )
            ledger.settle(p, level)
        else:
            row = day.quote(p.key)
            kept.append(replace(p, last_mid=mid(row)) if is_quoted(row) else p)
    return kept


def mark_value(positions: Iterable[Position]) -> float:
    """Σ quantity × last mid × 100 (a leg never marked counts 0)."""
    return sum(p.quantity * (p.last_mid or 0.0) for p in positions) * MULTIPLIER


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


def _alvh_budget(
    state: StrategyState, positions: list[Position], day: MarketDay, nav: float, cfg: AlvhConfig
) -> BudgetDecision:
    """ALVH's budget inputs from the book before the hedge step (:func:`budget.alvh_budget`)."""
    notional, credit, _ = condor_book(positions)
    rows = [day.quote(p.key) for p in positions]
    half = [
        abs(p.quantity) * (r["ask"] - r["bid"]) / 2.0 * MULTIPLIER
        for p, r in zip(positions, rows, strict=True)
        if is_quoted(r)
    ]
    liquid = sum(
        p.quantity * (r["bid"] if p.quantity > 0 else r["ask"]) * MULTIPLIER
        for p, r in zip(positions, rows, strict=True)
        if p.kind != "condor" and is_quoted(r)
    )
    return alvh_budget(
        BudgetInputs(
            condor_notional=notional,
            condor_credit=credit,
            nav=nav,
            premium_at_risk=mark_value(p for p in positions if p.kind != "condor"),
            regime=day.signal("regime"),
            neutral_to_bullish=day.signal("neutral_to_bullish"),
            pcf=day.signal("pcf"),
            pe=day.signal("pe"),
            beta=rolling_beta(state.history, cfg.hedge.beta_window),
            event_window=day.signal("event_window"),
            liquid_hedge_value=liquid,
            event_slippage=sum(half) * cfg.hedge.event_spread_multiple,
        ),
        cfg.hedge,
    )


def _hedge(
    state: StrategyState,
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    nav: float,
    cfg: AlvhConfig,
) -> tuple[BudgetDecision, list[Position], dict[tuple[str, int], Tranche], list[dict]]:
    """The strategy's hedge step: (budget, positions, tranches, layer rows). A halted account
    buys nothing: budget 0 (rule ``halted``), every ALVH tranche inactive."""
    notional = condor_book(positions)[0]
    if state.strategy == "alvh_442":
        if state.halted:
            tranches, layers = halted_tranches(state.tranches, day, state.halt_reason, cfg)
            return _fixed_budget(0.0, 0.0, "halted"), positions, tranches, layers
        budget = _alvh_budget(state, positions, day, nav, cfg)
        positions, tranches, layers = alvh_day(
            positions, state.tranches, day, ledger, budget, notional > 0, cfg
        )
        return budget, positions, tranches, layers
    if state.strategy in ("single_layer_vix_call", "static_permanent"):
        b = cfg.baselines
        single = state.strategy == "single_layer_vix_call"
        pct = b.single_layer_notional_pct if single else b.static_notional_pct
        if state.halted:
            pct, notional = 0.0, 0.0
        budget = _fixed_budget(pct, notional, "halted" if state.halted else "fixed_baseline")
        positions, layers = baseline_day(state.strategy, positions, day, ledger, notional, cfg)
        if state.halted:
            layers = [{**r, "blocked_by": f"halted: {state.halt_reason}"} for r in layers]
        return budget, positions, state.tranches, layers
    rule = "halted" if state.halted else "unhedged"
    return _fixed_budget(0.0, notional, rule), positions, state.tranches, []


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
    if not state.halted:
        nav = cash() + mark_value(positions)
        positions = manage_condor(positions, day, ledger, cfg.condor, nav)
    margin = condor_book(positions)[2]  # hedges never touch the condor legs
    budget, positions, tranches, layers = _hedge(
        state, positions, day, ledger, cash() + mark_value(positions), cfg
    )
    pos_rows, budget_row, account = _day_rows(state, positions, day, ledger, budget, cfg)
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
        "premium_at_risk": hedge_value,
        "premium_at_risk_pct": hedge_value / notional if notional > 0 else None,
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
