"""The hedge budget of a day (methodology §3, "Hedge budget", settled 2026-12), the common
basis of ALVH and every hedged baseline.

**Basis.** The budget is *premium at risk*: the open cost basis of the hedge positions (what
was paid for the hedge legs still held), as a share of the condor's max-loss notional
(``wing width × 100 × contracts``). Spending is bounded by the cost ceiling (000):
cumulative hedge premium paid net of proceeds ≤ cumulative condor time value captured
(:func:`spend_room`).

ALVH's rules, in order (:func:`alvh_budget`):

1. Base: the P/CF stepped scale (003) — ``valuation_budget_min`` at P/CF ≥ ``pcf_threshold``
   rising linearly to ``valuation_budget_max`` at P/CF ≤ ``pcf_floor``; without a P/CF the
   rule is skipped and the base is the low end of the first-layer range (000) [choice]: the
   scale grows the budget only on evidence that the market is cheap (P/CF < 11), and with
   no P/CF there is none (at the middle, 20%, ALVH bought ~15% of NAV a year over
   2007-07…2009-06, above the methodology's 1–12% anchor).
2. Beta (003, "combined CAPM beta ≤ 0.35"): when the rolling beta of the strategy's NAV to
   SPX exceeds ``beta_cap``, the base is raised to ``valuation_budget_max`` (more hedge to
   bring beta back under its cap).
3. Caps, the smallest binds: regime ceiling in neutral-to-bullish regimes (003;
   ``ceiling_min`` when calm, ``ceiling_max`` when neutral); gross leverage
   ``(condor notional + premium at risk) / NAV ≤ gross_leverage_cap`` (003), i.e.
   ``budget ≤ cap × NAV / notional − 1``; cost ceiling (000): ``(premium at risk + spend
   room) / notional``.
4. Block on new layers: peak-earnings P/E > ``pe_block`` (003).

The liquidity test (003) is not a budget rule: it gates new condor risk
(:mod:`.gates`). Every rule whose input is missing is skipped and named in
``skipped_rules``.
"""

from __future__ import annotations

from dataclasses import dataclass

from alvh_assets.config import HedgeConfig


@dataclass(frozen=True)
class BudgetInputs:
    """What the budget rules read on a day (None = not available).

    ``premium_at_risk``: open cost basis of the hedge legs; ``time_value_captured`` and
    ``hedge_net_spend``: the cost ceiling's cumulative sides (:func:`spend_room`)."""

    condor_notional: float
    nav: float
    premium_at_risk: float
    time_value_captured: float
    hedge_net_spend: float
    regime: str | None = None
    neutral_to_bullish: bool | None = None
    pcf: float | None = None
    pe: float | None = None
    beta: float | None = None
    cost_ceiling_ratio: float = 1.0

    @property
    def room(self) -> float:
        """The cost ceiling's spend room (:func:`spend_room`)."""
        return spend_room(self.time_value_captured, self.hedge_net_spend, self.cost_ceiling_ratio)


@dataclass(frozen=True)
class BudgetDecision:
    """The day's budget, every cap's value, and which rule bound it (a rule that does not
    apply leaves its field at the default)."""

    base_pct: float
    base_rule: str
    budget_pct: float
    budget_usd: float
    binding_rule: str
    cost_ceiling_pct: float | None = None
    regime_ceiling_pct: float | None = None
    leverage_cap_pct: float | None = None
    gross_leverage: float | None = None
    beta_raised: bool = False
    pe_blocked: bool = False
    new_layers_blocked: bool = False
    blocked_by: str | None = None
    skipped_rules: str | None = None
    time_value_captured: float = 0.0
    hedge_net_spend: float = 0.0
    spend_room_usd: float = 0.0


def _spend_sides(x: BudgetInputs) -> dict[str, float | None]:
    """The cost ceiling's fields of a decision on inputs ``x``."""
    return {
        "cost_ceiling_pct": cost_ceiling_pct(x),
        "time_value_captured": x.time_value_captured,
        "hedge_net_spend": x.hedge_net_spend,
        "spend_room_usd": x.room,
    }


def spend_room(time_value_captured: float, hedge_net_spend: float, ratio: float = 1.0) -> float:
    """What the cost ceiling (000) still allows to be spent: ``ratio × time value captured −
    net hedge spend`` (``hedge.cost_ceiling_ratio``, 1 by default), never below 0."""
    return max(ratio * time_value_captured - hedge_net_spend, 0.0)


def valuation_scale(pcf: float, h: HedgeConfig) -> float:
    """``min`` at P/CF ≥ threshold, ``max`` at P/CF ≤ floor, linear in between (003)."""
    if pcf >= h.pcf_threshold:
        return h.valuation_budget_min
    if pcf <= h.pcf_floor:
        return h.valuation_budget_max
    share = (h.pcf_threshold - pcf) / (h.pcf_threshold - h.pcf_floor)
    return h.valuation_budget_min + share * (h.valuation_budget_max - h.valuation_budget_min)


def base_share(x: BudgetInputs, h: HedgeConfig, skipped: list[str]) -> tuple[float, str, bool]:
    """Rules 1–2: (base share of notional, its rule, raised by beta?)."""
    if x.pcf is None:
        skipped.append("pcf_scale (no P/CF)")
        base, rule = h.first_layer_min, "first_layer"
    else:
        base, rule = valuation_scale(x.pcf, h), f"pcf_scale (P/CF {x.pcf:.2f})"
    if x.beta is None:
        skipped.append("beta_cap (no beta history)")
    elif x.beta > h.beta_cap and base < h.valuation_budget_max:
        return h.valuation_budget_max, f"beta_cap (beta {x.beta:.3f})", True
    return base, rule, False


def cost_ceiling_pct(x: BudgetInputs) -> float | None:
    """The cost ceiling as a share of notional: ``(premium at risk + spend room) / notional``
    (None without a condor)."""
    if x.condor_notional <= 0:
        return None
    room = x.room
    return (x.premium_at_risk + room) / x.condor_notional


def alvh_budget(x: BudgetInputs, h: HedgeConfig) -> BudgetDecision:
    """ALVH's budget by the rules of the module docstring."""
    skipped: list[str] = []
    base, base_rule, beta_raised = base_share(x, h, skipped)
    caps: dict[str, float] = {}
    regime_ceiling = None
    if x.neutral_to_bullish is None or x.regime is None:
        skipped.append("regime_ceiling (no regime)")
    elif x.neutral_to_bullish:
        regime_ceiling = h.ceiling_min if x.regime == "calm" else h.ceiling_max
        caps["regime_ceiling"] = regime_ceiling
    leverage_cap = gross = None
    cost_cap = cost_ceiling_pct(x)
    if x.condor_notional > 0:
        leverage_cap = max(h.gross_leverage_cap * x.nav / x.condor_notional - 1.0, 0.0)
        caps["gross_leverage"] = leverage_cap
        caps["cost_ceiling"] = cost_cap or 0.0
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
    return BudgetDecision(
        base_pct=base,
        base_rule=base_rule,
        regime_ceiling_pct=regime_ceiling,
        leverage_cap_pct=leverage_cap,
        budget_pct=budget,
        budget_usd=budget * x.condor_notional,
        binding_rule=binding,
        gross_leverage=gross,
        beta_raised=beta_raised,
        pe_blocked=pe_blocked,
        new_layers_blocked=pe_blocked,
        blocked_by="pe_block" if pe_blocked else None,
        skipped_rules="; ".join(skipped) or None,
        **_spend_sides(x),  # type: ignore[arg-type]
    )


def fixed_budget(
    pct: float, notional: float, rule: str, x: BudgetInputs | None = None
) -> BudgetDecision:
    """A budget of ``pct`` × condor notional set by one ``rule`` (the unhedged books, a
    halted account), carrying the cost ceiling's cumulative sides when given."""
    return BudgetDecision(
        base_pct=pct,
        base_rule=rule,
        budget_pct=pct if notional > 0 else 0.0,
        budget_usd=pct * notional,
        binding_rule=rule if notional > 0 or rule == "halted" else "no_condor",
        **({} if x is None else _spend_sides(x)),  # type: ignore[arg-type]
    )


def capped_budget(
    rule: str, wanted_usd: float, x: BudgetInputs, extra: dict[str, float] | None = None
) -> BudgetDecision:
    """A baseline's budget (methodology §4): premium at risk ``wanted_usd`` by its sizing
    ``rule``, under the common cost ceiling and any ``extra`` caps (USD of premium at
    risk, e.g. the static hedge's delta-neutral cap); the smallest binds."""
    n = x.condor_notional
    caps = {"cost_ceiling": x.premium_at_risk + x.room, **(extra or {})}
    budget, binding = wanted_usd, rule
    for name, usd in caps.items():
        if usd < budget:
            budget, binding = usd, name
    budget = max(budget, 0.0)
    return BudgetDecision(
        base_pct=wanted_usd / n if n > 0 else 0.0,
        base_rule=rule,
        budget_pct=budget / n if n > 0 else 0.0,
        budget_usd=budget if n > 0 else 0.0,
        binding_rule=binding if n > 0 else "no_condor",
        gross_leverage=(n + x.premium_at_risk) / x.nav if x.nav > 0 else None,
        **_spend_sides(x),  # type: ignore[arg-type]
    )
