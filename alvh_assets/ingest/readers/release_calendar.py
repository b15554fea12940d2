"""CPI/PPI release calendar CSV -> ``raw.macro_release_calendar``.

Layout: ``series_id,reference_period,release_date`` with an optional ``release_time``
column (e.g. BLS's ``08:30``; null when the column is absent or the field is blank).
Further columns are ignored; a header missing a mandatory column makes the file unreadable.
``series_id`` is upper-cased (it joins FRED's ``series_id``). ``reference_period`` is the
first day of the reference month, as FRED's ``observation_date``; it may be written
``YYYY-MM``, ``YYYY-MM-01`` or ``MM/01/YYYY`` (a day other than the 1st is not a month and
is quarantined). ``release_date`` is ISO ``YYYY-MM-DD`` or ``MM/DD/YYYY``.

Row rules, in priority order (a row gets the code of the first rule it breaks):

1. ``wrong_column_count``: the line's field count differs from the header's.
2. ``empty_mandatory_field``: ``series_id``, ``reference_period`` or ``release_date`` blank.
3. ``unparseable_date``: ``reference_period`` is not a month, or ``release_date`` is not a
   date in an accepted format (``2008-02-30`` included).
4. ``release_before_reference_period``: ``release_date`` on or before the last day of the
   reference month (a March CPI cannot be released before April).
5. ``duplicate_key_in_file``: a (``series_id``, ``reference_period``) already seen on an
   earlier *valid* line with the same release date and time, or
   ``conflicting_duplicate_key_in_file`` when they differ (the reason names the kept line
   and the differing columns). Real BLS calendars sometimes list a month twice (a rescheduled
   release, a corrected calendar appended to the old one); the first valid line is kept
   and later ones are quarantined with the line number of the kept one, so the analyst
   sees both. Keeping the first is a choice: the reader cannot know which line is the
   correction, and the quarantine makes the conflict visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from alvh_assets.ingest.csv_lines import listing, read_csv_lines, shown_names
from alvh_assets.ingest.quarantine import ReadResult, Reason, UnreadableFileError
from alvh_assets.ingest.rules import (
    Rule,
    column_count_rule,
    columns_from_fields,
    empty_fields_rule,
    is_empty,
    parse_date,
    split_by_rules,
    split_duplicates,
    text,
    unparseable_date_rule,
)

SOURCE = "macro_release_calendar"
SCHEMA: dict[str, pl.DataType] = {
    "series_id": pl.Utf8(),
    "reference_period": pl.Date(),
    "release_date": pl.Date(),
    "release_time": pl.Utf8(),
}
KEY = ("series_id", "reference_period")
PARTITION_COLUMN: str | None = None
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
MONTH_FORMATS = ("%Y-%m", "%Y-%m-%d", "%m/%d/%Y")
MANDATORY = ("series_id", "reference_period", "release_date")
OPTIONAL = ("release_time",)


def require_columns(path: Path | str, header: Sequence[str], required: Sequence[str]) -> None:
    """Raise :class:`UnreadableFileError` when ``header`` repeats a name or lacks one of
    ``required`` (both mean the file is not the expected vendor layout). The message
    names the offending columns only, never the rest of the header line."""
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise UnreadableFileError(path, f"wrong header: repeated column(s) {shown_names(repeated)}")
    missing = [c for c in required if c not in header]
    if missing:
        raise UnreadableFileError(
            path,
            f"wrong header: missing column(s) {listing(missing)} "
            f"(the header has {len(header)} columns)",
        )


def parse_month(col: str) -> pl.Expr:
    """A month written ``YYYY-MM``, ``YYYY-MM-01`` or ``MM/01/YYYY`` -> the Date of its
    first day; null where unparseable or where the day is not the 1st."""
    day = parse_date(col, MONTH_FORMATS)
    return pl.when(day.dt.day() == 1).then(day).otherwise(None)


def month_end_after(date_col: str, month_col: str) -> pl.Expr:
    """True where ``date_col`` falls after the last day of the month ``month_col``
    (i.e. on or after the first day of the next month)."""
    return pl.col(date_col) >= pl.col(month_col).dt.offset_by("1mo")


def read_release_calendar(path: Path | str) -> ReadResult:
    """Parse one release-calendar CSV (rules in the module docstring)."""
    lines = read_csv_lines(path, "series_id", preamble_max=0)
    header = lines.header
    require_columns(path, header, MANDATORY)
    frame = columns_from_fields(lines.lines, header, keep=(*MANDATORY, *OPTIONAL)).rename(
        {c: f"{c}_text" for c in (*MANDATORY, *OPTIONAL) if c in header}
    )
    if "release_time" not in header:
        frame = frame.with_columns(pl.lit(None, pl.Utf8).alias("release_time_text"))
    frame = frame.with_columns(
        pl.col("series_id_text").str.to_uppercase().alias("series_id"),
        parse_month("reference_period_text").alias("reference_period"),
        parse_date("release_date_text", DATE_FORMATS).alias("release_date"),
        pl.when(is_empty("release_time_text"))
        .then(None)
        .otherwise(pl.col("release_time_text"))
        .alias("release_time"),
    )
    rules = [
        column_count_rule(len(header)),
        empty_fields_rule(
            [f"{c}_text" for c in MANDATORY], "series_id, reference_period or release_date"
        ),
        Rule(
            Reason.UNPARSEABLE_DATE,
            pl.col("reference_period").is_null(),
            text(
                "reference period '{}' is not a month (YYYY-MM, YYYY-MM-01 or MM/01/YYYY)",
                "reference_period_text",
            ),
        ),
        unparseable_date_rule("release_date", "release_date_text", "release date"),
        Rule(
            Reason.RELEASE_BEFORE_REFERENCE,
            ~month_end_after("release_date", "reference_period"),
            pl.concat_str(
                pl.lit("release date "),
                pl.col("release_date").cast(pl.Utf8),
                pl.lit(" is on or before the end of reference month "),
                pl.col("reference_period").dt.strftime("%Y-%m"),
            ),
        ),
    ]
    accepted, rejected = split_by_rules(frame, rules)
    accepted, dups = split_duplicates(
        accepted,
        list(KEY),
        "release (series_id, reference_period)",
        values=["release_date", "release_time"],
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
