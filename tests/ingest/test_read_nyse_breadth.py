"""NYSE breadth reader against its bad-input corpus (``tests/data/bad_inputs/nyse_breadth``,
cut from the sample generator's MODELLED breadth file: no real breadth series ships) and the
generator's whole file: exact codes and counts, conservation line by line, raw lines as
delivered, unreadable files, optional columns, and values on named days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from alvh_assets.ingest.quarantine import ReadResult
from alvh_assets.ingest.readers.nyse_breadth import (
    KEY,
    OPTIONAL,
    PARTITION_COLUMN,
    SCHEMA,
    SOURCE,
    read_nyse_breadth,
)
from alvh_assets.sample.breadth import BREADTH_PATH, breadth_universe, write_breadth
from tests.ingest import corpus

CORPUS = corpus.BAD_INPUTS / "nyse_breadth"
EXPECTED = corpus.load_expected(CORPUS)
READABLE, UNREADABLE = corpus.corpus_cases(CORPUS)
SEED = 20080915
HEADER = (
    "Date,Total Issues,Advances,Declines,Unchanged,Up Volume,Down Volume,Unchanged Volume,AD Line"
)
OCT_16 = {
    "date": dt.date(2008, 10, 16),
    "total_issues": 2963,
    "advances": 2755,
    "declines": 126,
    "unchanged": 82,
    "up_volume": 7589346036,
    "down_volume": 315308964,
    "unchanged_volume": 79845000,
    "ad_line": 84640,
}
"""Line 13 of the base cut: ``2008-10-16,2963,2755,126,82,7589346036,315308964,79845000,84640``."""


def check_result(path: Path, result: ReadResult) -> None:
    """Schemas, key, conservation per line, and every raw_line equal to the delivered line."""
    assert result.source == SOURCE
    corpus.assert_conserved(result, SCHEMA, KEY)
    required = result.accepted.select("date", "total_issues", "advances", "declines", "unchanged")
    assert required.null_count().sum_horizontal()[0] == 0
    # the header is line 1
    corpus.assert_raw_lines_delivered(result, path, is_header=lambda ln: True, splitlines=True)
    assert result.rejected["reason"].null_count() == 0


def on(result: ReadResult, day: dt.date) -> dict:
    """The accepted row of ``day`` without its line number."""
    return result.accepted.filter(pl.col("date") == day).drop("_source_row").row(0, named=True)


def read_rows(tmp_path: Path, *rows: str, header: str = HEADER) -> ReadResult:
    """Read a small breadth file written to ``tmp_path``."""
    path = tmp_path / "breadth.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return read_nyse_breadth(path)


def test_module_contract() -> None:
    assert SOURCE == "nyse_breadth_daily"
    assert KEY == ("date",)
    assert PARTITION_COLUMN == "date"
    assert all(SCHEMA[c] == pl.Int64() for c in SCHEMA if c != "date")


def test_corpus_lists_every_file() -> None:
    files = {p.name for p in CORPUS.iterdir()} - {"README.md", "expected.json"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", READABLE)
def test_corpus_counts_and_codes(name: str) -> None:
    path = CORPUS / name
    result = read_nyse_breadth(path)
    corpus.assert_matches_expected(result, EXPECTED[name])
    check_result(path, result)


@pytest.mark.parametrize("name", UNREADABLE)
def test_corpus_unreadable(name: str) -> None:
    corpus.assert_unreadable(read_nyse_breadth, CORPUS / name, EXPECTED[name]["unreadable"])


def test_values_on_a_named_day() -> None:
    result = read_nyse_breadth(CORPUS / "clean_2008_10.csv")
    assert on(result, dt.date(2008, 10, 16)) == OCT_16


def test_variants_load_the_same_values() -> None:
    base = read_nyse_breadth(CORPUS / "clean_2008_10.csv").accepted.drop("_source_row")
    for name in ("clean_us_dates_crlf.csv", "clean_extra_column.csv", "clean_zipped.zip"):
        other = read_nyse_breadth(CORPUS / name).accepted.drop("_source_row")
        assert other.equals(base), name


def test_absent_or_empty_optional_values_are_null() -> None:
    base = read_nyse_breadth(CORPUS / "clean_2008_10.csv").accepted
    bare = read_nyse_breadth(CORPUS / "clean_no_optional_columns.csv").accepted
    assert all(bare[c].null_count() == 23 for c in OPTIONAL)
    required = ["date", "total_issues", "advances", "declines", "unchanged"]
    assert bare.select(required).equals(base.select(required))
    empty = read_nyse_breadth(CORPUS / "clean_empty_optional_values.csv").accepted
    row = empty.filter(pl.col("_source_row") == 6).row(0, named=True)
    assert row["date"] == dt.date(2008, 10, 7) and row["advances"] == 65
    assert all(row[c] is None for c in OPTIONAL)
    assert empty.select(OPTIONAL).null_count().sum_horizontal()[0] == 4


def test_sum_rule_and_negative_ad_line(tmp_path: Path) -> None:
    result = read_rows(
        tmp_path,
        "2008-10-01,3000,1000,1900,100,1,1,1,-5000",  # ok: the A/D line may be negative
        "2008-10-02,3000,1000,1900,99,1,1,1,100",  # 2999 != 3000
        "2008-10-03,3000,1000,-1900,3900,1,1,1,100",  # negative count (sum holds)
        "10/06/2008,3000,1000,1900,100,,,,",  # US date, optional values empty
    )
    assert result.rejected.select("source_row", "reason_code").rows() == [
        (3, "value_out_of_range"),
        (4, "negative_count"),
    ]
    assert result.accepted["ad_line"].to_list() == [-5000, None]


def test_rule_order(tmp_path: Path) -> None:
    """First failing rule wins."""
    result = read_rows(
        tmp_path,
        "2008-10-04,3000,1000,1900,99,1,1,1,100",  # a Saturday with a bad sum: sum rule first
        "2008-13-01,3000,x,1900,100,1,1,1,100",  # bad date beats non-numeric
        "2008-10-06,3000,x,-1,100,1,1,1,100",  # non-numeric beats negative
        "2008-10-07,,1000,1900,100,1,1,1,100",  # empty beats everything but column count
        "2008-10-08,3000,1000,1900,100,1,1,1",  # column count
    )
    assert result.rejected["reason_code"].to_list() == [
        "value_out_of_range",
        "unparseable_date",
        "non_numeric_value",
        "empty_mandatory_field",
        "wrong_column_count",
    ]


def test_sample_generator_file_loads_whole(tmp_path: Path) -> None:
    """The generator's modelled file 1999-01-04 … 2018-12-31 (5,031 sessions) loads with
    zero quarantine and the generator's values."""
    write_breadth(dt.date(2018, 12, 3), dt.date(2018, 12, 31), tmp_path, seed=SEED)
    path = tmp_path / BREADTH_PATH
    result = read_nyse_breadth(path)
    check_result(path, result)
    assert (result.rows_read, result.accepted.height) == (5031, 5031)
    model = breadth_universe(SEED).drop("divergence_regime")
    assert result.accepted.drop("_source_row").equals(model.cast(SCHEMA))  # type: ignore[arg-type]
