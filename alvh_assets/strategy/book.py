"""A strategy's book: open option positions, cash, and the trades that change them.

Money conventions (methodology §1, config ``execution``): one contract = 100 × the option
price; buying pays ``price × 100 × qty + commission + exchange fees``, selling receives
``price × 100 × qty − commission − exchange fees``.

Fill price (a trade crosses a configurable share ``s`` of the half-spread)::

    fill = mid + side × s × (ask − bid) / 2,      side = +1 buy, −1 sell
    slippage (USD) = s × (ask − bid) / 2 × 100 × |qty|

so a fill always lies between bid and ask. A trade needs a quote: the option's row on the
day with a bid ≥ 0 and an ask > 0 (:func:`is_quoted`); there is no fill without one.
Cash-settled expiries (:func:`settlement_value`) book the intrinsic value with no fees.

Every fill carries a ``trade_kind`` (:func:`trade_kind_of`, from the rule that made it) and
the roll's ``opportunity_cost``, a **memo** figure (methodology §2, "Opportunity cost of a
roll … memo"): it is neither a cash flow nor a cost, and no P&L component contains it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from alvh_assets.config import ExecutionConfig
from alvh_assets.strategy.market import MarketDay, OptionKey

MULTIPLIER = 100.0
"""SPX, SPXW and VIX options: USD per point (methodology §1)."""


@dataclass(frozen=True)
class Position:
    """One open option leg of a strategy (``quantity`` > 0 long, < 0 short).

    Condor legs carry their cycle (methodology §2, whole-cycle exits): ``group_id`` is the
    cycle id (``condor-YYYYMMDD``, from the entry to the final close, kept through rolls),
    ``cycle_credit`` the original credit of the entry fills (USD, Σ −qty × fill price × 100)
    and ``cycle_cash`` every cash flow of the cycle's fills so far (entry, rolls; net of
    commissions and fees), the same on every leg of the cycle."""

    position_id: str
    group_id: str
    kind: str  # condor | alvh | single_layer | static
    leg: str  # short_put, long_put, short_call, long_call
    root: str
    expiration: dt.date
    strike: float
    option_type: str
    quantity: int
    entry_date: dt.date
    entry_price: float
    bucket: str | None = None
    tranche: int | None = None
    target_delta: float | None = None
    cycle_credit: float | None = None
    cycle_cash: float | None = None
    last_mid: float | None = None

    @property
    def key(self) -> OptionKey:
        return (self.root, self.expiration, self.strike, self.option_type)

    @classmethod
    def of(cls, row: dict[str, Any], group_id: str, kind: str, leg: str, **extra: Any) -> Position:
        """An unopened leg on ``row``'s option (:meth:`Ledger.open` sets id, size and price)."""
        return cls(
            position_id="",
            group_id=group_id,
            kind=kind,
            leg=leg,
            root=row["root"],
            expiration=row["expiration"],
            strike=row["strike"],
            option_type=row["option_type"],
            quantity=0,
            entry_date=row["expiration"],
            entry_price=0.0,
            **extra,
        )


@dataclass(frozen=True)
class Fill:
    """One executed trade (or cash settlement) of a strategy."""

    fill_id: str
    date: dt.date
    group_id: str
    kind: str
    leg: str
    position_id: str
    root: str
    expiration: dt.date
    strike: float
    option_type: str
    side: str  # buy | sell | settle
    quantity: int  # signed: + bought, − sold
    bid: float | None
    ask: float | None
    mid: float | None
    price: float
    commission: float
    exchange_fees: float
    slippage: float
    opportunity_cost: float
    cash_flow: float
    reason: str
    bucket: str | None = None
    tranche: int | None = None
    iv: float | None = None  # the quote's IV (attribution's vega P&L); None for settlements
    trade_kind: str = ""  # trade_kind_of(reason)
    cycle_id: str | None = None  # a condor leg's cycle (its group_id, entry to final close)


TRADE_KINDS: dict[str, tuple[str, bool]] = {
    "entry": ("condor_entry", False),
    "roll": ("condor_roll", True),
    "exit": ("condor_exit", False),
    "halt": ("halt_close", False),
    "settlement": ("settlement", False),
    "tranche_add": ("hedge_add", False),
    "single_layer": ("hedge_add", False),
    "static": ("hedge_add", False),
    "tranche_roll": ("hedge_roll", True),
    "tranche_trim": ("hedge_trim", True),
    "tranche_monetize": ("hedge_monetize", True),
    "tranche_lapse": ("hedge_lapse", False),
}
"""Reason prefix (before the first ``:``) -> (``trade_kind``, is it a rebalancing trade).

Rebalancing trades (methodology §2, "Rebalancing cost means cash costs only … of
rebalancing trades (rolls, trims, monetizations, re-sizing)"): condor rolls (the closing
and the reopening fills), hedge tranche rolls, trims and monetizations. Entries, exits,
lapses at a tranche's DTE floor, hedge purchases, halt close-outs and settlements are not."""

REBALANCING_KINDS = tuple(sorted({k for k, rebalancing in TRADE_KINDS.values() if rebalancing}))


def trade_kind_of(reason: str) -> str:
    """The ``trade_kind`` of a fill from its reason's prefix (:data:`TRADE_KINDS`)."""
    prefix = reason.split(":", 1)[0]
    if prefix not in TRADE_KINDS:
        raise ValueError(f"no trade kind for the reason {reason!r}")
    return TRADE_KINDS[prefix][0]


def is_quoted(row: dict[str, Any] | None) -> bool:
    """True when a chain row can be traded: bid ≥ 0 and ask > 0, both finite, bid ≤ ask."""
    if row is None:
        return False
    bid, ask = row["bid"], row["ask"]
    return (
        bid is not None
        and ask is not None
        and math.isfinite(bid)
        and math.isfinite(ask)
        and 0.0 <= bid <= ask
        and ask > 0.0
    )


def mid(row: dict[str, Any]) -> float:
    """``(bid + ask) / 2``."""
    return (row["bid"] + row["ask"]) / 2.0


def fill_price(bid: float, ask: float, quantity: int, share: float) -> float:
    """``mid ± share × half-spread``: buyers pay up, sellers give up."""
    side = 1.0 if quantity > 0 else -1.0
    return (bid + ask) / 2.0 + side * share * (ask - bid) / 2.0


def settlement_value(root: str, day: MarketDay) -> tuple[float | None, str]:
    """The value an expiring series settles on (day = its expiry session) and its source.

    ``SPXW`` (PM-settled): the SPX close of the expiry day. ``SPX`` monthlies (AM): the SPX
    opening value of the expiry day, i.e. the morning after the last trading day (the
    SOQ proxy). ``VIX`` options (AM, methodology §1): the VRO, which is the final settlement
    price of the VX future of the same expiry (the CFE file's settle on its expiration
    day); the VIX opening value only where no VX settle exists, labelled as that fallback."""
    if root == "SPXW":
        return day.spx_close, "SPX close"
    if root == "SPX":
        return day.spx_open, "SPX open"
    if root == "VIX":
        if day.vx_final_settlement is not None:
            return day.vx_final_settlement, "VRO = VX final settlement"
        return day.vix_open, "VIX open: fallback, no VX final settlement in the CFE file"
    raise ValueError(f"no settlement rule for root {root!r}")


def mark_value(positions: Iterable[Position]) -> float:
    """Σ quantity × last mid × 100 (a leg never marked counts 0)."""
    return sum(p.quantity * (p.last_mid or 0.0) for p in positions) * MULTIPLIER


def intrinsic(option_type: str, strike: float, level: float) -> float:
    """``max(S − K, 0)`` for a call, ``max(K − S, 0)`` for a put."""
    return max(level - strike, 0.0) if option_type == "C" else max(strike - level, 0.0)


class Ledger:
    """Numbers fills of one strategy-day and turns trades into :class:`Fill` rows."""

    def __init__(self, day: dt.date, execution: ExecutionConfig) -> None:
        self.day = day
        self.execution = execution
        self.fills: list[Fill] = []

    def _next_id(self) -> str:
        return f"{self.day:%Y%m%d}-{len(self.fills) + 1:03d}"

    def trade(
        self,
        position: Position,
        quantity: int,
        row: dict[str, Any],
        reason: str,
        opportunity_cost: float = 0.0,
    ) -> Fill:
        """Buy (``quantity`` > 0) or sell at the fill price against ``row``'s quote."""
        if not is_quoted(row):
            raise ValueError(f"no quote for {position.key} on {self.day}")
        ex = self.execution
        bid, ask = float(row["bid"]), float(row["ask"])
        price = fill_price(bid, ask, quantity, ex.slippage_share_of_half_spread)
        n = abs(quantity)
        commission = ex.commission_per_contract * n
        fees = ex.exchange_fee_per_contract * n
        slippage = ex.slippage_share_of_half_spread * (ask - bid) / 2.0 * MULTIPLIER * n
        cash = -quantity * price * MULTIPLIER - commission - fees
        return self._book(
            position,
            quantity,
            bid,
            ask,
            price,
            commission,
            fees,
            slippage,
            cash,
            reason,
            opportunity_cost,
            row.get("iv"),
        )

    def settle(self, position: Position, level: float, source: str = "") -> Fill:
        """Close ``position`` at its intrinsic value at ``level`` (cash settlement, no fees);
        ``source`` names where the level comes from (in the fill's reason)."""
        value = intrinsic(position.option_type, position.strike, level)
        cash = position.quantity * value * MULTIPLIER
        return self._book(
            position,
            -position.quantity,
            None,
            None,
            value,
            0.0,
            0.0,
            0.0,
            cash,
            f"settlement: {position.root} at {level:g}" + (f" ({source})" if source else ""),
            0.0,
        )

    def _book(
        self,
        p: Position,
        quantity: int,
        bid: float | None,
        ask: float | None,
        price: float,
        commission: float,
        fees: float,
        slippage: float,
        cash: float,
        reason: str,
        opportunity_cost: float,
        iv: float | None = None,
    ) -> Fill:
        side = "settle" if bid is None else ("buy" if quantity > 0 else "sell")
        fill = Fill(
            fill_id=self._next_id(),
            date=self.day,
            group_id=p.group_id,
            kind=p.kind,
            leg=p.leg,
            position_id=p.position_id,
            root=p.root,
            expiration=p.expiration,
            strike=p.strike,
            option_type=p.option_type,
            side=side,
            quantity=quantity,
            bid=bid,
            ask=ask,
            mid=None if bid is None else (bid + ask) / 2.0,
            price=price,
            commission=commission,
            exchange_fees=fees,
            slippage=slippage,
            opportunity_cost=opportunity_cost,
            cash_flow=cash,
            reason=reason,
            bucket=p.bucket,
            tranche=p.tranche,
            iv=iv,
            trade_kind=trade_kind_of(reason),
            cycle_id=p.group_id if p.kind == "condor" else None,
        )
        self.fills.append(fill)
        return fill

    def open(
        self,
        template: Position,
        quantity: int,
        row: dict[str, Any],
        reason: str,
    ) -> Position:
        """Open a new leg: trade it and return the position (id = its opening fill's id)."""
        position = replace(template, position_id=self._next_id())
        fill = self.trade(position, quantity, row, reason)
        return replace(
            position,
            quantity=quantity,
            entry_date=self.day,
            entry_price=fill.price,
            last_mid=mid(row),
        )
