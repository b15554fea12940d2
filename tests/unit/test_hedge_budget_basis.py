"""Hand-worked cases of the common hedge budget basis and the baselines (methodology §3
"Hedge budget" and §4, settled 2026-12): the cost ceiling's cumulative sides, Cboe VXTH's
rule for the single layer, the static hedge at ALVH's base share capped at delta-neutral.

The chain and the held condor are those of :mod:`tests.unit.test_strategy_rules`: 50 condors
2700/2750 puts, 3150/3200 calls, credit 50,750 USD, notional 250,000 USD; on D1 the condor
costs 54,000 to close, so NAV = 1,050,000 − 54,000 = 996,000.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from alvh_assets.strategy import engine
from alvh_assets.strategy.book import Fill
from alvh_assets.strategy.budget import BudgetInputs, alvh_budget, spend_room
from alvh_assets.strategy.hedge_rules import closed_cycle_credit, hedge_spend, open_cycle_decay
from alvh_assets.strategy.hedges import vxth_share
from tests.unit.test_strategy_rules import (
    CASH,
    CFG,
    CONDOR_ROWS,
    D1,
    VIX_ROWS,
    day,
    held_condor,
    opt,
)

NAV = 996_000.0


def state(name: str, captured: float = 100_000.0, spent: float = 0.0) -> engine.StrategyState:
    return engine.StrategyState(
        name, CASH, positions=tuple(held_condor()), closed_cycle_credit=captured,
        hedge_net_spend=spent,
    )  # fmt: skip


# --- the cost ceiling (000): cumulative spend ≤ cumulative condor time value captured --------
def test_closed_cycles_add_their_original_credit_once() -> None:
    legs = [replace(p, cycle_credit=50_750.0, cycle_cash=50_488.0) for p in held_condor()]
    other = [replace(p, group_id="condor-20200109", cycle_credit=9_000.0) for p in legs]
    assert closed_cycle_credit(tuple(legs), []) == 50_750.0  # closed today: its credit
    assert closed_cycle_credit(tuple(legs), legs) == 0.0  # still open
    assert closed_cycle_credit(tuple(legs + other), other) == 50_750.0  # a roll keeps the group


def test_open_cycle_decay_is_credit_less_remaining_time_value() -> None:
    # All four legs OTM at forward 3000: time value = mid. Net time value still held on D1:
    # 50 × 100 × (11.0 − 7.5 + 14.25 − 6.95) = 54,000 > credit 50,750 → nothing captured yet.
    market = day(D1, CONDOR_ROWS)
    assert open_cycle_decay(held_condor(), market) == 0.0
    # Later the mids have halved (5.5, 3.75, 7.125, 3.475): 27,000 left → 50,750 − 27,000.
    half = [{**r, "bid": r["bid"] / 2, "ask": r["ask"] / 2} for r in CONDOR_ROWS]
    assert open_cycle_decay(held_condor(), day(D1, half)) == pytest.approx(23_750.0)


def test_hedge_spend_is_minus_the_hedge_cash_flows() -> None:
    def fill(kind: str, cash: float) -> Fill:
        leg = ("f", D1, "g", kind, "long_call", "p", "VIX", D1, 20.0, "C", "buy", 1)
        return Fill(*leg, 1.0, 1.1, 1.05, 1.075, 0.65, 0.66, 2.5, 0.0, cash, "tranche_add: x")

    fills = [fill("alvh", -5_000.0), fill("alvh", 1_200.0), fill("condor", 50_000.0)]
    assert hedge_spend(fills) == pytest.approx(3_800.0)  # the condor's credit is not spend
    assert spend_room(10_000.0, 3_800.0) == pytest.approx(6_200.0)
    assert spend_room(3_000.0, 3_800.0) == 0.0


def test_cost_ceiling_binds_when_little_time_value_was_captured() -> None:
    # P/CF 9 → base 0.20 × 250,000 = 50,000; captured 12,000, spent 4,000, at risk 3,000 →
    # cost ceiling (3,000 + 8,000) / 250,000 = 0.044 binds.
    x = BudgetInputs(250_000.0, NAV, 3_000.0, 12_000.0, 4_000.0, "neutral", False, 9.0, 20.0)
    d = alvh_budget(x, CFG.hedge)
    assert d.cost_ceiling_pct == pytest.approx(0.044)
    assert (d.binding_rule, d.budget_usd) == ("cost_ceiling", pytest.approx(11_000.0))
    assert d.spend_room_usd == pytest.approx(8_000.0)


def test_beta_above_its_cap_raises_the_budget_to_the_valuation_maximum() -> None:
    x = BudgetInputs(250_000.0, NAV, 0.0, 1e6, 0.0, "neutral", False, 9.0, 20.0, beta=0.40)
    d = alvh_budget(x, CFG.hedge)
    assert d.beta_raised and d.base_rule == "beta_cap (beta 0.400)"
    assert (d.binding_rule, d.budget_pct) == ("beta_cap", pytest.approx(0.28))
    assert not alvh_budget(replace(x, beta=0.35), CFG.hedge).beta_raised  # at the cap: no


# --- the single layer by Cboe VXTH's rule (§4 item 2) --------------------------------------
@pytest.mark.parametrize(
    ("vx", "share"),
    [(14.99, 0.0), (15.0, 0.01), (29.99, 0.01), (30.0, 0.005), (49.99, 0.005), (50.0, 0.0)],
)
def test_vxth_bands(vx: float, share: float) -> None:
    assert vxth_share(vx, CFG) == share


def test_single_layer_buys_thirty_delta_calls_for_one_percent_of_nav() -> None:
    # VX future of the only VIX expiry (13 DTE, nearest 30 with ≥ 7): 15.5 → 1% of NAV =
    # 9,960 USD. Call delta nearest 0.30: the 20C (0.25; the 17C is 0.40), bought at
    # 0.65 + 0.5 × 0.05 = 0.675 → 67.50 USD → floor(9,960 / 67.50) = 147 calls (9,922.50).
    market = day(D1, CONDOR_ROWS + VIX_ROWS, signals={"pcf": 9.0})
    _, out = engine.step(state("single_layer_vix_call"), market, CFG)
    (bought,) = out.fills
    assert (bought.root, bought.strike, bought.quantity) == ("VIX", 20.0, 147)
    assert bought.price == pytest.approx(0.675)
    assert bought.reason == "single_layer: vxth: VX 15.50 -> 1.0% of NAV 996,000"
    assert out.budget["binding_rule"] == "vxth"
    assert out.budget["budget_usd"] == pytest.approx(9_960.0)
    # Little time value captured (5,000): the cost ceiling binds → floor(5,000 / 67.5) = 74.
    _, out = engine.step(state("single_layer_vix_call", captured=5_000.0), market, CFG)
    assert out.budget["binding_rule"] == "cost_ceiling"
    assert [f.quantity for f in out.fills] == [74]
    # VX at 55 (> 50): VXTH spends nothing.
    calm = [{**r, "forward": 55.0} for r in VIX_ROWS]
    _, out = engine.step(state("single_layer_vix_call"), day(D1, CONDOR_ROWS + calm), CFG)
    assert out.fills == [] and out.budget["budget_usd"] == 0.0


# --- the static hedge (§4 item 3) ---------------------------------------------------------------
YEAR = dt.date(2021, 1, 15)  # 372 DTE from D1: the 12-month expiry
STATIC_PUT = opt("SPX", YEAR, 2700, "P", 95.0, 97.0, -0.20)  # 10% below the forward 3000


def static_day(short_call_delta: float):
    rows = [r if r["strike"] != 3150 else {**r, "delta": short_call_delta} for r in CONDOR_ROWS]
    return day(D1, [*rows, STATIC_PUT], signals={"pcf": 9.0})


@pytest.mark.parametrize(
    ("short_call_delta", "puts", "binding"),
    [
        # condor delta 100 × 50 × (0.20 − 0.12 − 0.22 + 0.13) = −50 ≤ 0: no put at all
        (0.22, 0, "delta_neutral"),
        # 100 × 50 × (0.20 − 0.12 − 0.20 + 0.13) = +50 → floor(50 / 20) = 2 puts
        (0.20, 2, "delta_neutral"),
        # 100 × 50 × (0.20 − 0.12 − 0.15 + 0.13) = +300 → 15 puts allowed; the base share
        # 0.20 × 250,000 = 50,000 at 96.50 × 100 = 9,650 a put buys floor(5.18) = 5
        (0.15, 5, "alvh_base_share"),
    ],
)
def test_static_puts_at_base_share_never_past_delta_neutral(
    short_call_delta: float, puts: int, binding: str
) -> None:
    _, out = engine.step(state("static_permanent"), static_day(short_call_delta), CFG)
    assert out.budget["binding_rule"] == binding
    assert [f.quantity for f in out.fills] == ([puts] if puts else [])
    if puts:
        (f,) = out.fills
        assert (f.root, f.expiration, f.strike, f.price) == ("SPX", YEAR, 2700.0, 96.5)
        book = 100 * 50 * (0.20 - 0.12 - short_call_delta + 0.13) - puts * 20
        assert book >= 0  # the combined book's delta at purchase does not cross zero


def test_static_hedge_is_held_not_topped_up() -> None:
    s1, _ = engine.step(state("static_permanent"), static_day(0.15), CFG)
    _, out = engine.step(s1, replace(static_day(0.15), date=D1 + dt.timedelta(days=1)), CFG)
    assert out.fills == [] and out.layers[0]["action"] == "hold"
    assert out.layers[0]["premium_at_risk"] == pytest.approx(5 * 9_650.0)
