"""The sample market's option chains: Cboe DataShop "Option EOD Summary" files (with Calcs).

One CSV per NYSE trading day and underlying, 34 columns in Cboe's order (``COLUMNS``)::

    <out>/cboe/option_eod/SPX/UnderlyingOptionsEODCalcs_^SPX_<YYYY-MM-DD>.csv   (SPX, SPXW)
    <out>/cboe/option_eod/VIX/UnderlyingOptionsEODCalcs_^VIX_<YYYY-MM-DD>.csv   (VIX)

or, with ``zip_files``, the same names ending ``.zip``, each holding the one CSV (fixed
ZipInfo timestamp, so bytes are reproducible). No VIX file before 2006-02-24 (VIX options
did not exist). Everything in these files is MODELLED; the real inputs are the S&P 500
close/open/high/low, the VIX and VIX3M closes, the carry (FRED FEDFUNDS, Shiller dividend
yield) and the VX curve (real CFE settlements 2004-2014, modelled elsewhere).

Model, per row (quotes to the Cboe tick; ``T`` = years from the 15:45 quote to the series'
settlement, minutes / 525,600 as in the Cboe VIX white paper, ``SPX`` and ``VIX`` AM 09:30,
``SPXW`` PM 16:00: :func:`alvh_assets.pricing.expiry_time.time_to_expiry`, the ``T`` of
``pricing.option_greeks``):

* **Listings**: :mod:`alvh_assets.sample.listings` (expiry calendar of the era; strike
  zones that only grow). Series expiring on the quote date are not written.
* **Model price** ``P``: SPX/SPXW Black-Scholes-Merton on the real S&P 500 close ``S`` with
  ``daily_carry`` rate ``r`` and dividend yield ``q`` at the surface vol of
  :mod:`alvh_assets.sample.vol_surface`; VIX Black-76 on the VX settle ``F`` of the same
  expiry (expiries without a VX settle that day are not written) at the VIX-option smile.
  The 15:45 fields use the close as a proxy for the 15:45 level.
* **Quotes**: full spread ``s = era(year) · vol factor · base · noise`` (``noise =
  exp(0.15 N)``; :class:`SpreadModel`): SPX ``base = c0 S/4405.7 + w · vega + m · P``
  (vega per vol point), vol factor ``(VIX / 15.7)^1.25``; VIX ``base = c0 + m · P``, vol
  factor ``sqrt(clip(a / 0.8, 0.7, 2))``; ``era`` = 1 from 2015 (the real 2023 anchor),
  up to 4 before 2003. The quote is ``n = max(1, round(s / tick))`` ticks wide around
  ``P``: ``bid`` = the grid price nearest ``P - n·tick/2`` (0 when negative: far wings
  quote 0 bid), ``ask = bid + n·tick`` (at least 0.05); ticks $0.05 below $3 and $0.10
  from $3. When ``mid = (bid + ask)/2`` would leave less than $0.025 above the discounted
  intrinsic value, the ask is raised (wider deep-ITM markets), so every mid has an implied
  vol. Bids and asks are never negative or crossed (ask - bid >= one tick). EOD quotes are
  the same model with independent spread noise and sizes.
* **IV and Greeks (15:45)**: ``implied_volatility_1545`` is the vol at which the model
  prices the quoted 15:45 mid (as Cboe computes it from the mid); it differs from the
  surface vol only by the tick rounding, and the mid re-prices from it to the cent.
  Where that vol exceeds ``MAX_REPORTED_IV`` (500%: minimum-tick wings a day or two from
  expiry) the column says 0, "not computed", and the Greeks use the surface vol.
  Greeks at that vol: ``delta`` per 1 point of the underlying (SPX: index; VIX: the VX
  future), ``gamma`` per point, ``theta`` per calendar day (-dV/dT / 365), ``vega`` per
  1 vol point (dV/dsigma / 100), ``rho`` per 1 rate point (dV/dr / 100).
* **Underlying fields**: SPX ``underlying_bid/ask_1545`` and ``_eod`` and
  ``active_underlying_price_1545`` = the S&P 500 close; ``implied_underlying_price_1545`` =
  ``F e^{-rT} = S e^{-qT}`` per expiry, the level put-call parity implies
  (``C - P = U - K e^{-rT}``). VIX: the underlying bid/ask fields are 0 as in real ^VIX
  rows; ``implied_underlying_price_1545`` = the VX future ``F`` of the expiry (parity
  ``C - P = e^{-rT}(F - K)``), ``active_underlying_price_1545`` = the spot VIX close.
* **Activity** (cosmetic, documented rules, per-day random streams): sizes lognormal
  (bid size 0 with a zero bid); a series trades with a probability that falls with
  |standardized moneyness| and tenor (many zeros), volume lognormal, both scaled by an
  era factor (SPX volume grew ~10%/year); OHLC from the day's real underlying open, high
  and low through the option's delta and gamma, the last trade between bid and ask, vwap
  inside [low, high], all 0 without volume; open interest = a persistent per-series
  lognormal factor (hash of seed, root, expiry, strike, type) × moneyness profile × a ramp
  since listing (zeros on far wings). ``delivery_code`` blank.

Determinism: every random draw comes from ``np.random.default_rng([seed, day ordinal,
stream])`` or from the per-series hash; listings depend only on real history up to the
day. The same seed gives byte-identical files whatever range a day is generated in.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
from scipy.special import ndtri

from alvh_assets import landing
from alvh_assets.calendars import trading_days
from alvh_assets.pricing import (
    black76_greeks,
    black76_price,
    bsm_greeks,
    bsm_price,
    implied_vol_black76,
    implied_vol_bsm,
)
from alvh_assets.pricing.expiry_time import time_to_expiry
from alvh_assets.sample import listings, real_data, vol_surface
from alvh_assets.sample.carry import daily_carry
from alvh_assets.sample.manifest import ManifestEntry, entry_for

MAX_REPORTED_IV = 5.0
"""Largest IV written; above it (quotes at the minimum tick on the last day or two) the
file says 0, 'not computed', and the Greeks use the surface vol."""


def _reported_iv(mid_iv: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(IV column, vol for the Greeks): the mid's IV where finite and <= ``MAX_REPORTED_IV``,
    else 0 in the column and the surface vol ``sigma`` for the Greeks."""
    ok = np.isfinite(mid_iv) & (mid_iv <= MAX_REPORTED_IV)
    return np.where(ok, mid_iv, 0.0), np.where(ok, mid_iv, sigma)


COLUMNS: tuple[str, ...] = landing.OPTION_EOD_COLUMNS
"""The 34 columns of Cboe DataShop's Option EOD Summary with Calcs, in file order."""

KIND = "cboe_option_eod"
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
BATCH_DAYS = 21
STREAM_SPX = 1
STREAM_VIX = 2
MIN_TIME_VALUE = 0.025
"""A quoted mid is kept at least this far above the discounted intrinsic value."""

_PRICE_COLS = ("open", "high", "low", "close", "bid_1545", "ask_1545", "bid_eod", "ask_eod")
_UNDERLYING_COLS = (
    "underlying_bid_1545", "underlying_ask_1545", "implied_underlying_price_1545",
    "active_underlying_price_1545", "underlying_bid_eod", "underlying_ask_eod", "vwap",
)  # fmt: skip
_CALC_COLS = landing.OPTION_EOD_CALCS_COLUMNS[2:]
"""The vendor's IV and five Greeks (the Calcs columns after the two underlying prices)."""
_INT_COLS = (
    "trade_volume",
    "bid_size_1545",
    "ask_size_1545",
    "bid_size_eod",
    "ask_size_eod",
    "open_interest",
)


@dataclass(frozen=True)
class ActivityModel:
    """Cosmetic activity parameters of one underlying (see the module docstring)."""

    size_median: float
    trade_prob: float
    volume_median: float
    oi_median: float
    era_growth: float


SPX_ACTIVITY = ActivityModel(25.0, 0.70, 150.0, 3000.0, 0.10)
VIX_ACTIVITY = ActivityModel(150.0, 0.60, 150.0, 6000.0, 0.15)


@dataclass(frozen=True)
class SpreadModel:
    """Full bid/ask spread before tick rounding (docs/sample_option_chains.md, "Quotes")::

        s = era(year) · vol_factor · (c0 + w · vega + m · P) · exp(0.15 N)

    ``vega`` per vol point at the model vol, ``P`` the model price. ``era`` interpolates
    ``era_knots`` (year, factor) linearly, flat outside: 1 at the real 2023 anchor, wider in
    earlier eras. SPX: ``vol_factor = (VIX / vix_ref)^vix_exp`` and ``c0`` scales with the
    index (:func:`spx_spread`); ``c0``, ``w``, ``m`` reproduce the real anchor (Cboe DataShop
    2023-08-25, VIX 15.7), era and vol factor are [choice]. VIX options: ``vol_factor =
    clip(a / vix_ref, 0.7, 2)^vix_exp`` with ``a`` their ATM vol-of-vol (:func:`vix_spread`);
    all parameters [choice], checked against typical 2016 quotes (one or two $0.05 ticks on
    a 1.00–2.00 premium).
    """

    c0: float
    vega_width: float
    price_width: float
    vix_ref: float
    vix_exp: float
    era_knots: tuple[tuple[float, float], ...]


ERA_KNOTS: tuple[tuple[float, float], ...] = (
    (2003.0, 4.0),
    (2007.0, 2.5),
    (2010.0, 1.6),
    (2015.0, 1.0),
)
"""Spread era factor by year [choice], linear between knots, flat outside: 4× in the
floor-quoted era, 2.5× in 2007, 1.6× in 2010, 1 (the 2023 anchor) from 2015
(docs/sample_option_chains.md, "Quotes", for the public facts behind it)."""

ANCHOR_SPX = 4405.7
"""S&P 500 close on the real spread anchor day 2023-08-25."""
SPX_SPREAD = SpreadModel(0.07, 0.065, 0.0027, 15.7, 1.25, ERA_KNOTS)
VIX_SPREAD = SpreadModel(0.02, 0.0, 0.020, 0.8, 0.5, ERA_KNOTS)


def year_fraction(days: Sequence[dt.date]) -> np.ndarray:
    """``year + (day of year − 1) / 365`` per day."""
    return np.array([d.year + (d.timetuple().tm_yday - 1) / 365.0 for d in days])


def spread_era(year: np.ndarray, model: SpreadModel) -> np.ndarray:
    """The era factor: ``era_knots`` interpolated linearly in the year, flat outside."""
    knots = np.array(model.era_knots)
    return np.interp(year, knots[:, 0], knots[:, 1])


def forward_vega(
    F: np.ndarray, K: np.ndarray, T: np.ndarray, disc: np.ndarray, sigma: np.ndarray
) -> np.ndarray:
    """Black vega per vol point ``disc · F · φ(d1) · sqrt(T) / 100``,
    ``d1 = (ln(F/K) + σ²T/2) / (σ sqrt(T))`` (Black 1976; BSM with ``F = S e^{(r−q)T}``)."""
    sd = sigma * np.sqrt(T)
    d1 = (np.log(F / K) + 0.5 * sd * sd) / sd
    return disc * F * np.exp(-0.5 * d1 * d1) / np.sqrt(2.0 * np.pi) * np.sqrt(T) / 100.0


def spx_spread(
    price: np.ndarray,
    vega: np.ndarray,
    spot: np.ndarray,
    vix_points: np.ndarray,
    year: np.ndarray,
) -> np.ndarray:
    """SPX/SPXW full spread before noise and ticks (:class:`SpreadModel`, ``SPX_SPREAD``)::

        s = era(year) · (VIX / 15.7)^1.25 · (c0 · S / 4405.7 + w · vega + m · P)

    ``c0`` is in index points at the anchor's S&P 500 level (4405.7 on 2023-08-25) and
    scales with ``S``, so a chain's spread/mid by delta does not depend on the index level
    except through the ticks."""
    m = SPX_SPREAD
    vol = (np.asarray(vix_points) / m.vix_ref) ** m.vix_exp
    level = m.c0 * np.asarray(spot) / ANCHOR_SPX
    base = level + m.vega_width * vega + m.price_width * price
    return spread_era(year, m) * vol * base


def vix_spread(price: np.ndarray, atm: np.ndarray, year: np.ndarray) -> np.ndarray:
    """VIX-option full spread before noise and ticks: ``era(year) · sqrt(clip(a/0.8, 0.7, 2))
    · (c0 + m · P)`` (:class:`SpreadModel`, ``VIX_SPREAD``)."""
    m = VIX_SPREAD
    vol = np.clip(np.asarray(atm) / m.vix_ref, 0.7, 2.0) ** m.vix_exp
    return spread_era(year, m) * vol * (m.c0 + m.price_width * price)


# --------------------------------------------------------------------------- market inputs


@cache
def _market() -> dict[str, np.ndarray]:
    """Per session 1999-01-04 … 2018-12-31: real S&P 500 OHLC, VIX OHLC, VIX3M (NaN before
    2009-09-18), the VIX EWMA anchor and the carry; aligned with ``listings`` sessions."""
    from alvh_assets.sample.vx_futures import vix_anchor

    days = trading_days(listings.DATA_START, listings.DATA_END)
    frame = pl.DataFrame({"date": days}, schema={"date": pl.Date})
    sp = real_data.sp500_daily().select(
        "date", *(pl.col(c).alias(f"spx_{c}") for c in ("open", "high", "low", "close"))
    )
    vix = real_data.vix_daily().select(
        "date", *(pl.col(c).alias(f"vix_{c}") for c in ("open", "high", "low", "close"))
    )
    v3 = real_data.vix3m_daily().select("date", pl.col("close").alias("vix3m"))
    anchor = vix_anchor().select("date", "anchor")
    frame = (
        frame.join(sp, on="date", how="left")
        .join_asof(vix.sort("date"), on="date")
        .join(v3, on="date", how="left")
        .join(anchor, on="date", how="left")
        .join(daily_carry(days), on="date", how="left")
    )
    if frame.null_count().drop(["vix3m"]).sum_horizontal().item():
        raise ValueError("real market inputs miss values on some NYSE sessions")
    return {c: frame[c].to_numpy().astype(np.float64) for c in frame.columns if c != "date"}


def _check_days(days: Sequence[dt.date]) -> list[dt.date]:
    """Sorted unique days; ValueError for a non-session or a day outside 1999-2018."""
    out = sorted(set(days))
    for d in out:
        listings.session_index(d)
    return out


# --------------------------------------------------------------------------- ticks


def _tick_floor_cents(p: np.ndarray) -> np.ndarray:
    """Largest valid price <= p, in integer cents ($0.05 below $3, $0.10 from $3)."""
    c = np.asarray(p) * 100.0
    c5 = np.floor(c / 5.0 + 1e-7) * 5.0
    c10 = np.floor(c / 10.0 + 1e-7) * 10.0
    return np.where(c5 >= 300.0, c10, c5).astype(np.int64)


def _tick_ceil_cents(p: np.ndarray) -> np.ndarray:
    """Smallest valid price >= p, in integer cents."""
    c = np.asarray(p) * 100.0
    c5 = np.ceil(c / 5.0 - 1e-7) * 5.0
    c10 = np.ceil(c / 10.0 - 1e-7) * 10.0
    return np.where(c5 > 300.0, c10, c5).astype(np.int64)


def _tick_round_cents(p: np.ndarray) -> np.ndarray:
    """Nearest valid price, at least one tick ($0.05), in integer cents."""
    c = np.asarray(p) * 100.0
    c5 = np.round(c / 5.0) * 5.0
    c10 = np.round(c / 10.0) * 10.0
    return np.maximum(np.where(c5 >= 300.0, c10, c5), 5.0).astype(np.int64)


def quotes(
    price: np.ndarray, spread: np.ndarray, lower_bound: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(bid, ask) in dollars: ``n = max(1, round(spread / tick))`` ticks wide around ``price``
    (``tick`` of the price's level: $0.05 below $3, $0.10 from $3), the bid the grid price
    nearest ``price − n·tick/2``, the ask ``n`` ticks above it (up to the grid of its own
    level), so ``bid <= price <= ask``; bid >= 0, ask >= 0.05, and mid >=
    ``lower_bound`` + MIN_TIME_VALUE."""
    tick = np.where(np.asarray(price) * 100.0 >= 300.0 - 1e-7, 10, 5)
    n = np.maximum(np.round(np.asarray(spread) * 100.0 / tick), 1).astype(np.int64)
    raw = np.asarray(price) * 100.0 - n * tick / 2.0
    bid_c = np.round(raw / tick).astype(np.int64) * tick
    bid_c = np.where(bid_c >= 300, _tick_floor_cents(bid_c / 100.0), bid_c)
    ask = np.maximum(_tick_ceil_cents((bid_c + n * tick) / 100.0), 5)
    bid = np.maximum(bid_c, 0)
    need = 2.0 * (lower_bound + MIN_TIME_VALUE) - bid / 100.0
    ask = np.maximum(ask, _tick_ceil_cents(need))
    return bid / 100.0, ask / 100.0


# --------------------------------------------------------------------------- randomness


def _day_draws(
    days: Sequence[dt.date],
    counts: np.ndarray,
    seed: int,
    stream: int,
    n_uniform: int,
    n_normal: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform and normal draws per row, from each day's own generator."""
    us, zs = [], []
    for d, n in zip(days, counts, strict=True):
        rng = np.random.default_rng([seed, d.toordinal(), stream])
        us.append(rng.random((int(n), n_uniform)))
        zs.append(rng.standard_normal((int(n), n_normal)))
    return np.concatenate(us), np.concatenate(zs)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def series_normal(
    seed: int,
    root_code: np.ndarray,
    expiration: np.ndarray,
    strike: np.ndarray,
    is_call: np.ndarray,
) -> np.ndarray:
    """A standard normal per option series, constant over its life (stateless hash)."""
    h = _splitmix64(np.full(len(strike), seed, dtype=np.uint64))
    for part in (root_code, expiration, np.round(strike * 1000.0), is_call):
        h = _splitmix64(h ^ np.asarray(part).astype(np.int64).astype(np.uint64))
    u = ((h >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    return ndtri(u)


# --------------------------------------------------------------------------- rows


@dataclass
class _Rows:
    """Flat per-row arrays of a batch of days (rows grouped by day, Cboe order inside)."""

    days: list[dt.date]
    counts: np.ndarray
    day_pos: np.ndarray
    root: np.ndarray
    root_code: np.ndarray
    expiration: np.ndarray
    listed_on: np.ndarray
    strike: np.ndarray
    is_call: np.ndarray


def _build_rows(
    days: list[dt.date], contracts: Callable[[dt.date], list[tuple[listings.Listing, np.ndarray]]]
) -> _Rows:
    roots, codes, exps, listed, strikes, calls, pos, counts = [], [], [], [], [], [], [], []
    for i, d in enumerate(days):
        n_day = 0
        for lst, ks in contracts(d):
            n = 2 * len(ks)
            if n == 0:
                continue
            strikes.append(np.repeat(ks, 2))
            calls.append(np.tile(np.array([True, False]), len(ks)))
            roots.append(np.full(n, lst.root, dtype=object))
            codes.append(np.full(n, {"SPX": 0, "SPXW": 1, "VIX": 2}[lst.root], dtype=np.int64))
            exps.append(np.full(n, np.datetime64(lst.expiration, "D")))
            listed.append(np.full(n, np.datetime64(lst.listed_on, "D")))
            n_day += n
        pos.append(np.full(n_day, i, dtype=np.int64))
        counts.append(n_day)

    def cat(parts: list[np.ndarray], dtype: object) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

    return _Rows(
        days=days,
        counts=np.array(counts, dtype=np.int64),
        day_pos=cat(pos, np.int64),
        root=cat(roots, object),
        root_code=cat(codes, np.int64),
        expiration=cat(exps, "datetime64[D]"),
        listed_on=cat(listed, "datetime64[D]"),
        strike=cat(strikes, np.float64),
        is_call=cat(calls, bool),
    )


def _spx_contracts(day: dt.date) -> list[tuple[listings.Listing, np.ndarray]]:
    return [(lst, listings.spx_strikes(lst, day)) for lst in listings.spx_listings(day)]


def _vix_contracts_for(
    settles: dict[dt.date, dict[dt.date, float]],
) -> Callable[[dt.date], list[tuple[listings.Listing, np.ndarray]]]:
    def contracts(day: dt.date) -> list[tuple[listings.Listing, np.ndarray]]:
        have = settles.get(day, {})
        return [
            (lst, listings.vix_strikes(lst, day))
            for lst in listings.vix_listings(day)
            if lst.expiration in have
        ]

    return contracts


# --------------------------------------------------------------------------- activity


def _era_factor(days: list[dt.date], growth: float) -> np.ndarray:
    return np.exp(growth * (year_fraction(days) - 2008.0))


def _roundness(strike: np.ndarray) -> np.ndarray:
    """Popularity of round strikes: x2 on multiples of 100 (SPX) / 5 (VIX) ... x1 else."""
    return np.where(
        np.isclose(strike % 100.0, 0.0),
        2.0,
        np.where(
            np.isclose(strike % 25.0, 0.0),
            1.5,
            np.where(np.isclose(strike % 5.0, 0.0) & (strike < 100.0), 1.5, 1.0),
        ),
    )


def _activity(
    rows: _Rows,
    seed: int,
    stream: int,
    model: ActivityModel,
    x: np.ndarray,
    T: np.ndarray,
    mid: np.ndarray,
    half: np.ndarray,
    bid: np.ndarray,
    bid_eod: np.ndarray,
    p_open: np.ndarray,
    p_hi: np.ndarray,
    p_lo: np.ndarray,
    quote_day: np.ndarray,
) -> dict[str, np.ndarray]:
    """Sizes, volume, OHLC, vwap and open interest (see the module docstring)."""
    u, z = _day_draws(rows.days, rows.counts, seed, stream, 6, 6)
    era = _era_factor(rows.days, model.era_growth)[rows.day_pos]

    def size(zc: np.ndarray) -> np.ndarray:
        return np.clip(np.round(model.size_median * np.exp(0.9 * zc)), 1, 5000).astype(np.int64)

    bid_size = np.where(bid > 0, size(z[:, 0]), 0)
    ask_size = size(z[:, 1])
    bid_size_eod = np.where(bid_eod > 0, size(z[:, 2]), 0)
    ask_size_eod = size(z[:, 3])

    near = np.exp(-0.5 * (x / 1.3) ** 2)
    p_trade = (
        model.trade_prob
        * np.sqrt(era)
        * (0.08 + 0.92 * near)
        * (0.35 + 0.65 * np.exp(-T / 0.3))
        * _roundness(rows.strike)
        / 1.5
    )
    traded = u[:, 0] < np.clip(p_trade, 0.0, 0.95)
    vol_mean = model.volume_median * era * np.exp(-0.5 * (x / 2.0) ** 2) * _roundness(rows.strike)
    volume = np.where(traded, np.maximum(1, np.round(vol_mean * np.exp(1.1 * z[:, 4]))), 0)
    volume = volume.astype(np.int64)

    open_ = p_open + (2 * u[:, 1] - 1) * half
    close = mid + (2 * u[:, 2] - 1) * half
    top = np.maximum(np.maximum(p_hi, p_lo), np.maximum(open_, close))
    bot = np.minimum(np.minimum(p_hi, p_lo), np.minimum(open_, close))
    high = np.maximum(open_, close) + u[:, 3] * (top - np.maximum(open_, close))
    low = np.minimum(open_, close) - u[:, 4] * (np.minimum(open_, close) - bot)
    o, c, h, lo = (_tick_round_cents(a) for a in (open_, close, high, low))
    h = np.maximum.reduce([h, o, c])
    lo = np.minimum.reduce([lo, o, c])
    single = volume == 1
    o, h, lo = np.where(single, c, o), np.where(single, c, h), np.where(single, c, lo)
    w = np.clip(0.5 + 0.25 * z[:, 5], 0.0, 1.0)
    vwap = (lo + w * (h - lo)) / 100.0
    none = volume == 0

    def px(a: np.ndarray) -> np.ndarray:
        return np.where(none, 0.0, a / 100.0)

    key_exp = rows.expiration.astype(np.int64)
    a = np.exp(0.9 * series_normal(seed, rows.root_code, key_exp, rows.strike, rows.is_call) - 0.4)
    otm = np.where(rows.is_call, x > 0, x < 0)
    age = (quote_day - rows.listed_on).astype(np.float64)
    ramp = 1.0 - np.exp(-np.maximum(age, 0.0) / 15.0)
    oi = np.floor(
        a
        * model.oi_median
        * era
        * np.exp(-0.5 * (x / 2.2) ** 2)
        * np.where(otm, 1.5, 0.6)
        * ramp
        * _roundness(rows.strike)
    ).astype(np.int64)
    return {
        "open": px(o),
        "high": px(h),
        "low": px(lo),
        "close": px(c),
        "trade_volume": volume,
        "vwap": np.where(none, 0.0, np.round(vwap, 4)),
        "bid_size_1545": bid_size,
        "ask_size_1545": ask_size,
        "bid_size_eod": bid_size_eod,
        "ask_size_eod": ask_size_eod,
        "open_interest": oi,
    }


# --------------------------------------------------------------------------- frames


def _frame(rows: _Rows, symbol: str, cols: dict[str, np.ndarray]) -> pl.DataFrame:
    """The typed Cboe frame (Decimal columns fix the printed digits)."""
    quote_day = np.array(rows.days, dtype="datetime64[D]")[rows.day_pos]
    data = {
        "underlying_symbol": pl.Series(
            np.full(len(rows.strike), symbol, dtype=object), dtype=pl.String
        ),
        "quote_date": pl.Series(quote_day).cast(pl.Date),
        "root": pl.Series(rows.root, dtype=pl.String),
        "expiration": pl.Series(rows.expiration).cast(pl.Date),
        "strike": pl.Series(rows.strike),
        "option_type": pl.Series(np.where(rows.is_call, "C", "P"), dtype=pl.String),
        **{k: pl.Series(v) for k, v in cols.items()},
    }
    df = pl.DataFrame(data).with_columns(pl.lit(None, dtype=pl.String).alias("delivery_code"))
    return df.select(
        *(pl.col(c) for c in COLUMNS[:4]),
        pl.col("strike").round(3).cast(pl.Decimal(18, 3)),
        pl.col("option_type"),
        *(pl.col(c).round(4).cast(pl.Decimal(18, 4)) for c in ("open", "high", "low", "close")),
        pl.col("trade_volume").cast(pl.Int64),
        *(
            pl.col(c).round(4).cast(pl.Decimal(18, 4))
            if c in _PRICE_COLS + _UNDERLYING_COLS
            else pl.col(c).round(6).cast(pl.Decimal(18, 6))
            if c in _CALC_COLS
            else pl.col(c).cast(pl.Int64)
            if c in _INT_COLS
            else pl.col(c)
            for c in COLUMNS[11:]
        ),
    )


def _spread_noise(rows: _Rows, seed: int, stream: int) -> np.ndarray:
    return np.exp(0.15 * _day_draws(rows.days, rows.counts, seed, stream + 10, 0, 2)[1])


def spx_chain(days: Sequence[dt.date], seed: int) -> pl.DataFrame:
    """The SPX/SPXW chain rows of ``days`` (sorted by day, root, expiration, strike, type)."""
    days = _check_days(days)
    rows = _build_rows(days, _spx_contracts)
    m = _market()
    idx = np.array([listings.session_index(d) for d in days], dtype=np.int64)[rows.day_pos]
    quote_day = np.array(days, dtype="datetime64[D]")[rows.day_pos]
    S, r, q = m["spx_close"][idx], m["rate"][idx], m["dividend_yield"][idx]
    T = time_to_expiry(quote_day, rows.expiration, rows.root)
    K, call = rows.strike, rows.is_call

    # ATM per (day, expiry), broadcast to rows
    key = rows.day_pos * 100_000 + rows.expiration.astype(np.int64)
    uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
    vix = m["vix_close"][idx[first]] / 100.0
    v3 = m["vix3m"][idx[first]] / 100.0
    anchor = m["anchor"][idx[first]] / 100.0
    atm = vol_surface.spx_atm_vol(vix, v3, anchor, T[first])[inv]

    F = S * np.exp((r - q) * T)
    sigma = vol_surface.spx_iv(np.log(K / F), T, atm)
    price = bsm_price(S, K, T, r, q, sigma, call)
    disc = np.exp(-r * T)
    lower = disc * np.maximum(np.where(call, F - K, K - F), 0.0)
    a = SPX_ACTIVITY
    vega = forward_vega(F, K, T, disc, sigma)
    base = spx_spread(price, vega, S, m["vix_close"][idx], year_fraction(days)[rows.day_pos])
    noise = _spread_noise(rows, seed, STREAM_SPX)
    bid, ask = quotes(price, base * noise[:, 0], lower)
    bid_eod, ask_eod = quotes(price, base * noise[:, 1], lower)
    mid = 0.5 * (bid + ask)
    iv, greek_vol = _reported_iv(implied_vol_bsm(mid, S, K, T, r, q, call).iv, sigma)
    g = bsm_greeks(S, K, T, r, q, greek_vol, call)

    def dg(s_new: np.ndarray) -> np.ndarray:
        ds = s_new - S
        return np.maximum(mid + g.delta * ds + 0.5 * g.gamma * ds * ds, 0.05)

    act = _activity(
        rows,
        seed,
        STREAM_SPX,
        a,
        np.log(K / F) / (atm * np.sqrt(T)),
        T,
        mid,
        0.5 * (ask - bid),
        bid,
        bid_eod,
        dg(m["spx_open"][idx]),
        dg(m["spx_high"][idx]),
        dg(m["spx_low"][idx]),
        quote_day,
    )
    cols = {
        **act,
        "bid_1545": bid,
        "ask_1545": ask,
        "bid_eod": bid_eod,
        "ask_eod": ask_eod,
        "underlying_bid_1545": S,
        "underlying_ask_1545": S,
        "implied_underlying_price_1545": F * disc,
        "active_underlying_price_1545": S,
        "underlying_bid_eod": S,
        "underlying_ask_eod": S,
        "implied_volatility_1545": iv,
        "delta_1545": g.delta,
        "gamma_1545": g.gamma,
        "theta_1545": g.theta / 365.0,
        "vega_1545": g.vega / 100.0,
        "rho_1545": g.rho / 100.0,
    }
    return _frame(rows, "^SPX", cols)


def _vx_settles(vx_curve: pl.DataFrame, days: list[dt.date]) -> dict[dt.date, dict[dt.date, float]]:
    sub = vx_curve.filter(pl.col("trade_date").is_in(days)).sort("trade_date", "expiration")
    out: dict[dt.date, dict[dt.date, float]] = {}
    for d, e, s in sub.select("trade_date", "expiration", "settle").iter_rows():
        out.setdefault(d, {})[e] = float(s)
    return out


def _vx_rv30(days: list[dt.date], seed: int) -> np.ndarray:
    """Trailing realized vol of the 30-day constant-maturity VX position on each day
    (``vx_futures.vx_realized_vol`` of the seed's universe curve; NaN where undefined)."""
    from alvh_assets.sample.vx_futures import vx_realized_vol

    rv = vx_realized_vol(seed)
    dates = rv["date"].to_numpy().astype("datetime64[D]")
    want = np.array(days, dtype="datetime64[D]")
    pos = np.minimum(np.searchsorted(dates, want), len(dates) - 1)
    return np.where(dates[pos] == want, rv["rv30"].fill_null(np.nan).to_numpy()[pos], np.nan)


def vix_chain(days: Sequence[dt.date], seed: int, vx_curve: pl.DataFrame) -> pl.DataFrame:
    """The VIX option chain rows of ``days`` (none before 2006-02-24); Black-76 on the VX
    settle of the same expiry from ``vx_curve`` (trade_date, expiration, settle)."""
    days = [d for d in _check_days(days) if d >= listings.VIX_OPTIONS_START]
    settles = _vx_settles(vx_curve, days)
    missing = [d for d in days if d not in settles]
    if missing:
        raise ValueError(
            f"vx_curve has no VX settles for {len(missing)} day(s), e.g. "
            f"{missing[0]}: VIX options are priced on the VX future"
        )
    rows = _build_rows(days, _vix_contracts_for(settles))
    m = _market()
    idx = np.array([listings.session_index(d) for d in days], dtype=np.int64)[rows.day_pos]
    quote_day = np.array(days, dtype="datetime64[D]")[rows.day_pos]
    T = time_to_expiry(quote_day, rows.expiration, rows.root)
    exp_list = rows.expiration.astype(object)
    F = np.array(
        [settles[days[p]][e] for p, e in zip(rows.day_pos, exp_list, strict=True)], dtype=np.float64
    )
    r = m["rate"][idx]
    spot = m["vix_close"][idx]
    K, call = rows.strike, rows.is_call
    atm = vol_surface.vix_atm_vol_anchored(spot, _vx_rv30(days, seed)[rows.day_pos], T)
    sigma = vol_surface.vix_iv(np.log(K / F), T, atm)
    price = black76_price(F, K, T, r, sigma, call)
    disc = np.exp(-r * T)
    lower = disc * np.maximum(np.where(call, F - K, K - F), 0.0)
    a = VIX_ACTIVITY
    base = vix_spread(price, atm, year_fraction(days)[rows.day_pos])
    noise = _spread_noise(rows, seed, STREAM_VIX)
    bid, ask = quotes(price, base * noise[:, 0], lower)
    bid_eod, ask_eod = quotes(price, base * noise[:, 1], lower)
    mid = 0.5 * (bid + ask)
    iv, greek_vol = _reported_iv(implied_vol_black76(mid, F, K, T, r, call).iv, sigma)
    g = black76_greeks(F, K, T, r, greek_vol, call)
    beta = np.exp(-3.0 * T)

    def dg(vix_level: np.ndarray) -> np.ndarray:
        ratio = np.clip(vix_level / spot, 0.75, 1.35)
        dF = F * (ratio**beta - 1.0)
        return np.maximum(mid + g.delta * dF + 0.5 * g.gamma * dF * dF, 0.05)

    act = _activity(
        rows,
        seed,
        STREAM_VIX,
        a,
        np.log(K / F) / (atm * np.sqrt(T)),
        T,
        mid,
        0.5 * (ask - bid),
        bid,
        bid_eod,
        dg(m["vix_open"][idx]),
        dg(m["vix_high"][idx]),
        dg(m["vix_low"][idx]),
        quote_day,
    )
    zero = np.zeros(len(K))
    cols = {
        **act,
        "bid_1545": bid,
        "ask_1545": ask,
        "bid_eod": bid_eod,
        "ask_eod": ask_eod,
        "underlying_bid_1545": zero,
        "underlying_ask_1545": zero,
        "implied_underlying_price_1545": F,
        "active_underlying_price_1545": spot,
        "underlying_bid_eod": zero,
        "underlying_ask_eod": zero,
        "implied_volatility_1545": iv,
        "delta_1545": g.delta,
        "gamma_1545": g.gamma,
        "theta_1545": g.theta / 365.0,
        "vega_1545": g.vega / 100.0,
        "rho_1545": g.rho / 100.0,
    }
    return _frame(rows, "^VIX", cols)


# --------------------------------------------------------------------------- files


def chain_path(out_dir: Path, underlying: str, day: dt.date, zipped: bool = False) -> Path:
    """``<out>/cboe/option_eod/<SPX|VIX>/UnderlyingOptionsEODCalcs_^<U>_<day>.csv|.zip``."""
    return out_dir / landing.option_eod_file(underlying, day, "zip" if zipped else "csv")


def _write(path: Path, frame: pl.DataFrame, zipped: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = frame.write_csv().encode()
    if not zipped:
        path.write_bytes(data)
        return
    info = zipfile.ZipInfo(path.with_suffix(".csv").name, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, data, compresslevel=6)


SPX_SOURCE = (
    "model alvh_assets.sample.option_chains (docs/sample_option_chains.md): BSM "
    "(alvh_assets.pricing) on the real S&P 500 close (sp500_daily_1999_2018.csv), IV "
    "surface anchored to the real VIX close (cboe_vix_daily.csv){v3}, carry from FRED "
    "FEDFUNDS and Shiller dividends; modelled listings, quotes, volume, open interest"
)
VIX_SOURCE = (
    "model alvh_assets.sample.option_chains (docs/sample_option_chains.md): Black-76 on "
    "the VX settle of the same expiry ({vx}), vol-of-vol anchored to the realized vol of "
    "the 30-day VX futures position and the real VIX close (cboe_vix_daily.csv); modelled "
    "listings, quotes, volume, open interest"
)


def _batches(days: list[dt.date]) -> list[list[dt.date]]:
    return [days[i : i + BATCH_DAYS] for i in range(0, len(days), BATCH_DAYS)]


def write_option_chains(
    days: list[dt.date],
    out_dir: Path,
    seed: int,
    vx_curve: pl.DataFrame,
    zip_files: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[ManifestEntry]:
    """Write the SPX and VIX option EOD files of ``days`` under ``out_dir``; one manifest
    entry per file (provenance ``modelled``). ValueError for days outside the real S&P 500
    range 1999-01-04 … 2018-12-31 or not NYSE sessions."""
    days = _check_days(days)
    out_dir = Path(out_dir)
    entries: list[ManifestEntry] = []
    real_vx = (
        {
            (d, bool(flag))
            for d, flag in vx_curve.group_by("trade_date").agg(pl.col("is_real").all()).iter_rows()
        }
        if "is_real" in vx_curve.columns
        else set()
    )
    done = 0
    for batch in _batches(days):
        spx = spx_chain(batch, seed)
        vix = (
            vix_chain(batch, seed, vx_curve)
            if batch[-1] >= listings.VIX_OPTIONS_START
            else spx.clear()
        )
        for underlying, frame in (("SPX", spx), ("VIX", vix)):
            parts = frame.partition_by("quote_date", as_dict=True, maintain_order=True)
            for (day,), part in parts.items():
                path = chain_path(out_dir, underlying, day, zip_files)
                _write(path, part, zip_files)
                if underlying == "SPX":
                    source = SPX_SOURCE.format(
                        v3=" and VIX3M (cboe_vix3m_daily.csv)"
                        if not np.isnan(_market()["vix3m"][listings.session_index(day)])
                        else ", VIX3M modelled from VIX"
                    )
                else:
                    vx = (
                        "real CFE settlements"
                        if (day, True) in real_vx
                        else "modelled VX curve, alvh_assets.sample.vx_futures"
                    )
                    source = VIX_SOURCE.format(vx=vx)
                entries.append(entry_for(out_dir, path, KIND, "modelled", source, part.height))
        done += len(batch)
        if on_progress is not None:
            on_progress(done, len(days))
    return entries
