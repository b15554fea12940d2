"""What a strategy's hedge allows its condor book today (methodology §3), decided before the
condor's trades:

* **liquidity test** (003, [choice] settled 2026-12): inside an event window (FOMC, CPI, PPI
  ± ``event_window_days``), the hedge's own liquid value — longs at their bids, shorts at
  their asks — must be ≥ ``liquidity_multiple`` × the slippage of unwinding the hedge with
  spreads widened ``event_spread_multiple`` times (``Σ |qty| × (ask − bid) / 2 × 100 ×
  multiple`` over the hedge legs). When it fails the book takes **no new condor risk** that
  day (no entry, no roll); it never blocks buying protection, and an account with no hedge
  has nothing to test (``liquidity_ok`` None).
* **mid-layer financing** (001): while ALVH holds its mid-layer VIX call spread, the condor's
  next entry or roll moves both short strikes ``mid_layer_narrow_steps`` listed strikes toward
  the money (the extra credit pays for the spread).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alvh_assets.config import AlvhConfig
from alvh_assets.strategy.book import MULTIPLIER, Position, is_quoted
from alvh_assets.strategy.market import MarketDay

if TYPE_CHECKING:
    from alvh_assets.strategy.engine import StrategyState

MID_LAYER_RULE = "implied ERP > threshold and RV20 < threshold (mid-layer spread)"
"""The ``rule`` of a medium tranche holding the mid-layer VIX call spread (001)."""


@dataclass(frozen=True)
class CondorGates:
    """The day's limits on the condor book set by its hedge."""

    block_new_risk: str | None = None
    narrow_steps: int = 0
    liquidity_ok: bool | None = None
    liquid_hedge_value: float | None = None
    unwind_slippage: float | None = None


OPEN = CondorGates()
"""No limit: the unhedged books, the baselines and the CNDR reference."""


def liquidity_test(
    hedge: list[Position], day: MarketDay, cfg: AlvhConfig
) -> tuple[bool | None, float | None, float | None]:
    """(passed?, liquid value, widened unwind slippage) of the module docstring's test;
    (None, …) outside an event window, without an event calendar, or with no hedge held."""
    if not day.signal("event_window") or not hedge:
        return None, None, None
    rows = [day.quote(p.key) for p in hedge]
    quoted = [(p, r) for p, r in zip(hedge, rows, strict=True) if is_quoted(r)]
    liquid = sum(p.quantity * (r["bid"] if p.quantity > 0 else r["ask"]) for p, r in quoted)
    half = sum(abs(p.quantity) * (r["ask"] - r["bid"]) / 2.0 for p, r in quoted)
    slippage = half * MULTIPLIER * cfg.hedge.event_spread_multiple
    liquid *= MULTIPLIER
    return liquid >= cfg.hedge.liquidity_multiple * slippage, liquid, slippage


def alvh_gates(
    state: StrategyState, positions: list[Position], day: MarketDay, cfg: AlvhConfig
) -> CondorGates:
    """ALVH's gates (module docstring)."""
    hedge = [p for p in positions if p.kind != "condor"]
    ok, liquid, slippage = liquidity_test(hedge, day, cfg)
    block = None
    if ok is False:
        block = (
            f"liquidity test failed in event window: hedge liquid value {liquid:,.2f} < "
            f"{cfg.hedge.liquidity_multiple:g} x widened unwind slippage {slippage:,.2f}"
        )
    mid_layer = any(t.active and t.rule == MID_LAYER_RULE for t in state.tranches.values())
    steps = cfg.hedge.mid_layer_narrow_steps if mid_layer else 0
    return CondorGates(block, steps, ok, liquid, slippage)


def no_gates(
    state: StrategyState, positions: list[Position], day: MarketDay, cfg: AlvhConfig
) -> CondorGates:
    """No limits (:data:`OPEN`)."""
    return OPEN
