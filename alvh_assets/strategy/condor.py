"""The SPX iron condor book (methodology §2): strike selection by probability of profit,
sizing by the risk budget, exits, and rolls at the delta trigger.

Probability of profit (000), risk-neutral under Black-76 on the expiry's forward ``F``::

    POP = N(d2(BE_low)) − N(d2(BE_high)),   d2(K) = (ln(F/K) − σ_K² T / 2) / (σ_K √T)
    BE_low = K_short_put − credit,   BE_high = K_short_call + credit   (credit at mids)

with ``σ_K`` the chain's IV interpolated linearly in strike at the break-even (puts for the
lower, calls for the upper) and ``T`` the years from the 15:45 quote to the series'
settlement in minutes / 525,600 (:func:`alvh_assets.pricing.expiry_time.time_to_expiry`:
``SPX`` AM 09:30, ``SPXW`` PM 16:00, the Cboe VIX white paper's count), the ``T`` the
chain's IVs were implied with.

Selection on a day's chain (only strikes with a bid > 0): the entry expiry is the nearest
``SPX``/``SPXW`` expiry with DTE in ``[entry_dte_min, entry_dte_max]``; every OTM put whose
wing (``K − width``, or the put nearest ``wing_delta`` in delta mode) has a bid is paired with
the OTM call of the closest ``|delta|`` (and its wing); the pair whose POP is closest to
``pop_target`` inside ``[pop_min, pop_max]`` wins. The distorted-fundamentals adjustment (001)
then moves the short put ``distorted_strike_steps`` candidate strikes further out of the
money.

Size (methodology §2, "Size … 20% of the account's NAV at entry"): ``floor(risk_budget_pct ×
NAV / ((max width − credit) × 100))`` condors, credit at fill prices, NAV = the account at
the day's mids just before the entry (current equity, never the initial capital: a book
that has lost half its NAV trades half the size). Solvency (§2, "a position is opened only
if the account's margin after it … stays ≤ NAV"): the count is also capped so that the
margin after the entry (:func:`margin_of`) stays ≤ the NAV after its costs.

Exits (§2, "Exit … measured on the whole cycle"): a condor's *cycle* runs from its entry to
its final close through every roll (``Position.group_id``); its P&L at a session is every
cash flow of its fills so far (``cycle_cash``: the entry credit, each roll's closing and
reopening fills, net of commissions and fees) plus its open legs at mids. Profit take when
that P&L ≥ ``profit_take_pct`` × the original credit, stop when the loss ≥
``stop_loss_multiple`` × the original credit, never on the legs open after a roll alone.
No roll on a session when the condor reaches its DTE exit by the next NYSE session (§2).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl
from scipy.special import ndtr

from alvh_assets.calendars import next_trading_day
from alvh_assets.config import AlvhConfig, CondorConfig
from alvh_assets.pricing.expiry_time import time_to_expiry
from alvh_assets.strategy.book import (
    MULTIPLIER,
    Ledger,
    Position,
    fill_price,
    intrinsic,
    is_quoted,
    mid,
)
from alvh_assets.strategy.gates import OPEN, CondorGates
from alvh_assets.strategy.instruments import quoted_side
from alvh_assets.strategy.market import MarketDay

LEGS = ("short_put", "long_put", "short_call", "long_call")
SIGN = {"short_put": -1, "long_put": 1, "short_call": -1, "long_call": 1}


def prob_above(forward: float, strike: float, sigma: float, t: float) -> float:
    """Risk-neutral ``P(S_T > K) = N(d2)`` under Black-76."""
    s = sigma * math.sqrt(t)
    return float(ndtr((math.log(forward / strike) - 0.5 * s * s) / s))


def condor_pop(
    forward: float, t: float, be_low: float, be_high: float, sigma_low: float, sigma_high: float
) -> float:
    """Risk-neutral probability that the underlying ends between the two break-evens."""
    return prob_above(forward, be_low, sigma_low, t) - prob_above(forward, be_high, sigma_high, t)


@dataclass(frozen=True)
class CondorPick:
    """The four legs chosen for an entry, with the numbers that chose them."""

    root: str
    expiration: dt.date
    legs: dict[str, dict[str, Any]]
    forward: float
    pop: float
    credit_mid: float
    be_low: float
    be_high: float
    adjusted_put_steps: int
    narrowed_steps: int = 0

    @property
    def width(self) -> float:
        """The wider of the two wings, in points."""
        put = self.legs["short_put"]["strike"] - self.legs["long_put"]["strike"]
        call = self.legs["long_call"]["strike"] - self.legs["short_call"]["strike"]
        return max(put, call)


def dte(expiration: dt.date, day: dt.date) -> int:
    """Calendar days to expiry."""
    return (expiration - day).days


def entry_expiry(
    chain: pl.DataFrame, day: dt.date, cfg: CondorConfig
) -> tuple[str, dt.date] | None:
    """The nearest eligible expiry in the entry DTE window (ties: the root listed first in
    ``cfg.roots``)."""
    lo = day + dt.timedelta(days=cfg.entry_dte_min)
    hi = day + dt.timedelta(days=cfg.entry_dte_max)
    rows = (
        chain.filter(pl.col("root").is_in(list(cfg.roots)), pl.col("expiration").is_between(lo, hi))
        .select("root", "expiration")
        .unique()
        .with_columns(
            pl.col("root").replace_strict(list(cfg.roots), list(range(len(cfg.roots)))).alias("_o")
        )
        .sort("expiration", "_o")
    )
    return None if rows.is_empty() else (rows["root"][0], rows["expiration"][0])


def _side_frame(
    chain: pl.DataFrame, root: str, expiration: dt.date, option_type: str
) -> pl.DataFrame:
    """The tradable rows of one side (:func:`instruments.quoted_side`) that carry an IV and
    a delta, by strike."""
    return quoted_side(chain, root, expiration, option_type).filter(
        pl.col("iv").is_not_null(), pl.col("delta").is_not_null()
    )


def _candidates(
    side: pl.DataFrame, option_type: str, forward: float, cfg: CondorConfig
) -> tuple[list[int], list[int]]:
    """Indices of OTM short strikes and of their wings inside ``side`` (sorted by strike)."""
    strikes = side["strike"].to_numpy()
    deltas = np.abs(side["delta"].to_numpy())
    index = {k: i for i, k in enumerate(strikes)}
    shorts, wings = [], []
    for i, k in enumerate(strikes):
        if (option_type == "P" and k >= forward) or (option_type == "C" and k <= forward):
            continue
        if cfg.wing_mode == "width":
            w = index.get(
                k - cfg.wing_width_points if option_type == "P" else k + cfg.wing_width_points
            )
        else:
            further = [
                j
                for j in range(len(strikes))
                if (strikes[j] < k if option_type == "P" else strikes[j] > k)
            ]
            w = min(further, key=lambda j: abs(deltas[j] - cfg.wing_delta), default=None)
        if w is not None:
            shorts.append(i)
            wings.append(w)
    return shorts, wings


def _mid(row: dict[str, Any]) -> float:
    return (row["bid"] + row["ask"]) / 2.0


def _sigma_at(side: pl.DataFrame, level: float) -> float:
    return float(np.interp(level, side["strike"].to_numpy(), side["iv"].to_numpy()))


def _evaluate(
    puts: pl.DataFrame, calls: pl.DataFrame, legs: dict[str, dict], forward: float, t: float
) -> tuple[float, float, float, float]:
    credit = sum(-SIGN[name] * _mid(row) for name, row in legs.items())
    be_low = legs["short_put"]["strike"] - credit
    be_high = legs["short_call"]["strike"] + credit
    if credit <= 0 or be_low <= 0 or be_low >= be_high:
        return credit, be_low, be_high, float("nan")
    pop = condor_pop(
        forward, t, be_low, be_high, _sigma_at(puts, be_low), _sigma_at(calls, be_high)
    )
    return credit, be_low, be_high, pop


def select_condor(
    chain: pl.DataFrame,
    day: dt.date,
    cfg: CondorConfig,
    distorted: bool = False,
    narrow_steps: int = 0,
) -> CondorPick | str:
    """The entry condor of the day, or the reason there is none. ``narrow_steps``: both
    short strikes moved that many candidates toward the money after the POP choice (the
    mid-layer spread's financing, 001; :mod:`.gates`)."""
    expiry = entry_expiry(chain, day, cfg)
    if expiry is None:
        window = f"[{cfg.entry_dte_min}, {cfg.entry_dte_max}]"
        return f"no {'/'.join(cfg.roots)} expiry with DTE in {window}"
    root, expiration = expiry
    puts = _side_frame(chain, root, expiration, "P")
    calls = _side_frame(chain, root, expiration, "C")
    fwd = pl.concat([puts, calls])["forward"].drop_nulls()
    if fwd.is_empty():
        return f"no forward for {root} {expiration}"
    forward, t = float(fwd.median()), time_to_expiry(day, expiration, root)
    p_short, p_wing = _candidates(puts, "P", forward, cfg)
    c_short, c_wing = _candidates(calls, "C", forward, cfg)
    if not p_short or not c_short:
        return f"no quoted short strikes with wings on {root} {expiration}"
    p_rows, c_rows = puts.to_dicts(), calls.to_dicts()
    c_delta = np.abs(np.array([c_rows[i]["delta"] for i in c_short]))

    def legs_of(n: int, j: int) -> dict[str, dict[str, Any]]:
        return {
            "short_put": p_rows[p_short[n]],
            "long_put": p_rows[p_wing[n]],
            "short_call": c_rows[c_short[j]],
            "long_call": c_rows[c_wing[j]],
        }

    best: tuple[float, int, int] | None = None
    for n, i in enumerate(p_short):
        j = int(np.argmin(np.abs(c_delta - abs(p_rows[i]["delta"]))))
        pop = _evaluate(puts, calls, legs_of(n, j), forward, t)[3]
        if cfg.pop_min <= pop <= cfg.pop_max and (
            best is None or abs(pop - cfg.pop_target) < best[0]
        ):
            best = (abs(pop - cfg.pop_target), n, j)
    if best is None:
        return f"no condor on {root} {expiration} with POP in [{cfg.pop_min}, {cfg.pop_max}]"
    _, n, j = best
    if narrow_steps:
        n, j = min(n + narrow_steps, len(p_short) - 1), max(j - narrow_steps, 0)
    steps = 0
    if distorted and cfg.distorted_strike_steps:
        steps = min(cfg.distorted_strike_steps, n)
        n -= steps
    legs = legs_of(n, j)
    credit, be_low, be_high, pop = _evaluate(puts, calls, legs, forward, t)
    return CondorPick(
        root, expiration, legs, forward, pop, credit, be_low, be_high, steps, narrow_steps
    )


def select_side(
    chain: pl.DataFrame,
    root: str,
    expiration: dt.date,
    option_type: str,
    target_abs_delta: float,
    cfg: CondorConfig,
    extra_steps: int = 0,
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A new short/long pair for one side (a roll): the quoted OTM short strike whose
    ``|delta|`` is nearest ``target_abs_delta`` (moved ``extra_steps`` candidates further out
    of the money; negative: toward the money), and its wing."""
    side = _side_frame(chain, root, expiration, option_type)
    fwd = side["forward"].drop_nulls()
    if side.is_empty() or fwd.is_empty():
        return None
    shorts, wings = _candidates(side, option_type, float(fwd.median()), cfg)
    if not shorts:
        return None
    rows = side.to_dicts()
    pos = min(
        range(len(shorts)), key=lambda n: abs(abs(rows[shorts[n]]["delta"]) - target_abs_delta)
    )
    pos += -extra_steps if option_type == "P" else extra_steps
    pos = min(max(pos, 0), len(shorts) - 1)
    return rows[shorts[pos]], rows[wings[pos]]


def contracts_for(pick: CondorPick, credit_fill: float, nav: float, cfg: CondorConfig) -> int:
    """``floor(risk_budget_pct × NAV / ((width − credit) × 100))`` (NAV at entry, methodology
    §2); 0 when the credit reaches the width (no risk to size on) or NAV ≤ 0."""
    risk = (pick.width - credit_fill) * 100.0
    if risk <= 0 or nav <= 0:
        return 0
    return int(math.floor(cfg.risk_budget_pct * nav / risk))


def solvent_contracts(pick: CondorPick, nav: float, cost_per_condor: float) -> int:
    """The most condors whose margin stays ≤ the NAV after their costs (methodology §2,
    solvency): ``floor(NAV / (width × 100 + costs of one condor))``."""
    per = pick.width * MULTIPLIER + cost_per_condor
    return int(math.floor(nav / per)) if nav > 0 and per > 0 else 0


def margin_of(legs: list[Position]) -> float:
    """Margin of the condor legs (defined risk, methodology §2): the most the spreads can
    cost at expiry, the wider wing × 100 × contracts (only one side of an iron condor can
    finish in the money; Cboe's iron condor margin). Long options need none."""
    by_leg = {p.leg: p for p in legs if p.kind == "condor"}
    widths, contracts = [], 0
    for short, long_, sign in (("short_put", "long_put", 1), ("short_call", "long_call", -1)):
        if short in by_leg and long_ in by_leg:
            widths.append(sign * (by_leg[short].strike - by_leg[long_].strike))
            contracts = max(contracts, abs(by_leg[short].quantity))
    return max(widths, default=0.0) * MULTIPLIER * contracts


def condor_book(positions: Iterable[Position]) -> tuple[float, float, float]:
    """(notional, open credit, margin) of the condor legs: notional = margin = the wider
    wing × 100 × contracts (:func:`margin_of`; methodology §2 defined risk, §3 notional),
    credit = Σ −qty × entry price × 100."""
    legs = [p for p in positions if p.kind == "condor"]
    credit = sum(-p.quantity * p.entry_price for p in legs) * MULTIPLIER
    margin = margin_of(legs)
    return margin, credit, margin


def cycle_of(legs: list[Position]) -> tuple[float, float]:
    """(original credit, cash so far) of the cycle of ``legs`` (USD). Legs written before
    the cycle columns existed carry neither: their open premium stands for both."""
    first = legs[0]
    if first.cycle_credit is not None and first.cycle_cash is not None:
        return first.cycle_credit, first.cycle_cash
    credit = sum(-p.quantity * p.entry_price for p in legs) * MULTIPLIER
    return credit, credit


def _close_all(legs: list[Position], day: MarketDay, ledger: Ledger, reason: str) -> bool:
    """Buy back / sell out every leg at its quote; False (nothing traded) when one lacks a
    quote."""
    rows = [day.quote(p.key) for p in legs]
    if not all(is_quoted(r) for r in rows):
        return False
    for p, r in zip(legs, rows, strict=True):
        ledger.trade(p, -p.quantity, r, reason)
    return True


def _time_value(p: Position, row: dict[str, Any]) -> float:
    """Mid minus intrinsic value against the underlying (never below 0)."""
    level = row["underlying_price"]
    if level is None:
        return 0.0
    return max((row["bid"] + row["ask"]) / 2.0 - intrinsic(p.option_type, p.strike, level), 0.0)


def exit_reason(legs: list[Position], day: MarketDay, cfg: CondorConfig) -> str | None:
    """The exit rule that fires today (DTE, profit take, stop), the last two on the whole
    cycle at mids (module docstring)."""
    days = dte(legs[0].expiration, day.date)
    if days <= cfg.exit_dte:
        return f"exit: DTE {days} <= {cfg.exit_dte}"
    rows = [day.quote(p.key) for p in legs]
    if not all(is_quoted(r) for r in rows):
        return None
    credit, cash = cycle_of(legs)
    pnl = cash + sum(p.quantity * mid(r) for p, r in zip(legs, rows, strict=True)) * MULTIPLIER
    if credit > 0 and pnl >= cfg.profit_take_pct * credit:
        return (
            f"exit: profit take: cycle P&L {pnl:,.2f} = {pnl / credit:.0%} of the original "
            f"credit >= {cfg.profit_take_pct:.0%}"
        )
    if credit > 0 and -pnl >= cfg.stop_loss_multiple * credit:
        return (
            f"exit: stop loss: cycle loss {-pnl:,.2f} = {-pnl / credit:.2f}x the original "
            f"credit >= {cfg.stop_loss_multiple:g}x"
        )
    return None


def manage_condor(
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    cfg: CondorConfig,
    nav: float,
    gates: CondorGates = OPEN,
) -> list[Position]:
    """One day of the condor book: exit, else roll a side past the delta trigger (not when
    the DTE exit comes by the next session), else (flat, outside event windows) enter.
    ``nav``: the account's NAV at the day's mids before the condor's trades; ``gates``: what
    the hedge allows (:mod:`.gates`: no new risk — no roll, no entry — when the liquidity
    test fails; strikes narrowed for the mid-layer spread). Returns the open positions
    after the day's trades."""
    legs = [p for p in positions if p.kind == "condor"]
    others = [p for p in positions if p.kind != "condor"]
    distorted = bool(day.signal("vix_rsi_ad_distortion"))
    if legs:
        reason = exit_reason(legs, day, cfg)
        if reason is not None:
            return others if _close_all(legs, day, ledger, reason) else positions
        if dte(legs[0].expiration, next_trading_day(day.date)) <= cfg.exit_dte:
            return positions  # exits by the next session: no roll (§2)
        if gates.block_new_risk:
            return positions
        return others + _roll(legs, day, ledger, cfg, distorted, nav, gates.narrow_steps)
    if day.signal("event_window") or gates.block_new_risk:
        return positions
    return others + _enter(day, ledger, cfg, distorted, nav, gates.narrow_steps)


def house_condor(
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    cfg: AlvhConfig,
    nav: float,
    gates: CondorGates = OPEN,
) -> list[Position]:
    """The house condor rules of methodology §2 (:func:`manage_condor` with ``cfg.condor``):
    the condor rule of every house strategy in :mod:`.registry`."""
    return manage_condor(positions, day, ledger, cfg.condor, nav, gates)


def _enter(
    day: MarketDay,
    ledger: Ledger,
    cfg: CondorConfig,
    distorted: bool,
    nav: float,
    narrow_steps: int = 0,
) -> list[Position]:
    """Open the day's condor (:func:`select_condor`), sized on ``nav`` and capped by the
    solvency rule; [] when there is none or not one contract fits."""
    pick = select_condor(day.chain, day.date, cfg, distorted, narrow_steps)
    if isinstance(pick, str):
        return []
    note = ""
    if pick.narrowed_steps:
        note += (
            f" (short strikes {pick.narrowed_steps} step(s) toward the money: "
            "financing the mid-layer VIX call spread)"
        )
    if pick.adjusted_put_steps:
        note += (
            f" (short put {pick.adjusted_put_steps} step(s) further OTM: distorted fundamentals)"
        )
    reason = f"entry: POP {pick.pop:.4f}"
    return open_condor(pick, day, ledger, cfg, nav, reason, note)


def open_condor(
    pick: CondorPick,
    day: MarketDay,
    ledger: Ledger,
    cfg: CondorConfig,
    nav: float,
    reason: str,
    note: str = "",
) -> list[Position]:
    """Sell ``pick`` (a new cycle ``condor-YYYYMMDD``): ``min(`` :func:`contracts_for` ``,``
    :func:`solvent_contracts` ``)`` condors on ``nav`` (methodology §2, size and solvency),
    credit and costs at fill prices; [] when not one contract fits. ``reason`` must start
    with ``entry:`` (the fills' trade kind)."""
    ex = ledger.execution
    share = ex.slippage_share_of_half_spread
    credit = sum(
        -SIGN[name] * fill_price(r["bid"], r["ask"], SIGN[name], share)
        for name, r in pick.legs.items()
    )
    fees = ex.commission_per_contract + ex.exchange_fee_per_contract
    per_condor = sum(
        fees + share * (r["ask"] - r["bid"]) / 2.0 * MULTIPLIER for r in pick.legs.values()
    )
    contracts = min(contracts_for(pick, credit, nav, cfg), solvent_contracts(pick, nav, per_condor))
    if contracts < 1:
        return []
    group = f"condor-{day.date:%Y%m%d}"
    reason = f"{reason}, {contracts} condors on NAV {nav:,.2f}{note}"
    start = len(ledger.fills)
    opened = []
    for name, row in pick.legs.items():
        template = _template(
            group, name, row, abs(row["delta"]) if name.startswith("short") else None
        )
        opened.append(ledger.open(template, SIGN[name] * contracts, row, reason))
    fills = ledger.fills[start:]
    credit_usd = sum(-f.quantity * f.price for f in fills) * MULTIPLIER
    cash = sum(f.cash_flow for f in fills)
    return [replace(p, cycle_credit=credit_usd, cycle_cash=cash) for p in opened]


def _template(group: str, leg: str, row: dict[str, Any], target_delta: float | None) -> Position:
    return Position.of(row, group, "condor", leg, target_delta=target_delta)


def _roll(
    legs: list[Position],
    day: MarketDay,
    ledger: Ledger,
    cfg: CondorConfig,
    distorted: bool,
    nav: float,
    narrow_steps: int = 0,
) -> list[Position]:
    """Roll each side whose short |delta| exceeds the trigger back to its entry |delta| on the
    same expiry (002), moved ``distorted_strike_steps`` further out (a put under distorted
    fundamentals, 001) and ``narrow_steps`` toward the money (the mid-layer financing). The
    closed legs' remaining time value is the roll's opportunity cost,
    a memo on the fills (§2). The side is reopened only if the margin after it stays ≤ the
    NAV after the day's costs (solvency, §2). The cycle's cash takes every roll fill."""
    credit, cash = cycle_of(legs)
    start = len(ledger.fills)
    kept = list(legs)
    for option_type, short_leg, long_leg in (
        ("P", "short_put", "long_put"),
        ("C", "short_call", "long_call"),
    ):
        side = [p for p in kept if p.leg in (short_leg, long_leg)]
        short = next((p for p in side if p.leg == short_leg), None)
        row = day.quote(short.key) if short else None
        if short is None or row is None or row["delta"] is None:
            continue
        if abs(row["delta"]) <= cfg.roll_delta_trigger:
            continue
        rows = [day.quote(p.key) for p in side]
        if not all(is_quoted(r) for r in rows):
            continue
        name = "put" if option_type == "P" else "call"
        trigger = f"roll: short {name} |delta| {abs(row['delta']):.3f} > {cfg.roll_delta_trigger:g}"
        for p, r in zip(side, rows, strict=True):
            tv = _time_value(p, r) * abs(p.quantity) * MULTIPLIER
            ledger.trade(p, -p.quantity, r, trigger, opportunity_cost=tv if p.quantity < 0 else -tv)
        kept = [p for p in kept if p not in side]
        steps = cfg.distorted_strike_steps if distorted and option_type == "P" else 0
        steps -= narrow_steps
        new = select_side(
            day.chain,
            short.root,
            short.expiration,
            option_type,
            short.target_delta or cfg.roll_delta_trigger / 2,
            cfg,
            steps,
        )
        if new is None:
            continue
        contracts = abs(short.quantity)
        reopened = [
            _template(short.group_id, name, r, short.target_delta if name == short_leg else None)
            for name, r in zip((short_leg, long_leg), new, strict=True)
        ]
        sized = [replace(p, quantity=SIGN[p.leg] * contracts) for p in reopened]
        costs = sum(f.commission + f.exchange_fees + f.slippage for f in ledger.fills[start:])
        if margin_of(kept + sized) > nav - costs:
            continue  # the reopened side would lift the margin above NAV (§2)
        for template, r in zip(reopened, new, strict=True):
            q = SIGN[template.leg] * contracts
            kept.append(ledger.open(template, q, r, trigger + ": reopen"))
    cash += sum(f.cash_flow for f in ledger.fills[start:])
    return [replace(p, cycle_credit=credit, cycle_cash=cash) for p in kept]
