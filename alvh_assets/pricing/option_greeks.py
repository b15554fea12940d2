"""Implied volatility and Greeks for every option row, recomputed with one set of conventions.

Pure functions (polars in, polars out; no Dagster, no I/O). :func:`option_greeks` takes the
option rows of ``raw.cboe_option_eod``, the carry inputs (``raw.fred_observations``,
``raw.valuation_monthly``) and the VX settlements of the same days and returns one row per
option row, in input order, with the schema :data:`OUTPUT_SCHEMA`. Conventions (also in
``docs/pricing.md``):

Time to expiry (:func:`alvh_assets.pricing.expiry_time.time_to_expiry`)
    ``T`` in years = minutes from the quote (15:45 ET, the ``_1545`` fields) to the series'
    settlement / 525,600, counted as in the Cboe VIX white paper (minutes to midnight +
    1,440 per day between + minutes from midnight to settlement; calendar minutes). AM
    series (roots ``SPX``, ``VIX``, ``VIXW``; every VIX option) settle at 09:30 ET of the
    expiration date (the Friday before when the file lists the pre-2015 Saturday), PM
    series (``SPXW`` and every other root) at 16:00 ET. ``time_to_expiry`` is that ``T``
    floored at 0; ``days_to_expiry`` stays the calendar-day count ``expiration -
    quote_date``. A row quoted at or after its settlement (``T <= 0``: an AM series on its
    expiry day) gets ``iv_reason = 'AT_OR_PAST_SETTLEMENT'`` and no IV or Greeks; a PM
    series on its expiry day (0DTE) is priced with ``T = 15 / 525,600``.

Carry, point in time (:func:`carry_asof`, the rule of :mod:`alvh_assets.sample.carry` applied to
the warehouse rows)
    ``rate``: FEDFUNDS monthly average (percent) of the latest month *m* known on the day,
    where month *m* counts from the first day of *m* + 1 (and, for vintage rows, not before
    the vintage date); continuous ``ln(1 + ff/100)``. ``dividend_yield``: the valuation row
    with the latest ``month`` among rows whose ``publication_date`` <= day; ``dividend /
    sp500`` (``dividend_yield`` when either is missing), continuous ``ln(1 + d/P)``.

Forward (``forward``, ``forward_source``)
    * SPX/SPXW (any non-VIX root), ``'put_call_parity'``: per (quote_date, root, expiration),
      over strikes where both the call and the put have a bid > 0, ``F D = C_mid - P_mid +
      K D`` with ``D = e^{-rT}``; the median over the ``parity_strikes`` strikes with the
      smallest ``|C_mid - P_mid|`` (nearest the forward), divided by ``D``. Used when it is
      within ``max_parity_deviation`` (log) of the carry forward (or no carry forward
      exists).
    * otherwise ``'carry'``: ``S e^{(r - q) T}`` with ``S`` the 15:45 index level.
    * VIX (roots VIX, VIXW): ``'vx_future'``, the VX settle (monthly or weekly contract) of
      the same expiry on the quote date. Without one, ``'vx_interpolated'``: the VX curve of
      the quote date interpolated linearly in calendar days between the settles of the two
      neighbouring expiries, the latest VX expiry before the option's and the earliest after
      it, both settled that day and both live (expiring after the quote date: a contract on
      its expiry day settles to the VRO, not a forward), ``F = S_lo + (S_hi - S_lo) (E -
      E_lo) / (E_hi - E_lo)`` with ``E`` the expiry dates. Without a bracketing pair (an
      expiry before the first live VX expiry or after the last): no forward, ``iv_reason =
      'NO_VX_SETTLE'``. Never spot VIX.

IV (``iv``, ``iv_reason``)
    Black-76 on the forward with discount ``e^{-rT}`` for every row, from the 15:45 mid
    ``(bid_1545 + ask_1545) / 2`` (also when the bid is 0: ``has_bid`` flags those rows, whose
    mid is half the ask). For SPX this *is* Black-Scholes-Merton: with ``q* = r - ln(F/S)/T``
    the BSM forward ``S e^{(r - q*)T}`` equals ``F`` and both models price identically, so the
    parity forward simply replaces the dividend-yield assumption by the yield the quotes
    imply. ``iv_reason`` is an :class:`~alvh_assets.pricing.IVReason` name or one of
    :data:`EXTRA_REASONS`; ``iv`` is null exactly where ``iv_reason != 'OK'``. IVs above
    ``max_iv`` (the warehouse bound, 500%) are nulled with ``IV_ABOVE_MAX``.

Greeks (null where ``iv`` is null), per unit, Black-76 on the forward at the row's ``iv``
    ``delta = dV/dF`` and ``gamma = d2V/dF2`` (per point of the forward), ``vega = dV/dsigma``
    per 1.00 of vol, ``theta = -dV/dT`` per year with ``F`` held fixed, ``rho = dV/dr`` per
    1.00 of rate with ``F`` held fixed (``-T V``). ``spot_delta = delta F/S`` and
    ``spot_gamma = gamma (F/S)^2`` are the BSM spot Greeks of index rows (the convention of the
    vendor's ``delta_1545``/``gamma_1545``; null for VIX rows, whose vendor Greeks are on the
    future, i.e. ``delta``/``gamma``).

Vendor comparison: ``vendor_iv`` = ``implied_volatility_1545`` (null where the vendor wrote
0, "not computed"), ``iv_diff = iv - vendor_iv``.

Missing values are nulls in the returned frame (numpy NaNs are converted), so SQL
aggregates over the warehouse table skip them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from alvh_assets.pricing.black_scholes import black76_greeks
from alvh_assets.pricing.expiry_time import time_to_expiry
from alvh_assets.pricing.implied_vol import IVReason, implied_vol_black76

__all__ = [
    "EXTRA_REASONS",
    "FORWARD_SOURCES",
    "IV_REASONS",
    "KEY",
    "OPTION_COLUMNS",
    "OUTPUT_SCHEMA",
    "PricingParams",
    "VIX_ROOTS",
    "carry_asof",
    "option_greeks",
]

KEY = ("quote_date", "root", "expiration", "strike", "option_type")
VIX_ROOTS = frozenset({"VIX", "VIXW"})
"""Roots priced on the VX future (also any row whose underlying_symbol is ``^VIX``)."""

OPTION_COLUMNS = (
    *KEY,
    "underlying_symbol",
    "bid_1545",
    "ask_1545",
    "underlying_bid_1545",
    "underlying_ask_1545",
    "active_underlying_price_1545",
    "implied_volatility_1545",
)
"""Columns of ``raw.cboe_option_eod`` that :func:`option_greeks` reads."""

EXTRA_REASONS = {
    "NO_VX_SETTLE": "VIX row without a VX settle of its expiry on the quote date, nor two "
    "live VX expiries settled that day bracketing it",
    "NO_RATE": "no FEDFUNDS month known on the quote date (no discount factor)",
    "NO_FORWARD": "index row without a parity forward and without S or q for the carry forward",
    "IV_ABOVE_MAX": "the mid's Black-76 vol exceeds max_iv (minimum-tick wings near expiry)",
    "AT_OR_PAST_SETTLEMENT": "quoted at or after the series' settlement (T <= 0: an AM series "
    "on its expiry day at 15:45); no IV, no Greeks",
}
"""``iv_reason`` values besides the :class:`IVReason` names."""
IV_REASONS = (*(r.name for r in IVReason), *EXTRA_REASONS)
FORWARD_SOURCES = ("put_call_parity", "carry", "vx_future", "vx_interpolated")

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "quote_date": pl.Date(),
    "root": pl.Utf8(),
    "expiration": pl.Date(),
    "strike": pl.Float64(),
    "option_type": pl.Utf8(),
    "underlying_price": pl.Float64(),
    "forward": pl.Float64(),
    "forward_source": pl.Utf8(),
    "parity_strikes": pl.Int32(),
    "rate": pl.Float64(),
    "dividend_yield": pl.Float64(),
    "days_to_expiry": pl.Int32(),
    "time_to_expiry": pl.Float64(),
    "mid": pl.Float64(),
    "has_bid": pl.Boolean(),
    "iv": pl.Float64(),
    "iv_reason": pl.Utf8(),
    "delta": pl.Float64(),
    "gamma": pl.Float64(),
    "vega": pl.Float64(),
    "theta": pl.Float64(),
    "rho": pl.Float64(),
    "spot_delta": pl.Float64(),
    "spot_gamma": pl.Float64(),
    "vendor_iv": pl.Float64(),
    "iv_diff": pl.Float64(),
}
"""One row per option row; grain ``KEY``."""


@dataclass(frozen=True)
class PricingParams:
    """Parameters of the pricing pass [choice, documented in docs/pricing.md]."""

    parity_strikes: int = 5
    """Strikes nearest the forward (smallest |C_mid - P_mid|) whose parity estimates of
    ``F D`` are medianed; an odd number so the median is one strike's estimate."""
    max_parity_deviation: float = 0.10
    """A parity forward more than this (|ln F_parity / F_carry|) from the carry forward is
    treated as a bad quote set and the carry forward is used instead."""
    max_iv: float = 5.0
    """Largest IV kept (the warehouse bound of ``raw.cboe_option_eod``, 500%)."""

    def __post_init__(self) -> None:
        if self.parity_strikes < 1:
            raise ValueError("parity_strikes must be >= 1")
        if not self.max_parity_deviation > 0:
            raise ValueError("max_parity_deviation must be > 0")
        if not self.max_iv > 0:
            raise ValueError("max_iv must be > 0")


# --------------------------------------------------------------------------------------------
# Carry, point in time
# --------------------------------------------------------------------------------------------


def _latest_known(days: pl.DataFrame, rows: pl.DataFrame, period: str, value: str) -> pl.DataFrame:
    """For each ``date`` of ``days``: ``value`` of the latest ``period`` among ``rows`` with
    ``known_from <= date``; of that period, the row known last (its latest vintage).

    Two as-of joins: the newest period known by each date (running maximum of ``period``
    over ``known_from``), then that period's last row known by the date.
    """
    rows = rows.sort("known_from", period)
    newest = (
        rows.group_by("known_from")
        .agg(pl.col(period).max())
        .sort("known_from")
        .with_columns(pl.col(period).cum_max().alias("_newest"))
        .select("known_from", "_newest")
    )
    out = days.join_asof(newest, left_on="date", right_on="known_from", strategy="backward")
    out = out.drop("known_from").sort("date")
    return (
        out.join_asof(
            rows.select("known_from", pl.col(period).alias("_newest"), value),
            left_on="date",
            right_on="known_from",
            by="_newest",
            strategy="backward",
            check_sortedness=False,
        )
        .rename({"_newest": period})
        .drop("known_from")
    )


def carry_asof(
    days: Iterable[dt.date] | pl.Series, fred: pl.DataFrame, valuation: pl.DataFrame
) -> pl.DataFrame:
    """Per day: ``rate`` and ``dividend_yield`` (continuous) as known at that day's close.

    ``fred`` has the columns of ``raw.fred_observations`` (``series_id, observation_date,
    value, vintage``; only ``FEDFUNDS`` rows are used), ``valuation`` those of
    ``raw.valuation_monthly`` (``month, publication_date, sp500, dividend,
    dividend_yield``). Returns ``date, rate, rate_month, dividend_yield, dividend_month``
    (the months the values belong to; null when nothing was known yet).

    * FEDFUNDS month *m* is known from the first day of *m* + 1 (FRED posts a month's
      average on the first business day of the next month: :mod:`alvh_assets.sample.carry`), or
      from its ``vintage`` when that is later; ``rate = ln(1 + value/100)``.
    * A valuation month is known from its ``publication_date``;
      ``dividend_yield = ln(1 + dividend/sp500)`` (the file's ``dividend_yield`` column when
      dividend or price is missing).
    """
    frame = (
        pl.DataFrame({"date": pl.Series(list(days), dtype=pl.Date)})
        .unique()
        .drop_nulls()
        .sort("date")
    )
    vintage = fred["vintage"] if "vintage" in fred.columns else pl.lit(None, pl.Date)
    ff = (
        fred.with_columns(vintage.cast(pl.Date).alias("vintage"))
        .filter((pl.col("series_id") == "FEDFUNDS") & pl.col("value").is_finite())
        .select(
            pl.max_horizontal(
                pl.col("observation_date").dt.offset_by("1mo"), pl.col("vintage")
            ).alias("known_from"),
            pl.col("observation_date").alias("rate_month"),
            (pl.col("value") / 100.0).log1p().alias("rate"),
        )
    )
    has = {c for c in ("sp500", "dividend", "dividend_yield") if c in valuation.columns}
    simple = (
        pl.when(pl.col("dividend") > 0).then(pl.col("dividend") / pl.col("sp500")).otherwise(None)
        if {"sp500", "dividend"} <= has
        else pl.lit(None, pl.Float64)
    )
    given = pl.col("dividend_yield") if "dividend_yield" in has else pl.lit(None, pl.Float64)
    div = (
        valuation.select(
            pl.col("publication_date").alias("known_from"),
            pl.col("month").alias("dividend_month"),
            pl.coalesce(simple.fill_nan(None), given.fill_nan(None))
            .log1p()
            .alias("dividend_yield"),
        )
        .drop_nulls()
        .filter(pl.col("dividend_yield").is_finite())
    )
    out = _latest_known(frame, ff, "rate_month", "rate")
    out = out.join(_latest_known(frame, div, "dividend_month", "dividend_yield"), on="date")
    return out.select("date", "rate", "rate_month", "dividend_yield", "dividend_month")


# --------------------------------------------------------------------------------------------
# Forwards
# --------------------------------------------------------------------------------------------

_EXPIRY = ("quote_date", "root", "expiration")


def _parity_forwards(base: pl.DataFrame, n: int) -> pl.DataFrame:
    """Per (quote_date, root, expiration) of index rows: the parity forward (see module
    docstring) and the number of strikes it is the median of."""
    quoted = base.filter(
        ~pl.col("is_vix")
        & pl.col("has_bid")
        & pl.col("mid").is_finite()
        & pl.col("discount").is_finite()
    )
    calls = quoted.filter(pl.col("is_call")).select(
        *_EXPIRY, "strike", pl.col("mid").alias("c"), "discount"
    )
    puts = quoted.filter(~pl.col("is_call")).select(*_EXPIRY, "strike", pl.col("mid").alias("p"))
    pairs = (
        calls.join(puts, on=[*_EXPIRY, "strike"], how="inner")
        .with_columns(
            (pl.col("c") - pl.col("p")).abs().alias("gap"),
            (pl.col("c") - pl.col("p") + pl.col("strike") * pl.col("discount")).alias("fd"),
        )
        .sort([*_EXPIRY, "gap", "strike"])
    )
    return (
        pairs.group_by(_EXPIRY, maintain_order=True)
        .head(n)
        .group_by(_EXPIRY)
        .agg(
            (pl.col("fd").median() / pl.col("discount").first()).alias("parity_forward"),
            pl.len().cast(pl.Int32).alias("parity_strikes"),
        )
    )


def _vx_forwards(vx: pl.DataFrame, wanted: pl.DataFrame) -> pl.DataFrame:
    """``(quote_date, expiration, vx_settle, vx_source)`` for the VIX-option expiries
    ``wanted`` (``quote_date, expiration``, unique) from ``raw.cfe_vx_settlements`` rows; null
    or non-positive settles (not traded) are dropped.

    ``vx_source`` is ``'vx_future'`` where a VX contract of that expiry settled on the quote
    date, else ``'vx_interpolated'``: linear in calendar days between the live VX expiries
    (after the quote date) nearest below and above, both settled that day. Expiries with
    neither are left out (no forward)."""
    keys = ["quote_date", "expiration"]
    settles = (
        vx.select(
            pl.col("trade_date").alias("quote_date"),
            pl.col("contract_expiration").alias("expiration"),
            pl.col("settle").cast(pl.Float64).alias("vx_settle"),
        )
        .filter(pl.col("vx_settle").is_finite() & (pl.col("vx_settle") > 0))
        .group_by(keys)
        .agg(pl.col("vx_settle").first())
    )
    exact = wanted.join(settles, on=keys, how="inner").with_columns(
        pl.lit("vx_future").alias("vx_source")
    )
    live = settles.filter(pl.col("expiration") > pl.col("quote_date")).sort("expiration")
    side = {
        end: live.select(
            "quote_date",
            pl.col("expiration").alias(f"e_{end}"),
            pl.col("vx_settle").alias(f"s_{end}"),
        )
        for end in ("lo", "hi")
    }
    gaps = wanted.join(settles, on=keys, how="anti").sort("expiration")
    for end, strategy in (("lo", "backward"), ("hi", "forward")):
        gaps = gaps.join_asof(
            side[end],
            left_on="expiration",
            right_on=f"e_{end}",
            by="quote_date",
            strategy=strategy,  # type: ignore[arg-type]
            check_sortedness=False,  # both sides sorted by expiration, hence within each day
        )
    lo, hi = pl.col("s_lo"), pl.col("s_hi")
    weight = (pl.col("expiration") - pl.col("e_lo")).dt.total_days() / (
        pl.col("e_hi") - pl.col("e_lo")
    ).dt.total_days()
    interpolated = gaps.filter(lo.is_not_null() & hi.is_not_null()).select(
        *keys,
        (lo + (hi - lo) * weight).alias("vx_settle"),
        pl.lit("vx_interpolated").alias("vx_source"),
    )
    return pl.concat([exact, interpolated], how="vertical_relaxed")


# --------------------------------------------------------------------------------------------
# The pricing pass
# --------------------------------------------------------------------------------------------


def _underlying_level() -> pl.Expr:
    """Index level at 15:45: the active underlying price, else the 15:45 bid/ask mid."""
    bid, ask = pl.col("underlying_bid_1545"), pl.col("underlying_ask_1545")
    mid = pl.when((bid > 0) & (ask > 0)).then((bid + ask) / 2.0).otherwise(None)
    active = pl.col("active_underlying_price_1545")
    return pl.coalesce(pl.when(active > 0).then(active).otherwise(None), mid)


def _np(frame: pl.DataFrame, col: str) -> np.ndarray:
    return frame[col].cast(pl.Float64).fill_null(np.nan).to_numpy()


def option_greeks(
    options: pl.DataFrame,
    fred: pl.DataFrame,
    valuation: pl.DataFrame,
    vx: pl.DataFrame,
    params: PricingParams | None = None,
) -> pl.DataFrame:
    """IV and Greeks of every row of ``options`` (conventions in the module docstring).

    ``options``: rows of ``raw.cboe_option_eod`` with at least :data:`OPTION_COLUMNS`;
    ``fred``/``valuation``: carry inputs (see :func:`carry_asof`; all rows, the function
    picks what was known on each quote date); ``vx``: ``raw.cfe_vx_settlements`` rows
    (``trade_date, contract_expiration, settle``) of the same days. Returns one row per
    input row, in input order, with :data:`OUTPUT_SCHEMA`.
    """
    params = params or PricingParams()
    missing = [c for c in OPTION_COLUMNS if c not in options.columns]
    if missing:
        raise ValueError(f"option rows miss columns {missing}")
    carry = carry_asof(options["quote_date"].unique(), fred, valuation).select(
        pl.col("date").alias("quote_date"), "rate", "dividend_yield"
    )
    symbol = pl.col("underlying_symbol").fill_null("").str.strip_chars_start("^")
    base = (
        options.select(OPTION_COLUMNS)
        .with_row_index("_row")
        .with_columns(
            (pl.col("root").is_in(list(VIX_ROOTS)) | (symbol == "VIX")).alias("is_vix"),
            (pl.col("option_type") == "C").alias("is_call"),
            _underlying_level().alias("underlying_price"),
            ((pl.col("bid_1545") + pl.col("ask_1545")) / 2.0).alias("mid"),
            (pl.col("bid_1545") > 0).fill_null(False).alias("has_bid"),
            (pl.col("expiration") - pl.col("quote_date"))
            .dt.total_days()
            .cast(pl.Int32)
            .alias("days_to_expiry"),
            pl.col("implied_volatility_1545").alias("vendor_iv"),
        )
        .with_columns(
            time_to_expiry(  # every VIX option is AM-settled, whatever its root
                pl.col("quote_date"),
                pl.col("expiration"),
                pl.when(pl.col("is_vix")).then(pl.lit("VIX")).otherwise(pl.col("root")),
            ).alias("_signed_T")
        )
        .with_columns(pl.col("_signed_T").clip(lower_bound=0.0).alias("time_to_expiry"))
        .join(carry, on="quote_date", how="left")
        .with_columns((-pl.col("rate") * pl.col("time_to_expiry")).exp().alias("discount"))
    )
    parity = _parity_forwards(base, params.parity_strikes)
    T, r, q = pl.col("time_to_expiry"), pl.col("rate"), pl.col("dividend_yield")
    carry_fwd = pl.col("underlying_price") * ((r - q) * T).exp()
    pf = pl.col("parity_forward")
    use_parity = (
        ~pl.col("is_vix")
        & pf.is_not_null()
        & (carry_fwd.is_null() | ((pf / carry_fwd).log().abs() <= params.max_parity_deviation))
    )
    use_carry = ~pl.col("is_vix") & ~use_parity & carry_fwd.is_not_null()
    use_vx = pl.col("is_vix") & pl.col("vx_settle").is_not_null()
    frame = (
        base.join(parity, on=list(_EXPIRY), how="left")
        .join(
            _vx_forwards(vx, base.filter("is_vix").select("quote_date", "expiration").unique()),
            on=["quote_date", "expiration"],
            how="left",
        )
        .with_columns(
            pl.when(use_vx)
            .then(pl.col("vx_settle"))
            .when(use_parity)
            .then(pf)
            .when(use_carry)
            .then(carry_fwd)
            .alias("forward"),
            pl.when(use_vx)
            .then(pl.col("vx_source"))
            .when(use_parity)
            .then(pl.lit("put_call_parity"))
            .when(use_carry)
            .then(pl.lit("carry"))
            .alias("forward_source"),
            pl.when(use_parity).then(pl.col("parity_strikes")).alias("parity_strikes"),
        )
        .sort("_row")
    )
    if frame.height != options.height:  # the joins are on unique keys; guard the grain
        raise AssertionError(f"pricing produced {frame.height} rows for {options.height}")

    F, K, Tn, rn = (_np(frame, c) for c in ("forward", "strike", "time_to_expiry", "rate"))
    mid, S = _np(frame, "mid"), _np(frame, "underlying_price")
    call = frame["is_call"].to_numpy()
    is_vix = frame["is_vix"].to_numpy()
    res = implied_vol_black76(mid, F, K, Tn, rn, call)
    iv = res.iv
    reason = np.array([r.name for r in IVReason], dtype=object)[res.reason]
    too_high = iv > params.max_iv
    iv[too_high] = np.nan
    reason[too_high] = "IV_ABOVE_MAX"
    no_fwd = ~np.isfinite(F)
    reason[no_fwd & ~is_vix] = "NO_FORWARD"
    reason[~np.isfinite(rn)] = "NO_RATE"
    reason[no_fwd & is_vix] = "NO_VX_SETTLE"
    settled = (frame["_signed_T"] <= 0).fill_null(False).to_numpy()
    reason[settled] = "AT_OR_PAST_SETTLEMENT"
    iv[settled] = np.nan
    g = black76_greeks(F, K, Tn, rn, iv, call)
    with np.errstate(all="ignore"):
        ratio = np.where(is_vix, np.nan, F / S)
    vendor = _np(frame, "vendor_iv")
    out = frame.select(
        "quote_date",
        "root",
        "expiration",
        "strike",
        "option_type",
        "underlying_price",
        "forward",
        "forward_source",
        "parity_strikes",
        "rate",
        "dividend_yield",
        "days_to_expiry",
        "time_to_expiry",
        "mid",
        "has_bid",
    ).with_columns(
        pl.Series("iv", iv),
        pl.Series("iv_reason", reason.astype(str), dtype=pl.Utf8),
        pl.Series("delta", g.delta),
        pl.Series("gamma", g.gamma),
        pl.Series("vega", g.vega),
        pl.Series("theta", g.theta),
        pl.Series("rho", g.rho),
        pl.Series("spot_delta", g.delta * ratio),
        pl.Series("spot_gamma", g.gamma * ratio * ratio),
        pl.Series("vendor_iv", vendor),
        pl.Series("iv_diff", iv - vendor),
    )
    floats = [c for c, t in OUTPUT_SCHEMA.items() if t == pl.Float64()]
    return out.with_columns(pl.col(floats).fill_nan(None)).select(
        [pl.col(c).cast(t) for c, t in OUTPUT_SCHEMA.items()]
    )
