"""FRED series CSV -> ``raw.fred_observations``.

Layouts accepted: ``DATE,<SERIES_ID>`` (older downloads) and ``observation_date,<SERIES_ID>``
(current), optionally with ALFRED's ``realtime_start,realtime_end`` vintage columns.
``.`` is FRED's missing value and loads as a null ``value``; any other non-number is
quarantined. ``observation_date`` is the first day of the reference period (a month for
CPI/PPI), never the release date.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from alvh_assets.ingest.csv_lines import read_csv_lines
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


def read_fred(path: Path | str) -> ReadResult:
    """Parse one FRED CSV; the series id is the value column's header."""
    lines = read_csv_lines(path, ("observation_date", "date"), preamble_max=0)
    header = lines.header
    vintage = "realtime_start" in header
    value_cols = [
        h for h in header if h not in ("date", "observation_date", "realtime_start", "realtime_end")
    ]
    if len(value_cols) != 1:
        raise UnreadableFileError(path, f"wrong header: expected one series column, got {header}")
    series_id = value_cols[0].upper()
    frame = columns_from_fields(lines.lines, header).rename(
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
    ]
    accepted, rejected = split_by_rules(frame, rules)
    accepted, dups = split_duplicates(accepted, ["observation_date", "vintage"], "observation")
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
