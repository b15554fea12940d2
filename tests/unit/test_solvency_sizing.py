"""Equity sizing and solvency (methodology §2, "Size … 20% of the account's NAV at entry
(current equity, never the initial capital …)" and "Solvency: a position is opened only if the
account's margin after it … stays ≤ NAV. When NAV falls to or below the margin of the open
book, the account closes everything at the next quotes and halts … NAV is never negative"),
on the constructed chains of ``test_strategy_rules``; every number by hand.

The entry chain's condor: 2750/2700 puts, 3150/3200 calls, credit at fills 10.15, max loss
(50 − 10.15) × 100 = 3,985 USD a condor, margin 50 × 100 = 5,000 a condor; one condor's
costs: 4 × 1.31 fees + slippage 0.5 × 100 × (0.40 + 0.30 + 0.35 + 0.25) = 5.24 + 65 = 70.24.
"""

from __future__ import annotations

import datetime as dt

import pytest

from alvh_assets.config import load_config
from alvh_assets.strategy import engine
from alvh_assets.strategy.book import Position
from alvh_assets.strategy.hedges import initial_tranches
from tests.unit.test_strategy_rules import CFG, D0, EXP, day, entry_rows, held_condor, opt

STATIC_EXP = dt.date(2020, 12, 18)


def contracts(out) -> int:
    return next(-f.quantity for f in out.fills if f.leg == "short_put")


def test_after_a_50pct_nav_loss_the_next_entry_has_half_the_contracts() -> None:
    # Full NAV 1,000,000: floor(0.20 × 1,000,000 / 3,985) = floor(50.19) = 50 condors.
    _, out = engine.step(engine.initial_state("unhedged", CFG), day(D0, entry_rows()), CFG)
    assert contracts(out) == 50
    # The account has lost half: 400,000 cash and a static put hedge marked at 1,000 × 100 ×
    # 1.00 = 100,000 → NAV 500,000 (the initial capital is still 1,000,000 in the config).
    # floor(0.20 × 500,000 / 3,985) = floor(25.09) = 25 condors: half the size.
    put = Position("p", "static-1", "static_permanent", "long_put", "SPX", STATIC_EXP,
                   2500.0, "P", 1_000, D0, 3.0, bucket="static", tranche=1)  # fmt: skip
    rows = [*entry_rows(), opt("SPX", STATIC_EXP, 2500, "P", 0.95, 1.05, -0.05)]
    state = engine.StrategyState("unhedged", 400_000.0, positions=(put,))
    new, out = engine.step(state, day(D0, rows), CFG)
    assert contracts(out) == 25
    assert {f.reason for f in out.fills} == {"entry: POP 0.7445, 25 condors on NAV 500,000.00"}
    assert CFG.execution.initial_capital == 1_000_000.0


def test_the_margin_after_an_entry_stays_within_nav() -> None:
    # A 100% risk budget would size floor(1,000,000 / 3,985) = 250 condors, a margin of
    # 1,250,000 > NAV. The solvency cap: floor(1,000,000 / (5,000 + 70.24)) = 197 condors,
    # margin 985,000 ≤ NAV after costs 1,000,000 − 197 × 70.24 = 986,162.72.
    cfg = load_config(
        None, {"condor.risk_budget_pct": 1.0, "condor.exit_dte": 21, "condor.wing_mode": "width"}
    )
    state, out = engine.step(engine.initial_state("unhedged", cfg), day(D0, entry_rows()), cfg)
    assert contracts(out) == 197
    assert out.account["margin"] == pytest.approx(985_000.0)
    assert out.account["nav"] == pytest.approx(1_000_000.0 - 197 * 70.24)
    assert out.account["margin"] <= out.account["nav"]


# --- a crash: the held condor (50 × 2750/2700 puts, 3150/3200 calls, margin 250,000) in an
# account with 300,000 cash. SPX gaps below the put wing.
CRASH = dt.date(2020, 1, 6)  # DTE 31
CRASH_ROWS = [
    opt("SPXW", EXP, 2700, "P", 151.0, 153.0, -0.95, fwd=2540.0, spot=2540.0),
    opt("SPXW", EXP, 2750, "P", 199.0, 201.0, -0.97, fwd=2540.0, spot=2540.0),
    opt("SPXW", EXP, 3150, "C", 0.05, 0.15, 0.01, fwd=2540.0, spot=2540.0),
    opt("SPXW", EXP, 3200, "C", 0.0, 0.10, 0.005, fwd=2540.0, spot=2540.0),
]
AFTER = dt.date(2020, 1, 7)  # a calm day with the entry chain (EXP at 30 DTE: eligible)


def crashed(strategy: str) -> engine.StrategyState:
    tranches = initial_tranches(CFG) if strategy == "alvh_442" else {}
    return engine.StrategyState(strategy, 300_000.0, tuple(held_condor()), tranches=tranches)


@pytest.mark.parametrize("strategy", ["unhedged", "alvh_442", "static_permanent"])
def test_a_crash_halts_the_book_nav_stays_positive_and_nothing_trades_after(strategy) -> None:
    # NAV at the crash's mids: 300,000 − 5,000 × (200 − 152 + 0.10 − 0.05) = 59,750
    # ≤ margin 250,000 → halt, close everything at the day's quotes:
    #   buy 50 × 2750P at 200.5: −1,002,500;  sell 50 × 2700P at 151.5: +757,500
    #   buy 50 × 3150C at 0.125: −625;        sell 50 × 3200C at 0.025: +125
    #   fees 4 × 65.50 = 262 → −245,762; cash and NAV 300,000 − 245,762 = 54,238 ≥ 0.
    state, out = engine.step(crashed(strategy), day(CRASH, CRASH_ROWS), CFG)
    reason = "NAV 59,750.00 <= margin 250,000.00 of the open book"
    assert [f.reason for f in out.fills] == [f"halt: close-out ({reason})"] * 4
    assert {f.trade_kind for f in out.fills} == {"halt_close"}
    assert [f.price for f in out.fills] == pytest.approx([200.5, 151.5, 0.125, 0.025])
    assert out.account["trade_cash_flow"] == pytest.approx(-245_762.0)
    assert out.account["nav"] == pytest.approx(54_238.0) and out.account["nav"] >= 0
    assert (out.account["halted"], out.account["halt_date"]) == (True, CRASH)
    assert out.account["halt_reason"] == reason
    assert state.positions == () and out.account["margin"] == 0.0
    assert out.budget["binding_rule"] == "halted" and out.budget["budget_usd"] == 0.0

    # The next session offers the entry chain (and for ALVH a MACD cross up): nothing trades.
    signals = {"vix_macd_cross": 1}
    later, out2 = engine.step(state, day(AFTER, entry_rows(), signals=signals), CFG)
    assert out2.fills == []
    assert (out2.account["halted"], out2.account["halt_date"]) == (True, CRASH)
    assert out2.account["nav"] == pytest.approx(54_238.0)
    if strategy == "alvh_442":
        assert len(out2.layers) == 11  # the 4/4/2 tranches and the VIX call calendar
        assert not any(r["active"] for r in out2.layers)
        assert {r["blocked_by"] for r in out2.layers} == {"halted"}
        assert {r["rule"] for r in out2.layers} == {f"halted: {reason}"}
    # An account that is not halted, with the same NAV, would have entered:
    # floor(0.20 × 54,238 / 3,985) = 2 condors.
    free = engine.StrategyState(strategy, 54_238.0, tranches=crashed(strategy).tranches)
    _, out3 = engine.step(free, day(AFTER, entry_rows(), signals=signals), CFG)
    assert contracts(out3) == 2


def test_solvent_book_is_not_halted() -> None:
    # Same crash with 400,000 cash: NAV 159,750 still ≤ 250,000 → halt; with 600,000 cash NAV
    # 359,750 > 250,000: no halt, the stop (cycle loss ≥ 2 × credit) closes the condor instead.
    rich = engine.StrategyState("unhedged", 600_000.0, tuple(held_condor()))
    _, out = engine.step(rich, day(CRASH, CRASH_ROWS), CFG)
    assert not out.account["halted"] and out.account["halt_date"] is None
    assert {f.trade_kind for f in out.fills} == {"condor_exit"}
    assert all(f.reason.startswith("exit: stop loss") for f in out.fills)
