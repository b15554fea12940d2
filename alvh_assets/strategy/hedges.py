"""The hedges on top of the condor book: ALVH 4/4/2 tranches (methodology §3) and the two
baseline hedges (§4). Each returns the open positions after the day's hedge trades and the
day's layer rows (one per tranche; the baselines report their one layer).

Budget basis (§3, settled 2026-12): a tranche's size is *premium at risk*, its open cost
basis (:func:`cost_basis`); the day's budget (:mod:`.budget`) bounds the cost basis of all
open hedge legs.

ALVH tranches (bucket, tranche); each tranche's target is ``bucket budget_share / tranches``
of the day's budget (10% each with the 4/4/2 defaults: a 4-tranche bucket activates in 25%
steps of its budget, 002):

* ``short_term`` 1..4: VIX call spreads, DTE target staggered in the upper half of the bucket range
  (:func:`target_dte`), held to expiry. Tranche 1 is the standing first layer (000), active while
  the book holds a condor. MACD(12,26,9) cross up of VIX or of the 30-day constant-maturity VX
  future activates the next of 2..4, cross down trims the highest active one (000, 001, 003, 004). A
  tranche marked at ≥ +``monetize_gain`` is monetized and its proceeds buy the next medium tranche
  (004).
* ``medium_term`` 1..4: SPX puts ``medium_put_otm`` below the forward; one is added on a day
  with an A/D divergence during term-structure steepening (002, 004); one VIX call spread is
  added while implied ERP > 6.5% and RV20 < 18% (001, the mid-layer spread; the condor's
  next entry or roll finances it, :mod:`.gates`) and none is held. A medium tranche lapses
  (is sold) when its DTE falls to the bucket's ``dte_min``.
* ``long_dated`` 1..2: VIX calls ``long_call_otm`` above the future, standing layers while
  the book holds a condor, rolled when their DTE falls to the bucket's ``dte_min``.
* ``calendar`` 1: the VIX call calendar (003), ``calendar_premium_ratio`` × the open condor's
  credit, opened while the book holds a condor, the 30-day constant-maturity VX MACD
  histogram is < 0 and CPI/PPI are range-bound; closed when its front leg reaches
  ``min_open_dte``.

Expiries are staggered (002, "temporal buffer"): a purchase avoids the expiries the other
tranches of its bucket hold while the bucket's range lists another one. New layers
(activations, redeployments, the calendar) are blocked by the peak-earnings P/E rule;
standing layers are not new layers: they keep rolling and a monetized one is re-established
under the block. A purchase never takes premium at risk above the budget (a redeployment
spends at most its proceeds and its tranche's share; the rest stays in cash), except the
calendar, sized by its own rule under the cost ceiling. A tranche's day
``action`` lists what happened in order (``monetize+add``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from typing import Any

from alvh_assets.config import AlvhConfig, BucketConfig
from alvh_assets.strategy.book import MULTIPLIER, Ledger, Position, is_quoted, mid
from alvh_assets.strategy.budget import BudgetDecision, BudgetInputs, base_share, capped_budget
from alvh_assets.strategy.gates import MID_LAYER_RULE
from alvh_assets.strategy.instruments import (
    Avoid,
    HedgePick,
    delta_call,
    single_option,
    vix_call_calendar,
    vix_call_spread,
)
from alvh_assets.strategy.market import MarketDay

BUCKETS = ("short_term", "medium_term", "long_dated")
"""The 4/4/2 buckets."""
CALENDAR = ("calendar", 1)
"""The VIX call calendar's (bucket, tranche)."""


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
    """Every (bucket, tranche) of the config and the calendar, inactive."""
    keys = [(b, k) for b in BUCKETS for k in range(1, getattr(cfg.hedge, b).tranches + 1)]
    return {k: Tranche(*k) for k in [*keys, CALENDAR]}


def cost_basis(legs: list[Position]) -> float:
    """Premium at risk of ``legs``: ``Σ qty × entry price × 100`` (a spread's net debit)."""
    return sum(p.quantity * p.entry_price for p in legs) * MULTIPLIER


def target_dte(bucket: BucketConfig, k: int) -> float:
    """Staggered DTE target of tranche ``k`` of a bucket (002, "temporal buffer"), in the
    upper half of its range: ``hi − (hi − lo)(k − 1) / (2n)`` (short-term 30 / 26.25 / 22.5
    / 18.75 days, medium 90 / 82.5 / 75 / 67.5, long-dated 400 / 322.5). A tranche holds
    until its bucket's floor (short-term: expiry), so it lives at least half the range: a
    target near the floor would buy a week-long option and rebuy it every week [choice]."""
    span = bucket.dte_max - bucket.dte_min
    return bucket.dte_max - span * (k - 1) / (2 * bucket.tranches)


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


def _pick(
    t: Tranche, day: MarketDay, cfg: AlvhConfig, tighten: int, taken: frozenset[dt.date]
) -> HedgePick | None:
    """The instrument of tranche ``t`` today, avoiding the expiries in ``taken``."""
    h, share = cfg.hedge, cfg.execution.slippage_share_of_half_spread
    bucket = getattr(h, t.bucket)
    dte_target, min_dte = target_dte(bucket, t.tranche), max(h.min_open_dte, bucket.dte_min + 1)
    avoid: Avoid = (taken, bucket.dte_max)
    if t.instrument == "VIX call spread":
        return vix_call_spread(
            day.chain, day.date, dte_target, min_dte, h.short_term_call_otm,
            h.short_term_cap_otm, tighten, share, avoid,
        )  # fmt: skip
    if t.instrument == "SPX put":
        return single_option(
            day.chain, day.date, ("SPX", "SPXW"), "P", dte_target, min_dte, h.medium_put_otm,
            share, avoid,
        )  # fmt: skip
    return single_option(
        day.chain, day.date, ("VIX",), "C", dte_target, min_dte, h.long_call_otm, share, avoid
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
        self,
        key: tuple[str, int],
        rule: str,
        instrument: str,
        target: float | None = None,
        standing: bool = False,
    ) -> None:
        """Activate a tranche, unless the P/E rule blocks new layers (a ``standing`` layer is
        not a new layer: it is re-established under the block)."""
        if self.budget.pe_blocked and not standing:
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
            if t.bucket in ("short_term", CALENDAR[0]) or not self.held[key]:
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

    def standing_and_macd(self, condor_open: bool, new_cycle: bool) -> None:
        """Step 3a: standing layers while the book holds a condor (short-term 1, the
        long-dated tranches; 000) — a monetized one is re-established with the next condor
        cycle (``new_cycle``: a condor entered today), not into the spike that paid it
        [choice] — then MACD crosses of VIX / VX30 activate the next short-term tranche (up)
        or trim the highest active one (down)."""
        h = self.cfg.hedge
        if condor_open:
            for key in (
                ("short_term", 1),
                *(("long_dated", k) for k in range(1, h.long_dated.tranches + 1)),
            ):
                t = self.state.get(key)
                if t is None or t.active or (t.rule.startswith("monetized") and not new_cycle):
                    continue
                rule = "standing layer: condor book open"
                self.activate(key, rule, INSTRUMENT[key[0]], standing=True)
        crosses = {
            "VIX": self.day.signal("vix_macd_cross"),
            "VX30": self.day.signal("vx30_macd_cross"),
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
                self.activate(free, MID_LAYER_RULE, "VIX call spread")

    def purchases(self) -> None:
        """Step 4: active tranches without a position (new, rolled or expired) buy their
        instrument within the budget left; a redeployment spends at most its proceeds. A
        MACD tranche (short-term 2..4) whose spread expired is a spent tactical layer: it
        goes inactive until a new cross up [choice]; the standing layers rebuy (roll)."""
        h, budget = self.cfg.hedge, self.budget
        at_risk = sum(cost_basis(v) for v in self.held.values())
        distorted = self.day.signal("vix_rsi_ad_distortion")
        tighten = self.cfg.condor.distorted_strike_steps if distorted else 0
        for key, t in self.state.items():
            if not t.active or self.held[key] or key == CALENDAR:
                continue
            tactical = t.bucket == "short_term" and t.tranche > 1
            if tactical and t.entry_cost is not None and key not in self.actions:
                self.state[key] = replace(
                    t, active=False, rule=f"expired: {t.rule}", since=self.day.date,
                    entry_cost=None,
                )  # fmt: skip
                self.actions[key] = "expire"
                continue
            bucket = getattr(h, t.bucket)
            share = budget.budget_usd * bucket.budget_share / bucket.tranches
            amount = min(t.target_premium or share, share, budget.budget_usd - at_risk)
            taken = frozenset(
                v[0].expiration for k, v in self.held.items() if k[0] == t.bucket and v
            )
            pick = _pick(t, self.day, self.cfg, tighten if t.bucket == "short_term" else 0, taken)
            if pick is None:
                self.blocked[key] = "no quoted instrument"
                continue
            action = self.actions.get(key, "roll").split("+")[-1]
            group, reason = f"alvh-{t.bucket}-{t.tranche}", f"tranche_{action}: {t.rule}"
            legs, paid = buy(pick, amount, self.ledger, "alvh", group, reason, t.bucket, t.tranche)
            if not legs and t.target_premium is not None:
                # proceeds too small for one unit: they stay in cash, the tranche stays free
                self.blocked[key] = (
                    f"redeploy: {max(amount, 0):,.0f} USD < one unit {pick.unit_cost:,.0f} USD"
                )
                self.state[key] = replace(
                    t, active=False, rule="inactive: proceeds below one unit",
                    since=self.day.date, target_premium=None,
                )  # fmt: skip
                continue
            if not legs:
                self.blocked[key] = (
                    f"budget left {max(amount, 0):,.0f} USD < one unit {pick.unit_cost:,.0f} USD"
                )
                continue
            self.held[key] = legs
            at_risk += paid
            self.state[key] = replace(t, entry_cost=paid, target_premium=t.target_premium)
            self.actions.setdefault(key, "roll")

    def calendar(self, condor_credit: float) -> None:
        """Step 5: the VIX call calendar (003; module docstring): closed when its front leg
        reaches ``min_open_dte``; opened, when none is held, at ``calendar_premium_ratio`` ×
        the open condor credit within the cost ceiling's spend room."""
        h, key = self.cfg.hedge, CALENDAR
        legs = self.held[key]
        if legs:
            front = min(p.expiration for p in legs)
            days = (front - self.day.date).days
            closed = days <= h.min_open_dte and (
                self.drop(key, f"tranche_lapse: calendar/1 front DTE {days}") is not None
            )
            if closed:
                self.state[key] = replace(
                    self.state[key], active=False, rule=f"closed at front DTE {days}",
                    since=self.day.date,
                )  # fmt: skip
                self.actions[key] = "close"
            return
        hist, bounded = self.day.signal("vx30_macd_hist"), self.day.signal("range_bound")
        if condor_credit <= 0 or hist is None or hist >= 0 or not bounded:
            return
        rule = (
            f"calendar: VX30 MACD histogram {hist:.3f} < 0, CPI/PPI range-bound; "
            f"{h.calendar_premium_ratio:g} x condor credit {condor_credit:,.2f} USD"
        )
        self.activate(key, rule, "VIX call calendar", h.calendar_premium_ratio * condor_credit)
        if not self.state[key].active:
            return
        share = self.cfg.execution.slippage_share_of_half_spread
        pick = vix_call_calendar(
            self.day.chain, self.day.date, h.calendar_front_dte, h.min_open_dte, share
        )
        amount = min(h.calendar_premium_ratio * condor_credit, self.budget.spend_room_usd)
        legs, paid = ([], 0.0) if pick is None else buy(
            pick, amount, self.ledger, "alvh", "alvh-calendar-1", f"tranche_add: {rule}",
            *key,
        )  # fmt: skip
        if not legs:
            self.blocked[key] = "no quoted calendar" if pick is None else (
                f"amount {amount:,.0f} USD < one unit {pick.unit_cost:,.0f} USD"
            )  # fmt: skip
            self.state[key] = replace(self.state[key], active=False, rule="inactive")
            self.actions.pop(key, None)
            return
        self.held[key] = legs
        self.state[key] = replace(self.state[key], entry_cost=paid)


def alvh_day(
    positions: list[Position],
    tranches: dict[tuple[str, int], Tranche],
    day: MarketDay,
    ledger: Ledger,
    budget: BudgetDecision,
    condor_open: bool,
    cfg: AlvhConfig,
    condor_credit: float = 0.0,
) -> tuple[list[Position], dict[tuple[str, int], Tranche], list[dict[str, Any]]]:
    """One day of the ALVH tranches (module docstring), in named steps: monetize, lapse and
    roll, standing layers and MACD signals, medium-bucket signals, purchases, the calendar.
    ``condor_credit``: the open condor's credit (the calendar's size)."""
    state = dict(tranches)
    held = {k: [p for p in positions if (p.bucket, p.tranche) == k] for k in state}
    others = [p for p in positions if p.kind != "alvh"]
    work = _AlvhDay(state, held, day, ledger, budget, cfg)
    work.monetize()
    work.lapse_and_roll()
    new_cycle = any(
        p.kind == "condor" and p.group_id == f"condor-{day.date:%Y%m%d}" for p in positions
    )
    work.standing_and_macd(condor_open, new_cycle)
    work.medium_signals()
    work.purchases()
    work.calendar(condor_credit if condor_open else 0.0)
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
        share = None
        if key != CALENDAR:
            bucket = getattr(cfg.hedge, t.bucket)
            share = bucket.budget_share / bucket.tranches
        longs = [p for p in legs if p.quantity > 0]
        shorts_ = [p for p in legs if p.quantity < 0]
        rows.append(
            {
                "bucket": t.bucket,
                "tranche": t.tranche,
                "target_share": share,
                "target_premium": t.target_premium or budget_usd * (share or 0.0),
                "active": t.active,
                "instrument": t.instrument,
                "root": legs[0].root if legs else None,
                "expiration": legs[0].expiration if legs else None,
                "long_strike": longs[0].strike if longs else None,
                "short_strike": shorts_[0].strike if shorts_ else None,
                "contracts": longs[0].quantity if longs else 0,
                "premium_at_risk": cost_basis(legs),
                "market_value": value(legs, day) if legs else 0.0,
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


def vxth_share(vx: float, cfg: AlvhConfig) -> float:
    """Cboe VXTH's monthly premium as a share of NAV at VX future level ``vx`` (methodology
    §4 item 2): 0 / 1 / 0.5 / 0% below 15 / 15–30 / 30–50 / from 50 (the defaults)."""
    b = cfg.baselines
    band = sum(vx >= level for level in b.vxth_levels)
    return b.vxth_monthly_pct[band]


def condor_delta(positions: list[Position], day: MarketDay) -> float:
    """The condor legs' delta in SPX units (``Σ qty × delta × 100``; unquoted legs count 0)."""
    rows = [(p, day.quote(p.key)) for p in positions if p.kind == "condor"]
    return sum(p.quantity * (r["delta"] or 0.0) for p, r in rows if r) * MULTIPLIER


def _size_single_layer(
    day: MarketDay, x: BudgetInputs, cfg: AlvhConfig
) -> tuple[HedgePick | None, BudgetDecision, str]:
    """Cboe VXTH (§4 item 2): 30-delta calls on the VIX expiry nearest ``single_layer_dte``
    days, premium :func:`vxth_share` × NAV, under the common cost ceiling."""
    b, share = cfg.baselines, cfg.execution.slippage_share_of_half_spread
    found = delta_call(
        day.chain, day.date, b.single_layer_dte, cfg.hedge.min_open_dte, b.single_layer_delta, share
    )
    if found is None:
        return None, capped_budget("vxth", 0.0, x), "no quoted instrument"
    pick, vx = found
    pct = vxth_share(vx, cfg)
    rule = f"vxth: VX {vx:.2f} -> {pct:.1%} of NAV {x.nav:,.0f}"
    return pick, capped_budget("vxth", pct * max(x.nav, 0.0), x), rule


def _size_static(
    positions: list[Position], day: MarketDay, x: BudgetInputs, cfg: AlvhConfig
) -> tuple[HedgePick | None, BudgetDecision, str]:
    """The static hedge (§4 item 3): 12-month 10%-OTM SPX puts, premium at risk = ALVH's base
    share of the condor notional (:func:`budget.base_share`, without the beta rule), never
    more puts than bring the book's delta at purchase to zero (``floor(condor delta / |put
    delta|)`` puts; none when the condor's delta is ≤ 0), under the cost ceiling."""
    b, share = cfg.baselines, cfg.execution.slippage_share_of_half_spread
    months = b.static_put_months * 365 / 12
    pick = single_option(
        day.chain, day.date, ("SPX", "SPXW"), "P", months, 180, b.static_put_otm, share
    )
    base, rule, _ = base_share(replace(x, beta=None), cfg.hedge, [])
    wanted = base * x.condor_notional
    if pick is None:
        return None, capped_budget("alvh_base_share", wanted, x), "no quoted instrument"
    put_delta = abs(pick.legs[0][1]["delta"] or 0.0) * MULTIPLIER
    book = condor_delta(positions, day)
    units = math.floor(book / put_delta) if book > 0 and put_delta > 0 else 0
    cap = {"delta_neutral": units * pick.unit_cost}
    text = f"{rule} x condor notional; delta cap {units} puts (condor delta {book:,.1f})"
    return pick, capped_budget("alvh_base_share", wanted, x, cap), text


def baseline_day(
    strategy: str,
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    x: BudgetInputs,
    cfg: AlvhConfig,
) -> tuple[list[Position], list[dict[str, Any]], BudgetDecision]:
    """The two fixed hedges of §4, each one layer bought when none is held and the book
    holds a condor, then held to expiry (never adjusted): ``single_layer_vix_call``
    (:func:`_size_single_layer`, a new layer every VIX expiry, i.e. every month) and
    ``static_permanent`` (:func:`_size_static`, one purchase a year). Returns the positions,
    the layer row and the day's budget decision."""
    held = [p for p in positions if p.kind == strategy]
    others = [p for p in positions if p.kind != strategy]
    bucket = "single_layer" if strategy == "single_layer_vix_call" else "static"
    if strategy == "single_layer_vix_call":
        pick, budget, rule = _size_single_layer(day, x, cfg)
    else:
        pick, budget, rule = _size_static(positions, day, x, cfg)
    action, note = ("hold" if held else "none"), None
    if not held and x.condor_notional > 0 and pick is not None:
        amount = budget.budget_usd - x.premium_at_risk
        reason = f"{bucket}: {rule}"
        group = f"{strategy}-{day.date:%Y%m%d}"
        held, _ = buy(pick, amount, ledger, strategy, group, reason, bucket, 1)
        action = "add" if held else "none"
        if not held:
            note = f"{budget.binding_rule}: {amount:,.0f} USD < one unit {pick.unit_cost:,.0f} USD"
    elif not held and pick is None:
        note = rule
    row = {
        "bucket": bucket,
        "tranche": 1,
        "target_share": 1.0,
        "target_premium": budget.budget_usd,
        "active": bool(held),
        "instrument": f"{held[0].root} {'call' if held[0].option_type == 'C' else 'put'}"
        if held
        else None,
        "root": held[0].root if held else None,
        "expiration": held[0].expiration if held else None,
        "long_strike": held[0].strike if held else None,
        "short_strike": None,
        "contracts": held[0].quantity if held else 0,
        "premium_at_risk": cost_basis(held),
        "market_value": value(held, day) if held else 0.0,
        "entry_cost": cost_basis(held) if held else None,
        "redeploy_premium": None,
        "rule": rule + ", held to expiry",
        "since": held[0].entry_date if held else None,
        "action": action,
        "blocked_by": note,
    }
    return others + held, [row], budget
