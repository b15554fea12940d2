"""The landing contract: where the vendors' files land, what they are called, the columns
of Cboe DataShop's Option EOD Summary, the CFE VX conventions and when a day is complete.

Layout under the landing root (:func:`alvh_assets.paths.landing_dir`)::

    cboe/option_eod/<SPX|VIX>/UnderlyingOptionsEOD[Calcs]_^<U>_<YYYY-MM-DD>.csv|.zip
    cfe/vx/CFE_<month code><yy>_VX[_<tag>].csv, VX_<expiry>.csv   one file per contract
    cboe/index/<SYMBOL>_History.csv                       SPX, VIX, VIX3M
    nyse/breadth/*.csv                                    advances, declines, volumes
    fred/<SERIES>.csv                                     CPILFESL, PPIACO, FEDFUNDS
    calendars/*release_calendar*.csv, calendars/fomc_decisions*.csv
    valuation/*.csv                                       monthly valuation inputs

This module is the one place those names are spelled. The sample market writes to it
(:mod:`alvh_assets.sample`), the ingest finds its files with it
(:mod:`alvh_assets.ingest.sources`, :mod:`alvh_assets.ingest.landing_checks`) and the
landing sensors ask it whether a day is complete. How a file is *parsed* (headers by name,
date formats, the vendors' quirks) stays in the readers (:mod:`alvh_assets.ingest.readers`),
independent of how the sample writes, so the round-trip tests keep their meaning.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from alvh_assets.calendars import VX_MONTH_CODES, is_trading_day, vx_expiration

# --------------------------------------------------------------------------------------------
# Where each source's files land
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drop:
    """Where one raw source's files land: globs under the landing root, the regex naming a
    file's delivery group, and what a session's delivery looks like (for the one-line
    refusal of a window that lacks it; ``{group}`` and ``{day}`` are filled in)."""

    patterns: tuple[str, ...]
    group_pattern: str | None = None
    delivery: str = ""
    dated_files: bool = False
    """One file per session, its date ending the name (``…_YYYY-MM-DD.csv|zip``)."""


OPTION_EOD_DIR = "cboe/option_eod"
CFE_VX_DIR = "cfe/vx"
INDEX_DIR = "cboe/index"
BREADTH_DIR = "nyse/breadth"
FRED_DIR = "fred"
CALENDARS_DIR = "calendars"
VALUATION_DIR = "valuation"

DROPS: dict[str, Drop] = {
    "cboe_option_eod": Drop(
        (f"{OPTION_EOD_DIR}/**/*.csv", f"{OPTION_EOD_DIR}/**/*.zip"),
        group_pattern=r"^UnderlyingOptionsEOD(?:Calcs)?_(?P<group>.+)_\d{4}-\d{2}-\d{2}\.",
        delivery=f"file {OPTION_EOD_DIR}/*/UnderlyingOptionsEOD[Calcs]_{{group}}_{{day}}.csv|.zip",
        dated_files=True,
    ),
    "cfe_vx_settlements": Drop(
        (f"{CFE_VX_DIR}/*.csv",),
        delivery=f"a row dated {{day}} in {CFE_VX_DIR}/*.csv (CFE_*_VX.csv or VX_<expiry>.csv)",
    ),
    "cboe_index_daily": Drop(
        (f"{INDEX_DIR}/*_History.csv",),
        group_pattern=r"(?P<group>[A-Za-z0-9]+)_History\.",
        delivery=f"a row dated {{day}} in {INDEX_DIR}/{{group}}_History.csv",
    ),
    "nyse_breadth_daily": Drop(
        (f"{BREADTH_DIR}/*.csv",), delivery=f"a row dated {{day}} in {BREADTH_DIR}/*.csv"
    ),
    "fred_observations": Drop(
        (f"{FRED_DIR}/*.csv",), group_pattern=r"^(?P<group>.+)\.csv$", delivery="fred/{group}.csv"
    ),
    "macro_release_calendar": Drop((f"{CALENDARS_DIR}/*release_calendar*.csv",)),
    "fomc_decisions": Drop((f"{CALENDARS_DIR}/fomc_decisions*.csv",)),
    "valuation_monthly": Drop((f"{VALUATION_DIR}/*.csv",)),
}
"""The landing contract of every raw table (keyed by the table's name in ``raw``)."""

REFERENCE_SOURCES = (
    "fred_observations",
    "macro_release_calendar",
    "fomc_decisions",
    "valuation_monthly",
)
"""Monthly and calendar sources (not partitioned by day): a change to one of their files
is what the macro sensor watches."""

REFERENCE_PATTERNS: tuple[str, ...] = tuple(p for s in REFERENCE_SOURCES for p in DROPS[s].patterns)


# --------------------------------------------------------------------------------------------
# File names (the sample writes these; the readers recognise them)
# --------------------------------------------------------------------------------------------


def option_eod_file(underlying: str, day: dt.date, ext: str = "csv") -> str:
    """``cboe/option_eod/<U>/UnderlyingOptionsEODCalcs_^<U>_<day>.<ext>``: the DataShop name of
    one underlying's Option EOD Summary with Calcs for one day (SPXW rows sit in SPX's)."""
    return f"{OPTION_EOD_DIR}/{underlying}/UnderlyingOptionsEODCalcs_^{underlying}_{day}.{ext}"


def index_history_file(symbol: str) -> str:
    """``cboe/index/<SYMBOL>_History.csv``, Cboe's name for an index's daily history."""
    return f"{INDEX_DIR}/{symbol}_History.csv"


INDEX_FILE_NAME = re.compile(r"([A-Za-z0-9]+)_History\.(?:csv|zip|csv\.zip)$", re.IGNORECASE)
"""An index history's file name; group 1 is the symbol (``old_SPX_History.csv`` -> SPX)."""


def cfe_vx_file(code: str, tag: str = "") -> str:
    """``cfe/vx/CFE_<code>_VX[_<tag>].csv``: CFE's per-contract file name (``code`` as
    :func:`vx_contract_code` spells it; ``tag`` marks a modelled file)."""
    return f"{CFE_VX_DIR}/CFE_{code}_VX{'_' + tag if tag else ''}.csv"


CFE_VX_FILE_GLOB = "CFE_*_VX.csv"
"""CFE's own per-contract files (the shipped real archive holds them under this name)."""


def fred_file(series_id: str) -> str:
    """``fred/<SERIES>.csv``, FRED's download named after its series."""
    return f"{FRED_DIR}/{series_id}.csv"


BREADTH_SAMPLE_FILE = f"{BREADTH_DIR}/NYSE_breadth_modelled.csv"
RELEASE_CALENDAR_SAMPLE_FILE = f"{CALENDARS_DIR}/cpi_ppi_release_calendar_modelled.csv"
FOMC_FILE = f"{CALENDARS_DIR}/fomc_decisions.csv"
VALUATION_FILE = f"{VALUATION_DIR}/valuation_monthly.csv"


# --------------------------------------------------------------------------------------------
# Cboe DataShop "Option EOD Summary" columns
# --------------------------------------------------------------------------------------------

OPTION_EOD_COLUMNS: tuple[str, ...] = (
    "underlying_symbol", "quote_date", "root", "expiration", "strike", "option_type",
    "open", "high", "low", "close", "trade_volume",
    "bid_size_1545", "bid_1545", "ask_size_1545", "ask_1545",
    "underlying_bid_1545", "underlying_ask_1545",
    "implied_underlying_price_1545", "active_underlying_price_1545",
    "implied_volatility_1545", "delta_1545", "gamma_1545", "theta_1545", "vega_1545",
    "rho_1545",
    "bid_size_eod", "bid_eod", "ask_size_eod", "ask_eod",
    "underlying_bid_eod", "underlying_ask_eod", "vwap", "open_interest", "delivery_code",
)  # fmt: skip
"""The 34 columns of Cboe DataShop's Option EOD Summary with Calcs, in the vendor's order."""

OPTION_EOD_CALCS_COLUMNS: tuple[str, ...] = (
    "implied_underlying_price_1545",
    "active_underlying_price_1545",
    "implied_volatility_1545",
    "delta_1545",
    "gamma_1545",
    "theta_1545",
    "vega_1545",
    "rho_1545",
)
"""The columns of the Calcs add-on; a file without the add-on has the other 26."""


# --------------------------------------------------------------------------------------------
# CFE VX conventions
# --------------------------------------------------------------------------------------------

VX_PRICE_SCALE_CHANGE = dt.date(2007, 3, 26)
"""CFE quoted VX ×10 (a 137.20 settle means 13.72) for trade dates before this day."""

VX_SETTLE_RANGE = (5.0, 100.0)
"""Plausible VX settlements in index points after the ×10 rule (real 2004–2014 settles run
9.95 … 67.95; the VIX's record close is 82.69). CFE's own files hold two 1.00 settles on
2008-04-21 (F09, G09: G09 settled 23.55 the day before): outside this range, not data."""

_LABEL = re.compile(r"^([FGHJKMNQUVXZ]) \((\w{3}) (\d{2})\)$")


def two_digit_year(yy: int) -> int:
    """A contract's two-digit year as POSIX ``%y`` reads it (69-99 -> 19xx, else 20xx)."""
    return (1900 if yy >= 69 else 2000) + yy


def vx_contract_code(year: int, month: int) -> str:
    """CFE's contract code: month letter + two-digit year (``K07`` for May 2007)."""
    return f"{VX_MONTH_CODES[month - 1]}{year % 100:02d}"


def vx_label_expiration(label: str) -> dt.date:
    """Expiration date of a CFE contract label such as ``K (May 07)`` (year by
    :func:`two_digit_year`: the modelled 1999 contracts are 19xx)."""
    m = _LABEL.match(label.strip())
    if not m:
        raise ValueError(f"not a CFE VX contract label: {label!r}")
    month = VX_MONTH_CODES.index(m.group(1)) + 1
    return vx_expiration(two_digit_year(int(m.group(3))), month)


# --------------------------------------------------------------------------------------------
# When a day is complete (the landing sensor's rule)
# --------------------------------------------------------------------------------------------

OPTION_ROOTS_EXPECTED = {"SPX": dt.date(1990, 1, 2), "VIX": dt.date(2006, 2, 24)}
"""Option EOD folders with one file per session, and the first day each is expected."""
DAY_COMPLETE_INDEXES = ("SPX", "VIX")
"""Index histories that must hold a row for the day (they grow by one row a session)."""
TAIL_BYTES = 64 * 1024
"""How much of an index history's end is read (~1,500 rows, about six years)."""
_FILE_DATE = re.compile(r"_(\d{4}-\d{2}-\d{2})\.(?:csv|zip)$")


def option_file(landing: Path, underlying: str, day: dt.date) -> Path | None:
    """The day's non-empty option EOD file of ``underlying`` (``.csv`` or ``.zip``), if any."""
    for ext in ("csv", "zip"):
        p = landing / option_eod_file(underlying, day, ext)
        if p.is_file() and p.stat().st_size > 0:
            return p
    return None


def _parse_date(field: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(field.strip(), fmt).date()
        except ValueError:
            pass
    return None


def index_tail_dates(path: Path) -> set[dt.date]:
    """Dates of the rows in the last :data:`TAIL_BYTES` of an index history (ISO or
    ``MM/DD/YYYY``); empty when the file is missing."""
    if not path.is_file():
        return set()
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - TAIL_BYTES))
        lines = f.read().decode("utf-8", "replace").splitlines()[1:]  # first may be cut
    return {d for line in lines if (d := _parse_date(line.split(",", 1)[0]))}


def index_tails(landing: Path) -> list[set[dt.date]]:
    """:func:`index_tail_dates` of each of :data:`DAY_COMPLETE_INDEXES`."""
    return [index_tail_dates(landing / index_history_file(s)) for s in DAY_COMPLETE_INDEXES]


def has_index_row(tail: set[dt.date], day: dt.date) -> bool:
    """The history has a row for ``day``: it is in the tail, or older than the whole tail
    (only the growing end of an archive is checked; its older rows are taken as present)."""
    return day in tail or (bool(tail) and day < min(tail))


def day_complete(landing: Path, day: dt.date, tails: list[set[dt.date]]) -> bool:
    """Rule: ``day`` is complete when it is an NYSE session, a non-empty option EOD file
    exists for every underlying expected that day (SPX; VIX from 2006-02-24) and every
    index history of :data:`DAY_COMPLETE_INDEXES` has a row for it (``tails`` from
    :func:`index_tails`)."""
    expected = [u for u, first in OPTION_ROOTS_EXPECTED.items() if day >= first]
    return (
        is_trading_day(day)
        and all(option_file(landing, u, day) for u in expected)
        and all(has_index_row(t, day) for t in tails)
    )


def landed_days(landing: Path) -> list[dt.date]:
    """Sorted dates that have an SPX option EOD file (the candidates)."""
    folder = landing / OPTION_EOD_DIR / "SPX"
    if not folder.is_dir():
        return []
    found = (_FILE_DATE.search(p.name) for p in folder.iterdir())
    return sorted({dt.date.fromisoformat(m.group(1)) for m in found if m})
