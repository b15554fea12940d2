"""CFE VX daily settlement history (one file per contract) -> ``raw.cfe_vx_settlements``.

Layout (CFE's per-contract history download, both the archive files ``CFE_K07_VX.csv`` and
the files CFE's historical-data page serves today, named by expiry, ``VX_2023-08-30.csv``)::

    Trade Date,Futures,Open,High,Low,Close,Settle,Change,Total Volume,EFP,Open Interest

Columns are mapped **by name** (any order; trailing empty header names are ignored); the
header must hold these 11 names, each once, and nothing else.

Accepted vendor quirks (all present in the real files of ``alvh_assets/data/real/cfe_vx``,
except what concerns the current files, pinned by the hand-made files of
``tests/data/real_layouts/cfe_vx``):

- a one-line disclaimer before the header (2014-15 files), CRLF, a blank trailing line;
- ``M/D/YYYY`` and ``MM/DD/YYYY`` trade dates (archive files), or ISO ``YYYY-MM-DD`` (the
  files served today). One file uses one style, that of its first data line whose date
  parses in either; a line in the other style is ``unparseable_date`` (a mixed file is a
  damaged file, not a second convention);
- a trailing comma on some 2004-05 rows (an empty 12th field);
- prices quoted ×10 for trade dates before :data:`~alvh_assets.landing.VX_PRICE_SCALE_CHANGE`
  (2007-03-26): open, high, low, close, settle and change are divided by 10 (rounded to
  :data:`SCALED_DECIMALS` places, so 120.20 loads as exactly 12.02) and ``price_scale``
  records the divisor (10, else 1);
- a 0 in open/high/low/close means "no trade that day" and loads as null (each field on
  its own: CFE also delivers rows with open = close = 0 but a high and a low);
- a 0 settle (rows listed before a contract has a settlement) loads as a null settle;
- an empty open/high/low/close or change (e.g. every contract on 2004-12-13, the first row
  of some 2004-05 contracts) loads as null.

``change`` is stored as delivered (after the ×10 rule): CFE computes it against the previous
*quoted* settle, so it jumps on a contract's first settle and on 2007-03-26 (-124.91 for
K (May 07)); recompute changes from settles downstream.

``contract`` is the ``Futures`` label as delivered (stripped). Accepted label forms
(:func:`parse_label`), and where ``contract_expiration`` comes from:

=============================  ==================================================================
form, example                  expiration
=============================  ==================================================================
``K (May 07)``                 archive monthly: month code and ``(Mon yy)``; the monthly VX expiry
                               rule (:func:`alvh_assets.calendars.vx_expiration`) of that month
``Q (Aug 2023)``               the same with a four-digit year (the files served today)
``VX/Q3 (Aug 2023)``,          CFE's monthly symbol (``VX`` or ``VX+VXT``, ``/``, month code, last
``VX+VXT/F3 (Jan 23)``         1-2 digits of the year) before ``(Mon yy|yyyy)``; symbol and
                               parenthesis must name the same month; the monthly expiry rule
``VX35 08/30/2023``,           a label carrying its expiry date (``MM/DD/YYYY`` or
``VX+VXT35 2023-08-30``,       ``YYYY-MM-DD``): ``VX`` or ``VX+VXT``, an optional 1-2 digit week
``VX 08/16/2023``              number (CFE's weekly symbols ``VX35/Q3``), a space, the date. The
                               expiration **is that date**; without a week number the date must be
                               the monthly expiry of its month (a label without a week number
                               names a monthly, as CFE's symbols ``VX/Q3`` do)
=============================  ==================================================================

Provenance of the forms: ``K (May 07)`` is in the real archive files; the four-digit year
(``M (Jun 2016)``) is what public parsers of the current files show; ``VX/F0`` (monthly) and
``VX04/F0`` (weekly, expiring 2020-01-29) are CFE's symbols on its settlement pages, and
``VX+VXT/F3`` its product names. The label CFE writes in a current *weekly* file could not
be confirmed from a public copy: a label that carries an expiry date is accepted on the
strength of that date, and a weekly form without one is quarantined, never guessed.

The week number is kept in ``contract`` but not checked against the date (CFE's week
numbering is not the ISO week: ``VX04/F0`` expired 2020-01-29, ISO week 5). A weekly label
without a date (``VX+VXT35/Q3``, ``VX35/Q3 (Aug 2023)``) names no expiry the reader could
justify, so it is ``unknown_contract_label``, like any other label not in the table; the
reason quotes the label and says what is wrong with it (one reason per row, never an error).

``is_weekly`` is True when ``contract_expiration`` is not the monthly VX expiry of its month.
A weekly-labelled contract expiring on the monthly expiry date is the monthly contract (CFE
lists no weekly in the monthly's week; one contract settles that Wednesday): it loads with
``is_weekly`` False and shares the monthly's key, so two files delivering it are copies of
one key (the ingest's cross-file duplicate rules apply). Monthly and weekly contracts of
different expiries coexist on a trade date under the key (trade date, contract expiration).

Row rules, in priority order (a row gets the code of the first rule it breaks):

1. ``wrong_column_count``: not 11 fields (12 with an empty last field is accepted);
2. ``empty_mandatory_field``: empty trade date, futures label, settle, total volume, EFP or
   open interest;
3. ``unparseable_date``: trade date not in the file's style (``M/D/YYYY`` or
   ``YYYY-MM-DD``, above), or a year before 1900;
4. ``non_numeric_value``: a non-empty price or change that is not a finite number, or a
   volume/EFP/open interest that is not an integer;
5. ``unknown_contract_label``: the label is none of the forms above, or its parts disagree
   (a month name that is not the CFE month code's, a monthly symbol and date that are not
   the monthly expiry); the reason quotes the label and names the problem;
6. ``negative_price``: open, high, low, close or settle below 0;
7. ``negative_count``: total volume, EFP or open interest below 0;
8. ``implausible_value``: open, high, low or close at or above :data:`PRICE_MAX` (1,000
   index points after the ×10 rule; the real maximum is a 72.80 high), ``|change|`` at or
   above it, or total volume, EFP or open interest at or above :data:`COUNT_MAX` (1e9
   contracts; the real maximum open interest is 216,628);
9. ``not_a_trading_day``: the trade date is not an NYSE session;
10. ``expiration_before_quote_date``: the trade date is after the contract's expiration;
11. ``vx_settle_out_of_range``: a non-zero settle outside :data:`SETTLE_RANGE` ([5, 100]
    index points) after the ×10 rule (a 137.20 settle on 2006-04-03 is 13.72 and loads; on
    2007-04-02 it is a price left ×10 and is quarantined);
12. ``duplicate_key_in_file``: a second row with the same (trade date, contract expiration)
    and the same values, or ``conflicting_duplicate_key_in_file`` when some value differs
    (the first row loads; the reason names its line and the differing columns).

Two real rows break rule 11: CFE's files hold a 1.00 settle for F (Jan 09) and G (Feb 09)
on 2008-04-21 (G (Feb 09) settled 23.55 the day before and 23.48 the day after); they are
quarantined, every other real row loads.

A file is unreadable (:class:`~alvh_assets.ingest.quarantine.UnreadableFileError`) when it
is not UTF-8 text, is empty, is a broken zip, or its header does not hold the 11 columns
above (any order) after at most one preamble line (the message names the missing,
unexpected and repeated columns only).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from pathlib import Path
from typing import NamedTuple

import polars as pl

from alvh_assets.calendars import VX_MONTH_CODES, sessions_series, vx_expiration
from alvh_assets.ingest.csv_lines import header_problem, read_csv_lines
from alvh_assets.ingest.quarantine import ReadResult, Reason, UnreadableFileError
from alvh_assets.ingest.rules import (
    Rule,
    column_count_rule,
    columns_from_fields,
    empty_fields_rule,
    is_empty,
    not_a_number,
    parse_date,
    parse_float,
    split_by_rules,
    split_duplicates,
    text,
    unparseable_date_rule,
)
from alvh_assets.landing import VX_PRICE_SCALE_CHANGE, VX_SETTLE_RANGE, two_digit_year

SOURCE = "cfe_vx_settlements"
SCHEMA: dict[str, pl.DataType] = {
    "trade_date": pl.Date(),
    "contract": pl.Utf8(),
    "contract_expiration": pl.Date(),
    "is_weekly": pl.Boolean(),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "settle": pl.Float64(),
    "change": pl.Float64(),
    "total_volume": pl.Int64(),
    "efp": pl.Int64(),
    "open_interest": pl.Int64(),
    "price_scale": pl.Int8(),
}
KEY = ("trade_date", "contract_expiration")
PARTITION_COLUMN: str | None = "trade_date"

HEADER = (
    "trade_date",
    "futures",
    "open",
    "high",
    "low",
    "close",
    "settle",
    "change",
    "total_volume",
    "efp",
    "open_interest",
)
"""The 11 CFE columns (normalised names), in file order."""
DATE_STYLES = {"MM/DD/YYYY": "%m/%d/%Y", "YYYY-MM-DD": "%Y-%m-%d"}
"""Trade-date styles: the archive files' and the current files' (one style per file)."""
PRICES = ("open", "high", "low", "close", "settle")
SCALED = (*PRICES, "change")
COUNTS = ("total_volume", "efp", "open_interest")
MANDATORY = ("trade_date", "futures", "settle", *COUNTS)
SETTLE_RANGE = VX_SETTLE_RANGE
"""Plausible VX settle in index points, after the ×10 rule. Real settles span 9.95 (2007-02-14)
to 67.95 (2008-11-17) and the VIX's record close is 82.69 (2020-03-16), so 100 leaves room
while a price still quoted ×10 after 2007-03-26 (137.20 for 13.72) falls outside."""
PRICE_MAX = 1000.0
"""Exclusive upper bound of a plausible VX open/high/low/close and ``|change|``."""
COUNT_MAX = 10**9
"""Exclusive upper bound of a plausible total volume, EFP or open interest."""
PRICE_SCALE = 10
"""Divisor of the prices CFE quoted before 2007-03-26."""
SCALED_DECIMALS = 6
"""Rounding after ÷10, so decimal inputs give the nearest double of the exact quotient."""
_EXTRA = "_field_12"


class VxLabel(NamedTuple):
    """What a ``Futures`` label says: its expiration and kind, or why it is not accepted."""

    expiration: dt.date | None
    is_weekly: bool | None
    problem: str | None
    """None when accepted; else the reason's text after the quoted label."""


_CODES = "[" + VX_MONTH_CODES + "]"
_ARCHIVE = re.compile(rf"^(?P<code>{_CODES}) \((?P<mon>[A-Za-z]{{3}}) (?P<year>\d{{2}}|\d{{4}})\)$")
_SYMBOL = re.compile(
    rf"^VX(?:\+VXT)?(?P<week>\d{{1,2}})?/(?P<code>{_CODES})(?P<yd>\d{{1,2}})"
    r"(?: \((?P<mon>[A-Za-z]{3}) (?P<year>\d{2}|\d{4})\))?$"
)
_DATED = re.compile(
    r"^VX(?:\+VXT)?(?P<week>\d{1,2})? (?P<date>\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})$"
)
_LABEL_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d")


def _rejected(problem: str) -> VxLabel:
    return VxLabel(None, None, problem)


def _monthly_expiry(year: int, month: int) -> dt.date | None:
    """The monthly VX expiry of ``(year, month)``, or None where the exchange calendar does
    not cover it (the rule then yields no date inside that month)."""
    try:
        expiration = vx_expiration(year, month)
    except (ValueError, OverflowError):
        return None
    return expiration if (expiration.year, expiration.month) == (year, month) else None


def _monthly(code: str, mon: str, year_text: str) -> VxLabel:
    """The monthly contract of month code ``code`` named ``(mon year)``."""
    month = VX_MONTH_CODES.index(code) + 1
    expected = calendar.month_abbr[month]
    if mon != expected:
        return _rejected(f"month {mon} is not code {code} ({expected})")
    year = int(year_text) if len(year_text) == 4 else two_digit_year(int(year_text))
    expiration = _monthly_expiry(year, month)
    if expiration is None:
        return _rejected(f"{mon} {year} is outside the exchange calendar")
    return VxLabel(expiration, False, None)


def _label_date(text: str) -> dt.date | None:
    for fmt in _LABEL_DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_label(label: str) -> VxLabel:
    """Expiration and kind of a CFE VX ``Futures`` label (forms in the module docstring):
    ``K (May 07)``, ``Q (Aug 2023)``, ``VX/Q3 (Aug 2023)``, ``VX35 08/30/2023``,
    ``VX 08/16/2023``; anything else gets ``problem`` set and no expiration."""
    text = label.strip()
    if m := _ARCHIVE.match(text):
        return _monthly(m["code"], m["mon"], m["year"])
    if m := _SYMBOL.match(text):
        if m["week"] is not None:
            return _rejected("a weekly symbol without its expiry date")
        if m["mon"] is None:
            return _rejected("a monthly symbol without (Mon yyyy)")
        parsed = _monthly(m["code"], m["mon"], m["year"])
        if parsed.expiration is None:
            return parsed
        yd = m["yd"]
        if int(yd) != parsed.expiration.year % 10 ** len(yd):
            return _rejected(f"symbol year {yd} is not {m['year']}")
        return parsed
    if m := _DATED.match(text):
        expiration = _label_date(m["date"])
        if expiration is None or expiration.year < 1900:
            return _rejected(f"unparseable expiry date {m['date']}")
        monthly = _monthly_expiry(expiration.year, expiration.month)
        if monthly is None:
            return _rejected(f"expiry date {expiration} is outside the exchange calendar")
        if m["week"] is None and expiration != monthly:
            return _rejected(
                f"no week number, but {expiration} is not the monthly VX expiry ({monthly})"
            )
        return VxLabel(expiration, expiration != monthly, None)
    return _rejected("not a CFE VX contract label")


def contract_expiration(label: str) -> dt.date | None:
    """Expiration of a CFE VX label (``K (May 07)``, ``VX35 08/30/2023`` …: :func:`parse_label`),
    or None when the label is not accepted (``K (Jun 07)``: code K is May)."""
    return parse_label(label).expiration


def _finite_float(col: str) -> pl.Expr:
    """:func:`parse_float` with NaN/inf treated as not a number (null)."""
    value = parse_float(col)
    return pl.when(value.is_finite()).then(value)


def _date(col: str, fmt: str) -> pl.Expr:
    """:func:`parse_date` in one style; years before 1900 (``3/26/04``) are unparseable."""
    parsed = parse_date(col, (fmt,))
    return pl.when(parsed.dt.year() >= 1900).then(parsed)


def _file_style(dates: pl.Series) -> str:
    """The trade-date style of a file: that of its first date that parses in a style."""
    frame = pl.DataFrame({"d": dates}).select(
        *(_date("d", fmt).alias(style) for style, fmt in DATE_STYLES.items())
    )
    for row in frame.iter_rows(named=True):
        for style in DATE_STYLES:
            if row[style] is not None:
                return style
    return next(iter(DATE_STYLES))


def _check_header(path: Path | str, header: list[str]) -> list[str]:
    """The header's names (trailing empty names dropped); raise unless they are the 11 CFE
    columns, each once, in any order."""
    names = list(header)
    while names and names[-1] == "":
        names.pop()
    if sorted(names) != sorted(HEADER):
        raise UnreadableFileError(
            path,
            f"wrong header: expected the CFE VX columns {', '.join(HEADER)}: "
            f"{header_problem(HEADER, names)}",
        )
    return names


def read_cfe_vx(path: Path | str) -> ReadResult:
    """Parse one CFE VX contract history file (rules in the module docstring)."""
    lines = read_csv_lines(path, HEADER, preamble_max=1)
    names = _check_header(path, lines.header)
    frame = columns_from_fields(lines.lines, [*names, _EXTRA]).rename(
        {name: f"{name}_text" for name in HEADER}
    )
    labels = frame["futures_text"].drop_nulls().unique().to_list()
    parsed = {label: parse_label(label) for label in labels}
    problems = {label: p.problem for label, p in parsed.items() if p.problem is not None}
    style = _file_style(frame["trade_date_text"])
    trade_date = pl.col("trade_date")
    scale = pl.when(trade_date < VX_PRICE_SCALE_CHANGE).then(PRICE_SCALE).otherwise(1)
    frame = frame.with_columns(
        _date("trade_date_text", DATE_STYLES[style]).alias("trade_date"),
        pl.col("futures_text").str.strip_chars().alias("contract"),
        pl.col("futures_text")
        .replace_strict(
            {k: p.expiration for k, p in parsed.items()}, default=None, return_dtype=pl.Date
        )
        .alias("contract_expiration"),
        pl.col("futures_text")
        .replace_strict(
            {k: p.is_weekly for k, p in parsed.items()}, default=None, return_dtype=pl.Boolean
        )
        .alias("is_weekly"),
        pl.col("futures_text")
        .replace_strict(problems, default="", return_dtype=pl.Utf8)
        .alias("label_problem"),
        *(_finite_float(f"{c}_text").alias(f"{c}_raw") for c in SCALED),
        *(pl.col(f"{c}_text").cast(pl.Int64, strict=False).alias(c) for c in COUNTS),
    ).with_columns(scale.cast(pl.Int8).alias("price_scale"))
    frame = frame.with_columns(
        *(
            pl.when(pl.col(f"{c}_raw") != 0)
            .then((pl.col(f"{c}_raw") / pl.col("price_scale")).round(SCALED_DECIMALS))
            .alias(c)
            for c in PRICES
        ),
        (pl.col("change_raw") / pl.col("price_scale")).round(SCALED_DECIMALS).alias("change"),
    )
    n_fields_ok = (pl.col("n_fields") == len(HEADER)) | (
        (pl.col("n_fields") == len(HEADER) + 1) & is_empty(_EXTRA)
    )
    lo, hi = SETTLE_RANGE
    rules = [
        column_count_rule(len(HEADER), " (or 12 with an empty last)", n_fields_ok),
        empty_fields_rule(
            [f"{c}_text" for c in MANDATORY],
            "mandatory field (trade date, futures, settle, total volume, EFP or open interest)",
        ),
        unparseable_date_rule(
            "trade_date", "trade_date_text", "trade date", f"{style}, the file's style"
        ),
        Rule(
            Reason.NON_NUMERIC_VALUE,
            pl.any_horizontal(
                *(not_a_number(f"{c}_text", f"{c}_raw") for c in SCALED),
                *(not_a_number(f"{c}_text", c) for c in COUNTS),
            ),
            pl.lit("non-numeric price/change or non-integer volume, EFP or open interest"),
        ),
        Rule(
            Reason.UNKNOWN_CONTRACT,
            pl.col("contract_expiration").is_null(),
            pl.concat_str(
                text("unknown VX contract label '{}': ", "futures_text"), pl.col("label_problem")
            ),
        ),
        Rule(
            Reason.NEGATIVE_PRICE,
            pl.any_horizontal(*(pl.col(f"{c}_raw") < 0 for c in PRICES)),
            text(
                "negative price: open {} high {} low {} close {} settle {}",
                *(f"{c}_text" for c in PRICES),
            ),
        ),
        Rule(
            Reason.NEGATIVE_COUNT,
            pl.any_horizontal(*(pl.col(c) < 0 for c in COUNTS)),
            text("negative count: total volume {} EFP {} open interest {}", *COUNTS),
        ),
        Rule(
            Reason.IMPLAUSIBLE_VALUE,
            pl.any_horizontal(
                *(pl.col(c) >= PRICE_MAX for c in PRICES if c != "settle"),
                pl.col("change").abs() >= PRICE_MAX,
                *(pl.col(c) >= COUNT_MAX for c in COUNTS),
            ),
            text(
                f"implausible value (prices and |change| below {PRICE_MAX:,.0f}, counts below "
                f"{COUNT_MAX:,}): open {{}} high {{}} low {{}} close {{}} change {{}} "
                "total volume {} EFP {} open interest {}",
                *(f"{c}_text" for c in (*SCALED[:4], "change", *COUNTS)),
            ),
        ),
        Rule(
            Reason.NOT_TRADING_DAY,
            ~trade_date.is_in(sessions_series().implode()),
            text("trade date {} is not an NYSE session", "trade_date"),
        ),
        Rule(
            Reason.EXPIRATION_BEFORE_QUOTE,
            trade_date > pl.col("contract_expiration"),
            text("trade date {} is after the contract's expiration {}", *KEY),
        ),
        Rule(
            Reason.VX_SETTLE_OUT_OF_RANGE,
            ~pl.col("settle").is_between(lo, hi) & pl.col("settle").is_not_null(),
            text(
                "settle {} (quoted {}, price scale {}) outside "
                f"[{lo:g}, {hi:g}] index points",
                "settle",
                "settle_text",
                "price_scale",
            ),
        ),
    ]
    accepted, rejected = split_by_rules(frame, rules, PARTITION_COLUMN)
    accepted, dups = split_duplicates(
        accepted,
        list(KEY),
        "VX settlement",
        PARTITION_COLUMN,
        values=[c for c in SCHEMA if c not in KEY],
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
