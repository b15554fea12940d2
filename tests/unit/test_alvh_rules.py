"""Hand-worked cases of the ALVH rules of methodology §3 not covered by
:mod:`tests.unit.test_strategy_rules`: the mid-layer spread and its financing, the A/D
divergence tranche, the distorted-fundamentals adjustment on both instruments, the VIX call
calendar, distinct tranche expiries, and a monetized standing layer coming back with the
next condor cycle. Same chain and held condor as there (P/CF 9 → budget 50,000 USD, 5,000 a
tranche)."""

from __future__ import annotations

import datetime as dt

import pytest

from alvh_assets.strategy import engine
from alvh_assets.strategy.condor import select_condor
from alvh_assets.strategy.gates import MID_LAYER_RULE, alvh_gates
from alvh_assets.strategy.hedges import initial_tranches
from alvh_assets.strategy.instruments import nearest_expiry
from tests.unit.test_strategy_rules import (
    CFG,
    D0,
    D1,
    VIX_EXP,
    VIX_ROWS,
    alvh_market,
    alvh_state,
    day,
    entry_rows,
    layer,
    opt,
    with_tranche,
)

FEB, MAR = dt.date(2020, 2, 19), dt.date(2020, 3, 18)  # VIX expiries, 41 and 69 DTE from D1


# --- the mid-layer VIX call spread (001) and its financing --------------------------------
MAR_ROWS = [  # VIX March (69 DTE from D1), future 17.6
    opt("VIX", MAR, k, "C", b, a, d, 0.8, fwd=17.6, spot=13.0)
    for k, b, a, d in [(17, 2.00, 2.10, 0.50), (20, 1.20, 1.30, 0.35), (30, 0.40, 0.50, 0.12)]
]


def test_erp_and_low_realized_vol_add_one_mid_layer_spread() -> None:
    # medium tranche 1 targets 90 DTE (≥ 31): MAR; long call nearest 17.6 × 1.1 = 19.36 (20),
    # short nearest 17.6 × 1.6 = 28.16 (30): (1.25 + 0.025) − (0.45 − 0.025) = 0.85 → 85 USD
    # a spread → floor(5,000 / 85) = 58.
    market = alvh_market(D1, [*VIX_ROWS, *MAR_ROWS], distorted_fundamentals=True)
    s1, out = engine.step(alvh_state(), market, CFG)
    m1 = layer(out.layers, "medium_term", 1)
    assert m1["active"] and m1["instrument"] == "VIX call spread"
    assert m1["rule"] == MID_LAYER_RULE
    assert (m1["expiration"], m1["long_strike"], m1["short_strike"]) == (MAR, 20.0, 30.0)
    assert m1["contracts"] == 58 and m1["premium_at_risk"] == pytest.approx(58 * 85.0)
    # one at a time: the next day, with the flag still on, nothing more is added
    later = alvh_market(D1 + dt.timedelta(days=1), [*VIX_ROWS, *MAR_ROWS],
                        distorted_fundamentals=True)  # fmt: skip
    _, out2 = engine.step(s1, later, CFG)
    assert not layer(out2.layers, "medium_term", 2)["active"]


def test_mid_layer_spread_narrows_the_next_condor_entry() -> None:
    # The POP choice is 2750/3150 (test_condor_entry); one step toward the money among the
    # candidates with 50-point wings: short put 2800 (wing 2750), short call 3100 (wing 3150).
    chain = day(D0, entry_rows()).chain
    pick = select_condor(chain, D0, CFG.condor, narrow_steps=1)
    strikes = {name: row["strike"] for name, row in pick.legs.items()}
    assert strikes == {"short_put": 2800, "long_put": 2750, "short_call": 3100, "long_call": 3150}
    assert pick.narrowed_steps == 1
    # The gate turns on while the mid-layer spread is held, and the entry says why.
    tranches = with_tranche(
        initial_tranches(CFG), ("medium_term", 1), active=True, rule=MID_LAYER_RULE,
        instrument="VIX call spread",
    )  # fmt: skip
    flat = engine.StrategyState("alvh_442", 1_000_000.0, tranches=tranches)
    assert alvh_gates(flat, [], day(D0, entry_rows()), CFG).narrow_steps == 1
    assert alvh_gates(alvh_state(), [], day(D0, entry_rows()), CFG).narrow_steps == 0
    _, out = engine.step(flat, day(D0, entry_rows()), CFG)
    entry = [f for f in out.fills if f.kind == "condor"]
    assert {f.strike for f in entry} == {2750.0, 2800.0, 3100.0, 3150.0}
    assert "financing the mid-layer VIX call spread" in entry[0].reason


# --- A/D divergence with steepening (002, 004) --------------------------------------------
def test_ad_divergence_with_steepening_adds_a_medium_put_tranche() -> None:
    spx_put = opt("SPX", dt.date(2020, 3, 20), 2850, "P", 40.0, 42.0, -0.25)
    market = alvh_market(D1, [*VIX_ROWS, spx_put], ad_divergence_with_steepening=True)
    _, out = engine.step(alvh_state(), market, CFG)
    m1 = layer(out.layers, "medium_term", 1)
    assert m1["active"] and m1["rule"] == "ad_divergence with term-structure steepening"
    # 5,000 USD at 41.00 + 0.5 × 1.00 = 41.50 → 4,150 a put → 1 put
    assert (m1["instrument"], m1["contracts"], m1["long_strike"]) == ("SPX put", 1, 2850.0)


# --- distorted fundamentals (001): the short put out, the VIX short call down --------------
def test_distorted_fundamentals_moves_the_short_put_and_the_vix_short_call() -> None:
    rows = entry_rows() + VIX_ROWS  # VIX 2020-01-22 is 20 DTE from D0
    flat = engine.StrategyState(
        "alvh_442", 1_000_000.0, tranches=initial_tranches(CFG), closed_cycle_credit=100_000.0
    )
    plain = engine.step(flat, day(D0, rows, signals={"pcf": 9.0}), CFG)[1]
    signals = {"pcf": 9.0, "vix_rsi_ad_distortion": True}
    moved = engine.step(flat, day(D0, rows, signals=signals), CFG)[1]

    def strikes(out, kind: str, leg: str) -> set[float]:
        return {f.strike for f in out.fills if f.kind == kind and f.leg == leg}

    # condor: short put one candidate further out, 2750 → 2700 (wing 2650); calls unchanged
    assert strikes(plain, "condor", "short_put") == {2750.0}
    assert strikes(moved, "condor", "short_put") == {2700.0}
    assert strikes(moved, "condor", "short_call") == strikes(plain, "condor", "short_call")
    assert "distorted fundamentals" in next(f.reason for f in moved.fills if f.kind == "condor")
    # short-term spread: short call one listed strike lower, 25 → 20 (long leg 17 unchanged)
    assert strikes(plain, "alvh", "short_call") == {25.0}
    assert strikes(moved, "alvh", "short_call") == {20.0}
    assert strikes(moved, "alvh", "long_call") == {17.0}


# --- the VIX call calendar (003) --------------------------------------------------------------
CAL_ROWS = [
    opt("VIX", FEB, 17, "C", 1.50, 1.60, 0.45, 0.9, fwd=16.8, spot=13.0),
    opt("VIX", MAR, 17, "C", 2.00, 2.10, 0.50, 0.8, fwd=17.6, spot=13.0),
]


def test_calendar_opens_on_negative_vx30_histogram_when_cpi_ppi_range_bound() -> None:
    # front = expiry nearest 30 DTE (41 vs 13): FEB, strike nearest 16.8 = 17; back = MAR 17C.
    # Long MAR at 2.05 + 0.025 = 2.075 (207.50 USD), short FEB at 1.55 − 0.025 = 1.525.
    # Size: 0.15 × the open condor credit 50,750 = 7,612.50 on the long leg →
    # floor(7,612.50 / 207.50) = 36 calendars; cost basis 36 × (2.075 − 1.525) × 100 = 1,980.
    market = alvh_market(D1, [*VIX_ROWS, *CAL_ROWS], vx30_macd_hist=-0.1, range_bound=True)
    s1, out = engine.step(alvh_state(), market, CFG)
    cal = [f for f in out.fills if f.bucket == "calendar"]
    assert [(f.expiration, f.strike, f.quantity) for f in cal] == [
        (MAR, 17.0, 36),
        (FEB, 17.0, -36),
    ]
    assert [f.price for f in cal] == pytest.approx([2.075, 1.525])
    row = layer(out.layers, "calendar", 1)
    assert row["active"] and row["premium_at_risk"] == pytest.approx(1_980.0)
    assert row["rule"].startswith("calendar: VX30 MACD histogram -0.100 < 0, CPI/PPI range-bound")
    assert {f.trade_kind for f in cal} == {"hedge_add"}
    # Not when the histogram is ≥ 0 or CPI/PPI are not range-bound.
    for signals in ({"vx30_macd_hist": 0.0, "range_bound": True},
                    {"vx30_macd_hist": -0.1, "range_bound": False}):  # fmt: skip
        _, other = engine.step(
            alvh_state(), alvh_market(D1, [*VIX_ROWS, *CAL_ROWS], **signals), CFG
        )
        assert not [f for f in other.fills if f.bucket == "calendar"]
    # Closed when its front leg reaches min_open_dte (7): FEB − 7 days.
    close_day = FEB - dt.timedelta(days=7)  # after the condor's expiry: it settles first
    _, out = engine.step(s1, day(close_day, CAL_ROWS, spx_open=3000.0, spx_close=3000.0), CFG)
    closed = [f for f in out.fills if f.bucket == "calendar"]
    assert {f.reason for f in closed} == {"tranche_lapse: calendar/1 front DTE 7"}
    assert sorted(f.quantity for f in closed) == [-36, 36]
    assert not layer(out.layers, "calendar", 1)["active"]


# --- distinct tranche expiries (002, "temporal buffer") ---------------------------------------
def test_tranches_of_a_bucket_take_distinct_expiries_while_another_is_listed() -> None:
    rows = [opt("VIX", e, 20, "C", 1.0, 1.1, 0.3, 0.8, fwd=17.0) for e in (VIX_EXP, FEB, MAR)]
    chain = day(D1, rows).chain
    # both nearest 30 DTE would be FEB (41 DTE vs 13 and 69)
    assert nearest_expiry(chain, D1, ("VIX",), 30, 7) == ("VIX", FEB)
    # FEB held by another tranche: the range [7, 30] lists VIX_EXP (13 DTE) → take it
    assert nearest_expiry(chain, D1, ("VIX",), 30, 7, (frozenset({FEB}), 30)) == ("VIX", VIX_EXP)
    # the range [7, 45] lists nothing else but FEB and VIX_EXP; both held → the nearest
    taken = frozenset({FEB, VIX_EXP})
    assert nearest_expiry(chain, D1, ("VIX",), 30, 7, (taken, 45)) == ("VIX", FEB)


def test_two_short_term_tranches_buy_different_expiries() -> None:
    feb_rows = [opt("VIX", FEB, k, "C", b, a, d, 0.9, fwd=15.5, spot=13.0)
                for k, b, a, d in [(17, 1.60, 1.70, 0.45), (25, 0.45, 0.55, 0.15)]]  # fmt: skip
    market = alvh_market(D1, [*VIX_ROWS, *feb_rows], vix_macd_cross=1)
    _, out = engine.step(alvh_state(), market, CFG)
    # tranche 1 (target 30 DTE) takes FEB, tranche 2 (26.25) would too: it takes VIX_EXP
    assert layer(out.layers, "short_term", 1)["expiration"] == FEB
    assert layer(out.layers, "short_term", 2)["expiration"] == VIX_EXP


# --- a monetized standing layer comes back with the next condor cycle -----------------------
def test_monetized_standing_layer_returns_with_the_next_cycle() -> None:
    tranches = with_tranche(
        initial_tranches(CFG), ("short_term", 1), rule="monetized at +139%", since=D1
    )
    state = alvh_state([], tranches)
    _, out = engine.step(state, alvh_market(D1 + dt.timedelta(days=1)), CFG)
    assert not layer(out.layers, "short_term", 1)["active"]  # same cycle: stays out
    # a condor cycle entered today (group condor-YYYYMMDD of the day) brings it back
    flat = engine.StrategyState(
        "alvh_442", 1_000_000.0, tranches=tranches, closed_cycle_credit=100_000.0
    )
    _, out = engine.step(flat, day(D0, entry_rows() + VIX_ROWS, signals={"pcf": 9.0}), CFG)
    t1 = layer(out.layers, "short_term", 1)
    assert t1["active"] and t1["rule"] == "standing layer: condor book open"
    assert t1["contracts"] == 55 and t1["expiration"] == VIX_EXP


# --- a MACD tranche is a tactical layer: spent at expiry -------------------------------------
def test_expired_macd_tranche_goes_inactive_and_the_standing_layer_rebuys() -> None:
    tranches = initial_tranches(CFG)
    for key, rule in ((("short_term", 1), "standing layer: condor book open"),
                      (("short_term", 2), "macd_cross_up (VIX)")):  # fmt: skip
        tranches = with_tranche(
            tranches, key, active=True, rule=rule, instrument="VIX call spread",
            entry_cost=4_950.0,
        )  # fmt: skip
    # both spreads have expired (no legs held): tranche 1 rebuys 55, tranche 2 is spent
    _, out = engine.step(alvh_state([], tranches), alvh_market(D1), CFG)
    t1, t2 = layer(out.layers, "short_term", 1), layer(out.layers, "short_term", 2)
    assert (t1["active"], t1["action"], t1["contracts"]) == (True, "roll", 55)
    assert (t2["active"], t2["action"], t2["contracts"]) == (False, "expire", 0)
    assert t2["rule"] == "expired: macd_cross_up (VIX)"
    # a cross up that day activates the next free tranche (3): 2 was still active then
    _, out = engine.step(alvh_state([], tranches), alvh_market(D1, vix_macd_cross=1), CFG)
    assert layer(out.layers, "short_term", 2)["action"] == "expire"
    assert layer(out.layers, "short_term", 3)["contracts"] == 55
