"""Cboe DataShop "Option EOD Summary" CSV -> ``raw.cboe_option_eod``.

One file per quote date and underlying (``UnderlyingOptionsEODCalcs_^SPX_2008-10-10.csv``,
plain or as a ``.zip`` holding that one CSV). Columns are mapped **by header name**, so
the file order does not matter and unknown extra columns are ignored.

Layouts accepted
----------------
* With the Calcs add-on: the 34 :data:`FILE_COLUMNS` (:data:`SCHEMA` less the derived
  ``has_calcs`` and ``vendor_calcs_flag``).
* Without it: the 8 :data:`CALCS_COLUMNS` are absent (26 columns); they load as null and
  ``has_calcs`` is False. ``has_calcs`` is True only when all 8 are in the header.
* ``delivery_code`` is optional too (almost always blank; null when absent).
* Every other column (:data:`CORE_COLUMNS`) is mandatory: a header without one of them
  makes the file unreadable.

Values
------
* Dates: ISO ``YYYY-MM-DD``, ``M/D/YYYY``, ``MM/DD/YYYY`` and ``M/D/YYYY 0:00:00``.
* Fields may be quoted and space-padded (handled by
  :func:`~alvh_assets.ingest.csv_lines.read_csv_lines`); BOM and CRLF are fine.
* ``option_type`` is normalised to upper case (``c`` -> ``C``); ``underlying_symbol`` and
  ``root`` are kept as delivered (index underlyings are written ``^SPX``/``^VIX``).
  Blank ``underlying_symbol``/``delivery_code`` load as null.
* Sizes, volume and open interest are integers (``12`` or ``12.0``; ``12.5`` is not).
* ``implied_volatility_1545 = 0`` is the vendor's "not computed": it loads as null, and so
  do the five Greeks of that row (Greeks at no volatility are not Greeks), without a flag.
* Index underlyings (symbol starting with ``^``, e.g. ``^VIX``) have no bid/ask: Cboe
  writes 0 in their underlying fields. On such rows a 0 in any of
  :data:`UNDERLYING_COLUMNS` means "not provided" and loads as null (an index level is
  never 0). Non-zero values are kept.
* A zero bid (far wings quoted 0 / 0.05) is a valid quote and loads as 0.
* A series expiring on the quote date is valid real data (``expiration == quote_date``).

Vendor-computed columns
-----------------------
The 8 :data:`CALCS_COLUMNS` (implied and active underlying price, implied volatility,
delta, gamma, theta, vega, rho at 15:45) are the vendor's *computations* from the quotes
(its put-call parity, its choice of underlying, its model), not market data: Cboe sells
them as the separate Calcs add-on. A bad value there says nothing about the quote, so it
never quarantines the row. It loads as **null** and ``vendor_calcs_flag`` names why
(null when every Calcs value of the row is fine); the quote, sizes, open interest and
prices load as delivered. The flag is one or more of these codes, in the order of
:data:`CALCS_COLUMNS`, joined by ``;`` (e.g. ``iv_above_max;vega_out_of_range``), each
nulling only its own column (:data:`VENDOR_CALCS_FLAGS`):

* ``<column>_unparseable``: a non-blank value that is not a finite number (``n/a``,
  ``NaN``, ``inf``); ``<column>`` is ``implied_underlying_price``,
  ``active_underlying_price``, ``iv``, ``delta``, ``gamma``, ``theta``, ``vega`` or ``rho``.
* ``implied_underlying_price_out_of_range`` / ``active_underlying_price_out_of_range``:
  < 0 or >= :data:`LEVEL_MAX`.
* ``iv_negative``: implied_volatility_1545 < 0. ``iv_above_max``: > :data:`IV_MAX` (500%;
  a real 2023 chain carried vendor IVs above it on valid far-wing quotes).
* ``delta_out_of_range``: call delta outside [0, 1], put delta outside [-1, 0].
* ``gamma_out_of_range`` / ``vega_out_of_range``: < 0 or >= :data:`GREEK_MAX`;
  ``theta_out_of_range`` / ``rho_out_of_range``: absolute value >= :data:`GREEK_MAX`.

The five Greeks are not judged where the IV is 0 (they load as null, unflagged). Blank
Calcs fields and files without the add-on load null, unflagged. A row that breaks a row
rule below is quarantined whatever its Calcs say (its raw line keeps them). Copies of a
key are compared on the values as delivered (rule 14), so two rows differing only in a
flagged value are still a conflicting duplicate.

Row rules (market data)
-----------------------
In priority order (a row is quarantined under the first rule it breaks):

1. ``wrong_column_count``: the line's field count differs from the header's.
2. ``empty_mandatory_field``: quote_date, root, expiration, strike, option_type, bid_1545,
   ask_1545, bid_eod or ask_eod is blank.
3. ``unparseable_date``: quote_date or expiration is not a date in an accepted format.
4. ``non_numeric_value``: a non-blank numeric field of the market data (any column other
   than the dates, strings and :data:`CALCS_COLUMNS`) is not a finite number, or an
   integer column holds a fraction.
5. ``negative_price``: open, high, low, close, a bid/ask, vwap or an underlying bid/ask
   (:data:`MARKET_UNDERLYING_COLUMNS`) < 0.
6. ``negative_count``: trade volume, a bid/ask size or open interest < 0.
7. ``unknown_option_type``: option_type (upper-cased) is not ``C`` or ``P``.
8. ``nonpositive_strike``: strike <= 0.
9. ``implausible_value``: a value beyond the plausible bounds below (the reason names
   each column and its value as delivered).
10. ``expiration_before_quote_date``: expiration < quote_date (strictly).
11. ``bid_above_ask``: bid_1545 > ask_1545 or bid_eod > ask_eod.
12. ``not_a_trading_day``: quote_date is not an NYSE (XNYS) session.
13. ``quote_date_differs_from_file_date``: the file name carries a date (``_YYYY-MM-DD``,
    the last one in the name) and quote_date differs from it.
14. ``duplicate_key_in_file`` / ``conflicting_duplicate_key_in_file``: a later row with
    the same :data:`KEY` as an earlier one; the first row in file order loads, the later
    one is quarantined as a plain duplicate when all its values equal the first's, as
    conflicting (naming the line it conflicts with and the differing columns) otherwise.

Rules 14 ``iv_out_of_bounds`` and 15 ``greek_out_of_bounds`` of earlier versions are gone
(the duplicate rule was 16): those values are flagged, not quarantined (above), and a
non-numeric, negative or implausible implied/active underlying price no longer breaks
rules 4, 5 or 9. The two codes stay in :class:`~alvh_assets.ingest.quarantine.Reason`
for the rows quarantined before.

Plausible bounds (rule 9; no real Cboe row comes near them):

* ``underlying`` = the largest *positive* underlying field of the row (bid/ask at 15:45
  and EOD, implied and active underlying price unless flagged); ^VIX rows whose underlying
  fields are all 0 have none.
* Every underlying bid/ask < :data:`LEVEL_MAX` (1e6: SPX has never reached 10,000; the
  implied and active underlying prices are vendor-computed, bounded by their flag).
* strike < :data:`LEVEL_MAX`, and strike <= :data:`STRIKE_FACTOR` (100) × underlying where
  the row has one (real SPX strikes span about 0.05× to 3× the index).
* open, high, low, close, the bids/asks and vwap < :data:`LEVEL_MAX` and
  <= :data:`PRICE_FACTOR` (10) × max(strike, underlying): a call is worth at most the
  underlying and a put at most the strike, so 10× leaves room for any stale quote.
* trade volume, sizes and open interest < :data:`COUNT_MAX` (1e9 contracts; the open
  interest of the whole SPX complex is a few million).
* ``underlying_symbol``, ``root`` and ``delivery_code`` at most :data:`TEXT_MAX` (40)
  characters (real ones have at most 5).

Rejected rows carry ``partition_date`` = their parsed quote_date (null where it does not
parse). Blank non-mandatory fields load as null. A file that cannot be read at all (not UTF-8 or
binary, empty, first column not ``underlying_symbol``, a core column missing, duplicate
column names, unreadable zip or a zip without exactly one member) raises
:class:`~alvh_assets.ingest.quarantine.UnreadableFileError`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl

from alvh_assets.calendars import sessions_series
from alvh_assets.ingest.csv_lines import listing, read_csv_lines, shown_names
from alvh_assets.ingest.quarantine import REJECTED_SCHEMA, ReadResult, Reason, UnreadableFileError
from alvh_assets.ingest.rules import (
    Rule,
    clipped,
    column_count_rule,
    columns_from_fields,
    is_empty,
    not_a_number,
    parse_date,
    parse_float,
    split_by_rules,
    split_duplicates,
    text,
)
from alvh_assets.landing import OPTION_EOD_CALCS_COLUMNS, OPTION_EOD_COLUMNS

SOURCE = "cboe_option_eod"
_TYPES: dict[str, pl.DataType] = {
    **dict.fromkeys(("underlying_symbol", "root", "option_type", "delivery_code"), pl.Utf8()),
    **dict.fromkeys(("quote_date", "expiration"), pl.Date()),
    **dict.fromkeys(
        ("trade_volume", "bid_size_1545", "ask_size_1545", "bid_size_eod", "ask_size_eod"),
        pl.Int64(),
    ),
    "open_interest": pl.Int64(),
}
"""Column types other than Float64 (prices, levels, the vendor's IV and Greeks)."""
SCHEMA: dict[str, pl.DataType] = {
    **{c: _TYPES.get(c, pl.Float64()) for c in OPTION_EOD_COLUMNS},
    "has_calcs": pl.Boolean(),
    "vendor_calcs_flag": pl.Utf8(),
}
KEY = ("quote_date", "root", "expiration", "strike", "option_type")
PARTITION_COLUMN: str | None = "quote_date"

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")
LEVEL_MAX = 1e6
"""Exclusive upper bound of an index level, a strike or an option price (rule 9)."""
STRIKE_FACTOR = 100.0
"""A strike above this multiple of the row's underlying price is implausible."""
PRICE_FACTOR = 10.0
"""An option price above this multiple of max(strike, underlying) is implausible."""
COUNT_MAX = 10**9
"""Exclusive upper bound of trade volume, quote sizes and open interest."""
TEXT_MAX = 40
"""Longest plausible underlying_symbol, root or delivery_code."""
IV_MAX = 5.0
"""Upper bound of a plausible vendor implied volatility (500%); above it the IV loads as
null, flagged ``iv_above_max`` (the quote loads). Far-wing series quoted 0 / 0.05 a day or
two before expiry can carry larger vendor IVs (4 of 4,430 quotes of a real 2023 day)."""
GREEK_MAX = 1e6
"""Exclusive upper bound of a vendor gamma, vega and |theta|, |rho| (real SPX ones are
below a few thousand); at or above it the Greek loads as null, flagged."""

DERIVED_COLUMNS = ("has_calcs", "vendor_calcs_flag")
"""Columns of :data:`SCHEMA` the reader derives (not in the file)."""
FILE_COLUMNS: tuple[str, ...] = OPTION_EOD_COLUMNS
"""The 34 vendor columns (Cboe's file order, :mod:`alvh_assets.landing`)."""
CALCS_COLUMNS: tuple[str, ...] = OPTION_EOD_CALCS_COLUMNS
"""Columns of the Calcs add-on: optional, null when the file does not carry them. These are
the vendor-computed columns: a bad value loads as null with ``vendor_calcs_flag``."""
CALCS_FLAG_NAMES: dict[str, str] = {
    "implied_underlying_price_1545": "implied_underlying_price",
    "active_underlying_price_1545": "active_underlying_price",
    "implied_volatility_1545": "iv",
    "delta_1545": "delta",
    "gamma_1545": "gamma",
    "theta_1545": "theta",
    "vega_1545": "vega",
    "rho_1545": "rho",
}
"""Calcs column -> the prefix of its ``vendor_calcs_flag`` codes."""
VENDOR_CALCS_FLAGS: tuple[str, ...] = tuple(
    code
    for c, name in CALCS_FLAG_NAMES.items()
    for code in (
        f"{name}_unparseable",
        *(("iv_negative", "iv_above_max") if name == "iv" else (f"{name}_out_of_range",)),
    )
)
"""Every code ``vendor_calcs_flag`` can hold (module docstring), in flag order."""
VENDOR_CALCS_FLAG_SEPARATOR = ";"
OPTIONAL_COLUMNS: tuple[str, ...] = (*CALCS_COLUMNS, "delivery_code")
CORE_COLUMNS: tuple[str, ...] = tuple(c for c in FILE_COLUMNS if c not in OPTIONAL_COLUMNS)
"""Mandatory header columns: the 26 columns of the file without Calcs, less ``delivery_code``."""

DATE_COLUMNS = ("quote_date", "expiration")
STRING_COLUMNS = ("underlying_symbol", "root", "option_type", "delivery_code")
INT_COLUMNS: tuple[str, ...] = tuple(c for c in FILE_COLUMNS if SCHEMA[c] == pl.Int64())
NUMERIC_COLUMNS: tuple[str, ...] = tuple(
    c for c in FILE_COLUMNS if c not in DATE_COLUMNS and c not in STRING_COLUMNS
)
MARKET_NUMERIC_COLUMNS: tuple[str, ...] = tuple(
    c for c in NUMERIC_COLUMNS if c not in CALCS_COLUMNS
)
"""Numeric columns judged by the row rules (the Calcs columns are flagged instead)."""
MANDATORY_FIELDS = (
    "quote_date",
    "root",
    "expiration",
    "strike",
    "option_type",
    "bid_1545",
    "ask_1545",
    "bid_eod",
    "ask_eod",
)
UNDERLYING_COLUMNS = (
    "underlying_bid_1545",
    "underlying_ask_1545",
    "implied_underlying_price_1545",
    "active_underlying_price_1545",
    "underlying_bid_eod",
    "underlying_ask_eod",
)
MARKET_UNDERLYING_COLUMNS = tuple(c for c in UNDERLYING_COLUMNS if c not in CALCS_COLUMNS)
"""The underlying bid/ask at 15:45 and EOD (market data; the other two are Calcs)."""
PRICE_COLUMNS = (
    "open",
    "high",
    "low",
    "close",
    "bid_1545",
    "ask_1545",
    "bid_eod",
    "ask_eod",
    "vwap",
    *MARKET_UNDERLYING_COLUMNS,
)
"""Columns that must not be negative (rule ``negative_price``)."""
OPTION_PRICE_COLUMNS = tuple(c for c in PRICE_COLUMNS if c not in UNDERLYING_COLUMNS)
GREEK_COLUMNS = ("delta_1545", "gamma_1545", "theta_1545", "vega_1545", "rho_1545")

_FILE_DATE = re.compile(r"_(\d{4}-\d{2}-\d{2})(?!\d)")


def _t(col: str) -> str:
    """Name of the raw text column of ``col``."""
    return f"{col}__text"


def file_date(path: Path | str) -> dt.date | None:
    """The date a Cboe file name carries (last ``_YYYY-MM-DD`` in the name), else None."""
    found = _FILE_DATE.findall(Path(path).name)
    if not found:
        return None
    try:
        return dt.date.fromisoformat(found[-1])
    except ValueError:
        return None


def _check_header(path: Path | str, header: list[str]) -> None:
    """Unreadable when a core column is missing or a column name repeats."""
    missing = [c for c in CORE_COLUMNS if c not in header]
    if missing:
        raise UnreadableFileError(
            path,
            f"wrong header: missing core column(s) {listing(missing)} "
            f"(header has {len(header)} columns)",
        )
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise UnreadableFileError(path, f"wrong header: repeated column(s) {shown_names(repeated)}")


def _listing(
    cols: tuple[str, ...], bad: dict[str, pl.Expr], notes: dict[str, str] | None = None
) -> pl.Expr:
    """``"col='text'; col2='text'"`` (as delivered) for the columns whose ``bad`` expression
    is True, each followed by its note when ``notes`` has one."""
    notes = notes or {}
    return pl.concat_str(
        [
            pl.when(bad[c].fill_null(False)).then(
                pl.concat_str([pl.lit(f"{c}='"), clipped(_t(c)), pl.lit(f"'{notes.get(c, '')}")])
            )
            for c in cols
        ],
        separator="; ",
        ignore_nulls=True,
    )


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    """Typed columns (final names) beside the ``__text`` ones.

    Numbers parse as Float64; not-finite values (``nan``, ``inf``) become null, and an
    integer column is null unless its number is whole (``12.0`` -> 12, ``12.5`` -> null),
    so :func:`not_a_number` flags both. Two eager passes are ~4x faster than one lazy one.
    """
    parsed = frame.with_columns(
        *(parse_date(_t(c), DATE_FORMATS).alias(c) for c in DATE_COLUMNS),
        *(parse_float(_t(c)).alias(c) for c in NUMERIC_COLUMNS),
        *(
            pl.when(~is_empty(_t(c))).then(pl.col(_t(c)).str.strip_chars()).alias(c)
            for c in ("underlying_symbol", "root", "delivery_code")
        ),
        pl.col(_t("option_type")).str.strip_chars().str.to_uppercase().alias("option_type"),
    )
    finite = {c: pl.when(pl.col(c).is_finite()).then(pl.col(c)) for c in NUMERIC_COLUMNS}
    return parsed.with_columns(
        (
            pl.when(finite[c] == finite[c].round(0)).then(finite[c]).cast(pl.Int64, strict=False)
            if c in INT_COLUMNS
            else finite[c]
        ).alias(c)
        for c in NUMERIC_COLUMNS
    )


def _bad(col: str) -> str:
    """Name of the helper column: True where the Calcs column ``col`` is flagged."""
    return f"_flagged__{col}"


def _vendor_checks() -> list[tuple[str, str, pl.Expr]]:
    """(flag code, Calcs column, True where the code applies), in flag order (module
    docstring, "Vendor-computed columns")."""
    iv = pl.col("implied_volatility_1545")
    greeks_computed = ~(iv == 0).fill_null(False)  # IV 0: Greeks load as null, unjudged
    call, put = pl.col("option_type") == "C", pl.col("option_type") == "P"
    out_of_range = {
        "implied_underlying_price_1545": lambda x: (x < 0) | (x >= LEVEL_MAX),
        "active_underlying_price_1545": lambda x: (x < 0) | (x >= LEVEL_MAX),
        "delta_1545": lambda x: (call & ((x < 0) | (x > 1))) | (put & ((x < -1) | (x > 0))),
        "gamma_1545": lambda x: (x < 0) | (x >= GREEK_MAX),
        "theta_1545": lambda x: x.abs() >= GREEK_MAX,
        "vega_1545": lambda x: (x < 0) | (x >= GREEK_MAX),
        "rho_1545": lambda x: x.abs() >= GREEK_MAX,
    }
    checks: list[tuple[str, str, pl.Expr]] = []
    for col, name in CALCS_FLAG_NAMES.items():
        judged = greeks_computed if col in GREEK_COLUMNS else pl.lit(True)
        checks.append((f"{name}_unparseable", col, judged & not_a_number(_t(col), col)))
        if col == "implied_volatility_1545":
            checks += [("iv_negative", col, iv < 0), ("iv_above_max", col, iv > IV_MAX)]
        else:
            checks.append((f"{name}_out_of_range", col, judged & out_of_range[col](pl.col(col))))
    return checks


def _flag_vendor_calcs(frame: pl.DataFrame) -> pl.DataFrame:
    """``vendor_calcs_flag`` (null when no code applies) and one ``_flagged__<col>`` helper
    column per Calcs column; the values themselves are nulled by :func:`_normalise`, after
    the duplicate check has compared them as delivered."""
    checks = [(code, col, bad.fill_null(False)) for code, col, bad in _vendor_checks()]
    flag = pl.concat_str(
        [pl.when(bad).then(pl.lit(code)) for code, _, bad in checks],
        separator=VENDOR_CALCS_FLAG_SEPARATOR,
        ignore_nulls=True,
    )
    return frame.with_columns(
        pl.when(flag != "").then(flag).alias("vendor_calcs_flag"),
        *(
            pl.any_horizontal(*(bad for _, c, bad in checks if c == col)).alias(_bad(col))
            for col in CALCS_COLUMNS
        ),
    )


_IMPLAUSIBLE_NOTES = {
    **dict.fromkeys(MARKET_UNDERLYING_COLUMNS, f" (at least {LEVEL_MAX:,.0f})"),
    "strike": f" (at least {LEVEL_MAX:,.0f} or above {STRIKE_FACTOR:g}x the underlying)",
    **dict.fromkeys(
        OPTION_PRICE_COLUMNS,
        f" (at least {LEVEL_MAX:,.0f} or above {PRICE_FACTOR:g}x max(strike, underlying))",
    ),
    **dict.fromkeys(INT_COLUMNS, f" (at least {COUNT_MAX:,})"),
    **dict.fromkeys(
        ("underlying_symbol", "root", "delivery_code"), f" (over {TEXT_MAX} characters)"
    ),
}


def _implausible() -> dict[str, pl.Expr]:
    """Column -> True where its value is beyond the plausible bounds of the module
    docstring (rule 9). Evaluated after the non-negative rules; a flagged Calcs underlying
    price does not count as the row's underlying."""
    usable = {
        c: (pl.col(c) > 0) & ~pl.col(_bad(c)) if c in CALCS_COLUMNS else pl.col(c) > 0
        for c in UNDERLYING_COLUMNS
    }
    underlying = pl.max_horizontal(
        *(pl.when(usable[c]).then(pl.col(c)) for c in UNDERLYING_COLUMNS)
    )
    strike = pl.col("strike")
    scale = pl.max_horizontal(strike, underlying)
    return {
        **{c: pl.col(c) >= LEVEL_MAX for c in MARKET_UNDERLYING_COLUMNS},
        "strike": (strike >= LEVEL_MAX) | (strike > STRIKE_FACTOR * underlying),
        **{
            c: (pl.col(c) >= LEVEL_MAX) | (pl.col(c) > PRICE_FACTOR * scale)
            for c in OPTION_PRICE_COLUMNS
        },
        **{c: pl.col(c) >= COUNT_MAX for c in INT_COLUMNS},
        **{
            c: pl.col(c).str.len_chars() > TEXT_MAX
            for c in ("underlying_symbol", "root", "delivery_code")
        },
    }


def _rules(n_header: int, day: dt.date | None) -> list[Rule]:
    """The row rules of the module docstring, in priority order."""
    empty = {c: is_empty(_t(c)) for c in MANDATORY_FIELDS}
    non_numeric = {c: not_a_number(_t(c), c) for c in MARKET_NUMERIC_COLUMNS}
    negative = {c: pl.col(c) < 0 for c in PRICE_COLUMNS}
    negative_count = {c: pl.col(c) < 0 for c in INT_COLUMNS}
    implausible = _implausible()
    q, e = pl.col("quote_date"), pl.col("expiration")
    file_day = (
        Rule(
            Reason.DATE_NOT_IN_FILE_DAY,
            q != pl.lit(day, pl.Date),
            text(
                f"quote date {{}} differs from the file name's date {day.isoformat()}", "quote_date"
            ),
        )
        if day is not None
        else None
    )
    rules = [
        column_count_rule(n_header, " (header)"),
        Rule(
            Reason.EMPTY_MANDATORY_FIELD,
            pl.any_horizontal(*empty.values()),
            pl.concat_str(
                [pl.lit("empty mandatory field(s): "), _listing(MANDATORY_FIELDS, empty)]
            ),
        ),
        Rule(
            Reason.UNPARSEABLE_DATE,
            q.is_null() | e.is_null(),
            text(
                "unparseable date: quote_date='{}', expiration='{}'",
                _t("quote_date"),
                _t("expiration"),
            ),
        ),
        Rule(
            Reason.NON_NUMERIC_VALUE,
            pl.any_horizontal(*non_numeric.values()),
            pl.concat_str(
                [
                    pl.lit("not a number: "),
                    _listing(
                        MARKET_NUMERIC_COLUMNS,
                        non_numeric,
                        dict.fromkeys(INT_COLUMNS, " (a whole number expected)"),
                    ),
                ]
            ),
        ),
        Rule(
            Reason.NEGATIVE_PRICE,
            pl.any_horizontal(*negative.values()),
            pl.concat_str([pl.lit("negative price: "), _listing(PRICE_COLUMNS, negative)]),
        ),
        Rule(
            Reason.NEGATIVE_COUNT,
            pl.any_horizontal(*negative_count.values()),
            pl.concat_str([pl.lit("negative count: "), _listing(INT_COLUMNS, negative_count)]),
        ),
        Rule(
            Reason.UNKNOWN_OPTION_TYPE,
            ~pl.col("option_type").is_in(["C", "P"]),
            text("unknown option type '{}' (expected C or P)", _t("option_type")),
        ),
        Rule(
            Reason.NONPOSITIVE_STRIKE,
            pl.col("strike") <= 0,
            text("strike {} is not positive", _t("strike")),
        ),
        Rule(
            Reason.IMPLAUSIBLE_VALUE,
            pl.any_horizontal(*implausible.values()),
            pl.concat_str(
                [
                    pl.lit("implausible value: "),
                    _listing(tuple(implausible), implausible, _IMPLAUSIBLE_NOTES),
                ]
            ),
        ),
        Rule(
            Reason.EXPIRATION_BEFORE_QUOTE,
            e < q,
            text("expiration {} is before quote date {}", "expiration", "quote_date"),
        ),
        Rule(
            Reason.BID_ABOVE_ASK,
            (pl.col("bid_1545") > pl.col("ask_1545")) | (pl.col("bid_eod") > pl.col("ask_eod")),
            text(
                "bid above ask: 1545 bid {} / ask {}, eod bid {} / ask {}",
                _t("bid_1545"),
                _t("ask_1545"),
                _t("bid_eod"),
                _t("ask_eod"),
            ),
        ),
        Rule(
            Reason.NOT_TRADING_DAY,
            ~q.is_in(sessions_series().implode()),
            text("quote date {} is not an NYSE trading day", "quote_date"),
        ),
        *([file_day] if file_day is not None else []),
    ]
    return rules


def _normalise(accepted: pl.DataFrame, has_calcs: bool) -> pl.DataFrame:
    """Vendor conventions -> nulls: IV 0 (and its Greeks), 0 underlying fields of an index;
    flagged Calcs values -> null."""
    iv = pl.col("implied_volatility_1545")
    not_computed = iv.is_not_null() & (iv == 0)
    index = pl.col("underlying_symbol").str.starts_with("^").fill_null(False)
    return (
        accepted.with_columns(
            pl.when(~pl.col(_bad(c))).then(pl.col(c)).alias(c) for c in CALCS_COLUMNS
        )
        .with_columns(
            *(
                pl.when(~not_computed).then(pl.col(c)).alias(c)
                for c in ("implied_volatility_1545", *GREEK_COLUMNS)
            ),
            *(
                pl.when(~(index & (pl.col(c) == 0).fill_null(False))).then(pl.col(c)).alias(c)
                for c in UNDERLYING_COLUMNS
            ),
            pl.lit(has_calcs).alias("has_calcs"),
        )
        .drop(*(_bad(c) for c in CALCS_COLUMNS))
    )


def _apply_rules(frame: pl.DataFrame, rules: list[Rule]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`split_by_rules`, evaluated cheaply: each rule's mask is computed once, and
    only rows breaking some rule go through ``split_by_rules`` (which builds the human
    reasons; its cost is mostly fixed per expression, so it is skipped on clean files).
    The result is the same as ``split_by_rules(frame, rules)``."""
    masks = [f"_rule_{i}" for i in range(len(rules))]
    flagged = frame.with_columns(
        r.bad.fill_null(False).alias(m) for r, m in zip(rules, masks, strict=True)
    ).with_columns(pl.any_horizontal(masks).alias("_suspect"))
    clean = flagged.filter(~pl.col("_suspect")).drop(*masks, "_suspect")
    suspects = flagged.filter(pl.col("_suspect")).drop("_suspect")
    if suspects.is_empty():
        return clean, pl.DataFrame(schema=REJECTED_SCHEMA)
    by_mask = [Rule(r.code, pl.col(m), r.reason) for r, m in zip(rules, masks, strict=True)]
    kept, rejected = split_by_rules(suspects, by_mask, PARTITION_COLUMN)
    return pl.concat([clean, kept.drop(*masks)]).sort("_source_row"), rejected


def read_cboe_option_eod(path: Path | str) -> ReadResult:
    """Parse one Cboe Option EOD Summary file (with or without Calcs, plain or zipped)."""
    lines = read_csv_lines(path, "underlying_symbol", preamble_max=0)
    header = lines.header
    _check_header(path, header)
    has_calcs = all(c in header for c in CALCS_COLUMNS)
    frame = columns_from_fields(lines.lines, [_t(h) for h in header])
    absent = [c for c in FILE_COLUMNS if c not in header]
    frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(_t(c)) for c in absent)
    frame = _flag_vendor_calcs(_typed(frame))
    accepted, rejected = _apply_rules(frame, _rules(len(header), file_date(path)))
    accepted, dups = split_duplicates(
        accepted,
        list(KEY),
        "option series",
        PARTITION_COLUMN,
        values=[c for c in FILE_COLUMNS if c not in KEY],
    )
    out = (
        _normalise(accepted, has_calcs).select(*SCHEMA, "_source_row").cast(SCHEMA)  # type: ignore[arg-type]
    )
    return ReadResult(
        SOURCE,
        Path(path),
        lines.sha256,
        lines.lines.height,
        out,
        pl.concat([rejected, dups]).sort("source_row"),
    )
