"""Reason codes, the reader result, and the error for files that cannot be read at all.

A bad *row* is quarantined with a stable ``reason_code``, a human ``reason`` and the raw
line; the rest of its file loads. A bad *file* (not text, not CSV, wrong header, broken
zip, empty) raises :class:`UnreadableFileError` naming the file and the problem, and
nothing of it loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import polars as pl


class Reason(StrEnum):
    """Stable quarantine reason codes (the values are stored; never rename one)."""

    UNPARSEABLE_DATE = "unparseable_date"
    NON_NUMERIC_VALUE = "non_numeric_value"
    NEGATIVE_PRICE = "negative_price"
    BID_ABOVE_ASK = "bid_above_ask"
    EXPIRATION_BEFORE_QUOTE = "expiration_before_quote_date"
    UNKNOWN_OPTION_TYPE = "unknown_option_type"
    NONPOSITIVE_STRIKE = "nonpositive_strike"
    DUPLICATE_IN_FILE = "duplicate_key_in_file"
    CONFLICTING_DUPLICATE = "conflicting_duplicate_across_files"
    DUPLICATE_ACROSS_FILES = "identical_duplicate_across_files"
    NOT_TRADING_DAY = "not_a_trading_day"
    DATE_NOT_IN_FILE_DAY = "quote_date_differs_from_file_date"
    WRONG_COLUMN_COUNT = "wrong_column_count"
    EMPTY_MANDATORY_FIELD = "empty_mandatory_field"
    VX_SETTLE_OUT_OF_RANGE = "vx_settle_out_of_range"
    UNKNOWN_CONTRACT = "unknown_contract_label"
    FRED_VALUE_NOT_NUMBER = "fred_value_not_a_number"
    RELEASE_BEFORE_REFERENCE = "release_before_reference_period"
    # No longer produced: a bad vendor-computed IV or Greek loads as null, named by
    # raw.cboe_option_eod.vendor_calcs_flag (issue 17); kept for rows quarantined before.
    IV_OUT_OF_BOUNDS = "iv_out_of_bounds"
    GREEK_OUT_OF_BOUNDS = "greek_out_of_bounds"
    INCONSISTENT_OHLC = "inconsistent_ohlc"
    NEGATIVE_COUNT = "negative_count"
    VALUE_OUT_OF_RANGE = "value_out_of_range"
    IMPLAUSIBLE_VALUE = "implausible_value"
    CONFLICTING_DUPLICATE_IN_FILE = "conflicting_duplicate_key_in_file"
    SUPERSEDED_BY_RICHER_FILE = "superseded_by_richer_file"
    FILE_DATED_ON_NON_SESSION = "file_dated_on_non_session"


REJECTED_SCHEMA: dict[str, pl.DataType] = {
    "source_row": pl.Int64(),
    "reason_code": pl.Utf8(),
    "reason": pl.Utf8(),
    "raw_line": pl.Utf8(),
    "partition_date": pl.Date(),
}
"""Columns of a reader's rejected rows (file-level lineage is added by the writer).
``partition_date`` is the row's parsed partition date where it has one (daily sources),
so re-ingesting a window replaces exactly that window's quarantined rows."""


class UnreadableFileError(Exception):
    """A whole file cannot be read; the message names the file and the problem.

    ``problem`` is one line and quotes no file content beyond the offending field (header
    names only when they look like column names, values cut to 40 characters with
    non-printables escaped: :func:`alvh_assets.ingest.csv_lines.shown`)."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")

    def __reduce__(self) -> tuple:  # picklable, for readers running in worker processes
        return (type(self), (self.path, self.problem))


@dataclass(frozen=True)
class ReadResult:
    """What a reader made of one file.

    ``rows_read`` counts data lines (after the header and any vendor preamble; blank
    lines are not rows). Conservation: ``rows_read == accepted.height + rejected.height``.
    ``accepted`` holds typed columns plus ``_source_row`` (1-based physical line number);
    ``rejected`` has :data:`REJECTED_SCHEMA`.
    """

    source: str
    path: Path
    sha256: str
    rows_read: int
    accepted: pl.DataFrame
    rejected: pl.DataFrame

    def __post_init__(self) -> None:
        loaded, quarantined = self.accepted.height, self.rejected.height
        if loaded + quarantined != self.rows_read:
            raise AssertionError(
                f"{self.path}: conservation broken: read {self.rows_read} rows, "
                f"loaded {loaded} + quarantined {quarantined}"
            )
