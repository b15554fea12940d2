"""Hedge instruments picked from a day's chain: VIX calls and call spreads (Black-76 on the VX
future of the same expiry, the chain's ``forward``), SPX puts.

An expiry is the listed one whose DTE is nearest a target, among those with DTE ≥ a minimum;
a strike is the quoted one (bid > 0) nearest ``forward × (1 ± moneyness)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from alvh_assets.strategy.book import fill_price


@dataclass(frozen=True)
class HedgePick:
    """Legs of one hedge unit: ``[(leg, row, quantity per unit)]`` and its debit per unit."""

    instrument: str
    legs: list[tuple[str, dict[str, Any], int]]
    unit_cost: float  # USD per unit at fill prices (× 100 multiplier), before fees

    @property
    def expiration(self) -> dt.date:
        return self.legs[0][1]["expiration"]


def nearest_expiry(
    chain: pl.DataFrame,
    day: dt.date,
    roots: tuple[str, ...],
    target_dte: float,
    min_dte: int,
    avoid: Avoid = None,
) -> tuple[str, dt.date] | None:
    """The expiry of ``roots`` with DTE ≥ ``min_dte`` nearest ``target_dte`` (ties: shorter).

    ``avoid = (expiries, max_dte)``: expiries other tranches of the bucket hold; one of them
    is taken only when the range ``[min_dte, max_dte]`` lists no other (methodology §3: two
    tranches of a bucket never hold the same expiry while the range lists another)."""
    rows = (
        chain.filter(
            pl.col("root").is_in(list(roots)),
            pl.col("expiration") >= day + dt.timedelta(days=min_dte),
            pl.col("bid") > 0,
        )
        .select("root", "expiration")
        .unique()
        .with_columns(
            ((pl.col("expiration") - pl.lit(day)).dt.total_days() - target_dte).abs().alias("_d")
        )
        .sort("_d", "expiration", "root")
    )
    if avoid is not None and avoid[0]:
        taken, max_dte = avoid
        free = rows.filter(
            ~pl.col("expiration").is_in(list(taken)),
            pl.col("expiration") <= day + dt.timedelta(days=max_dte),
        )
        rows = free if not free.is_empty() else rows
    return None if rows.is_empty() else (rows["root"][0], rows["expiration"][0])


Avoid = tuple[frozenset[dt.date], int] | None
"""Expiries to avoid and the bucket's longest DTE (:func:`nearest_expiry`)."""


def quoted_side(
    chain: pl.DataFrame, root: str, expiration: dt.date, option_type: str
) -> pl.DataFrame:
    """Rows of one expiry and type with a bid > 0 and an ask ≥ bid, by strike."""
    return chain.filter(
        pl.col("root") == root,
        pl.col("expiration") == expiration,
        pl.col("option_type") == option_type,
        pl.col("bid") > 0,
        pl.col("ask") >= pl.col("bid"),
    ).sort("strike")


def nearest_strike(side: pl.DataFrame, level: float) -> int | None:
    """Index in ``side`` of the strike nearest ``level`` (ties: the lower strike)."""
    if side.is_empty():
        return None
    return int((side["strike"] - level).abs().arg_min())


def _forward(side: pl.DataFrame) -> float | None:
    f = side["forward"].drop_nulls()
    return None if f.is_empty() else float(f.median())


def _cost(legs: list[tuple[str, dict[str, Any], int]], share: float) -> float:
    return sum(q * fill_price(r["bid"], r["ask"], q, share) * 100.0 for _, r, q in legs)


def single_option(
    chain: pl.DataFrame,
    day: dt.date,
    roots: tuple[str, ...],
    option_type: str,
    target_dte: float,
    min_dte: int,
    moneyness: float,
    share: float,
    avoid: Avoid = None,
) -> HedgePick | None:
    """One long call (strike ≈ F(1 + m)) or put (≈ F(1 − m)) at the expiry nearest target."""
    expiry = nearest_expiry(chain, day, roots, target_dte, min_dte, avoid)
    if expiry is None:
        return None
    side = quoted_side(chain, *expiry, option_type)
    forward = _forward(side)
    if forward is None:
        return None
    level = forward * (1 + moneyness if option_type == "C" else 1 - moneyness)
    i = nearest_strike(side, level)
    legs = [("long_call" if option_type == "C" else "long_put", side.row(i, named=True), 1)]
    name = f"{expiry[0]} {'call' if option_type == 'C' else 'put'}"
    return HedgePick(name, legs, _cost(legs, share))


def vix_call_spread(
    chain: pl.DataFrame,
    day: dt.date,
    target_dte: float,
    min_dte: int,
    long_otm: float,
    cap_otm: float,
    tighten_steps: int,
    share: float,
    avoid: Avoid = None,
) -> HedgePick | None:
    """Long VIX call at ≈ F(1 + long_otm), short call at ≈ F(1 + cap_otm) moved
    ``tighten_steps`` listed strikes lower (the distorted-fundamentals adjustment, 001), always
    above the long strike."""
    expiry = nearest_expiry(chain, day, ("VIX",), target_dte, min_dte, avoid)
    if expiry is None:
        return None
    side = quoted_side(chain, *expiry, "C")
    forward = _forward(side)
    if forward is None:
        return None
    lo = nearest_strike(side, forward * (1 + long_otm))
    hi = nearest_strike(side, forward * (1 + cap_otm))
    hi = max(hi - tighten_steps, lo + 1)
    if hi >= side.height:
        return None
    legs = [
        ("long_call", side.row(lo, named=True), 1),
        ("short_call", side.row(hi, named=True), -1),
    ]
    cost = _cost(legs, share)
    return HedgePick("VIX call spread", legs, cost) if cost > 0 else None


def delta_call(
    chain: pl.DataFrame,
    day: dt.date,
    target_dte: float,
    min_dte: int,
    target_delta: float,
    share: float,
) -> tuple[HedgePick, float] | None:
    """Cboe VXTH's layer (methodology §4 item 2): the VIX call whose delta is nearest
    ``target_delta`` at the expiry nearest ``target_dte`` days, and the VX future of that
    expiry (the chain's Black-76 forward)."""
    expiry = nearest_expiry(chain, day, ("VIX",), target_dte, min_dte)
    if expiry is None:
        return None
    side = quoted_side(chain, *expiry, "C").filter(pl.col("delta").is_not_null())
    forward = None if side.is_empty() else _forward(side)
    if forward is None:
        return None
    i = int((side["delta"] - target_delta).abs().arg_min())
    legs = [("long_call", side.row(i, named=True), 1)]
    return HedgePick("VIX call", legs, _cost(legs, share)), forward


def vix_call_calendar(
    chain: pl.DataFrame, day: dt.date, front_dte: float, min_dte: int, share: float
) -> HedgePick | None:
    """The VIX call calendar (003): sell the call of the expiry nearest ``front_dte`` days
    at the strike nearest its VX future, buy the same strike on the next listed expiry; None
    when either leg is not quoted or the debit is not positive.

    Its ``unit_cost`` is the long leg's premium, not the net debit [choice]: a calendar's
    debit can be a few cents, and sized on it "0.15 × the condor premium" would hold legs
    worth many times the condor's premium."""
    front = nearest_expiry(chain, day, ("VIX",), front_dte, min_dte)
    if front is None:
        return None
    near = quoted_side(chain, *front, "C")
    forward = _forward(near) if not near.is_empty() else None
    if forward is None:
        return None
    later = sorted(
        e
        for e in chain.filter(pl.col("root") == "VIX", pl.col("expiration") > front[1])[
            "expiration"
        ].unique()
    )
    if not later:
        return None
    k = near.row(nearest_strike(near, forward), named=True)
    back = quoted_side(chain, "VIX", later[0], "C").filter(pl.col("strike") == k["strike"])
    if back.is_empty():
        return None
    legs = [("long_call", back.row(0, named=True), 1), ("short_call", k, -1)]
    return (
        HedgePick("VIX call calendar", legs, _cost(legs[:1], share))
        if _cost(legs, share) > 0
        else None
    )
