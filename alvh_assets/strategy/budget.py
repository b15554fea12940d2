"""The ALVH hedge budget of a day (methodology §3, "Hedge budget"), as a share of the condor's
wing-width notional (``width × 100 × contracts``, the condor's max gross risk).

The budget is the premium the hedge may have at risk (mark value of its open positions).
Order of the rules:

1. Base: the P/CF stepped scale (003) — ``valuation_budget_min`` at P/CF ≥ ``pcf_threshold``
   rising linearly to ``valuation_budget_max`` at P/CF ≤ ``pcf_floor``; without a P/CF the
   rule is skipped and the base is the middle of the first-layer range (000).
2. Beta (003): when the rolling CAPM beta of the strategy's NAV to SPX exceeds ``beta_cap``,
   the base is raised to ``valuation_budget_max`` (more hedge to bring beta down).
3. Caps, the smallest binds: regime ceiling in neutral-to-bullish regimes (003; ``ceiling_min``
   when calm, ``ceiling_max`` when neutral); gross leverage ``(condor notional + hedge
   premium at risk) / NAV ≤ gross_leverage_cap`` (003), i.e. ``budget ≤ cap × NAV / notional
   − 1``; cost ceiling (000): premium at risk ≤ ``cost_ceiling_ratio`` × the open condor
   credit (the time value the condor's premium captures).
4. Blocks on new layers: P/E > ``pe_block`` (003); inside an event window, the liquidity
   test (003): liquid hedge value (bids) ≥ ``liquidity_multiple`` × the largest expected
   slippage of unwinding the whole book there (half-spreads × ``event_spread_multiple``).

Every rule whose input is missing is skipped and named in ``skipped_rules``.
"""

from __future__ import annotations

from dataclasses import dataclass

from alvh_assets.config import HedgeConfig


@dataclass(frozen=True)
class BudgetInputs:
    """What the budget rules read on a day (None = not available)."""

    condor_notional: float
    condor_credit: float
    nav: float
    premium_at_risk: float
    regime: str | None
    neutral_to_bullish: bool | None
    pcf: float | None
    pe: float | None
    beta: float | None
    event_window: bool | None
    liquid_hedge_value: float
    event_slippage: float


@dataclass(frozen=True)
class BudgetDecision:
    """The day's budget, every cap's value, and which rule bound it."""

    base_pct: float
    base_rule: str
    regime_ceiling_pct: float | None
    leverage_cap_pct: float | None
    cost_ceiling_pct: float | None
    budget_pct: float
    budget_usd: float
    binding_rule: str
    gross_leverage: float | None
    beta_raised: bool
    pe_blocked: bool
    liquidity_ok: bool | None
    new_layers_blocked: bool
    blocked_by: str | None
    skipped_rules: str | None


def valuation_scale(pcf: float, h: HedgeConfig) -> float:
    """``min`` at P/CF ≥ threshold, ``max`` at P/CF ≤ floor, linear in between (003)."""
    if pcf >= h.pcf_threshold:
        return h.valuation_budget_min
    if pcf <= h.pcf_floor:
        return h.valuation_budget_max
    share = (h.pcf_threshold - pcf) / (h.pcf_threshold - h.pcf_floor)
    return h.valuation_budget_min + share * (h.valuation_budget_max - h.valuation_budget_min)


def alvh_budget(x: BudgetInputs, h: HedgeConfig) -> BudgetDecision:
    """Apply the budget rules of the module docstring."""
    skipped: list[str] = []
    if x.pcf is None:
        skipped.append("pcf_scale (no P/CF)")
        base, base_rule = (h.first_layer_min + h.first_layer_max) / 2, "first_layer"
    else:
        base, base_rule = valuation_scale(x.pcf, h), f"pcf_scale (P/CF {x.pcf:.2f})"
    beta_raised = False
    if x.beta is None:
        skipped.append("beta_cap (no beta history)")
    elif x.beta > h.beta_cap and base < h.valuation_budget_max:
        base, base_rule, beta_raised = h.valuation_budget_max, f"beta_cap (beta {x.beta:.3f})", True

    caps: dict[str, float] = {}
    regime_ceiling = None
    if x.neutral_to_bullish is None or x.regime is None:
        skipped.append("regime_ceiling (no regime)")
    elif x.neutral_to_bullish:
        regime_ceiling = h.ceiling_min if x.regime == "calm" else h.ceiling_max
        caps["regime_ceiling"] = regime_ceiling
    leverage_cap = cost_cap = gross = None
    if x.condor_notional > 0:
        leverage_cap = max(h.gross_leverage_cap * x.nav / x.condor_notional - 1.0, 0.0)
        cost_cap = h.cost_ceiling_ratio * x.condor_credit / x.condor_notional
        caps["gross_leverage"] = leverage_cap
        caps["cost_ceiling"] = max(cost_cap, 0.0)
    if x.nav > 0:
        gross = (x.condor_notional + x.premium_at_risk) / x.nav
    budget, binding = base, base_rule.split(" ")[0]
    for name, value in caps.items():
        if value < budget:
            budget, binding = value, name
    if x.condor_notional <= 0:
        budget, binding = 0.0, "no_condor"

    pe_blocked = False
    if x.pe is None:
        skipped.append("pe_block (no P/E)")
    else:
        pe_blocked = x.pe > h.pe_block
    liquidity_ok = None
    if x.event_window is None:
        skipped.append("liquidity_test (no event calendar)")
    elif x.event_window:
        liquidity_ok = x.liquid_hedge_value >= h.liquidity_multiple * x.event_slippage
    blocks = [b for b, on in (("pe_block", pe_blocked), ("liquidity", liquidity_ok is False)) if on]
    return BudgetDecision(
        base_pct=base,
        base_rule=base_rule,
        regime_ceiling_pct=regime_ceiling,
        leverage_cap_pct=leverage_cap,
        cost_ceiling_pct=cost_cap,
        budget_pct=budget,
        budget_usd=budget * x.condor_notional,
        binding_rule=binding,
        gross_leverage=gross,
        beta_raised=beta_raised,
        pe_blocked=pe_blocked,
        liquidity_ok=liquidity_ok,
        new_layers_blocked=bool(blocks),
        blocked_by=", ".join(blocks) or None,
        skipped_rules="; ".join(skipped) or None,
    )
