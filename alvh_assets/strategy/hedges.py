"""The hedges on top of the condor book: ALVH 4/4/2 tranches (methodology §3) and the two
baseline hedges (§4). Each returns the open positions after the day's hedge trades and the
day's layer rows (one per tranche; the baselines report their one layer).

ALVH tranches (bucket, tranche); each tranche's target is ``bucket budget_share / tranches``
of the day's budget (10% each with the 4/4/2 defaults), premium at risk:

* ``short_term`` 1..4: VIX call spreads, DTE target staggered over the bucket range
  (``lo + (hi − lo)(k − ½)/n``). Tranche 1 is the standing first layer (000), active while
  the book holds a condor. MACD(12,26,9) cross up of VIX or of the front VX future activates
  the next of 2..4, cross down trims the highest active one (000, 001, 003, 004). A tranche
  marked at ≥ +``monetize_gain`` is monetized and its proceeds buy the next medium tranche
  (004).
* ``medium_term`` 1..4: SPX puts ``medium_put_otm`` below the forward; one is added on a day
  with an A/D divergence during term-structure steepening (002, 004); one VIX call spread is
  added while implied ERP > 6.5% and RV20 < 18% (001, the mid-layer spread) and none is held.
  A medium tranche lapses (is sold) when its DTE falls to the bucket's ``dte_min``.
* ``long_dated`` 1..2: VIX calls ``long_call_otm`` above the future, standing layers while
  the book holds a condor, rolled when their DTE falls to the bucket's ``dte_min``.

New layers (activations, redeployments) are blocked by the P/E rule; every hedge purchase
is blocked on a day the liquidity test fails; a purchase never takes premium at risk above
the budget, except a redeployment, which spends the monetized proceeds (capital the hedge
already earned) in full. Standing layers keep rolling under the P/E block (they are not new
layers). A tranche's day ``action`` lists what happened in order (``monetize+add``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from typing import Any

from alvh_assets.config import AlvhConfig, BucketConfig
from alvh_assets.strategy.book import MULTIPLIER, Ledger, Position, is_quoted, mid
from alvh_assets.strategy.budget import BudgetDecision
from alvh_assets.strategy.instruments import HedgePick, single_option, vix_call_spread
from alvh_assets.strategy.market import MarketDay

BUCKETS = ("short_term", "medium_term", "long_dated")


@dataclass(frozen=True)
class Tranche:
    """State of one ALVH tranche, carried from day to day."""

    bucket: str
    tranche: int
    active: bool = False
    rule: str = "inactive: never activated"
    since: dt.date | None = None
    instrument: str | None = None
    target_premium: float | None = None
    entry_cost: float | None = None


def initial_tranches(cfg: AlvhConfig) -> dict[tuple[str, int], Tranche]:
    """Every (bucket, tranche) of the config, inactive."""
    return {
        (b, k): Tranche(b, k) for b in BUCKETS for k in range(1, getattr(cfg.hedge, b).tranches + 1)
    }


def target_dte(bucket: BucketConfig, k: int) -> float:
    """Staggered DTE target of tranche ``k`` of a bucket (002, "temporal buffer")."""
    return bucket.dte_min + (bucket.dte_max - bucket.dte_min) * (k - 0.5) / bucket.tranches


def value(legs: list[Position], day: MarketDay) -> float | None:
    """Mark of a set of legs at mids (None when a leg has no quote)."""
    rows = [day.quote(p.key) for p in legs]
    if not all(is_quoted(r) for r in rows):
        return None
    return sum(p.quantity * mid(r) for p, r in zip(legs, rows, strict=True)) * MULTIPLIER


def close(legs: list[Position], day: MarketDay, ledger: Ledger, reason: str) -> float | None:
    """Trade out of ``legs``; returns the net cash received, None when a leg has no quote."""
    rows = [day.quote(p.key) for p in legs]
    if not all(is_quoted(r) for r in rows):
        return None
    return sum(
        ledger.trade(p, -p.quantity, r, reason).cash_flow for p, r in zip(legs, rows, strict=True)
    )


def buy(
    pick: HedgePick,
    amount: float,
    ledger: Ledger,
    kind: str,
    group: str,
    reason: str,
    bucket: str | None = None,
    tranche: int | None = None,
) -> tuple[list[Position], float]:
    """Buy ``floor(amount / unit cost)`` units of ``pick``; returns the legs and premium paid."""
    units = math.floor(amount / pick.unit_cost) if pick.unit_cost > 0 else 0
    if units < 1:
        return [], 0.0
    opened = []
    for leg, row, q in pick.legs:
        template = Position.of(row, group, kind, leg, bucket=bucket, tranche=tranche)
        opened.append(ledger.open(template, q * units, row, reason))
    paid = sum(p.quantity * p.entry_price for p in opened) * MULTIPLIER
    return opened, paid


def _pick(t: Tranche, day: MarketDay, cfg: AlvhConfig, tighten: int) -> HedgePick | None:
    h, share = cfg.hedge, cfg.execution.slippage_share_of_half_spread
    bucket = getattr(h, t.bucket)
    dte_target, min_dte = target_dte(bucket, t.tranche), max(h.min_open_dte, bucket.dte_min + 1)
    if t.instrument == "VIX call spread":
        return vix_call_spread(
            day.chain, day.date, dte_target, min_dte, h.short_term_call_otm,
            h.short_term_cap_otm, tighten, share,
        )  # fmt: skip
    if t.instrument == "SPX put":
        return single_option(
            day.chain, day.date, ("SPX", "SPXW"), "P", dte_target, min_dte, h.medium_put_otm, share
        )
    return single_option(
        day.chain, day.date, ("VIX",), "C", dte_target, min_dte, h.long_call_otm, share
    )


INSTRUMENT = {"short_term": "VIX call spread", "medium_term": "SPX put", "long_dated": "VIX call"}


@dataclass
class _AlvhDay:
    """The working state of one ALVH day: the tranches, their held legs, and the day's
    actions and blocks. Each method is one named step of :func:`alvh_day`."""

    state: dict[tuple[str, int], Tranche]
    held: dict[tuple[str, int], list[Position]]
    day: MarketDay
    ledger: Ledger
    budget: BudgetDecision
    cfg: AlvhConfig
    actions: dict[tuple[str, int], str] = field(default_factory=dict)
    blocked: dict[tuple[str, int], str] = field(default_factory=dict)

    def drop(self, key: tuple[str, int], reason: str) -> float | None:
        """Close a tranche's legs; the cash received, None when a leg has no quote."""
        cash = close(self.held[key], self.day, self.ledger, reason)
        if cash is not None:
            self.held[key] = []
        return cash

    def activate(
        self, key: tuple[str, int], rule: str, instrument: str, target: float | None = None
    ) -> None:
        """Activate a tranche (a new layer), unless the P/E rule blocks new layers."""
        if self.budget.pe_blocked:
            self.blocked[key] = f"{rule}: blocked by pe_block"
            return
        self.state[key] = replace(
            self.state[key], active=True, rule=rule, since=self.day.date, instrument=instrument,
            target_premium=target, entry_cost=None,
        )  # fmt: skip
        self.actions[key] = f"{self.actions[key]}+add" if key in self.actions else "add"

    def free(self, bucket: str) -> tuple[str, int] | None:
        """The first inactive tranche of ``bucket``."""
        return next((k for k, t in self.state.items() if t.bucket == bucket and not t.active), None)

    def monetize(self) -> None:
        """Step 1: short-term tranches marked at ≥ +``monetize_gain`` are sold (004) and their
        proceeds redeployed into the next free medium tranche."""
        for key, t in self.state.items():
            if t.bucket != "short_term" or not self.held[key] or not t.entry_cost:
                continue
            mark = value(self.held[key], self.day)
            if mark is None or mark < (1 + self.cfg.hedge.monetize_gain) * t.entry_cost:
                continue
            gain = mark / t.entry_cost - 1
            proceeds = self.drop(key, f"tranche_monetize: short_term/{t.tranche} at {gain:+.0%}")
            if proceeds is None:
                continue
            self.state[key] = replace(
                t, active=False, rule=f"monetized at {gain:+.0%}", since=self.day.date
            )
            self.actions[key] = "monetize"
            free = self.free("medium_term")
            if free is not None:
                rule = f"redeploy: short_term/{t.tranche} monetization proceeds {proceeds:,.2f} USD"
                self.activate(free, rule, "SPX put", proceeds)

    def lapse_and_roll(self) -> None:
        """Step 2: medium tranches lapse, long-dated tranches roll, at their bucket's
        minimum DTE."""
        for key, t in self.state.items():
            if t.bucket == "short_term" or not self.held[key]:
                continue
            days = (self.held[key][0].expiration - self.day.date).days
            floor = getattr(self.cfg.hedge, t.bucket).dte_min
            if days > floor:
                continue
            kind = "tranche_lapse" if t.bucket == "medium_term" else "tranche_roll"
            if self.drop(key, f"{kind}: {t.bucket}/{t.tranche} DTE {days} <= {floor}") is None:
                continue
            self.actions[key] = "lapse" if t.bucket == "medium_term" else "roll"
            if t.bucket == "medium_term":
                self.state[key] = replace(
                    t, active=False, rule=f"lapsed at DTE {days}", since=self.day.date
                )

    def standing_and_macd(self, condor_open: bool) -> None:
        """Step 3a: standing layers while the book holds a condor (short-term 1, the
        long-dated tranches; 000), then MACD crosses of VIX / VX1 activate the next
        short-term tranche (up) or trim the highest active one (down)."""
        h = self.cfg.hedge
        if condor_open:
            for key in (
                ("short_term", 1),
                *(("long_dated", k) for k in range(1, h.long_dated.tranches + 1)),
            ):
                if key in self.state and not self.state[key].active:
                    self.activate(key, "standing layer: condor book open", INSTRUMENT[key[0]])
        crosses = {
            "VIX": self.day.signal("vix_macd_cross"),
            "VX1": self.day.signal("vx1_macd_cross"),
        }
        ups = [n for n, c in crosses.items() if c == 1]
        downs = [n for n, c in crosses.items() if c == -1]
        shorts = [k for k in self.state if k[0] == "short_term" and k[1] > 1]
        if ups:
            free = next((k for k in shorts if not self.state[k].active), None)
            if free is not None:
                self.activate(free, f"macd_cross_up ({'+'.join(ups)})", "VIX call spread")
        elif downs:
            self.trim(shorts, f"macd_cross_down ({'+'.join(downs)})")

    def trim(self, shorts: list[tuple[str, int]], signal: str) -> None:
        """Trim the highest active short-term tranche (sold if held)."""
        top = next((k for k in reversed(shorts) if self.state[k].active), None)
        if top is None:
            return
        if self.held[top] and self.drop(top, f"tranche_trim: {signal}") is None:
            return
        self.state[top] = replace(
            self.state[top], active=False, rule=f"trimmed: {signal}", since=self.day.date
        )
        self.actions[top] = "trim"

    def medium_signals(self) -> None:
        """Step 3b: an A/D divergence during term-structure steepening adds an SPX put
        tranche (002, 004); implied ERP > 6.5% with RV20 < 18% adds one mid-layer VIX call
        spread when none is held (001)."""
        mediums = [k for k in self.state if k[0] == "medium_term"]
        if self.day.signal("ad_divergence_with_steepening"):
            free = self.free("medium_term")
            if free is not None:
                self.activate(free, "ad_divergence with term-structure steepening", "SPX put")
        if self.day.signal("distorted_fundamentals") and not any(
            self.state[k].active and self.state[k].instrument == "VIX call spread" for k in mediums
        ):
            free = self.free("medium_term")
            if free is not None:
                self.activate(
                    free,
                    "implied ERP > threshold and RV20 < threshold (mid-layer spread)",
                    "VIX call spread",
                )

    def purchases(self) -> None:
        """Step 4: active tranches without a position (new, rolled or expired) buy their
        instrument within the budget left (a redeployment spends its proceeds in full),
        unless the liquidity test fails."""
        h, budget = self.cfg.hedge, self.budget
        at_risk = sum(value(v, self.day) or 0.0 for v in self.held.values())
        distorted = self.day.signal("vix_rsi_ad_distortion")
        tighten = self.cfg.condor.distorted_strike_steps if distorted else 0
        for key, t in self.state.items():
            if not t.active or self.held[key]:
                continue
            if budget.liquidity_ok is False:
                self.blocked[key] = "purchase blocked: liquidity test failed in event window"
                continue
            bucket = getattr(h, t.bucket)
            target = t.target_premium or budget.budget_usd * bucket.budget_share / bucket.tranches
            amount = (
                min(target, budget.budget_usd - at_risk) if t.target_premium is None else target
            )
            pick = _pick(t, self.day, self.cfg, tighten if t.bucket == "short_term" else 0)
            if pick is None:
                self.blocked[key] = "no quoted instrument"
                continue
            action = self.actions.get(key, "roll").split("+")[-1]
            group, reason = f"alvh-{t.bucket}-{t.tranche}", f"tranche_{action}: {t.rule}"
            legs, paid = buy(pick, amount, self.ledger, "alvh", group, reason, t.bucket, t.tranche)
            if not legs:
                self.blocked[key] = (
                    f"budget left {max(amount, 0):,.0f} USD < one unit {pick.unit_cost:,.0f} USD"
                )
                continue
            self.held[key] = legs
            at_risk += paid
            self.state[key] = replace(t, entry_cost=paid, target_premium=t.target_premium)
            self.actions.setdefault(key, "roll")


def alvh_day(
    positions: list[Position],
    tranches: dict[tuple[str, int], Tranche],
    day: MarketDay,
    ledger: Ledger,
    budget: BudgetDecision,
    condor_open: bool,
    cfg: AlvhConfig,
) -> tuple[list[Position], dict[tuple[str, int], Tranche], list[dict[str, Any]]]:
    """One day of the ALVH tranches (module docstring), in named steps: monetize, lapse and
    roll, standing layers and MACD signals, medium-bucket signals, purchases."""
    state = dict(tranches)
    held = {k: [p for p in positions if (p.bucket, p.tranche) == k] for k in state}
    others = [p for p in positions if p.kind != "alvh"]
    work = _AlvhDay(state, held, day, ledger, budget, cfg)
    work.monetize()
    work.lapse_and_roll()
    work.standing_and_macd(condor_open)
    work.medium_signals()
    work.purchases()
    rows = layer_rows(state, held, budget.budget_usd, work.actions, work.blocked, day, cfg)
    return others + [p for v in held.values() for p in v], state, rows


def layer_rows(
    state: dict[tuple[str, int], Tranche],
    held: dict[tuple[str, int], list[Position]],
    budget_usd: float,
    actions: dict[tuple[str, int], str],
    blocked: dict[tuple[str, int], str],
    day: MarketDay,
    cfg: AlvhConfig,
) -> list[dict[str, Any]]:
    """One ``layer_allocations_daily`` row per tranche."""
    rows = []
    for key, t in state.items():
        legs = held.get(key, [])
        bucket = getattr(cfg.hedge, t.bucket)
        longs = [p for p in legs if p.quantity > 0]
        shorts_ = [p for p in legs if p.quantity < 0]
        rows.append(
            {
                "bucket": t.bucket,
                "tranche": t.tranche,
                "target_share": bucket.budget_share / bucket.tranches,
                "target_premium": t.target_premium
                or budget_usd * bucket.budget_share / bucket.tranches,
                "active": t.active,
                "instrument": t.instrument,
                "root": legs[0].root if legs else None,
                "expiration": legs[0].expiration if legs else None,
                "long_strike": longs[0].strike if longs else None,
                "short_strike": shorts_[0].strike if shorts_ else None,
                "contracts": longs[0].quantity if longs else 0,
                "premium_at_risk": value(legs, day) if legs else 0.0,
                "entry_cost": t.entry_cost,
                "redeploy_premium": t.target_premium,
                "rule": t.rule,
                "since": t.since,
                "action": actions.get(key, "hold" if legs else "none"),
                "blocked_by": blocked.get(key),
            }
        )
    return rows


def halted_tranches(
    tranches: dict[tuple[str, int], Tranche], day: MarketDay, reason: str | None, cfg: AlvhConfig
) -> tuple[dict[tuple[str, int], Tranche], list[dict[str, Any]]]:
    """The tranches of a halted account (methodology §2, solvency: it trades no more): every
    one inactive, rule ``halted: <reason>`` from the halt day on, and their rows."""
    state = {
        k: t
        if t.rule.startswith("halted")
        else Tranche(t.bucket, t.tranche, rule=f"halted: {reason}", since=day.date)
        for k, t in tranches.items()
    }
    blocked = dict.fromkeys(state, "halted")
    return state, layer_rows(state, {}, 0.0, {}, blocked, day, cfg)


def baseline_day(
    strategy: str,
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    condor_notional: float,
    cfg: AlvhConfig,
) -> tuple[list[Position], list[dict[str, Any]]]:
    """The two fixed hedges of §4, each one layer bought when none is held and the book
    holds a condor, then held to expiry (never adjusted):

    * ``single_layer_vix_call`` (004): VIX calls ``single_layer_otm`` above the VX future of
      the expiry nearest ``single_layer_dte`` days, premium ``single_layer_notional_pct`` of the
      condor notional: a new layer every VIX expiry, i.e. every month;
    * ``static_permanent`` (000): SPX puts ``static_put_otm`` below the forward of the expiry
      nearest ``static_put_months`` months, premium ``static_notional_pct`` of the condor
      notional: one purchase a year.
    """
    b, share = cfg.baselines, cfg.execution.slippage_share_of_half_spread
    held = [p for p in positions if p.kind == strategy]
    others = [p for p in positions if p.kind != strategy]
    if strategy == "single_layer_vix_call":
        pct, bucket = b.single_layer_notional_pct, "single_layer"
        pick_args = (("VIX",), "C", b.single_layer_dte, cfg.hedge.min_open_dte, b.single_layer_otm)
    else:
        pct, bucket = b.static_notional_pct, "static"
        pick_args = (("SPX", "SPXW"), "P", b.static_put_months * 365 / 12, 180, b.static_put_otm)
    action, note = ("hold" if held else "none"), None
    if not held and condor_notional > 0:
        pick = single_option(day.chain, day.date, *pick_args, share)
        if pick is None:
            note = "no quoted instrument"
        else:
            amount = pct * condor_notional
            reason = f"{bucket}: fixed {pct:.0%} of condor notional"
            held, _ = buy(
                pick, amount, ledger, strategy, f"{strategy}-{day.date:%Y%m%d}", reason, bucket, 1
            )
            action = "add" if held else "none"
            note = None if held else f"{amount:,.0f} USD < one unit {pick.unit_cost:,.0f} USD"
    row = {
        "bucket": bucket,
        "tranche": 1,
        "target_share": 1.0,
        "target_premium": pct * condor_notional,
        "active": bool(held),
        "instrument": f"{held[0].root} {'call' if held[0].option_type == 'C' else 'put'}"
        if held
        else None,
        "root": held[0].root if held else None,
        "expiration": held[0].expiration if held else None,
        "long_strike": held[0].strike if held else None,
        "short_strike": None,
        "contracts": held[0].quantity if held else 0,
        "premium_at_risk": value(held, day) if held else 0.0,
        "entry_cost": held[0].quantity * held[0].entry_price * MULTIPLIER if held else None,
        "redeploy_premium": None,
        "rule": f"fixed {pct:.0%} of condor notional, held to expiry",
        "since": held[0].entry_date if held else None,
        "action": action,
        "blocked_by": note,
    }
    return others + held, [row]
