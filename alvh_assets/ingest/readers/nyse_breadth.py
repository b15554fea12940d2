"""NYSE daily market diary (advances/declines) -> ``raw.nyse_breadth_daily``.

Layout (the fields of the NYSE market diary; the sample market's modelled file,
:mod:`alvh_assets.sample.breadth`)::

    Date,Total Issues,Advances,Declines,Unchanged,Up Volume,Down Volume,Unchanged Volume,AD Line

``Date``, ``Total Issues``, ``Advances``, ``Declines`` and ``Unchanged`` are required
columns. ``Up Volume``, ``Down Volume``, ``Unchanged Volume`` and ``AD Line`` are optional:
a column missing from the header loads as null, and so does an empty value in a present
optional column. Other columns a vendor adds (e.g. new highs/lows) are ignored. Dates may
be ISO or ``MM/DD/YYYY``; CRLF, a BOM and one preamble line are accepted. All values are
integers (counts, share volumes, and the A/D line = a running sum of net advances, which
may be negative).

Row rules, in priority order (a row gets the code of the first rule it breaks):

1. ``wrong_column_count``: the number of fields differs from the header's;
2. ``empty_mandatory_field``: empty date, total issues, advances, declines or unchanged;
3. ``unparseable_date``: neither ``YYYY-MM-DD`` nor ``MM/DD/YYYY`` (or a year before 1900);
4. ``non_numeric_value``: a non-empty value that is not an integer;
5. ``negative_count``: an issue count or a volume below 0;
6. ``implausible_value``: an issue count at or above :data:`ISSUES_MAX` (1e5; the NYSE
   lists about 3,000-4,000 issues), a volume at or above :data:`VOLUME_MAX` (1e12 shares;
   NYSE composite volume peaks near 1e10) or ``|ad_line|`` at or above :data:`AD_LINE_MAX`
   (1e9);
7. ``value_out_of_range``: advances + declines + unchanged != total issues;
8. ``not_a_trading_day``: the date is not an NYSE session;
9. ``duplicate_key_in_file``: a second row for the same date with the same values, or
   ``conflicting_duplicate_key_in_file`` when some value differs (the first row loads; the
   reason names its line and the differing columns).

A file is unreadable when it is not UTF-8 text, is empty, is a broken zip, or its header
(first column ``Date``, after at most one preamble line) lacks a required column or
repeats a name (the message names those columns only).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from alvh_assets.calendars import sessions_series
from alvh_assets.ingest.csv_lines import listing, read_csv_lines, shown_names
from alvh_assets.ingest.quarantine import ReadResult, Reason, UnreadableFileError
from alvh_assets.ingest.rules import (
    Rule,
    column_count_rule,
    columns_from_fields,
    empty_fields_rule,
    not_a_number,
    parse_date,
    split_by_rules,
    split_duplicates,
    text,
    unparseable_date_rule,
)

SOURCE = "nyse_breadth_daily"
SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "total_issues": pl.Int64(),
    "advances": pl.Int64(),
    "declines": pl.Int64(),
    "unchanged": pl.Int64(),
    "up_volume": pl.Int64(),
    "down_volume": pl.Int64(),
    "unchanged_volume": pl.Int64(),
    "ad_line": pl.Int64(),
}
KEY = ("date",)
PARTITION_COLUMN: str | None = "date"

ISSUES = ("total_issues", "advances", "declines", "unchanged")
VOLUMES = ("up_volume", "down_volume", "unchanged_volume")
REQUIRED = ("date", *ISSUES)
OPTIONAL = (*VOLUMES, "ad_line")
VALUES = (*ISSUES, *OPTIONAL)
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
ISSUES_MAX = 100_000
"""Exclusive upper bound of a plausible issue count."""
VOLUME_MAX = 10**12
"""Exclusive upper bound of a plausible daily share volume."""
AD_LINE_MAX = 10**9
"""Exclusive upper bound of a plausible ``|ad_line|``."""


def _date(col: str) -> pl.Expr:
    """:func:`parse_date` (ISO or US); years before 1900 (``1/4/99``) are unparseable."""
    parsed = parse_date(col, DATE_FORMATS)
    return pl.when(parsed.dt.year() >= 1900).then(parsed)


def _check_header(path: Path | str, header: list[str]) -> None:
    """Raise unless every required column is in the header and no name repeats."""
    missing = [c for c in REQUIRED if c not in header]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing or repeated:
        problems = [f"missing {listing(missing)}"] if missing else []
        problems += [f"repeated {shown_names(repeated)}"] if repeated else []
        raise UnreadableFileError(
            path,
            f"wrong header: expected the NYSE breadth columns {', '.join(REQUIRED)} "
            f"(+ optional {', '.join(OPTIONAL)}) once each: {'; '.join(problems)}",
        )


def read_nyse_breadth(path: Path | str) -> ReadResult:
    """Parse one NYSE breadth history file (rules in the module docstring)."""
    lines = read_csv_lines(path, "date", preamble_max=1)
    header = lines.header
    _check_header(path, header)
    frame = columns_from_fields(lines.lines, header, keep=(*REQUIRED, *OPTIONAL))
    frame = frame.select(
        "_source_row",
        "raw_line",
        "n_fields",
        *(
            (pl.col(c) if c in header else pl.lit(None, pl.Utf8)).alias(f"{c}_text")
            for c in (*REQUIRED, *OPTIONAL)
        ),
    ).with_columns(
        _date("date_text").alias("date"),
        *(
            pl.col(f"{c}_text").str.strip_chars().cast(pl.Int64, strict=False).alias(c)
            for c in VALUES
        ),
    )
    counted = (*ISSUES, *VOLUMES)
    rules = [
        column_count_rule(len(header)),
        empty_fields_rule(
            [f"{c}_text" for c in REQUIRED], "date, total issues, advances, declines or unchanged"
        ),
        unparseable_date_rule("date", "date_text", expected="YYYY-MM-DD or MM/DD/YYYY"),
        Rule(
            Reason.NON_NUMERIC_VALUE,
            pl.any_horizontal(*(not_a_number(f"{c}_text", c) for c in VALUES)),
            pl.lit("a count, volume or A/D line value is not an integer"),
        ),
        Rule(
            Reason.NEGATIVE_COUNT,
            pl.any_horizontal(*(pl.col(c) < 0 for c in counted)),
            text(
                "negative count: total {} advances {} declines {} unchanged {} "
                "up volume {} down volume {} unchanged volume {}",
                *counted,
            ),
        ),
        Rule(
            Reason.IMPLAUSIBLE_VALUE,
            pl.any_horizontal(
                *(pl.col(c) >= ISSUES_MAX for c in ISSUES),
                *(pl.col(c) >= VOLUME_MAX for c in VOLUMES),
                pl.col("ad_line").abs() >= AD_LINE_MAX,
            ),
            text(
                f"implausible value (issues below {ISSUES_MAX:,}, volumes below "
                f"{VOLUME_MAX:,}, |A/D line| below {AD_LINE_MAX:,}): total {{}} advances {{}} "
                "declines {} unchanged {} up volume {} down volume {} unchanged volume {} "
                "A/D line {}",
                *VALUES,
            ),
        ),
        Rule(
            Reason.VALUE_OUT_OF_RANGE,
            pl.col("advances") + pl.col("declines") + pl.col("unchanged") != pl.col("total_issues"),
            text(
                "advances {} + declines {} + unchanged {} != total issues {}",
                "advances",
                "declines",
                "unchanged",
                "total_issues",
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
        accepted, list(KEY), "breadth day", PARTITION_COLUMN, values=VALUES
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
