"""FRED series CSV -> ``raw.fred_observations``.

Layouts accepted: ``DATE,<SERIES_ID>`` (older downloads) and ``observation_date,<SERIES_ID>``
(current), optionally with ALFRED's ``realtime_start,realtime_end`` vintage columns.
``.`` is FRED's missing value and loads as a null ``value``; any other non-number is
quarantined. ``observation_date`` is the first day of the reference period (a month for
CPI/PPI), never the release date.

Row rules, in priority order (a row gets the code of the first rule it breaks):

1. ``wrong_column_count``: the line's field count differs from the header's;
2. ``empty_mandatory_field``: empty date, value or (with vintages) realtime_start;
3. ``unparseable_date``: observation date, then realtime_start, not ISO or ``MM/DD/YYYY``;
4. ``fred_value_not_a_number``: a value that is neither a finite number nor ``.``;
5. ``implausible_value``: ``|value| >=`` :data:`VALUE_MAX` (1e9; the series loaded here are
   indices and rates in the hundreds at most, and FRED's largest levels, e.g. GDP in
   billions, stay below 1e6);
6. ``duplicate_key_in_file``: a second row for the same (observation date, vintage) with
   the same value, or ``conflicting_duplicate_key_in_file`` when the value differs (the
   first row loads; the reason names its line).

A file is unreadable when it is not UTF-8 text, is empty, its first column is not
``observation_date``/``date``, a column name repeats, or it has not exactly one series
column (the message names the offending columns only).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from alvh_assets.ingest.csv_lines import read_csv_lines, shown_name, shown_names
from alvh_assets.ingest.quarantine import ReadResult, Reason, UnreadableFileError
from alvh_assets.ingest.rules import (
    Rule,
    column_count_rule,
    columns_from_fields,
    empty_fields_rule,
    parse_date,
    parse_float,
    split_by_rules,
    split_duplicates,
    text,
    unparseable_date_rule,
)

SOURCE = "fred_observations"
SCHEMA: dict[str, pl.DataType] = {
    "series_id": pl.Utf8(),
    "observation_date": pl.Date(),
    "value": pl.Float64(),
    "vintage": pl.Date(),
}
KEY = ("series_id", "observation_date", "vintage")
PARTITION_COLUMN: str | None = None
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
VALUE_MAX = 1e9
"""Exclusive upper bound of a plausible ``|value|`` (rule ``implausible_value``)."""
_DATES = ("date", "observation_date", "realtime_start", "realtime_end")


def read_fred(path: Path | str) -> ReadResult:
    """Parse one FRED CSV; the series id is the value column's header."""
    lines = read_csv_lines(path, ("observation_date", "date"), preamble_max=0)
    header = lines.header
    vintage = "realtime_start" in header
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise UnreadableFileError(path, f"wrong header: repeated column(s) {shown_names(repeated)}")
    value_cols = [h for h in header if h not in _DATES]
    if len(value_cols) != 1:
        raise UnreadableFileError(
            path,
            f"wrong header: expected one series column, found {len(value_cols)}"
            + (f" ({shown_names(value_cols)})" if value_cols else ""),
        )
    if not re.fullmatch(r"[a-z0-9_]{1,40}", value_cols[0]):
        raise UnreadableFileError(
            path, f"wrong header: series column {shown_name(value_cols[0])} is not a FRED id"
        )
    series_id = value_cols[0].upper()
    used = [header[0], value_cols[0], *(["realtime_start"] if vintage else [])]
    frame = columns_from_fields(lines.lines, header, keep=used).rename(
        {header[0]: "date_text", value_cols[0]: "value_text"}
    )
    frame = frame.with_columns(
        parse_date("date_text", DATE_FORMATS).alias("observation_date"),
        parse_float("value_text").alias("value"),
        (parse_date("realtime_start", DATE_FORMATS) if vintage else pl.lit(None, pl.Date)).alias(
            "vintage"
        ),
    )
    missing = pl.col("value_text").str.strip_chars() == "."
    rules = [
        column_count_rule(len(header)),
        empty_fields_rule(
            ["date_text", "value_text", *(["realtime_start"] if vintage else [])],
            "date, value or realtime_start",
        ),
        unparseable_date_rule("observation_date", "date_text", "observation date"),
        *(
            [unparseable_date_rule("vintage", "realtime_start", "realtime_start")]
            if vintage
            else []
        ),
        Rule(
            Reason.FRED_VALUE_NOT_NUMBER,
            pl.col("value").is_null() & ~missing,
            text("value '{}' is neither a number nor FRED's '.'", "value_text"),
        ),
        Rule(
            Reason.IMPLAUSIBLE_VALUE,
            pl.col("value").abs() >= VALUE_MAX,
            text(f"implausible value '{{}}' (|value| at least {VALUE_MAX:,.0f})", "value_text"),
        ),
    ]
    accepted, rejected = split_by_rules(frame, rules)
    accepted, dups = split_duplicates(
        accepted, ["observation_date", "vintage"], "observation", values=["value"]
    )
    out = (
        accepted.with_columns(pl.lit(series_id).alias("series_id"))
        .select(*SCHEMA, "_source_row")
        .cast(SCHEMA)
    )  # type: ignore[arg-type]
    return ReadResult(
        SOURCE,
        Path(path),
        lines.sha256,
        lines.lines.height,
        out,
        pl.concat([rejected, dups]).sort("source_row"),
    )
