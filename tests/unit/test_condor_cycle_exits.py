"""Whole-cycle exits of the condor book (methodology §2, "Exit … all measured on the whole
cycle (the original credit plus every realized roll P&L of that condor), never on the legs
open after a roll alone. No roll on a session when the condor would reach its DTE exit by the
next session"), on the constructed chains of ``test_strategy_rules``; every number by hand.

The cycle: 50 condors opened on 2020-01-02 (test_condor_entry) for an original credit of
50 × 100 × 10.15 = 50,750 USD; its cash after the entry is 50,750 − 4 × 65.50 = 50,488.
The roll of 2020-01-09 (test_roll_short_put_past_delta_trigger) adds −41,512 (buy back the
2750 put at 31.30, sell the 2700 put at 19.25, sell the 2650 put at 12.40, buy the 2600 put at
8.60, 65.50 of fees each): cycle cash 8,976.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from alvh_assets.strategy import engine
from alvh_assets.strategy.condor import cycle_of, exit_reason
from tests.unit.test_strategy_rules import CFG, D1, EXP, day, held_condor, opt

CREDIT, ENTRY_CASH, ROLLED_CASH = 50_750.0, 50_488.0, 8_976.0
D2 = dt.date(2020, 1, 13)  # Monday: DTE 24, next session 01-14 at DTE 23 > 21


def entered() -> engine.StrategyState:
    legs = [replace(p, cycle_credit=CREDIT, cycle_cash=ENTRY_CASH) for p in held_condor()]
    return engine.StrategyState("unhedged", 1_050_488.0, positions=tuple(legs))


ROLL_ROWS = [  # SPX 2740 on D1: the 2750 short put's |delta| 0.35 > 0.30 → roll to 2650/2600
    opt("SPXW", EXP, k, t, b, a, d, fwd=2755.0, spot=2740.0)
    for k, t, b, a, d in [
        (2550, "P", 5.0, 5.6, -0.10),
        (2600, "P", 8.0, 8.8, -0.14),
        (2650, "P", 12.2, 13.0, -0.19),
        (2700, "P", 19.0, 20.0, -0.27),
        (2750, "P", 30.4, 31.6, -0.35),
        (3150, "C", 1.5, 1.8, 0.05),
        (3200, "C", 0.6, 0.8, 0.02),
    ]
]


def rolled() -> engine.StrategyState:
    state, out = engine.step(entered(), day(D1, ROLL_ROWS), CFG)
    assert {f.trade_kind for f in out.fills} == {"condor_roll"}
    for p in state.positions:
        assert cycle_of([p]) == pytest.approx((CREDIT, ROLLED_CASH))
    return state


def after_roll_rows(p2650: tuple, p2600: tuple, c3150=(0.45, 0.55), c3200=(0.15, 0.25)):
    """Quotes of the rolled condor's legs: (bid, ask, delta) of each."""
    return [
        opt("SPXW", EXP, 2650, "P", *p2650),
        opt("SPXW", EXP, 2600, "P", *p2600),
        opt("SPXW", EXP, 3150, "C", *c3150, 0.04),
        opt("SPXW", EXP, 3200, "C", *c3200, 0.02),
    ]


def test_roll_then_decay_does_not_take_profit_on_a_losing_cycle() -> None:
    # A week of decay: mids 2650P 4.0, 2600P 2.4, 3150C 0.5, 3200C 0.2; the open legs are worth
    # −5,000 × (4.0 − 2.4 + 0.5 − 0.2) = −9,500.
    rows = after_roll_rows((3.9, 4.1, -0.12), (2.3, 2.5, -0.08))
    state = rolled()
    # The legs alone would show a profit take: their credit 5,000 × (12.40 − 8.60 + 14.075
    # − 7.075) = 54,000, to close 9,500 ≤ 50% of it (82% "profit").
    legs_credit = sum(-p.quantity * p.entry_price for p in state.positions) * 100
    assert legs_credit == pytest.approx(54_000.0) and 0.5 * legs_credit >= 9_500
    # The cycle lost: 8,976 − 9,500 = −524 < 0.5 × 50,750 → no exit, no trade.
    assert exit_reason(list(state.positions), day(D2, rows), CFG.condor) is None
    new, out = engine.step(state, day(D2, rows), CFG)
    assert out.fills == [] and len(new.positions) == 4


@pytest.mark.parametrize(
    ("short_put_mid", "reason"),
    [
        # open legs −5,000 × (3.0 − 1.0 + 4.0 − 1.0) = −25,000: cycle P&L 50,488 − 25,000 =
        # 25,488 = 50.2% of 50,750 ≥ 50% → profit take
        (3.0, "exit: profit take: cycle P&L 25,488.00 = 50% of the original credit >= 50%"),
        # 3.1: open legs −25,500, P&L 24,988 = 49.2% → hold
        (3.1, None),
    ],
)
def test_profit_take_on_the_cycle_without_roll(short_put_mid: float, reason: str | None) -> None:
    rows = [
        opt("SPXW", EXP, 2750, "P", short_put_mid - 0.1, short_put_mid + 0.1, -0.10),
        opt("SPXW", EXP, 2700, "P", 0.9, 1.1, -0.05),
        opt("SPXW", EXP, 3150, "C", 3.9, 4.1, 0.15),
        opt("SPXW", EXP, 3200, "C", 0.9, 1.1, 0.06),
    ]
    _, out = engine.step(entered(), day(D2, rows), CFG)
    assert [f.reason for f in out.fills] == ([reason] * 4 if reason else [])
    assert {f.trade_kind for f in out.fills} <= {"condor_exit"}
    assert {f.cycle_id for f in out.fills} <= {"condor-20200102"}


@pytest.mark.parametrize(
    ("p2650_mid", "stops"),
    [
        # open legs −5,000 × (40.0 − 17.0 + 0.10 − 0.05) = −115,250: cycle P&L 8,976 −
        # 115,250 = −106,274, a loss of 2.09 × 50,750 ≥ 2× → stop. The legs alone lost only
        # 115,250 − 54,000 = 61,250 = 1.13× their credit: the old rule would have held.
        (40.0, True),
        # 39.0: open legs −110,250, loss 101,274 = 1.996× < 2× → hold (|delta| 0.29: no roll)
        (39.0, False),
    ],
)
def test_stop_fires_at_a_cycle_loss_of_twice_the_original_credit(
    p2650_mid: float, stops: bool
) -> None:
    rows = after_roll_rows(
        (p2650_mid - 0.5, p2650_mid + 0.5, -0.29), (16.5, 17.5, -0.20), (0.05, 0.15), (0.0, 0.1)
    )
    _, out = engine.step(rolled(), day(D2, rows), CFG)
    if stops:
        loss = ROLLED_CASH - 5_000 * (p2650_mid - 17.0 + 0.05)
        assert loss == pytest.approx(-106_274.0)
        expected = "exit: stop loss: cycle loss 106,274.00 = 2.09x the original credit >= 2x"
        assert [f.reason for f in out.fills] == [expected] * 4
        # the whole cycle's cash, entry to exit, is its realized P&L
        closing = sum(f.cash_flow for f in out.fills)
        assert ROLLED_CASH + closing < -2 * CREDIT
    else:
        assert out.fills == []


def test_no_roll_on_a_session_whose_next_session_hits_the_dte_exit() -> None:
    # 2020-01-15: DTE 22 > 21 (no exit today) but the next session, 01-16, is at DTE 21: the
    # 2750 put's |delta| 0.35 > 0.30 would roll it, the rule keeps the book for tomorrow's exit.
    wednesday = dt.date(2020, 1, 15)
    new, out = engine.step(entered(), day(wednesday, ROLL_ROWS), CFG)
    assert out.fills == [] and len(new.positions) == 4
    # the same quotes a day earlier (next session at DTE 22) roll the put side
    _, out = engine.step(entered(), day(wednesday - dt.timedelta(days=1), ROLL_ROWS), CFG)
    assert [f.trade_kind for f in out.fills] == ["condor_roll"] * 4
    # and the exit day itself closes at DTE 21
    _, out = engine.step(entered(), day(dt.date(2020, 1, 16), ROLL_ROWS), CFG)
    assert {f.reason for f in out.fills} == {"exit: DTE 21 <= 21"}
