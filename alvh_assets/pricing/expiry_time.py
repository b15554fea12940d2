"""Time to expiry of an option in years, in minutes from the quote to the series' settlement.

One function, :func:`time_to_expiry`, used wherever the ``T`` of an option is computed
(``pricing.option_greeks``, the strategy's POP, the sample generator). Pure; it takes polars
expressions or series, numpy arrays, or scalars (``datetime.date`` and a root string)::

    T = (minutes to midnight of the quote day
         + 1,440 x calendar days strictly between the quote day and the settlement day
         + minutes from midnight to settlement on the settlement day) / 525,600
      = (1,440 x (settlement_day - quote_day) + settlement_minute - quote_minute) / 525,600

Source: Cboe, *VIX White Paper* ("Cboe Volatility Index"), Step 1: "T = {M_Current day +
M_Settlement day + M_Other days} / Minutes in a year" (calendar minutes, 525,600 a year, no
adjustment for daylight saving time). Its worked example (times Central) quotes at 9:46 AM
(854 minutes to midnight): near term AM settlement 8:30 AM, 24 days between,
``T1 = (854 + 510 + 34,560) / 525,600 = 0.0683486``; next term PM settlement 3:00 PM, 31
days between, ``T2 = (854 + 900 + 44,640) / 525,600 = 0.0882686`` (tested).

Clock [convention, docs/pricing.md], New York time:

* quote at 15:45 (:data:`QUOTE_MINUTE`): the ``_1545`` fields of Cboe DataShop's Option
  EOD Summary.
* AM-settled series (:data:`AM_ROOTS`: ``SPX`` standard monthlies, settled on the Special
  Opening Quotation of the expiry day; ``VIX`` and ``VIXW``, settled on the VIX SOQ of
  expiration Wednesday) settle at 09:30 (:data:`AM_SETTLEMENT_MINUTE`).
* every other root (``SPXW`` weeklies, end-of-month and dailies, ``SPXQ``, ``SPXPM``: all
  PM-settled on the closing print) settles at 16:00 (:data:`PM_SETTLEMENT_MINUTE`).

Settlement day: the file's ``expiration``, trusted as given (an AM series whose Friday is a
holiday is listed on the Thursday, the day it settles), except that before February 2015
Cboe listed the SPX AM monthlies with the *Saturday* after the third Friday as expiration
(the OCC expiration date of the time); an AM series whose expiration is a Saturday settles
at 09:30 on the Friday before. (The sample generator and
:func:`alvh_assets.calendars.spx_monthly_expiration` write the Friday; both give the same
``T``.)

Sign: ``T`` is negative once the series has settled (an AM series quoted on its expiry day
at 15:45: ``-375 / 525,600``); ``T <= 0`` means "at or past settlement", no price to invert.
A PM series quoted at 15:45 on its expiry day (0DTE) has ``T = 15 / 525,600``.
"""

from __future__ import annotations

import datetime as dt
from typing import overload

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "AM_ROOTS",
    "AM_SETTLEMENT_MINUTE",
    "MINUTES_PER_DAY",
    "MINUTES_PER_YEAR",
    "PM_SETTLEMENT_MINUTE",
    "QUOTE_MINUTE",
    "is_am_settled",
    "time_to_expiry",
]

MINUTES_PER_DAY = 1_440
MINUTES_PER_YEAR = 525_600
"""365 x 1,440: the white paper's "minutes in a year" (calendar minutes)."""
_YEARS_PER_MINUTE = 1.0 / MINUTES_PER_YEAR
"""Minutes are multiplied by this rather than divided by 525,600: polars divides a column by
a scalar as a multiplication by its reciprocal, so every path (polars, numpy, scalars) does
the same and returns bit-identical ``T`` (the sample's vendor IVs and the warehouse's)."""
QUOTE_MINUTE = 15 * 60 + 45
"""15:45 ET, the time of the ``_1545`` fields."""
AM_SETTLEMENT_MINUTE = 9 * 60 + 30
"""09:30 ET, the opening (Special Opening Quotation) settlement of AM series."""
PM_SETTLEMENT_MINUTE = 16 * 60
"""16:00 ET, the closing settlement of PM series."""
AM_ROOTS = frozenset({"SPX", "VIX", "VIXW"})
"""Roots settled at the open: SPX standard monthlies, VIX monthly and weekly options."""
_SATURDAY = 5  # datetime.weekday() / numpy: Monday = 0 (1970-01-01 was a Thursday)


def is_am_settled(root: str | ArrayLike) -> bool | NDArray[np.bool_]:
    """True for the roots of :data:`AM_ROOTS` (scalar in, scalar out)."""
    if isinstance(root, str):
        return root in AM_ROOTS
    return np.isin(np.asarray(root, dtype=object), list(AM_ROOTS))


DateLike = dt.date | str | np.datetime64


@overload
def time_to_expiry(
    quote_date: pl.Expr,
    expiration: pl.Expr,
    root: pl.Expr | str,
    *,
    quote_minute: int = ...,
    am_minute: int = ...,
    pm_minute: int = ...,
) -> pl.Expr: ...
@overload
def time_to_expiry(
    quote_date: pl.Series,
    expiration: pl.Series,
    root: pl.Series | str,
    *,
    quote_minute: int = ...,
    am_minute: int = ...,
    pm_minute: int = ...,
) -> pl.Series: ...
@overload
def time_to_expiry(
    quote_date: DateLike,
    expiration: DateLike,
    root: str,
    *,
    quote_minute: int = ...,
    am_minute: int = ...,
    pm_minute: int = ...,
) -> float: ...
@overload
def time_to_expiry(
    quote_date: ArrayLike,
    expiration: ArrayLike,
    root: ArrayLike,
    *,
    quote_minute: int = ...,
    am_minute: int = ...,
    pm_minute: int = ...,
) -> NDArray[np.float64]: ...
def time_to_expiry(
    quote_date: object,
    expiration: object,
    root: object,
    *,
    quote_minute: int = QUOTE_MINUTE,
    am_minute: int = AM_SETTLEMENT_MINUTE,
    pm_minute: int = PM_SETTLEMENT_MINUTE,
) -> object:
    """``T`` in years from ``quote_minute`` of ``quote_date`` to the settlement of the series
    (``root``, ``expiration``): ``(1,440 x days + settle_minute - quote_minute) / 525,600``
    with ``days`` = settlement day - quote day (module docstring; Cboe VIX white paper).

    Inputs: polars expressions (returns an expression), polars series (a series), numpy
    arrays / sequences (a float64 array, broadcast) or scalars (a float). ``root`` may be a
    single root for all rows. Minutes are counted from midnight in the time zone the clock
    is given in (New York by default; the white paper's example uses Central).
    """
    if any(isinstance(a, pl.Expr) for a in (quote_date, expiration, root)):
        return _expr(quote_date, expiration, root, quote_minute, am_minute, pm_minute)
    if any(isinstance(a, pl.Series) for a in (quote_date, expiration, root)):
        cols = {"q": quote_date, "e": expiration, "r": root}
        frame = pl.DataFrame({k: v for k, v in cols.items() if isinstance(v, pl.Series)})
        args = (pl.col(k) if isinstance(v, pl.Series) else v for k, v in cols.items())
        expr = _expr(*args, quote_minute, am_minute, pm_minute)
        return frame.select(expr.alias("time_to_expiry")).to_series()
    return _numpy(quote_date, expiration, root, quote_minute, am_minute, pm_minute)


def _expr(
    quote_date: object,
    expiration: object,
    root: object,
    quote_minute: int,
    am_minute: int,
    pm_minute: int,
) -> pl.Expr:
    q = quote_date if isinstance(quote_date, pl.Expr) else pl.lit(quote_date, pl.Date)
    e = expiration if isinstance(expiration, pl.Expr) else pl.lit(expiration, pl.Date)
    r = root if isinstance(root, pl.Expr) else pl.lit(root, pl.Utf8)
    am = r.is_in(sorted(AM_ROOTS))
    # polars weekday(): Monday = 1 ... Saturday = 6
    settle_day = pl.when(am & (e.dt.weekday() == 6)).then(e.dt.offset_by("-1d")).otherwise(e)
    days = (settle_day - q).dt.total_days()
    settle_minute = pl.when(am).then(pl.lit(am_minute)).otherwise(pl.lit(pm_minute))
    minutes = days * MINUTES_PER_DAY + settle_minute - quote_minute
    return minutes.cast(pl.Float64) * _YEARS_PER_MINUTE


def _numpy(
    quote_date: object,
    expiration: object,
    root: object,
    quote_minute: int,
    am_minute: int,
    pm_minute: int,
) -> float | NDArray[np.float64]:
    q = np.asarray(quote_date, dtype="datetime64[D]")
    e = np.asarray(expiration, dtype="datetime64[D]")
    am = np.asarray(is_am_settled(root))
    saturday = (e.astype(np.int64) + 3) % 7 == _SATURDAY  # day 0 (1970-01-01): Thursday
    settle_day = np.where(am & saturday, e - np.timedelta64(1, "D"), e)
    days = (settle_day - q).astype(np.int64)
    minutes = days * MINUTES_PER_DAY + np.where(am, am_minute, pm_minute) - quote_minute
    out = minutes.astype(np.float64) * _YEARS_PER_MINUTE
    out = np.where(np.isnat(q) | np.isnat(e), np.nan, out)  # a missing date: NaN, no error
    return float(out) if out.ndim == 0 else out
