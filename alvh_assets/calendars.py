"""Trading calendars and listed-expiry rules shared by every topic.

Trading days are NYSE sessions from ``exchange_calendars`` (XNYS). Its history is
correct where others are not: 2001-09-11..14, 2012-10-29..30 and national days of
mourning are closed.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import exchange_calendars as xcals
import numpy as np
import polars as pl

CALENDAR_START = "1990-01-01"


@lru_cache(maxsize=1)
def _xnys() -> xcals.ExchangeCalendar:
    return xcals.get_calendar("XNYS", start=CALENDAR_START)


@lru_cache(maxsize=1)
def _sessions() -> np.ndarray:
    """All XNYS sessions as sorted ``datetime64[D]``."""
    sessions = _xnys().sessions
    if sessions.tz is not None:
        sessions = sessions.tz_localize(None)
    return sessions.values.astype("datetime64[D]")


def sessions_series() -> pl.Series:
    """Every XNYS session (1990 on) as a polars Date series, for vectorized membership."""
    return pl.Series("session", _sessions(), dtype=pl.Date)


def trading_days(start: dt.date | str, end: dt.date | str) -> list[dt.date]:
    """NYSE trading days in ``[start, end]`` (both inclusive)."""
    s = _sessions()
    lo = np.searchsorted(s, np.datetime64(start, "D"), side="left")
    hi = np.searchsorted(s, np.datetime64(end, "D"), side="right")
    return s[lo:hi].astype(object).tolist()


def is_trading_day(day: dt.date | str) -> bool:
    """True when ``day`` is an NYSE session."""
    s = _sessions()
    d = np.datetime64(day, "D")
    i = np.searchsorted(s, d)
    return bool(i < len(s) and s[i] == d)


def previous_trading_day(day: dt.date | str) -> dt.date:
    """The last NYSE session strictly before ``day``."""
    s = _sessions()
    i = np.searchsorted(s, np.datetime64(day, "D"), side="left")
    return s[i - 1].astype(object)


def next_trading_day(day: dt.date | str) -> dt.date:
    """The first NYSE session strictly after ``day``."""
    s = _sessions()
    i = np.searchsorted(s, np.datetime64(day, "D"), side="right")
    return s[i].astype(object)


def on_or_before_trading_day(day: dt.date | str) -> dt.date:
    """``day`` when it is a session, else the session before it."""
    return (
        np.datetime64(day, "D").astype(object) if is_trading_day(day) else previous_trading_day(day)
    )


def third_friday(year: int, month: int) -> dt.date:
    """Third Friday of a month (standard monthly option expiration)."""
    first = dt.date(year, month, 1)
    offset = (4 - first.weekday()) % 7  # Friday = 4
    return first + dt.timedelta(days=offset + 14)


def spx_monthly_expiration(year: int, month: int) -> dt.date:
    """SPX (AM-settled) expiration: the third Friday, or the session before it when the
    Friday is an exchange holiday (e.g. Good Friday 2008-03-21 -> Thursday 2008-03-20)."""
    return on_or_before_trading_day(third_friday(year, month))


def vx_expiration(year: int, month: int) -> dt.date:
    """VIX futures / VIX options expiration for contract month ``(year, month)``.

    Rule (CFE): the Wednesday 30 calendar days before the third Friday of the
    *following* calendar month; if that Friday is an exchange holiday, 30 days before
    the session preceding it; if the Wednesday itself is a holiday, the session before.
    """
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    friday = third_friday(ny, nm)
    if not is_trading_day(friday):
        friday = previous_trading_day(friday)
    wednesday = friday - dt.timedelta(days=30)
    return on_or_before_trading_day(wednesday)


VX_MONTH_CODES = "FGHJKMNQUVXZ"
"""CFE month codes, January (F) ... December (Z)."""
