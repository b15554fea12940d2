"""Cboe index history (``<SYMBOL>_History.csv``) -> ``raw.cboe_index_daily``.

Layout (Cboe's index history download)::

    DATE,OPEN,HIGH,LOW,CLOSE

The symbol (SPX, VIX, VIX3M, …) is the alphanumeric token before ``_History`` in the file
name (``VIX_History.csv``, ``VIX3M_History.zip``, ``old_SPX_History.csv``), upper-cased, or
the ``symbol`` argument (which wins). Accepted variants: ISO (``YYYY-MM-DD``) and Cboe's
``MM/DD/YYYY`` dates in the same reader, CRLF, one preamble line before the header (older
Cboe downloads carry a title line), value columns prefixed with the symbol (``VIX Open``),
and O = H = L = C rows (the VIX before 1992 has only a close).

Row rules, in priority order (a row gets the code of the first rule it breaks):

1. ``wrong_column_count``: not 5 fields;
2. ``empty_mandatory_field``: any field empty;
3. ``unparseable_date``: neither ``YYYY-MM-DD`` nor ``MM/DD/YYYY`` (or a year before 1900);
4. ``non_numeric_value``: a price that is not a finite number;
5. ``negative_price``: a price <= 0 (an index level is positive);
6. ``implausible_value``: a price >= :data:`LEVEL_MAX` (1e6; the highest real level, SPX,
   is below 10,000 and the VIX's record close is 82.69);
7. ``inconsistent_ohlc``: high < low, close outside [low, high], or open outside
   [low / :data:`OPEN_BAND`, high × :data:`OPEN_BAND`] (tolerance :data:`TOLERANCE`);
8. ``not_a_trading_day``: the date is not an NYSE session (the real VIX file has a row on
   the 2004-06-11 closure for President Reagan's funeral and, from 2022, rows on NYSE
   holidays when Cboe disseminated the VIX during its global trading hours);
9. ``duplicate_key_in_file``: a second row for the same date with the same prices, or
   ``conflicting_duplicate_key_in_file`` when its prices differ (the first row loads; the
   reason names its line and the differing columns).

Why the open gets a band instead of [low, high]: Cboe's historical VIX open is the first
value computed after the bell, from stale pre-open option quotes, and was not part of the
day's high/low. 45 real VIX rows (1992-2004) and 1 VIX3M row (2013-10-30: open 14.68, low
15.00) have an open outside [low, high], by up to 24% (1994-03-08: open 12.20, low 16.07);
their closes are good and they load. Two more VIX opens are gross errors and their rows are
quarantined: 2004-11-08 (open 2.58, range 13.68-14.48) and 2006-02-08 (open 41.60, range
12.76-13.61). High >= low and low <= close <= high hold on every real row.

A file is unreadable when it is not UTF-8 text, is empty, is a broken zip, its header is
not ``DATE,OPEN,HIGH,LOW,CLOSE`` (after at most one preamble line; the message names the
missing and unexpected columns only), or no symbol can be
told (file not named ``<SYMBOL>_History.*`` and no ``symbol`` argument).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from alvh_assets.calendars import sessions_series
from alvh_assets.ingest.csv_lines import header_problem, read_csv_lines
from alvh_assets.ingest.quarantine import ReadResult, Reason, UnreadableFileError
from alvh_assets.ingest.rules import (
    Rule,
    column_count_rule,
    columns_from_fields,
    empty_fields_rule,
    not_a_number,
    parse_date,
    parse_float,
    split_by_rules,
    split_duplicates,
    text,
    unparseable_date_rule,
)
from alvh_assets.landing import INDEX_FILE_NAME, index_history_file

SOURCE = "cboe_index_daily"
SCHEMA: dict[str, pl.DataType] = {
    "symbol": pl.Utf8(),
    "date": pl.Date(),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
}
KEY = ("symbol", "date")
PARTITION_COLUMN: str | None = "date"

PRICES = ("open", "high", "low", "close")
HEADER = ("date", *PRICES)
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
TOLERANCE = 1e-9
"""Absolute slack in the OHLC consistency checks (float noise only)."""
LEVEL_MAX = 1e6
"""Exclusive upper bound of a plausible index level (rule ``implausible_value``)."""
OPEN_BAND = 2.0
"""The open may lie outside [low, high] (Cboe's stale-quote open) but not beyond
[low / OPEN_BAND, high × OPEN_BAND]: beyond that it is a gross error."""


def symbol_from_name(path: Path | str) -> str | None:
    """``.../VIX3M_History.csv`` -> ``'VIX3M'`` (None when the name has no ``_History``)."""
    m = INDEX_FILE_NAME.search(Path(path).name)
    return m.group(1).upper() if m else None


def _finite_float(col: str) -> pl.Expr:
    """:func:`parse_float` with NaN/inf treated as not a number (null)."""
    value = parse_float(col)
    return pl.when(value.is_finite()).then(value)


def _date(col: str) -> pl.Expr:
    """:func:`parse_date` (ISO or US); years before 1900 (``6/11/04``) are unparseable."""
    parsed = parse_date(col, DATE_FORMATS)
    return pl.when(parsed.dt.year() >= 1900).then(parsed)


def _header(path: Path | str, header: list[str], symbol: str) -> list[str]:
    """Header names with a symbol prefix removed (``vix_open`` -> ``open``); raises unless
    they are exactly ``date, open, high, low, close``."""
    prefix = f"{symbol.lower()}_"
    names = [h.removeprefix(prefix) for h in header]
    if tuple(names) != HEADER:
        raise UnreadableFileError(
            path,
            f"wrong header: expected the Cboe index columns {', '.join(HEADER)}: "
            f"{header_problem(HEADER, names)}",
        )
    return names


def read_cboe_index(path: Path | str, symbol: str | None = None) -> ReadResult:
    """Parse one Cboe index history file (rules in the module docstring)."""
    sym = (symbol or symbol_from_name(path) or "").strip().upper()
    if not sym:
        raise UnreadableFileError(
            path,
            f"cannot tell the index symbol: name the file {index_history_file('<SYMBOL>')} "
            "or pass symbol=",
        )
    lines = read_csv_lines(path, "date", preamble_max=1)
    header = _header(path, lines.header, sym)
    frame = columns_from_fields(lines.lines, header).rename(
        {name: f"{name}_text" for name in header}
    )
    frame = frame.with_columns(
        pl.lit(sym).alias("symbol"),
        _date("date_text").alias("date"),
        *(_finite_float(f"{c}_text").alias(c) for c in PRICES),
    )
    o, h, lo, c = (pl.col(x) for x in PRICES)
    inconsistent = (
        (h < lo - TOLERANCE)
        | (c < lo - TOLERANCE)
        | (c > h + TOLERANCE)
        | (o < lo / OPEN_BAND - TOLERANCE)
        | (o > h * OPEN_BAND + TOLERANCE)
    )
    rules = [
        column_count_rule(len(HEADER)),
        empty_fields_rule([f"{x}_text" for x in HEADER], "date, open, high, low or close"),
        unparseable_date_rule("date", "date_text", expected="YYYY-MM-DD or MM/DD/YYYY"),
        Rule(
            Reason.NON_NUMERIC_VALUE,
            pl.any_horizontal(*(not_a_number(f"{x}_text", x) for x in PRICES)),
            text(
                "non-numeric price: open '{}' high '{}' low '{}' close '{}'",
                *(f"{x}_text" for x in PRICES),
            ),
        ),
        Rule(
            Reason.NEGATIVE_PRICE,
            pl.any_horizontal(*(pl.col(x) <= 0 for x in PRICES)),
            text("price <= 0: open {} high {} low {} close {}", *PRICES),
        ),
        Rule(
            Reason.IMPLAUSIBLE_VALUE,
            pl.any_horizontal(*(pl.col(x) >= LEVEL_MAX for x in PRICES)),
            text(
                f"implausible index level (at least {LEVEL_MAX:,.0f}): "
                "open {} high {} low {} close {}",
                *(f"{x}_text" for x in PRICES),
            ),
        ),
        Rule(
            Reason.INCONSISTENT_OHLC,
            inconsistent,
            text(
                f"inconsistent OHLC: open {{}} high {{}} low {{}} close {{}} (need low <= high, "
                f"low <= close <= high, low/{OPEN_BAND:g} <= open <= high*{OPEN_BAND:g})",
                *PRICES,
            ),
        ),
        Rule(
            Reason.NOT_TRADING_DAY,
            ~pl.col("date").is_in(sessions_series().implode()),
            text("date {} is not an NYSE session", "date"),
        ),
    ]
    accepted, rejected = split_by_rules(frame, rules, PARTITION_COLUMN)
    accepted, dups = split_duplicates(
        accepted, list(KEY), f"{sym} index day", PARTITION_COLUMN, values=PRICES
    )
    out = accepted.select(*SCHEMA, "_source_row").cast(SCHEMA)  # type: ignore[arg-type]
    return ReadResult(
        SOURCE,
        Path(path),
        lines.sha256,
        lines.lines.height,
        out,
        pl.concat([rejected, dups]).sort("source_row"),
    )
