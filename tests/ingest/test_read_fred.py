"""FRED reader against its bad-input corpus (``tests/data/bad_inputs/fred``) and the whole
real FRED files: exact reason codes and counts, conservation line by line, raw lines as
delivered, unreadable files named with their problem, and values on named rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from alvh_assets.ingest.quarantine import ReadResult
from alvh_assets.ingest.readers.fred import KEY, SCHEMA, read_fred
from alvh_assets.sample.real_data import real_data_dir
from tests.ingest import corpus

CORPUS = corpus.BAD_INPUTS / "fred"
EXPECTED = corpus.load_expected(CORPUS)
READABLE, UNREADABLE = corpus.corpus_cases(CORPUS)


def check_result(path: Path, result: ReadResult) -> None:
    """Schemas, key, conservation per line, and every raw_line equal to the delivered line."""
    corpus.assert_conserved(result, SCHEMA, KEY)
    corpus.assert_raw_lines_delivered(result, path)


def test_corpus_lists_every_file() -> None:
    assert {p.name for p in CORPUS.glob("*.csv")} == set(EXPECTED)
    assert (CORPUS / "README.md").is_file()


@pytest.mark.parametrize("name", READABLE)
def test_corpus_counts_and_codes(name: str) -> None:
    path = CORPUS / name
    result = read_fred(path)
    corpus.assert_matches_expected(result, EXPECTED[name])
    check_result(path, result)


@pytest.mark.parametrize("name", UNREADABLE)
def test_corpus_unreadable(name: str) -> None:
    corpus.assert_unreadable(read_fred, CORPUS / name, EXPECTED[name]["unreadable"])


def value_on(result: ReadResult, day: date) -> float | None:
    """The value loaded for ``day`` (exactly one row)."""
    return result.accepted.filter(pl.col("observation_date") == day)["value"].item()


def test_cpilfesl_value_on_named_row() -> None:
    result = read_fred(CORPUS / "clean_observation_date_header.csv")
    assert result.accepted["series_id"].unique().to_list() == ["CPILFESL"]
    assert value_on(result, date(2008, 9, 1)) == 216.713
    assert result.accepted["vintage"].null_count() == 12
    row = result.accepted.filter(pl.col("observation_date") == date(2008, 9, 1))
    assert row["_source_row"].item() == 10


def test_date_header_and_us_dates_load_the_same_rows() -> None:
    iso = read_fred(CORPUS / "clean_date_header.csv")
    us = read_fred(CORPUS / "clean_us_dates.csv")
    assert iso.accepted["series_id"].unique().to_list() == ["PPIACO"]
    assert value_on(iso, date(2008, 9, 1)) == 196.9
    assert us.accepted.equals(iso.accepted)


def test_fred_dot_loads_as_null() -> None:
    result = read_fred(CORPUS / "clean_missing_dot.csv")
    assert value_on(result, date(2008, 3, 1)) is None
    assert value_on(result, date(2008, 4, 1)) is None
    assert value_on(result, date(2008, 5, 1)) == 1.98
    assert result.accepted["value"].null_count() == 2


def test_bom_crlf_and_blank_lines() -> None:
    result = read_fred(CORPUS / "clean_bom_crlf_blank_lines.csv")
    assert result.accepted["series_id"].unique().to_list() == ["FEDFUNDS"]
    rows = dict(result.accepted.select("observation_date", "_source_row").iter_rows())
    assert rows[date(2008, 6, 1)] == 7
    assert rows[date(2008, 7, 1)] == 9  # line 8 is blank: physical numbering kept
    assert value_on(result, date(2008, 12, 1)) == 0.16


def test_bad_rows_name_the_problem() -> None:
    bad = read_fred(CORPUS / "bad_value_not_number.csv").rejected.row(0, named=True)
    assert (bad["source_row"], bad["raw_line"]) == (7, "2008-06-01,n/a")
    assert "'n/a'" in bad["reason"]
    bad = read_fred(CORPUS / "bad_unparseable_date.csv").rejected.row(0, named=True)
    assert "'2008-07-32'" in bad["reason"]
    bad = read_fred(CORPUS / "bad_column_count.csv").rejected.row(0, named=True)
    assert bad["reason"] == "expected 2 fields, found 3"


def test_duplicate_keeps_the_first_row() -> None:
    result = read_fred(CORPUS / "bad_duplicate.csv")
    assert value_on(result, date(2008, 9, 1)) == 216.713
    dup = result.rejected.row(0, named=True)
    assert (dup["source_row"], dup["raw_line"]) == (14, "2008-09-01,216.9")
    assert dup["reason_code"] == "conflicting_duplicate_key_in_file"
    assert dup["reason"].endswith("same key as line 10 with different values (value)")


@pytest.mark.parametrize("series", ["CPILFESL", "PPIACO", "FEDFUNDS"])
def test_whole_real_file_loads_without_quarantine(series: str) -> None:
    path = real_data_dir() / f"fred_{series}.csv"
    result = read_fred(path)
    assert result.rejected.height == 0
    assert result.rows_read == len(path.read_text().splitlines()) - 1
    assert result.accepted["series_id"].unique().to_list() == [series]
    assert result.accepted["value"].null_count() == 0
    check_result(path, result)
    if series == "CPILFESL":
        assert value_on(result, date(2008, 9, 1)) == 216.713
