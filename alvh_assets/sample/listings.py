"""Listing rules of the sample market: which SPX/SPXW/VIX expiries and strikes trade on a day.

Every rule is a pure function of the quote date, the expiry and *real* market history up to
the quote date (S&P 500 and VIX closes, real CFE VX settlements), so a day's listing never
depends on the generated range and never looks ahead.

Expiries (``listed_expiries``), simplified from the Cboe rules of each era:

* ``SPX`` (AM-settled monthlies, :func:`calendars.spx_monthly_expiration`: third Friday or
  the session before when it is a holiday). With ``k`` = months after the front month (the
  first monthly expiring after the quote date): listed when ``k <= 2`` (three nearest),
  ``k <= 11`` for March/June/September/December (the quarterly cycle) and ``k <= 36`` for
  December (LEAPS out to about three years).
* ``SPXW`` (PM-settled), listed ``expiration - W <= day < expiration`` with a window ``W``:
  Friday weeklies (never on a third Friday; a holiday Friday moves to Thursday) from
  2005-10-28 with ``W`` = 8 days (one-week options) until 2010-12-01, 35 days (End-of-Week
  pilot) until 2013-12-31, then 42 days (six consecutive weeks); end-of-quarter (last
  session of Mar/Jun/Sep/Dec) from 2007-02-21, ``W`` = 370 days; end-of-month from
  2014-07-07, ``W`` = 95 days (Cboe lists up to 12: a simplification to bound file size);
  Wednesday weeklies from 2016-02-23, ``W`` = 35 days (a holiday moves to the session
  before); Monday weeklies from 2016-08-15, ``W`` = 21 days (a holiday moves to the session
  after). A date that several SPXW rules produce is one expiry.
* ``VIX`` (AM-settled, :func:`calendars.vx_expiration`) from 2006-02-24: the six nearest
  monthly expiries after the quote date.

Simplifications (documented in ``docs/sample_option_chains.md``): series expiring on the
quote date are not written (the expiring AM series stopped trading the day before; PM series
settle on the close of that day, which the index files carry); all weeklies are SPXW and
PM-settled (the 2005-2010 one-week options were AM-settled), all end-of-quarter options are
SPXW (their root was SPXQ until 2014-07-03).

Strikes (``strikes``): a strike grid is a union of zones, one per strike step (SPX 5 / 25 /
100 points; VIX 1 / 2.5 / 5). On each session ``t`` since the expiry was listed, zone ``j``
spans ``c_t · exp(z_j · s_t)`` for the zone's standardized bounds ``z_j``, where ``c_t`` is
the centre (SPX: the S&P 500 close; VIX: the real VX settle of that expiry, else the VX
term-structure model of :mod:`alvh_assets.sample.vx_futures` without noise) and
``s_t = vol_t · sqrt(max(tau_t, tau_min))`` (SPX: VIX/100; VIX: the ATM vol-of-vol of
:mod:`vol_surface`), widened to minimum and clipped to maximum fractions of ``c_t``. The
listed interval of a zone on day ``d`` is the running min of the lower and running max of
the upper bound over ``t`` in ``[listed_on, d]``; its strikes are the multiples of the
step inside it. A strike once listed therefore stays listed until expiry, as on the
exchange where new strikes are added when the underlying moves and none are removed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from alvh_assets.calendars import (
    is_trading_day,
    next_trading_day,
    on_or_before_trading_day,
    spx_monthly_expiration,
    third_friday,
    trading_days,
    vx_expiration,
)
from alvh_assets.sample import real_data

DATA_START = dt.date(1999, 1, 4)
"""First day of the real S&P 500 series: the first quote date the sample can have."""
DATA_END = dt.date(2018, 12, 31)
"""Last day of the real S&P 500 series."""

SPXW_FRIDAY_START = dt.date(2005, 10, 28)
SPXW_FRIDAY_WINDOWS: tuple[tuple[dt.date, dt.date, int], ...] = (
    (dt.date(2005, 10, 28), dt.date(2010, 12, 2), 8),
    (dt.date(2010, 12, 2), dt.date(2014, 1, 1), 35),
    (dt.date(2014, 1, 1), dt.date(9999, 1, 1), 42),
)
"""(from, until, window in calendar days) of Friday weeklies by era."""
SPXW_EOQ_WINDOWS = ((dt.date(2007, 2, 21), dt.date(9999, 1, 1), 370),)
SPXW_EOM_WINDOWS = ((dt.date(2014, 7, 7), dt.date(9999, 1, 1), 95),)
SPXW_WED_WINDOWS = ((dt.date(2016, 2, 23), dt.date(9999, 1, 1), 35),)
SPXW_MON_WINDOWS = ((dt.date(2016, 8, 15), dt.date(9999, 1, 1), 21),)
VIX_OPTIONS_START = dt.date(2006, 2, 24)
"""First trading day of VIX options (none are written before it)."""
VIX_LISTED_MONTHS = 6
SPX_NEAR_MONTHS = 2
"""Monthly listed when at most this many months after the front month (3 nearest)."""
SPX_QUARTERLY_MONTHS = 11
SPX_LEAPS_MONTHS = 36


@dataclass(frozen=True, order=True)
class Listing:
    """One listed expiry: ``root``, ``expiration`` and the first session it traded."""

    root: str
    expiration: dt.date
    listed_on: dt.date


# --------------------------------------------------------------------------- expiries


def _month_index(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def _ym(index: int) -> tuple[int, int]:
    return index // 12, index % 12 + 1


def _spx_month_limit(month: int) -> int:
    if month == 12:
        return SPX_LEAPS_MONTHS
    if month in (3, 6, 9):
        return SPX_QUARTERLY_MONTHS
    return SPX_NEAR_MONTHS


def _front_month(day: dt.date, expiry_of) -> int:
    """Index of the first contract month whose expiry is after ``day``."""
    m = _month_index(day) - 1
    while expiry_of(*_ym(m)) <= day:
        m += 1
    return m


def _spx_monthlies(day: dt.date) -> list[Listing]:
    """Standard SPX monthlies listed on ``day`` (see module docstring)."""
    front = _front_month(day, spx_monthly_expiration)
    out = []
    for m in range(front, front + SPX_LEAPS_MONTHS + 1):
        y, mo = _ym(m)
        limit = _spx_month_limit(mo)
        if m - front > limit:
            continue
        listed_on = spx_monthly_expiration(*_ym(m - limit - 1))
        out.append(Listing("SPX", spx_monthly_expiration(y, mo), listed_on))
    return out


def _first_session_on_or_after(d: dt.date) -> dt.date:
    return d if is_trading_day(d) else next_trading_day(d)


def _window_listed_on(
    expiration: dt.date, windows: tuple[tuple[dt.date, dt.date, int], ...]
) -> dt.date | None:
    """First session ``t < expiration`` inside an era ``[a, b)`` with ``expiration - t <= W``."""
    best = None
    for a, b, w in windows:
        t = _first_session_on_or_after(max(a, expiration - dt.timedelta(days=w)))
        if t < b and t < expiration and (best is None or t < best):
            best = t
    return best


def _window_listed(
    day: dt.date, expiration: dt.date, windows: tuple[tuple[dt.date, dt.date, int], ...]
) -> dt.date | None:
    """``listed_on`` when the window rule lists ``expiration`` on ``day``, else None."""
    if expiration <= day:
        return None
    listed_on = _window_listed_on(expiration, windows)
    return listed_on if listed_on is not None and listed_on <= day else None


def _weekday_expiry(nominal: dt.date, holiday_forward: bool) -> dt.date:
    """Nominal weekday expiry moved off a holiday (Monday: next session; else previous)."""
    if is_trading_day(nominal):
        return nominal
    return next_trading_day(nominal) if holiday_forward else on_or_before_trading_day(nominal)


def _spxw_candidates(day: dt.date) -> dict[dt.date, tuple]:
    """Candidate SPXW expiries near ``day`` with the window table that lists each."""
    cands: dict[dt.date, list] = {}
    base = day - dt.timedelta(days=day.weekday())  # Monday of the quote week
    monthly = {
        spx_monthly_expiration(*_ym(m)) for m in range(_month_index(day) - 1, _month_index(day) + 3)
    }
    for week in range(8):
        monday = base + dt.timedelta(weeks=week)
        friday = monday + dt.timedelta(days=4)
        if friday != third_friday(friday.year, friday.month):
            e = _weekday_expiry(friday, False)
            if e not in monthly:
                cands.setdefault(e, []).append(SPXW_FRIDAY_WINDOWS)
        wed = monday + dt.timedelta(days=2)
        e = _weekday_expiry(wed, False)
        if e not in monthly:
            cands.setdefault(e, []).append(SPXW_WED_WINDOWS)
        e = _weekday_expiry(monday, True)
        if e not in monthly:
            cands.setdefault(e, []).append(SPXW_MON_WINDOWS)
    for m in range(_month_index(day), _month_index(day) + 14):
        y, mo = _ym(m)
        ny, nmo = _ym(m + 1)
        last = on_or_before_trading_day(dt.date(ny, nmo, 1) - dt.timedelta(days=1))
        if mo in (3, 6, 9, 12):
            cands.setdefault(last, []).append(SPXW_EOQ_WINDOWS)
        cands.setdefault(last, []).append(SPXW_EOM_WINDOWS)
    return {e: tuple(w) for e, w in cands.items()}


def _spxw(day: dt.date) -> list[Listing]:
    out = []
    for e, tables in _spxw_candidates(day).items():
        dates = [d for d in (_window_listed(day, e, t) for t in tables) if d is not None]
        if dates:
            out.append(Listing("SPXW", e, min(dates)))
    return out


def vix_listings(day: dt.date) -> list[Listing]:
    """VIX option expiries listed on ``day``: the six nearest monthly expiries after it."""
    if day < VIX_OPTIONS_START:
        return []
    front = _front_month(day, vx_expiration)
    out = []
    for m in range(front, front + VIX_LISTED_MONTHS):
        listed_on = max(vx_expiration(*_ym(m - VIX_LISTED_MONTHS)), VIX_OPTIONS_START)
        out.append(Listing("VIX", vx_expiration(*_ym(m)), listed_on))
    return out


def spx_listings(day: dt.date) -> list[Listing]:
    """SPX and SPXW expiries listed on ``day``, sorted by (root, expiration)."""
    return sorted(_spx_monthlies(day) + _spxw(day))


# --------------------------------------------------------------------------- strikes


@dataclass(frozen=True)
class Zone:
    """One strike step and its bounds: standardized ``z_lo``/``z_hi``, the minimum
    half-widths ``min_lo``/``min_hi`` and the caps ``cap_lo``/``cap_hi`` as fractions of
    the centre; ``max_tau`` years: the zone only grows while the expiry is nearer."""

    step: float
    z_lo: float
    z_hi: float
    min_lo: float
    min_hi: float
    cap_lo: float
    cap_hi: float
    max_tau: float = 99.0


SPX_ZONES = (
    Zone(5.0, -2.0, 1.2, 0.95, 1.03, 0.80, 1.12, max_tau=1.0),
    Zone(25.0, -4.0, 2.0, 0.85, 1.08, 0.50, 1.30),
    Zone(100.0, -6.5, 3.5, 0.70, 1.15, 0.20, 2.00),
)
"""SPX/SPXW zones: 5-point near the money (expiries within a year), 25 further out,
100 in the wings (bounds in units of the VIX-implied standard deviation)."""
SPX_TAU_MIN = 21.0 / 365.0
"""Listing rules (strike zones) count whole calendar days / 365: which strikes a series lists
is a rule of the day, not a price, so it stays day-based (the chains are priced with the
minute ``T`` of :func:`alvh_assets.pricing.expiry_time.time_to_expiry`)."""

VIX_ZONES = (
    Zone(1.0, -1.2, 1.5, 0.85, 1.15, 0.70, 1.50),
    Zone(2.5, -2.0, 3.0, 0.75, 1.40, 0.50, 2.50),
    Zone(5.0, -2.5, 5.0, 0.60, 1.80, 0.40, 4.00),
)
"""VIX zones: 1-point near the money, 2.5 further out, 5 in the (call) wing."""
VIX_TAU_MIN = 14.0 / 365.0
VIX_MIN_STRIKE = 5.0


@cache
def _history() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sessions 1999-01-04 … 2018-12-31 with the real S&P 500 and VIX closes (VIX missing
    on 1999-12-31 in the source: the previous close is carried)."""
    days = trading_days(DATA_START, DATA_END)
    s = np.array(days, dtype="datetime64[D]")
    frame = pl.DataFrame({"date": days}, schema={"date": pl.Date})
    sp = real_data.sp500_daily().select("date", pl.col("close").alias("spx"))
    vix = real_data.vix_daily().select("date", pl.col("close").alias("vix")).sort("date")
    frame = frame.join(sp, on="date", how="left").join_asof(vix, on="date")
    if frame["spx"].null_count():
        raise ValueError("the real S&P 500 series misses NYSE sessions")
    return s, frame["spx"].to_numpy(), frame["vix"].to_numpy()


def session_index(day: dt.date) -> int:
    """Position of ``day`` in the 1999-2018 session history (ValueError outside it)."""
    s = _history()[0]
    i = int(np.searchsorted(s, np.datetime64(day, "D")))
    if i >= len(s) or s[i] != np.datetime64(day, "D"):
        raise ValueError(
            f"{day} is not an NYSE trading day in {DATA_START}..{DATA_END} "
            "(the range of the real S&P 500 series the sample chains are priced on)"
        )
    return i


def _cumulative_zones(
    centre: np.ndarray,
    vol: np.ndarray,
    tau: np.ndarray,
    tau_min: float,
    zones: tuple[Zone, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Running (lo, hi) per zone over the sessions of one expiry: shape (zones, sessions)."""
    sd = vol * np.sqrt(np.maximum(tau, tau_min))
    los, his = [], []
    for z in zones:
        lo = centre * np.clip(np.exp(z.z_lo * sd), z.cap_lo, z.min_lo)
        hi = centre * np.clip(np.exp(z.z_hi * sd), z.min_hi, z.cap_hi)
        active = tau <= z.max_tau
        lo = np.where(active, lo, np.inf)
        hi = np.where(active, hi, -np.inf)
        los.append(np.minimum.accumulate(lo))
        his.append(np.maximum.accumulate(hi))
    return np.array(los), np.array(his)


def _grid(lo: np.ndarray, hi: np.ndarray, zones: tuple[Zone, ...], floor: float) -> np.ndarray:
    parts = []
    for j, z in enumerate(zones):
        if not np.isfinite(lo[j]) or not np.isfinite(hi[j]):
            continue
        a = max(np.ceil(lo[j] / z.step - 1e-9), np.ceil(floor / z.step - 1e-9))
        b = np.floor(hi[j] / z.step + 1e-9)
        if b >= a:
            parts.append(np.arange(a, b + 1) * z.step)
    return np.unique(np.round(np.concatenate(parts), 3)) if parts else np.empty(0)


@cache
def _spx_zone_history(
    expiration: dt.date, listed_on: dt.date
) -> tuple[int, np.ndarray, np.ndarray]:
    """(first session index, running lo, running hi) of an SPX/SPXW expiry's zones."""
    s, spx, vix = _history()
    i0 = int(np.searchsorted(s, np.datetime64(max(listed_on, DATA_START), "D")))
    i1 = int(np.searchsorted(s, np.datetime64(expiration, "D")))
    days = s[i0:i1]
    tau = (np.datetime64(expiration, "D") - days).astype(np.float64) / 365.0
    lo, hi = _cumulative_zones(spx[i0:i1], vix[i0:i1] / 100.0, tau, SPX_TAU_MIN, SPX_ZONES)
    return i0, lo, hi


def spx_strikes(listing: Listing, day: dt.date) -> np.ndarray:
    """Strikes of an SPX/SPXW expiry on ``day`` (sorted, ascending)."""
    i0, lo, hi = _spx_zone_history(listing.expiration, listing.listed_on)
    i = session_index(day) - i0
    return _grid(lo[:, i], hi[:, i], SPX_ZONES, SPX_ZONES[0].step)


@cache
def _vx_reference() -> dict[dt.date, tuple[np.ndarray, np.ndarray]]:
    """Real VX settles by expiration: (session dates as datetime64, settles)."""
    vx = real_data.vx_settlements()
    out = {}
    for (exp,), g in vx.group_by(["expiration"]):
        g = g.sort("trade_date")
        out[exp] = (g["trade_date"].to_numpy().astype("datetime64[D]"), g["settle"].to_numpy())
    return out


@cache
def _vix_zone_history(
    expiration: dt.date, listed_on: dt.date
) -> tuple[int, np.ndarray, np.ndarray]:
    """(first session index, running lo, running hi) of a VIX expiry's zones.

    Centre: the real VX settle of that expiry where CFE reported one, else the noise-free VX
    term-structure model (``vx_futures.model_settle`` on the real VIX and its EWMA anchor).
    """
    from alvh_assets.sample import vx_futures
    from alvh_assets.sample.vol_surface import vix_atm_vol

    s = _history()[0]
    i0 = int(np.searchsorted(s, np.datetime64(max(listed_on, DATA_START), "D")))
    i1 = int(np.searchsorted(s, np.datetime64(expiration, "D")))
    days = s[i0:i1]
    tau = (np.datetime64(expiration, "D") - days).astype(np.float64) / 365.0
    anchor = vx_futures.vix_anchor()
    vix = anchor["close"].to_numpy()[i0:i1]
    centre = vx_futures.model_settle(vix, anchor["anchor"].to_numpy()[i0:i1], tau)
    real = _vx_reference().get(expiration)
    if real is not None:
        pos = np.searchsorted(real[0], days)
        ok = pos < len(real[0])
        hit = np.zeros(len(days), dtype=bool)
        hit[ok] = real[0][pos[ok]] == days[ok]
        centre = np.where(hit, real[1][np.minimum(pos, len(real[0]) - 1)], centre)
    centre = np.maximum(centre, VIX_MIN_STRIKE)
    vol = vix_atm_vol(vix, tau)
    lo, hi = _cumulative_zones(centre, vol, tau, VIX_TAU_MIN, VIX_ZONES)
    return i0, lo, hi


def vix_strikes(listing: Listing, day: dt.date) -> np.ndarray:
    """Strikes of a VIX option expiry on ``day`` (sorted, ascending)."""
    i0, lo, hi = _vix_zone_history(listing.expiration, listing.listed_on)
    i = session_index(day) - i0
    return _grid(lo[:, i], hi[:, i], VIX_ZONES, VIX_MIN_STRIKE)
