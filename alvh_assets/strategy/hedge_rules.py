"""The hedge rule of each strategy, one function per rule, all with one signature
(:data:`HedgeRule`): ``(state, positions, day, ledger, nav, cfg) -> HedgeDay``.

* :func:`alvh_hedge`: ALVH 4/4/2 (methodology §3): the day's budget
  (:func:`budget.alvh_budget`) and the tranches (:func:`hedges.alvh_day`);
* :func:`single_layer_hedge`, :func:`static_hedge`: the baselines of §4
  (:func:`hedges.baseline_day`): Cboe VXTH's rule, ALVH's base share capped at delta-neutral;
* :func:`no_hedge`: the unhedged condor and the Cboe CNDR reference book (§4 items 1, 5).

Every hedged strategy reads the same budget basis (§3, settled 2026-12,
:func:`budget_inputs`): premium at risk = the open cost basis of its hedge legs, and the cost
ceiling's two cumulative sides — the condor time value captured (:func:`closed_cycle_credit`
plus :func:`open_cycle_decay`) and the net hedge spend (:func:`hedge_spend`).

A halted account (§2 solvency: "trades no more") buys nothing: budget 0 (rule
``halted``), every ALVH tranche inactive, a baseline's layer marked blocked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from alvh_assets.config import AlvhConfig
from alvh_assets.strategy.book import MULTIPLIER, Fill, Ledger, Position, intrinsic, is_quoted
from alvh_assets.strategy.budget import BudgetDecision, BudgetInputs, alvh_budget, fixed_budget
from alvh_assets.strategy.condor import condor_book, cycle_of
from alvh_assets.strategy.hedges import (
    Tranche,
    alvh_day,
    baseline_day,
    cost_basis,
    halted_tranches,
)
from alvh_assets.strategy.market import MarketDay

if TYPE_CHECKING:
    from alvh_assets.strategy.engine import StrategyState


class HedgeDay(NamedTuple):
    """What a hedge rule returns for one session."""

    budget: BudgetDecision
    positions: list[Position]
    tranches: dict[tuple[str, int], Tranche]
    layers: list[dict[str, Any]]


HedgeRule = Callable[
    ["StrategyState", list[Position], MarketDay, Ledger, float, AlvhConfig], HedgeDay
]


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


def hedge_spend(fills: list[Fill]) -> float:
    """Net hedge spend of ``fills``: ``−Σ cash flow`` of the hedge (non-condor) fills —
    premium paid with its costs, less sale and settlement proceeds (§3 cost ceiling)."""
    return -sum(f.cash_flow for f in fills if f.kind != "condor")


def closed_cycle_credit(before: tuple[Position, ...], after: list[Position]) -> float:
    """The original credits of the condor cycles open in ``before`` and gone from ``after``
    (closed or settled today; §3 cost ceiling: "the credit of closed cycles")."""
    open_after = {p.group_id for p in after if p.kind == "condor"}
    firsts = {p.group_id: p for p in before if p.kind == "condor" and p.group_id not in open_after}
    return sum(p.cycle_credit or 0.0 for p in firsts.values())


def open_cycle_decay(positions: list[Position], day: MarketDay) -> float:
    """Time value the open condor cycle has given up so far: its original credit less the
    net time value its open legs still hold at mids (``Σ −qty × (mid − intrinsic) × 100``),
    never below 0 (§3 cost ceiling: "realized condor theta")."""
    legs = [p for p in positions if p.kind == "condor"]
    if not legs:
        return 0.0
    tv = 0.0
    for p in legs:
        r = day.quote(p.key)
        if not is_quoted(r) or r["underlying_price"] is None:
            return 0.0
        inner = intrinsic(p.option_type, p.strike, r["underlying_price"])
        tv += -p.quantity * ((r["bid"] + r["ask"]) / 2.0 - inner) * MULTIPLIER
    return max(cycle_of(legs)[0] - tv, 0.0)


def budget_inputs(
    state: StrategyState,
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    nav: float,
    cfg: AlvhConfig,
) -> BudgetInputs:
    """The common budget basis of a hedged strategy before its hedge step (module
    docstring), with the signals ALVH's rules read."""
    closed = state.closed_cycle_credit + closed_cycle_credit(state.positions, positions)
    return BudgetInputs(
        condor_notional=condor_book(positions)[0],
        nav=nav,
        premium_at_risk=cost_basis([p for p in positions if p.kind != "condor"]),
        time_value_captured=closed + open_cycle_decay(positions, day),
        hedge_net_spend=state.hedge_net_spend + hedge_spend(ledger.fills),
        regime=day.signal("regime"),
        neutral_to_bullish=day.signal("neutral_to_bullish"),
        pcf=day.signal("pcf"),
        pe=day.signal("pe"),
        beta=rolling_beta(state.history, cfg.hedge.beta_window),
        cost_ceiling_ratio=cfg.hedge.cost_ceiling_ratio,
    )


def alvh_hedge(
    state: StrategyState,
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    nav: float,
    cfg: AlvhConfig,
) -> HedgeDay:
    """ALVH 4/4/2 (methodology §3): budget, then the tranches' day."""
    if state.halted:
        tranches, layers = halted_tranches(state.tranches, day, state.halt_reason, cfg)
        return HedgeDay(fixed_budget(0.0, 0.0, "halted"), positions, tranches, layers)
    x = budget_inputs(state, positions, day, ledger, nav, cfg)
    budget = alvh_budget(x, cfg.hedge)
    notional, credit, _ = condor_book(positions)
    positions, tranches, layers = alvh_day(
        positions, state.tranches, day, ledger, budget, notional > 0, cfg, credit
    )
    return HedgeDay(budget, positions, tranches, layers)


def _baseline(
    strategy: str, state: StrategyState, positions: list[Position], day: MarketDay,
    ledger: Ledger, nav: float, cfg: AlvhConfig,
) -> HedgeDay:  # fmt: skip
    x = budget_inputs(state, positions, day, ledger, nav, cfg)
    if state.halted:
        x = replace(x, condor_notional=0.0)
    positions, layers, budget = baseline_day(strategy, positions, day, ledger, x, cfg)
    if state.halted:
        budget = fixed_budget(0.0, 0.0, "halted", x)
        layers = [{**r, "blocked_by": f"halted: {state.halt_reason}"} for r in layers]
    return HedgeDay(budget, positions, state.tranches, layers)


def single_layer_hedge(
    state: StrategyState,
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    nav: float,
    cfg: AlvhConfig,
) -> HedgeDay:
    """The single-layer VIX call hedge by Cboe VXTH's rule (§4 item 2)."""
    return _baseline("single_layer_vix_call", state, positions, day, ledger, nav, cfg)


def static_hedge(
    state: StrategyState,
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    nav: float,
    cfg: AlvhConfig,
) -> HedgeDay:
    """The permanent static hedge (§4 item 3)."""
    return _baseline("static_permanent", state, positions, day, ledger, nav, cfg)


def no_hedge(
    state: StrategyState,
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    nav: float,
    cfg: AlvhConfig,
) -> HedgeDay:
    """No hedge (§4 items 1 and 5): budget 0, rule ``unhedged`` (``halted`` once halted)."""
    rule = "halted" if state.halted else "unhedged"
    budget = fixed_budget(0.0, condor_book(positions)[0], rule)
    return HedgeDay(budget, positions, state.tranches, [])
