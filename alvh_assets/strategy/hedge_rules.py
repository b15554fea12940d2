"""The hedge rule of each strategy, one function per rule, all with one signature
(:data:`HedgeRule`): ``(state, positions, day, ledger, nav, cfg) -> HedgeDay``.

* :func:`alvh_hedge`: ALVH 4/4/2 (methodology §3): the day's budget
  (:func:`budget.alvh_budget`) and the tranches (:func:`hedges.alvh_day`);
* :func:`single_layer_hedge`, :func:`static_hedge`: the fixed baselines of §4
  (:func:`hedges.baseline_day`), budget a fixed share of condor notional;
* :func:`no_hedge`: the unhedged condor and the Cboe CNDR reference book (§4 items 1, 5).

A halted account (§2 solvency: "trades no more") buys nothing: budget 0 (rule
``halted``), every ALVH tranche inactive, a baseline's layer marked blocked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from alvh_assets.config import AlvhConfig
from alvh_assets.strategy.book import MULTIPLIER, Ledger, Position, is_quoted, mark_value
from alvh_assets.strategy.budget import BudgetDecision, BudgetInputs, alvh_budget
from alvh_assets.strategy.condor import condor_book
from alvh_assets.strategy.hedges import Tranche, alvh_day, baseline_day, halted_tranches
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


def fixed_budget(pct: float, notional: float, rule: str) -> BudgetDecision:
    """A budget of ``pct`` × condor notional set by one fixed ``rule`` (no caps)."""
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


def alvh_inputs(
    state: StrategyState, positions: list[Position], day: MarketDay, nav: float, cfg: AlvhConfig
) -> BudgetInputs:
    """ALVH's budget inputs from the book before the hedge step (methodology §3)."""
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
    return BudgetInputs(
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
    budget = alvh_budget(alvh_inputs(state, positions, day, nav, cfg), cfg.hedge)
    condor_open = condor_book(positions)[0] > 0
    positions, tranches, layers = alvh_day(
        positions, state.tranches, day, ledger, budget, condor_open, cfg
    )
    return HedgeDay(budget, positions, tranches, layers)


def _baseline(
    strategy: str, pct: float, state: StrategyState, positions: list[Position], day: MarketDay,
    ledger: Ledger, cfg: AlvhConfig,
) -> HedgeDay:  # fmt: skip
    notional = condor_book(positions)[0]
    if state.halted:
        pct, notional = 0.0, 0.0
    budget = fixed_budget(pct, notional, "halted" if state.halted else "fixed_baseline")
    positions, layers = baseline_day(strategy, positions, day, ledger, notional, cfg)
    if state.halted:
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
    """The single-layer VIX call hedge (§4 item 2, :func:`hedges.baseline_day`)."""
    pct = cfg.baselines.single_layer_notional_pct
    return _baseline("single_layer_vix_call", pct, state, positions, day, ledger, cfg)


def static_hedge(
    state: StrategyState,
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    nav: float,
    cfg: AlvhConfig,
) -> HedgeDay:
    """The permanent static hedge (§4 item 3, :func:`hedges.baseline_day`)."""
    pct = cfg.baselines.static_notional_pct
    return _baseline("static_permanent", pct, state, positions, day, ledger, cfg)


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
