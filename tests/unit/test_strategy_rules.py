"""The strategy engine's rules on small constructed markets, each expected number worked by hand.

Default config throughout: a fill crosses half the half-spread (fill = mid ± 0.5 × (ask − bid)/2),
commission 0.65 and exchange fees 0.66 USD per contract, 100 USD per point, and condors sized on
20% of the 1,000,000 USD initial capital.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import polars as pl
import pytest
from scipy.stats import norm

from alvh_assets.config import AlvhConfig, load_config
from alvh_assets.strategy import engine
from alvh_assets.strategy.book import Ledger, Position
from alvh_assets.strategy.budget import BudgetInputs, alvh_budget
from alvh_assets.strategy.condor import select_condor
from alvh_assets.strategy.gates import liquidity_test
from alvh_assets.strategy.hedges import alvh_day, initial_tranches
from alvh_assets.strategy.market import CHAIN_SCHEMA, MarketDay, empty_chain

CFG = AlvhConfig(condor={"exit_dte": 21, "wing_mode": "width"})
"""The hand-worked cases use the methodology's original condor choices (§2: 50-point wings,
close at 21 DTE); the defaults since 2026-12 hold to settlement with 5-delta wings
(docs/condor_rules_evidence.md) and are tested in tests/unit/test_config.py."""
D0 = dt.date(2020, 1, 2)  # condor entry day
D1 = dt.date(2020, 1, 9)  # a week later: roll / hedge days
EXP = dt.date(2020, 2, 6)  # SPXW expiry, 35 DTE from D0, 28 DTE from D1
VIX_EXP = dt.date(2020, 1, 22)  # VIX expiry, 13 DTE from D1
N_CONDORS = 50  # worked out in test_condor_entry


def opt(root, exp, strike, typ, bid, ask, delta, iv=0.20, fwd=3000.0, spot=None) -> dict:
    """One chain row (the Greeks the engine does not read for these rules are placeholders)."""
    return {
        "root": root,
        "expiration": exp,
        "strike": float(strike),
        "option_type": typ,
        "bid": bid,
        "ask": ask,
        "iv": iv,
        "delta": delta,
        "gamma": 0.001,
        "vega": 1.0,
        "theta": -1.0,
        "forward": fwd,
        "underlying_price": fwd if spot is None else spot,
        "spot_delta": delta,
        "spot_gamma": 0.001,
    }


def day(date: dt.date, rows: list[dict], **kw) -> MarketDay:
    """A MarketDay on a chain built from ``rows``; keyword ``signals`` and index levels pass on."""
    return MarketDay(date=date, chain=pl.DataFrame(rows, schema=CHAIN_SCHEMA), **kw)


# --- the entry chain: SPXW 35 DTE, forward 3000, IV linear in strike on each side ------------
F, T = 3000.0, (35 * 1440 + 960 - 945) / 525_600  # 15:45 to the SPXW 16:00 settlement


def put_iv(k: float) -> float:
    return 0.18 + 0.0002 * (3000 - k)  # 0.25 at 2650 … 0.19 at 2950


def call_iv(k: float) -> float:
    return 0.18 - 0.0001 * (k - 3000)  # 0.175 at 3050 … 0.15 at 3300


PUTS = {  # strike: (bid, ask, delta)
    2650: (4.8, 5.2, -0.07),
    2700: (7.2, 7.8, -0.12),
    2750: (10.6, 11.4, -0.20),
    2800: (15.6, 16.4, -0.25),
    2850: (22.8, 23.8, -0.31),
    2900: (33.0, 34.0, -0.38),
    2950: (47.0, 48.4, -0.47),
}
CALLS = {
    3050: (42.8, 44.0, 0.43),
    3100: (25.6, 26.6, 0.32),
    3150: (13.9, 14.6, 0.22),
    3200: (6.7, 7.2, 0.13),
    3250: (2.8, 3.1, 0.07),
    3300: (0.95, 1.2, 0.03),
}


def entry_rows(no_bid_call: float | None = None, bid=0.0) -> list[dict]:
    rows = [opt("SPXW", EXP, k, "P", b, a, d, put_iv(k)) for k, (b, a, d) in PUTS.items()]
    rows += [
        opt("SPXW", EXP, k, "C", bid if k == no_bid_call else b, a, d, call_iv(k))
        for k, (b, a, d) in CALLS.items()
    ]
    # distractors: an expiry before the [30, 45] DTE window, one later inside it
    rows.append(opt("SPXW", dt.date(2020, 1, 24), 2800, "P", 5.0, 5.5, -0.10))
    rows.append(opt("SPX", dt.date(2020, 2, 14), 2800, "P", 19.0, 20.0, -0.22))
    return rows


def hand_pop(k_put: float, k_call: float, credit: float) -> float:
    """POP = N(d2(BE_low)) − N(d2(BE_high)); the chain's IVs lie on a line, so linear
    interpolation at a break-even is that line's value."""

    def above(k: float, sigma: float) -> float:
        s = sigma * math.sqrt(T)
        return norm.cdf((math.log(F / k) - s * s / 2) / s)

    lo, hi = k_put - credit, k_call + credit
    return above(lo, put_iv(lo)) - above(hi, call_iv(hi))


def held_condor() -> list[Position]:
    """The condor test_condor_entry opens: 50 × 2700/2750 puts, 3150/3200 calls, at its fills."""
    legs = [
        ("short_put", 2750.0, "P", -1, 10.80, 0.20),
        ("long_put", 2700.0, "P", 1, 7.65, None),
        ("short_call", 3150.0, "C", -1, 14.075, 0.22),
        ("long_call", 3200.0, "C", 1, 7.075, None),
    ]
    return [
        Position(
            position_id=f"20200102-00{i}",
            group_id="condor-20200102",
            kind="condor",
            leg=leg,
            root="SPXW",
            expiration=EXP,
            strike=k,
            option_type=t,
            quantity=sign * N_CONDORS,
            entry_date=D0,
            entry_price=price,
            target_delta=target,
        )
        for i, (leg, k, t, sign, price, target) in enumerate(legs, start=1)
    ]


# --- 1. condor entry ----------------------------------------------------------------------------
def test_condor_entry_strikes_pop_size_fills_and_reason() -> None:
    # Candidates (short put → call of nearest |delta|, 50-point wings), credit at mids:
    # (2900 (0.38) pairs with 3050 (0.43) and 2950 with 3050: POPs far below 0.70)
    #   2700/3200: (7.5 − 5.0) + (6.95 − 2.95)  = 6.50   → POP ≈ 0.835 (outside the band)
    #   2750/3150: (11.0 − 7.5) + (14.25 − 6.95) = 10.80 → POP ≈ 0.745 (closest to 0.75)
    #   2800/3150: (16.0 − 11.0) + 7.30          = 12.30 → POP ≈ 0.705
    #   2850/3100: (23.3 − 16.0) + (26.1 − 14.25) = 19.15 → POP ≈ 0.58 (outside)
    pops = {
        (2700, 3200): hand_pop(2700, 3200, 6.50),
        (2750, 3150): hand_pop(2750, 3150, 10.80),
        (2800, 3150): hand_pop(2800, 3150, 12.30),
        (2850, 3100): hand_pop(2850, 3100, 19.15),
    }
    in_band = {k: p for k, p in pops.items() if 0.70 <= p <= 0.80}
    assert set(in_band) == {(2750, 3150), (2800, 3150)}  # premise of the constructed chain
    pop = pops[(2750, 3150)]
    assert abs(pop - 0.75) < abs(pops[(2800, 3150)] - 0.75)

    market = day(D0, entry_rows(), spx_open=3000.0, spx_close=3000.0)
    pick = select_condor(market.chain, D0, CFG.condor)
    assert not isinstance(pick, str), pick
    assert (pick.root, pick.expiration) == ("SPXW", EXP)
    strikes = {name: row["strike"] for name, row in pick.legs.items()}
    assert strikes == {"short_put": 2750, "long_put": 2700, "short_call": 3150, "long_call": 3200}
    assert pick.pop == pytest.approx(pop, abs=1e-9)
    assert pick.credit_mid == pytest.approx(10.80)
    assert (pick.be_low, pick.be_high) == pytest.approx((2739.2, 3160.8))

    # Fills (half-spreads 0.40, 0.30, 0.35, 0.25): sell 11.0 − 0.20, buy 7.5 + 0.15,
    # sell 14.25 − 0.175, buy 6.95 + 0.125 → credit 10.80 − 7.65 + 14.075 − 7.075 = 10.15.
    # Contracts: floor(0.20 × 1,000,000 / ((50 − 10.15) × 100)) = floor(50.19) = 50.
    expected = {  # leg: (strike, quantity, bid, ask, price, slippage = 0.5 × hs × 100 × 50)
        "short_put": (2750, -50, 10.6, 11.4, 10.80, 1000.0),
        "long_put": (2700, 50, 7.2, 7.8, 7.65, 750.0),
        "short_call": (3150, -50, 13.9, 14.6, 14.075, 875.0),
        "long_call": (3200, 50, 6.7, 7.2, 7.075, 625.0),
    }
    state, rows = engine.step(engine.initial_state("unhedged", CFG), market, CFG)
    assert [f.leg for f in rows.fills] == list(expected)
    reason = f"entry: POP {pop:.4f}, 50 condors on NAV 1,000,000.00"  # sized on NAV (§2)
    for f in rows.fills:
        strike, qty, bid, ask, price, slippage = expected[f.leg]
        assert (f.strike, f.quantity, f.bid, f.ask) == (strike, qty, bid, ask)
        assert f.side == ("sell" if qty < 0 else "buy")
        assert f.price == pytest.approx(price)
        assert f.commission == pytest.approx(0.65 * 50)  # 32.50
        assert f.exchange_fees == pytest.approx(0.66 * 50)  # 33.00
        assert f.slippage == pytest.approx(slippage)
        # e.g. short put: +10.80 × 100 × 50 − 32.50 − 33.00 = 53,934.50
        assert f.cash_flow == pytest.approx(-qty * price * 100 - 65.50)
        assert f.reason == reason
        assert f.opportunity_cost == 0.0
        assert f.trade_kind == "condor_entry"
    # 53,934.50 − 38,315.50 + 70,309.50 − 35,440.50 = 50,488.00
    assert rows.account["trade_cash_flow"] == pytest.approx(50_488.00)
    assert state.cash == pytest.approx(1_000_000 + 50_488.00)
    assert rows.account["slippage"] == pytest.approx(3_250.0)
    assert {p.leg: p.entry_price for p in state.positions} == pytest.approx(
        {leg: v[4] for leg, v in expected.items()}
    )
    shorts = {p.leg: p.target_delta for p in state.positions if p.quantity < 0}
    assert shorts == pytest.approx({"short_put": 0.20, "short_call": 0.22})


@pytest.mark.parametrize("bid", [0.0, None, 99.0])  # 99 > its ask: a crossed, untradable quote
def test_condor_never_chooses_a_strike_without_bid(bid) -> None:
    # Without a bid (or with a crossed quote) on the 3150 call, 3150 is neither a short nor a
    # wing, so 3100 loses its wing too. Calls left: 3050 (0.43), 3200 (0.13), 3250 (0.07). Pairs:
    #   2700 (0.12) → 3200: credit 6.50 → POP ≈ 0.835 (outside)
    #   2750 (0.20) → 3200: credit 3.50 + 4.00 = 7.50 → POP ≈ 0.804 (outside)
    #   2800 (0.25) → 3200: credit 5.00 + 4.00 = 9.00 → POP ≈ 0.763 (the only one inside)
    #   2850 (0.31) → 3050: credit 7.30 + 17.30 = 24.60 → POP ≈ 0.49 (outside)
    pop = hand_pop(2800, 3200, 9.00)
    assert 0.70 <= pop <= 0.80 and hand_pop(2750, 3200, 7.50) > 0.80
    pick = select_condor(day(D0, entry_rows(3150, bid)).chain, D0, CFG.condor)
    assert not isinstance(pick, str), pick
    strikes = {name: row["strike"] for name, row in pick.legs.items()}
    assert strikes == {"short_put": 2800, "long_put": 2750, "short_call": 3200, "long_call": 3250}
    assert pick.pop == pytest.approx(pop, abs=1e-9)


# --- 2. roll at the delta trigger ------------------------------------------------------------
def test_roll_short_put_past_delta_trigger() -> None:
    # A week on, SPX at 2740 (forward 2755); the 2750 short put's |delta| is 0.35 > 0.30.
    rows = [
        opt("SPXW", EXP, 2550, "P", 5.0, 5.6, -0.10, fwd=2755.0, spot=2740.0),
        opt("SPXW", EXP, 2600, "P", 8.0, 8.8, -0.14, fwd=2755.0, spot=2740.0),
        opt("SPXW", EXP, 2650, "P", 12.2, 13.0, -0.19, fwd=2755.0, spot=2740.0),
        opt("SPXW", EXP, 2700, "P", 19.0, 20.0, -0.27, fwd=2755.0, spot=2740.0),
        opt("SPXW", EXP, 2750, "P", 30.4, 31.6, -0.35, fwd=2755.0, spot=2740.0),
        opt("SPXW", EXP, 3150, "C", 1.5, 1.8, 0.05, fwd=2755.0, spot=2740.0),
        opt("SPXW", EXP, 3200, "C", 0.6, 0.8, 0.02, fwd=2755.0, spot=2740.0),
    ]
    # No exit first: DTE 28 > 21; credit 50 × 100 × 10.15 = 50,750; cost to close at mids
    # 5,000 × (31.0 − 19.5 + 1.65 − 0.70) = 62,250: neither ≤ 25,375 (profit take) nor a loss
    # (11,500) ≥ 2 × 50,750 (stop).
    legs = held_condor()
    state = engine.StrategyState("unhedged", 1_050_000.0, positions=tuple(legs))
    new, out = engine.step(state, day(D1, rows), CFG)

    trigger = "roll: short put |delta| 0.350 > 0.3"
    # Reopen: OTM puts (K < 2755) with a quoted 50-point wing: 2750, 2700, 2650, 2600; |delta|
    # nearest the entry target 0.20 is 2650's 0.19 (2600: 0.14, 2700: 0.27).
    expected = [  # (leg, strike, quantity, price, opportunity cost, reason)
        # buy back at 31.0 + 0.30; time value (31.0 − (2750 − 2740)) × 50 × 100 = 105,000
        ("short_put", 2750, 50, 31.30, 105_000.0, trigger),
        # sell at 19.5 − 0.25; the long leg's time value (19.5 − 0) × 5,000 counts against
        ("long_put", 2700, -50, 19.25, -97_500.0, trigger),
        ("short_put", 2650, -50, 12.40, 0.0, trigger + ": reopen"),  # 12.6 − 0.20
        ("long_put", 2600, 50, 8.60, 0.0, trigger + ": reopen"),  # 8.4 + 0.20
    ]
    got = [(f.leg, f.strike, f.quantity, f.price, f.opportunity_cost, f.reason) for f in out.fills]
    assert len(got) == 4
    for g, e in zip(got, expected, strict=True):
        assert g[:3] == e[:3] and g[5] == e[5]
        assert g[3] == pytest.approx(e[3]) and g[4] == pytest.approx(e[4])
    assert out.fills[0].reason.startswith("roll: short put")
    assert [f.commission for f in out.fills] == pytest.approx([32.5] * 4)

    assert sorted((p.leg, p.strike, p.quantity) for p in new.positions) == [
        ("long_call", 3200, 50),
        ("long_put", 2600, 50),
        ("short_call", 3150, -50),  # the call side is untouched (|delta| 0.05)
        ("short_put", 2650, -50),
    ]
    book = {p.leg: p for p in new.positions}
    assert book["short_put"].target_delta == 0.20
    assert book["short_put"].entry_price == pytest.approx(12.40)
    # The cycle (§2, whole-cycle exits) takes every roll fill: the held legs carry no cycle
    # columns, so their open premium 50,750 stands for the credit and the cash so far; the roll
    # adds −156,500 + 96,250 + 62,000 − 43,000 − 4 × 65.50 = −41,512 → 9,238.
    for p in new.positions:
        assert (p.cycle_credit, p.cycle_cash) == pytest.approx((50_750.0, 9_238.0))
    assert book["short_call"] == replace(
        legs[2], last_mid=1.65, cycle_credit=book["short_call"].cycle_credit,
        cycle_cash=book["short_call"].cycle_cash,
    )  # fmt: skip
    assert {f.trade_kind for f in out.fills} == {"condor_roll"}
    assert {p.group_id for p in new.positions} == {"condor-20200102"}


# --- 3. AM / PM settlement ---------------------------------------------------------------------
def test_expiring_positions_settle_on_their_own_level() -> None:
    expiry = dt.date(2020, 1, 17)

    def pos(pid, root, strike, typ, qty, exp=expiry):
        return Position(pid, "g", "static", "long_put", root, exp, strike, typ, qty, D0, 1.0)

    positions = (
        pos("a", "SPX", 3000.0, "P", 2),  # AM monthly: SPX open 2950 → 50 × 2 × 100 = 10,000
        pos("b", "SPXW", 3000.0, "P", -1),  # PM weekly: SPX close 2990 → −10 × 100 = −1,000
        pos("c", "SPXW", 2980.0, "C", 1),  # PM weekly call: 2990 − 2980 = 10 → +1,000
        pos("d", "VIX", 20.0, "C", 3),  # AM: VRO (VX final settle) 24.5 → 4.5 × 3 × 100
        pos("e", "SPX", 3000.0, "P", 1, dt.date(2020, 2, 21)),  # not expiring: kept
    )
    market = MarketDay(
        expiry, empty_chain(), spx_open=2950.0, spx_close=2990.0, vix_open=25.0, vix_close=22.0,
        vx_final_settlement=24.5,
    )  # fmt: skip
    state = engine.StrategyState("unhedged", 100_000.0, positions=positions)
    new, out = engine.step(state, market, CFG)

    expected = {  # position: (settlement value, fill quantity, cash, level in the reason)
        "a": (50.0, -2, 10_000.0, "SPX at 2950 (SPX open)"),
        "b": (10.0, 1, -1_000.0, "SPXW at 2990 (SPX close)"),
        "c": (10.0, -1, 1_000.0, "SPXW at 2990 (SPX close)"),
        "d": (4.5, -3, 1_350.0, "VIX at 24.5 (VRO = VX final settlement)"),
    }
    assert {f.position_id for f in out.fills} == set(expected)
    for f in out.fills:
        value, qty, cash, level = expected[f.position_id]
        assert f.side == "settle"
        assert (f.price, f.quantity) == (pytest.approx(value), qty)
        assert f.cash_flow == pytest.approx(cash)
        assert (f.commission, f.exchange_fees, f.slippage) == (0.0, 0.0, 0.0)
        assert f.bid is None and f.ask is None
        assert f.reason == f"settlement: {level}"
    assert [p.position_id for p in new.positions] == ["e"]
    assert new.cash == pytest.approx(100_000 + 10_000 - 1_000 + 1_000 + 1_350)

    # Without a VX final settlement that day the VIX open stands in, labelled as fallback.
    _, out = engine.step(state, replace(market, vx_final_settlement=None, _rows=None), CFG)
    vix = next(f for f in out.fills if f.position_id == "d")
    assert (vix.price, vix.cash_flow) == (pytest.approx(5.0), pytest.approx(1_500.0))
    assert vix.reason == (
        "settlement: VIX at 25 (VIX open: fallback, no VX final settlement in the CFE file)"
    )

    with pytest.raises(ValueError, match="no settlement value"):
        engine.step(state, replace(market, spx_open=None, _rows=None), CFG)


# --- the ALVH days: the held condor plus a VIX chain ------------------------------------------
# VIX 2020-01-22 (13 DTE), VX future 15.5. A short-term spread is long the call nearest
# 15.5 × 1.10 = 17.05 (17) and short the one nearest 15.5 × 1.60 = 24.8 (25); one unit costs
# (1.15 + 0.5 × 0.05) − (0.30 − 0.5 × 0.05) = 1.175 − 0.275 = 0.90 → 90 USD.
VIX_ROWS = [
    opt("VIX", VIX_EXP, k, "C", b, a, d, 0.9, fwd=15.5, spot=13.0)
    for k, b, a, d in [
        (15, 1.80, 1.95, 0.60),
        (17, 1.10, 1.20, 0.40),
        (20, 0.60, 0.70, 0.25),
        (25, 0.25, 0.35, 0.10),
        (30, 0.10, 0.20, 0.05),
    ]
]
CONDOR_ROWS = [  # the entry quotes again: short |deltas| 0.20 / 0.22, below the 0.30 trigger
    opt("SPXW", EXP, k, t, *q, put_iv(k) if t == "P" else call_iv(k))
    for k, t, q in [
        (2700, "P", PUTS[2700]),
        (2750, "P", PUTS[2750]),
        (3150, "C", CALLS[3150]),
        (3200, "C", CALLS[3200]),
    ]
]
# With those quotes the condor stays: DTE 28 > 21, cost to close 5,000 × (11.0 − 7.5 + 14.25 − 6.95)
# = 54,000 vs credit 50,750. Notional 50 × 100 × 50 = 250,000. With 1,050,000 cash, NAV = 1,050,000
# − 54,000 = 996,000 (no hedge yet). Budget: P/CF 9 → base 0.12 + (11 − 9) / (11 − 7) × (0.28 −
# 0.12) = 0.20; caps: leverage 3.2 × 996,000 / 250,000 − 1 = 11.75, cost ceiling (§3: cumulative
# spend ≤ cumulative condor time value captured): the account's earlier cycles captured CAPTURED =
# 100,000 and nothing was spent, the open cycle has decayed nothing (close 54,000 > credit 50,750) →
# (0 + 100,000) / 250,000 = 0.40 → 0.20 × 250,000 = 50,000 USD; each short-term tranche targets 10%
# of it, 5,000 USD → floor(5,000 / 90) = 55 spreads (4,950 USD).
CASH = 1_050_000.0
CAPTURED = 100_000.0


def alvh_market(date: dt.date, vix_rows=VIX_ROWS, **signals) -> MarketDay:
    """The held condor's quotes, ``vix_rows`` and the day's signals (P/CF 9 unless given)."""
    return day(date, CONDOR_ROWS + list(vix_rows), signals={"pcf": 9.0, **signals})


def spread_legs(tranche: int, units: int = 55) -> list[Position]:
    """A short-term VIX 17/25 call spread bought at the fills above."""
    common = dict(
        group_id=f"alvh-short_term-{tranche}",
        kind="alvh",
        root="VIX",
        expiration=VIX_EXP,
        option_type="C",
        entry_date=D1 - dt.timedelta(days=1),
        bucket="short_term",
        tranche=tranche,
    )
    return [
        Position(f"t{tranche}-l", leg="long_call", strike=17.0, quantity=units, entry_price=1.175,
                 **common),
        Position(f"t{tranche}-s", leg="short_call", strike=25.0, quantity=-units,
                 entry_price=0.275, **common),
    ]  # fmt: skip


def with_tranche(tranches, key, **kw) -> dict:
    return {**tranches, key: replace(tranches[key], **kw)}


def alvh_state(
    hedges: list[Position] = (), tranches=None, captured: float = CAPTURED
) -> engine.StrategyState:
    return engine.StrategyState(
        "alvh_442",
        CASH,
        positions=tuple(held_condor()) + tuple(hedges),
        tranches=tranches or initial_tranches(CFG),
        closed_cycle_credit=captured,
    )


def layer(layers: list[dict], bucket: str, tranche: int) -> dict:
    return next(r for r in layers if (r["bucket"], r["tranche"]) == (bucket, tranche))


def tranche_fills(out, tranche: int, bucket: str = "short_term") -> list:
    return [f for f in out.fills if (f.bucket, f.tranche) == (bucket, tranche)]


# --- 4. MACD crossover activates a tranche, the cross down trims it --------------------------
def test_macd_cross_up_activates_tranche_2_and_cross_down_trims_it() -> None:
    s1, out = engine.step(alvh_state(), alvh_market(D1, vix_macd_cross=1), CFG)
    assert out.budget["budget_usd"] == pytest.approx(50_000.0)
    assert out.budget["binding_rule"] == "pcf_scale"

    t2 = layer(out.layers, "short_term", 2)
    assert t2["active"] and t2["action"] == "add"
    assert t2["rule"] == "macd_cross_up (VIX)"
    assert t2["contracts"] == 55 and t2["entry_cost"] == pytest.approx(4_950.0)
    fills = tranche_fills(out, 2)
    assert [(f.strike, f.quantity) for f in fills] == [(17.0, 55), (25.0, -55)]
    assert [f.price for f in fills] == pytest.approx([1.175, 0.275])
    assert {f.reason for f in fills} == {"tranche_add: macd_cross_up (VIX)"}
    # tranche 1 is the standing layer: 5,000 USD → 55 spreads; tranche 2 then gets
    # min(5,000, 50,000 − 4,950) = 5,000 → 55 spreads as well. Nothing above tranche 2.
    assert layer(out.layers, "short_term", 1)["rule"] == "standing layer: condor book open"
    assert layer(out.layers, "short_term", 1)["contracts"] == 55
    assert not layer(out.layers, "short_term", 3)["active"] and not tranche_fills(out, 3)
    assert layer(out.layers, "long_dated", 1)["blocked_by"] == "no quoted instrument"  # no ≥ 91 DTE

    # Day 2, a second cross up (the 30-day constant-maturity VX this time) adds tranche 3:
    # min(5,000, 50,000 − 2 × 4,950 at cost) = 5,000 → 55 spreads.
    s2, out2 = engine.step(s1, alvh_market(D1 + dt.timedelta(days=1), vx30_macd_cross=1), CFG)
    assert layer(out2.layers, "short_term", 3)["rule"] == "macd_cross_up (VX30)"
    assert [f.quantity for f in tranche_fills(out2, 3)] == [55, -55]

    # Day 3, the cross down trims the highest active short-term tranche (3), not 2 or 1.
    s3, out3 = engine.step(s2, alvh_market(D1 + dt.timedelta(days=2), vix_macd_cross=-1), CFG)
    t3 = layer(out3.layers, "short_term", 3)
    assert not t3["active"] and t3["action"] == "trim" and t3["contracts"] == 0
    assert t3["rule"] == "trimmed: macd_cross_down (VIX)"
    fills = tranche_fills(out3, 3)
    # sell 55 × 17C at 1.15 − 0.025, buy back 55 × 25C at 0.30 + 0.025
    assert [(f.strike, f.quantity) for f in fills] == [(17.0, -55), (25.0, 55)]
    assert [f.price for f in fills] == pytest.approx([1.125, 0.325])
    assert {f.reason for f in fills} == {"tranche_trim: macd_cross_down (VIX)"}
    assert len(out3.fills) == 2
    assert [layer(out3.layers, "short_term", k)["action"] for k in (1, 2)] == ["hold", "hold"]
    held = {(p.bucket, p.tranche) for p in s3.positions if p.kind == "alvh"}
    assert held == {("short_term", 1), ("short_term", 2)}


# --- 5. the P/E > 24 block ---------------------------------------------------------------------
def test_pe_above_24_blocks_new_layers() -> None:
    _, out = engine.step(alvh_state(), alvh_market(D1, vix_macd_cross=1, pe=25.0), CFG)
    assert out.budget["pe_blocked"] and out.budget["new_layers_blocked"]
    assert "pe_block" in out.budget["blocked_by"]
    t2 = layer(out.layers, "short_term", 2)
    assert not t2["active"] and t2["blocked_by"] == "macd_cross_up (VIX): blocked by pe_block"
    # methodology §3 (P/E row, settled 2026-12): a standing layer is not a new layer — it is
    # (re-)established under the block: tranche 1 buys its 55 spreads.
    t1 = layer(out.layers, "short_term", 1)
    assert t1["active"] and t1["blocked_by"] is None and t1["contracts"] == 55
    assert {(f.bucket, f.tranche) for f in out.fills if f.kind == "alvh"} == {("short_term", 1)}


@pytest.mark.parametrize("pe", [23.0, 24.0])
def test_pe_at_or_below_24_does_not_block(pe: float) -> None:
    _, out = engine.step(alvh_state(), alvh_market(D1, vix_macd_cross=1, pe=pe), CFG)
    assert not out.budget["pe_blocked"] and out.budget["blocked_by"] is None
    assert layer(out.layers, "short_term", 2)["active"]
    assert [f.quantity for f in tranche_fills(out, 2)] == [55, -55]


def test_standing_layer_keeps_rolling_under_pe_block() -> None:
    # Tranche 1 is already a standing layer whose spread has gone (expired): rebuying it is not a
    # new layer, so P/E 25 does not stop it (5,000 USD → 55 spreads).
    tranches = with_tranche(
        initial_tranches(CFG),
        ("short_term", 1),
        active=True,
        rule="standing layer: condor book open",
        instrument="VIX call spread",
        entry_cost=4_950.0,
    )
    _, out = engine.step(alvh_state([], tranches), alvh_market(D1, pe=25.0), CFG)
    fills = tranche_fills(out, 1)
    assert [f.quantity for f in fills] == [55, -55]
    assert {f.reason for f in fills} == {"tranche_roll: standing layer: condor book open"}


# --- 6. the 3.2× gross leverage cap ----------------------------------------------------------
def test_gross_leverage_cap_binds_with_a_small_nav() -> None:
    x = BudgetInputs(
        condor_notional=250_000.0,
        nav=90_000.0,
        premium_at_risk=10_000.0,
        time_value_captured=120_000.0,
        hedge_net_spend=55_000.0,
        regime="neutral",
        neutral_to_bullish=True,
        pcf=9.0,
        pe=20.0,
        beta=0.1,
    )
    d = alvh_budget(x, CFG.hedge)
    # base: P/CF 9 → 0.12 + (11 − 9)/(11 − 7) × (0.28 − 0.12) = 0.20
    # caps: regime (neutral) 0.25; cost ceiling: room 120,000 − 55,000 = 65,000 on top of the
    #       10,000 at risk → 75,000 / 250,000 = 0.30;
    #       leverage 3.2 × 90,000 / 250,000 − 1 = 0.152 ← the smallest
    assert d.base_pct == pytest.approx(0.20)
    assert d.regime_ceiling_pct == pytest.approx(0.25)
    assert d.cost_ceiling_pct == pytest.approx(0.30)
    assert d.leverage_cap_pct == pytest.approx(0.152)
    assert d.binding_rule == "gross_leverage"
    assert d.budget_pct == pytest.approx(0.152) and d.budget_pct == d.leverage_cap_pct
    assert d.budget_usd == pytest.approx(0.152 * 250_000)  # 38,000
    assert d.gross_leverage == pytest.approx((250_000 + 10_000) / 90_000)
    # A NAV of 1,000,000 lifts the leverage cap to 11.8: the P/CF base binds again.
    d = alvh_budget(replace(x, nav=1_000_000.0), CFG.hedge)
    assert d.leverage_cap_pct == pytest.approx(3.2 * 4 - 1)
    assert (d.binding_rule, d.budget_pct) == ("pcf_scale", pytest.approx(0.20))


# --- 7. +100% monetization redeploys into the medium bucket ------------------------------------
def test_monetized_short_term_tranche_funds_the_next_medium_tranche() -> None:
    # VIX spikes: 17C 3.00/3.20, 25C 0.90/1.00. Mark 55 × (3.10 − 0.95) × 100 = 11,825
    # ≥ 2 × 4,950 → monetize at 11,825 / 4,950 − 1 = +139%.
    vix = [
        opt("VIX", VIX_EXP, 17, "C", 3.00, 3.20, 0.7, 1.0, fwd=22.0),
        opt("VIX", VIX_EXP, 25, "C", 0.90, 1.00, 0.3, 1.0, fwd=22.0),
    ]
    # SPX puts: expiries 36 and 71 DTE; the medium tranche 1 targets the top of its bucket,
    # 90 DTE (hedges.target_dte) → 2020-03-20 (71 DTE); strike nearest 3000 × 0.95 = 2850;
    # buy at 41.0 + 0.5 × 1.0 = 41.50.
    spx = [
        opt("SPX", dt.date(2020, 2, 14), k, "P", b, a, d)
        for k, b, a, d in [
            (2800, 14.0, 15.0, -0.15),
            (2850, 20.0, 21.0, -0.2),
            (2900, 28.0, 29.0, -0.3),
        ]
    ]
    spx.append(opt("SPX", dt.date(2020, 3, 20), 2850, "P", 40.0, 42.0, -0.25))
    market = day(D1, vix + spx)
    tranches = with_tranche(
        initial_tranches(CFG),
        ("short_term", 2),
        active=True,
        rule="macd_cross_up (VIX)",
        instrument="VIX call spread",
        entry_cost=4_950.0,
    )
    budget = alvh_budget(
        BudgetInputs(250_000.0, 1e6, 4_950.0, CAPTURED, 4_950.0, pcf=9.0, pe=20.0), CFG.hedge
    )
    ledger = Ledger(D1, CFG.execution)
    positions, state, rows = alvh_day(spread_legs(2), tranches, market, ledger, budget, False, CFG)

    sold = [f for f in ledger.fills if f.reason.startswith("tranche_monetize")]
    assert [f.reason for f in sold] == ["tranche_monetize: short_term/2 at +139%"] * 2
    # sell 55 × 17C at 3.10 − 0.05 = 3.05: 16,775 − 35.75 − 36.30 = 16,702.95
    # buy  55 × 25C at 0.95 + 0.025 = 0.975: −5,362.50 − 72.05 = −5,434.55
    proceeds = sum(f.cash_flow for f in sold)
    assert proceeds == pytest.approx(16_702.95 - 5_434.55)  # 11,268.40
    assert not state[("short_term", 2)].active
    assert state[("short_term", 2)].rule == "monetized at +139%"

    medium = layer(rows, "medium_term", 1)
    assert medium["active"] and medium["instrument"] == "SPX put"
    assert medium["redeploy_premium"] == proceeds  # exactly the closing fills' net cash
    assert medium["rule"] == "redeploy: short_term/2 monetization proceeds 11,268.40 USD"
    bought = [f for f in ledger.fills if f.bucket == "medium_term"]
    # A redeployment spends at most its proceeds and its tranche's share of the budget
    # (P/CF 9 → 0.20 × 250,000 × 10% = 5,000): floor(5,000 / 4,150) = 1 put; the rest of
    # the proceeds stays in cash.
    assert [(f.root, f.expiration, f.strike, f.quantity) for f in bought] == [
        ("SPX", dt.date(2020, 3, 20), 2850.0, 1)
    ]
    assert bought[0].price == pytest.approx(41.50)
    assert medium["entry_cost"] == pytest.approx(4_150.0) and proceeds >= 4_150.0
    assert bought[0].reason == "tranche_add: " + medium["rule"]
    assert [p.strike for p in positions] == [2850.0]  # the spread is gone
    assert not layer(rows, "medium_term", 2)["active"]


# --- 8. the liquidity test in an event window -----------------------------------------------
def liquidity_case() -> tuple[engine.StrategyState, MarketDay]:
    """Held hedges: short-term tranche 1 (55 VIX 17/25 call spreads) and long-dated tranche 1
    (112 VIX June 20 calls, 2.00/2.10), the condor 2 sessions before its 0.30-delta roll."""
    june = dt.date(2020, 6, 17)  # 160 DTE: no roll
    long_call = opt("VIX", june, 20, "C", 2.00, 2.10, 0.35, 0.8, fwd=17.0)
    calls = Position("ld1", "alvh-long_dated-1", "alvh", "long_call", "VIX", june, 20.0, "C",
                     112, D0, 2.075, bucket="long_dated", tranche=1)  # fmt: skip
    tranches = initial_tranches(CFG)
    for key, instrument, cost in (
        (("short_term", 1), "VIX call spread", 4_950.0),  # 55 × 90
        (("long_dated", 1), "VIX call", 23_240.0),  # 112 × 207.50
    ):
        tranches = with_tranche(
            tranches, key, active=True, rule="standing layer: condor book open",
            instrument=instrument, entry_cost=cost,
        )  # fmt: skip
    state = alvh_state([*spread_legs(1), calls], tranches)
    return state, alvh_market(D1, [*VIX_ROWS, long_call], vix_macd_cross=1, event_window=True)


def test_liquidity_test_blocks_new_condor_risk_not_protection() -> None:
    # Liquid hedge value (bids for longs, asks for shorts):
    #   55 × 1.10 × 100 − 55 × 0.35 × 100 + 112 × 2.00 × 100 = 6,050 − 1,925 + 22,400 = 26,525
    # Widened unwind slippage of the hedge (methodology §3, settled 2026-12), half-spreads × 2:
    #   2 × 100 × (55 × (0.05 + 0.05) + 112 × 0.05) = 2 × 100 × 11.1 = 2,220
    #   1.8 × 2,220 = 3,996 ≤ 26,525 → passes.
    state, market = liquidity_case()
    _, out = engine.step(state, market, CFG)
    assert out.budget["liquidity_ok"] is True
    assert out.budget["liquid_hedge_value"] == pytest.approx(26_525.0)
    assert out.budget["unwind_slippage"] == pytest.approx(2_220.0)
    assert out.budget["condor_blocked_by"] is None
    # The protection is bought whatever the test says: tranche 2 activates and buys.
    assert [f.quantity for f in tranche_fills(out, 2)] == [55, -55]

    # A hedge whose bids collapse: the VIX 17C bid 0.05, the June 20C bid 0.01 →
    #   liquid = 55 × (0.05 − 0.35) × 100 + 112 × 0.01 × 100 = −1,650 + 112 = −1,538
    #   slippage = 2 × 100 × (55 × (0.575 + 0.05) + 112 × 1.045) = 2 × 100 × 151.415
    #   = 30,283 → fails.
    wide = [
        opt("VIX", VIX_EXP, 17, "C", 0.05, 1.20, 0.40, 0.9, fwd=15.5, spot=13.0),
        *[r for r in VIX_ROWS if r["strike"] != 17],
        opt("VIX", dt.date(2020, 6, 17), 20, "C", 0.01, 2.10, 0.35, 0.8, fwd=17.0),
    ]
    # the condor's short put now at |delta| 0.35 > 0.30: a roll would add new risk
    hot = [r if r["strike"] != 2750 else {**r, "delta": -0.35} for r in CONDOR_ROWS]
    blocked = day(D1, hot + wide, signals={"event_window": True})
    _, out = engine.step(state, blocked, CFG)
    assert out.budget["liquidity_ok"] is False
    assert out.budget["liquid_hedge_value"] == pytest.approx(-1_538.0)
    assert out.budget["unwind_slippage"] == pytest.approx(30_283.0)
    assert out.budget["condor_blocked_by"].startswith("liquidity test failed in event window")
    assert [f for f in out.fills if f.kind == "condor"] == []  # no roll: no new condor risk
    # Outside the event window the same quotes roll the put side.
    _, out = engine.step(state, replace(blocked, signals={}, _rows={}), CFG)
    assert out.budget["liquidity_ok"] is None
    assert {f.trade_kind for f in out.fills if f.kind == "condor"} == {"condor_roll"}


def test_liquidity_test_needs_a_hedge_and_is_inclusive() -> None:
    # No hedge held: nothing to test, whatever the window (methodology §3).
    _, out = engine.step(alvh_state(), alvh_market(D1, event_window=True), CFG)
    assert out.budget["liquidity_ok"] is None and out.budget["condor_blocked_by"] is None
    # liquid ≥ 1.8 × slippage passes: a hedge worth exactly 1.8 × its slippage passes.
    legs = spread_legs(1)
    ok, liquid, slip = liquidity_test(legs, alvh_market(D1, event_window=True), CFG)
    assert (liquid, slip) == (pytest.approx(4_125.0), pytest.approx(1_100.0))
    assert ok is True
    cfg = CFG.model_copy(
        update={"hedge": CFG.hedge.model_copy(update={"liquidity_multiple": 4_125.0 / 1_100.0})}
    )
    assert liquidity_test(legs, alvh_market(D1, event_window=True), cfg)[0] is True
    cfg = CFG.model_copy(
        update={"hedge": CFG.hedge.model_copy(update={"liquidity_multiple": 3.7501})}
    )
    assert liquidity_test(legs, alvh_market(D1, event_window=True), cfg)[0] is False


# --- 9. rules skipped for missing inputs -------------------------------------------------------
def test_budget_names_rules_skipped_for_missing_inputs() -> None:
    x = BudgetInputs(250_000.0, 1e6, 0.0, CAPTURED, 0.0, "calm", True, None, 20.0, 0.1)
    d = alvh_budget(x, CFG.hedge)
    assert d.skipped_rules == "pcf_scale (no P/CF)"
    # no P/CF: the low end of the first-layer range (000), 0.15 (budget.py [choice])
    assert (d.base_rule, d.base_pct) == ("first_layer", pytest.approx(0.15))
    assert (d.binding_rule, d.budget_pct) == ("first_layer", pytest.approx(0.15))
    # with P/CF 9 the base is 0.20: calm and neutral-to-bullish, the ceiling 0.18 binds
    d = alvh_budget(replace(x, pcf=9.0), CFG.hedge)
    assert (d.binding_rule, d.budget_pct) == ("regime_ceiling", pytest.approx(0.18))

    none = replace(x, regime=None, pe=None, beta=None)
    skipped = alvh_budget(none, CFG.hedge).skipped_rules.split("; ")
    assert [s.split(" ")[0] for s in skipped] == [
        "pcf_scale",
        "beta_cap",
        "regime_ceiling",
        "pe_block",
    ]
    assert alvh_budget(replace(x, pcf=12.0), CFG.hedge).skipped_rules is None


# --- 10. no fill without a quote ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("bid", "ask"),
    [(1.0, 0.0), (0.0, 0.0), (1.0, None), (None, 1.2), (1.3, 1.2), (1.0, math.nan)],
)
def test_ledger_refuses_to_trade_without_a_quote(bid, ask) -> None:
    ledger = Ledger(D1, CFG.execution)
    row = opt("SPXW", EXP, 2750, "P", bid, ask, -0.20)
    with pytest.raises(ValueError, match="no quote"):
        ledger.trade(held_condor()[0], 50, row, "test")
    assert ledger.fills == []


def test_condor_exit_waits_for_every_leg_to_be_quoted() -> None:
    # DTE 21 triggers the exit, but the long call has no ask: no leg trades, the book stays.
    exit_day = EXP - dt.timedelta(days=21)
    rows = [dict(r) for r in CONDOR_ROWS]
    rows[3]["ask"] = 0.0
    state = engine.StrategyState("unhedged", CASH, tuple(held_condor()))
    new, out = engine.step(state, day(exit_day, rows), CFG)
    assert out.fills == [] and len(new.positions) == 4
    rows[3]["ask"] = 7.2
    _, out = engine.step(state, day(exit_day, rows), CFG)
    assert len(out.fills) == 4 and {f.reason for f in out.fills} == {"exit: DTE 21 <= 21"}


def test_load_config_override_moves_the_pop_target() -> None:
    # With a 0.71 target, 2800/3150 (≈ 0.705) is nearer than 2750/3150 (≈ 0.745).
    cfg = load_config(None, {"condor.pop_target": 0.71})
    assert abs(hand_pop(2800, 3150, 12.30) - 0.71) < abs(hand_pop(2750, 3150, 10.80) - 0.71)
    pick = select_condor(day(D0, entry_rows()).chain, D0, cfg.condor)
    assert pick.legs["short_put"]["strike"] == 2800 and pick.legs["short_call"]["strike"] == 3150
