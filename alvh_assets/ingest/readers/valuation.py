"""Monthly valuation CSV -> ``raw.valuation_monthly``.

Layout (as the sample writes it, derived from Shiller's monthly file):
``month,publication_date,sp500,earnings,dividend,long_rate_pct,pe,dividend_yield,
earnings_yield,erp_proxy,pcf,cpi,cape``. ``month`` and ``publication_date`` are mandatory
columns; each value column is optional (absent -> null; files written before ``cpi`` and
``cape`` were added load with those null) and further columns are ignored. ``month`` is the
first day of the month (written ``YYYY-MM``, ``YYYY-MM-01`` or ``MM/01/YYYY``);
``publication_date`` is ISO or ``MM/DD/YYYY``: the day the month's row became known, which
point-in-time rules key on. Values are fractions except ``sp500`` (index points),
``earnings``/``dividend`` (index points, trailing 12 months), ``long_rate_pct`` (the
10-year Treasury yield, percent), ``cpi`` (the CPI-U index level of the month) and
``cape`` (cyclically adjusted P/E, price / 10-year average real earnings, Shiller's PE10).
``cpi`` and ``cape`` are the inputs of the ERP proxy of methodology §3 (the excess CAPE
yield, computed in the dbt model ``int_valuation__point_in_time``).

Missing values: ``0.0`` (any zero spelling) means *missing*, Shiller's convention (his file
holds 0.0 for earnings not yet published), and loads as null, as does a blank field. A
genuine zero is therefore not representable; none of these series is ever exactly zero
in practice (an ERP proxy rounded to 0.000000 would be read as missing).

Row rules, in priority order (a row gets the code of the first rule it breaks):

1. ``wrong_column_count``: the line's field count differs from the header's.
2. ``empty_mandatory_field``: ``month`` or ``publication_date`` blank.
3. ``unparseable_date``: ``month`` is not a month (a day other than the 1st included), or
   ``publication_date`` is not a date.
4. ``non_numeric_value``: a non-blank value field that is not a finite number (``n/a``,
   ``1,281.47``, ``NaN``, ``inf``).
5. ``value_out_of_range``: values that cannot be: ``sp500`` <= 0, ``pe`` <= 0,
   ``cape`` <= 0, ``cpi`` <= 0, ``dividend`` < 0, ``dividend_yield`` outside [0, 0.2] (the
   highest on record, 1932, is about 0.14). Earnings, yields and the ERP proxy may be
   negative. Checked after the zero-means-missing mapping, so a 0.0 is never out of range.
6. ``implausible_value``: a value beyond :data:`PLAUSIBLE_ABS` (absolute bounds far
   beyond any row since 1871: ``|sp500|``, ``|earnings|``, ``|dividend|``, ``|pe|``,
   ``|pcf|`` and ``|cpi|`` below 1e6; ``|cape|`` below 1,000 (the record is 44 in
   December 1999); ``|long_rate_pct|`` below 100; ``|earnings_yield|`` and
   ``|erp_proxy|`` below 10, i.e. 1,000%). The reason names the column and its value.
7. ``release_before_reference_period``: ``publication_date`` on or before the last day of
   ``month`` (a monthly average cannot be known before its month is over).
8. ``duplicate_key_in_file``: a ``month`` already seen on an earlier valid line with the
   same publication date and values, or ``conflicting_duplicate_key_in_file`` when one
   differs; the first is kept, later ones are quarantined with the kept line's number
   (and, when conflicting, the differing columns).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from alvh_assets.ingest.csv_lines import read_csv_lines
from alvh_assets.ingest.quarantine import ReadResult, Reason
from alvh_assets.ingest.readers.release_calendar import (
    month_end_after,
    parse_month,
    require_columns,
)
from alvh_assets.ingest.rules import (
    Rule,
    column_count_rule,
    columns_from_fields,
    empty_fields_rule,
    is_empty,
    parse_date,
    parse_float,
    split_by_rules,
    split_duplicates,
    text,
    unparseable_date_rule,
)

SOURCE = "valuation_monthly"
VALUE_COLUMNS = (
    "sp500",
    "earnings",
    "dividend",
    "long_rate_pct",
    "pe",
    "dividend_yield",
    "earnings_yield",
    "erp_proxy",
    "pcf",
    "cpi",
    "cape",
)
SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "publication_date": pl.Date(),
    **{c: pl.Float64() for c in VALUE_COLUMNS},
}
KEY = ("month",)
PARTITION_COLUMN: str | None = None
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
MANDATORY = ("month", "publication_date")
MAX_DIVIDEND_YIELD = 0.2
"""Upper bound of a plausible dividend yield (record: about 0.14 in mid-1932)."""

RANGE_CHECKS: tuple[tuple[str, pl.Expr, str], ...] = (
    ("sp500", pl.col("sp500") <= 0, "sp500 {} <= 0"),
    ("pe", pl.col("pe") <= 0, "pe {} <= 0"),
    ("cape", pl.col("cape") <= 0, "cape {} <= 0"),
    ("cpi", pl.col("cpi") <= 0, "cpi {} <= 0"),
    ("dividend", pl.col("dividend") < 0, "dividend {} < 0"),
    (
        "dividend_yield",
        (pl.col("dividend_yield") < 0) | (pl.col("dividend_yield") > MAX_DIVIDEND_YIELD),
        f"dividend_yield {{}} outside [0, {MAX_DIVIDEND_YIELD}]",
    ),
)
"""(column, True where impossible, reason template) — evaluated on nulls as not bad."""

PLAUSIBLE_ABS: dict[str, float] = {
    "sp500": 1e6,
    "earnings": 1e6,
    "dividend": 1e6,
    "long_rate_pct": 100.0,
    "pe": 1e6,
    "dividend_yield": 1e6,  # bounded tighter by RANGE_CHECKS
    "earnings_yield": 10.0,
    "erp_proxy": 10.0,
    "pcf": 1e6,
    "cpi": 1e6,
    "cape": 1e3,
}
"""Exclusive bound of a plausible ``|value|`` per column (rule ``implausible_value``)."""


def _first_reason(parts: list[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    """The reason of the first check that fails (``parts`` = (bad, reason) pairs)."""
    return pl.coalesce([pl.when(bad.fill_null(False)).then(why) for bad, why in parts])


def read_valuation(path: Path | str) -> ReadResult:
    """Parse one valuation CSV (rules in the module docstring)."""
    lines = read_csv_lines(path, "month", preamble_max=0)
    header = lines.header
    require_columns(path, header, MANDATORY)
    present = [c for c in (*MANDATORY, *VALUE_COLUMNS) if c in header]
    frame = columns_from_fields(lines.lines, header, keep=present).rename(
        {c: f"{c}_text" for c in present}
    )
    frame = frame.with_columns(
        pl.lit(None, pl.Utf8).alias(f"{c}_text") for c in VALUE_COLUMNS if c not in header
    )
    frame = frame.with_columns(
        parse_month("month_text").alias("month"),
        parse_date("publication_date_text", DATE_FORMATS).alias("publication_date"),
        *(parse_float(f"{c}_text").alias(f"{c}_number") for c in VALUE_COLUMNS),
    )
    frame = frame.with_columns(
        pl.when(pl.col(f"{c}_number").is_finite() & (pl.col(f"{c}_number") != 0.0))
        .then(pl.col(f"{c}_number"))
        .otherwise(None)
        .alias(c)
        for c in VALUE_COLUMNS
    )
    non_numeric = [
        (
            ~is_empty(f"{c}_text") & ~pl.col(f"{c}_number").is_finite().fill_null(False),
            text(f"{c} '{{}}' is not a finite number", f"{c}_text"),
        )
        for c in VALUE_COLUMNS
    ]
    out_of_range = [(bad, text(why, col)) for col, bad, why in RANGE_CHECKS]
    implausible = [
        (
            pl.col(c).abs() >= bound,
            text(f"implausible {c} '{{}}' (|{c}| at least {bound:,.0f})", f"{c}_text"),
        )
        for c, bound in PLAUSIBLE_ABS.items()
    ]
    rules = [
        column_count_rule(len(header)),
        empty_fields_rule(["month_text", "publication_date_text"], "month or publication_date"),
        Rule(
            Reason.UNPARSEABLE_DATE,
            pl.col("month").is_null(),
            text("month '{}' is not a month (YYYY-MM, YYYY-MM-01 or MM/01/YYYY)", "month_text"),
        ),
        unparseable_date_rule("publication_date", "publication_date_text", "publication date"),
        Rule(
            Reason.NON_NUMERIC_VALUE,
            pl.any_horizontal(bad for bad, _ in non_numeric),
            _first_reason(non_numeric),
        ),
        Rule(
            Reason.VALUE_OUT_OF_RANGE,
            pl.any_horizontal(bad.fill_null(False) for bad, _ in out_of_range),
            _first_reason(out_of_range),
        ),
        Rule(
            Reason.IMPLAUSIBLE_VALUE,
            pl.any_horizontal(bad.fill_null(False) for bad, _ in implausible),
            _first_reason(implausible),
        ),
        Rule(
            Reason.RELEASE_BEFORE_REFERENCE,
            ~month_end_after("publication_date", "month"),
            pl.concat_str(
                pl.lit("publication date "),
                pl.col("publication_date").cast(pl.Utf8),
                pl.lit(" is on or before the end of month "),
                pl.col("month").dt.strftime("%Y-%m"),
            ),
        ),
    ]
    accepted, rejected = split_by_rules(frame, rules)
    accepted, dups = split_duplicates(
        accepted, list(KEY), "month", values=["publication_date", *VALUE_COLUMNS]
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
