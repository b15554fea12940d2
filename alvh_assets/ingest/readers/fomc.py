"""FOMC decision dates CSV -> ``raw.fomc_decisions``.

Layout: ``decision_date,scheduled`` (further columns are ignored; a header without
``scheduled`` makes the file unreadable). ``decision_date`` is ISO ``YYYY-MM-DD`` or
``MM/DD/YYYY``; ``scheduled`` is a boolean written ``true``/``false``, ``1``/``0`` or
``yes``/``no`` in any letter case. ``scheduled=false`` marks an unscheduled (intermeeting)
action. Any calendar day is valid: the Fed acts on weekends and holidays when it must
(2020-03-15 was a Sunday), so there is deliberately no trading-day rule here; mapping a
decision onto the next session is the event calendar's job, not the reader's.

Row rules, in priority order (a row gets the code of the first rule it breaks):

1. ``wrong_column_count``: the line's field count differs from the header's.
2. ``empty_mandatory_field``: ``decision_date`` or ``scheduled`` blank.
3. ``unparseable_date``: ``decision_date`` not a date in an accepted format.
4. ``value_out_of_range``: ``scheduled`` is not one of the boolean spellings above.
5. ``duplicate_key_in_file``: a ``decision_date`` already seen on an earlier valid line
   with the same ``scheduled`` flag, or ``conflicting_duplicate_key_in_file`` when the flag
   differs; the first is kept, later ones are quarantined with the kept line's number.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from alvh_assets.ingest.csv_lines import read_csv_lines
from alvh_assets.ingest.quarantine import ReadResult, Reason
from alvh_assets.ingest.readers.release_calendar import require_columns
from alvh_assets.ingest.rules import (
    Rule,
    column_count_rule,
    columns_from_fields,
    empty_fields_rule,
    parse_date,
    split_by_rules,
    split_duplicates,
    text,
    unparseable_date_rule,
)

SOURCE = "fomc_decisions"
SCHEMA: dict[str, pl.DataType] = {
    "decision_date": pl.Date(),
    "scheduled": pl.Boolean(),
}
KEY = ("decision_date",)
PARTITION_COLUMN: str | None = None
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
BOOLEANS: dict[str, bool] = {
    "true": True,
    "1": True,
    "yes": True,
    "false": False,
    "0": False,
    "no": False,
}
"""Accepted spellings of ``scheduled`` (compared in lower case)."""


def read_fomc(path: Path | str) -> ReadResult:
    """Parse one FOMC decisions CSV (rules in the module docstring)."""
    lines = read_csv_lines(path, "decision_date", preamble_max=0)
    header = lines.header
    require_columns(path, header, tuple(SCHEMA))
    frame = columns_from_fields(lines.lines, header, keep=tuple(SCHEMA)).rename(
        {"decision_date": "date_text", "scheduled": "scheduled_text"}
    )
    frame = frame.with_columns(
        parse_date("date_text", DATE_FORMATS).alias("decision_date"),
        pl.col("scheduled_text")
        .str.to_lowercase()
        .replace_strict(BOOLEANS, default=None, return_dtype=pl.Boolean)
        .alias("scheduled"),
    )
    rules = [
        column_count_rule(len(header)),
        empty_fields_rule(["date_text", "scheduled_text"], "decision_date or scheduled"),
        unparseable_date_rule("decision_date", "date_text", "decision date"),
        Rule(
            Reason.VALUE_OUT_OF_RANGE,
            pl.col("scheduled").is_null(),
            text(
                "scheduled '{}' is not a boolean (true/false, 1/0, yes/no)",
                "scheduled_text",
            ),
        ),
    ]
    accepted, rejected = split_by_rules(frame, rules)
    accepted, dups = split_duplicates(accepted, list(KEY), "decision date", values=["scheduled"])
    out = accepted.select(*SCHEMA, "_source_row").cast(SCHEMA)  # type: ignore[arg-type]
    return ReadResult(
        SOURCE,
        Path(path),
        lines.sha256,
        lines.lines.height,
        out,
        pl.concat([rejected, dups]).sort("source_row"),
    )
