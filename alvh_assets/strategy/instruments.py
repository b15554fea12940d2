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
    chain: pl.DataFrame, day: dt.date, roots: tuple[str, ...], target_dte: float, min_dte: int
) -> tuple[str, dt.date] | None:
    """The expiry of ``roots`` with DTE ≥ ``min_dte`` nearest ``target_dte`` (ties: shorter)."""
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
    return None if rows.is_empty() else (rows["root"][0], rows["expiration"][0])


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
) -> HedgePick | None:
    """One long call (strike ≈ F(1 + m)) or put (≈ F(1 − m)) at the expiry nearest target."""
    expiry = nearest_expiry(chain, day, roots, target_dte, min_dte)
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
) -> HedgePick | None:
    """Long VIX call at ≈ F(1 + long_otm), short call at ≈ F(1 + cap_otm) moved
    ``tighten_steps`` listed strikes lower (the distorted-fundamentals adjustment, 001), always
    above the long strike."""
    expiry = nearest_expiry(chain, day, ("VIX",), target_dte, min_dte)
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
