"""CPI/PPI release-calendar reader against its bad-input corpus
(``tests/data/bad_inputs/release_calendar``, cut from the sample generator's modelled
calendar) and the generator's whole file: exact codes and counts, conservation line by
line, raw lines as delivered, unreadable files, values on named rows, rule boundaries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from alvh_assets.ingest.quarantine import ReadResult
from alvh_assets.ingest.readers.fred import read_fred
from alvh_assets.ingest.readers.release_calendar import KEY, SCHEMA, read_release_calendar
from alvh_assets.sample.generate import generate_sample_market
from tests.ingest import corpus

CORPUS = corpus.BAD_INPUTS / "release_calendar"
EXPECTED = corpus.load_expected(CORPUS)
READABLE, UNREADABLE = corpus.corpus_cases(CORPUS)
HEADER = "series_id,reference_period,release_date"


def check_result(path: Path, result: ReadResult) -> None:
    """Schemas, key, conservation per line, and every raw_line equal to the delivered line."""
    corpus.assert_conserved(result, SCHEMA, KEY)
    assert result.accepted.select(KEY).null_count().sum_horizontal().item() == 0
    corpus.assert_raw_lines_delivered(result, path)


def release(result: ReadResult, series_id: str, month: date) -> dict:
    """The accepted row of (series_id, reference month)."""
    return result.accepted.filter(
        (pl.col("series_id") == series_id) & (pl.col("reference_period") == month)
    ).row(0, named=True)


def read_text(tmp_path: Path, body: str) -> ReadResult:
    """Read a small calendar written to ``tmp_path``."""
    path = tmp_path / "calendar.csv"
    path.write_text(body)
    return read_release_calendar(path)


def test_corpus_lists_every_file() -> None:
    assert {p.name for p in CORPUS.glob("*.csv")} == set(EXPECTED)
    assert (CORPUS / "README.md").is_file()


@pytest.mark.parametrize("name", READABLE)
def test_corpus_counts_and_codes(name: str) -> None:
    path = CORPUS / name
    result = read_release_calendar(path)
    corpus.assert_matches_expected(result, EXPECTED[name])
    check_result(path, result)


@pytest.mark.parametrize("name", UNREADABLE)
def test_corpus_unreadable(name: str) -> None:
    corpus.assert_unreadable(read_release_calendar, CORPUS / name, EXPECTED[name]["unreadable"])


def test_values_on_named_rows() -> None:
    result = read_release_calendar(CORPUS / "clean_iso.csv")
    row = release(result, "CPILFESL", date(2008, 9, 1))
    assert row["release_date"] == date(2008, 10, 16)
    assert row["release_time"] is None
    assert release(result, "PPIACO", date(2008, 9, 1))["release_date"] == date(2008, 10, 15)
    assert result.accepted["reference_period"].dt.day().unique().to_list() == [1]


@pytest.mark.parametrize(
    "name", ["clean_us_dates_month_period.csv", "clean_lowercase_crlf_bom.csv"]
)
def test_variants_load_the_same_values(name: str) -> None:
    iso = read_release_calendar(CORPUS / "clean_iso.csv").accepted
    variant = read_release_calendar(CORPUS / name).accepted
    assert variant.equals(iso)


def test_optional_release_time() -> None:
    result = read_release_calendar(CORPUS / "clean_release_time.csv")
    times = dict(result.accepted.select("_source_row", "release_time").iter_rows())
    assert times[4] is None  # blank field
    assert {t for r, t in times.items() if r != 4} == {"08:30"}


def test_bad_rows_name_the_problem() -> None:
    bad = read_release_calendar(CORPUS / "bad_release_before_reference.csv").rejected.row(
        0, named=True
    )
    assert (bad["source_row"], bad["raw_line"]) == (7, "CPILFESL,2008-03-01,2008-03-31")
    assert bad["reason"] == (
        "release date 2008-03-31 is on or before the end of reference month 2008-03"
    )
    bad = read_release_calendar(CORPUS / "bad_reference_not_month.csv").rejected.row(0, named=True)
    assert "'2008-05-15'" in bad["reason"]
    bad = read_release_calendar(CORPUS / "bad_unparseable_date.csv").rejected.row(0, named=True)
    assert "'2008-06-31'" in bad["reason"]


def test_rescheduled_duplicate_keeps_the_first_listing() -> None:
    result = read_release_calendar(CORPUS / "bad_duplicate_rescheduled.csv")
    assert release(result, "CPILFESL", date(2008, 4, 1))["release_date"] == date(2008, 5, 16)
    dup = result.rejected.row(0, named=True)
    assert (dup["source_row"], dup["raw_line"]) == (10, "CPILFESL,2008-04-01,2008-05-20")
    assert dup["reason_code"] == "conflicting_duplicate_key_in_file"
    assert dup["reason"].endswith("same key as line 9 with different values (release_date)")


def test_release_must_follow_the_reference_month(tmp_path: Path) -> None:
    result = read_text(
        tmp_path,
        f"{HEADER}\n"
        "CPILFESL,2008-03,2008-04-01\n"  # first day after the month: valid
        "PPIACO,2008-03-01,2008-03-31\n"  # last day of the month: too early
        "PPIACO,2008-04-01,2008-02-15\n"  # before the month even started
        "CPILFESL,02/01/2008,03/14/2008\n"  # US style, first of the month
        "CPILFESL,2008-01-31,2008-02-20\n",  # a day, not a month
    )
    codes = dict(result.rejected.select("source_row", "reason_code").iter_rows())
    assert codes == {
        3: "release_before_reference_period",
        4: "release_before_reference_period",
        6: "unparseable_date",
    }
    assert result.accepted["reference_period"].to_list() == [date(2008, 3, 1), date(2008, 2, 1)]


def test_first_failing_rule_wins_and_invalid_rows_do_not_claim_a_key(tmp_path: Path) -> None:
    result = read_text(
        tmp_path,
        f"{HEADER}\n"
        "CPILFESL,2008-13,\n"  # empty release date beats the bad month
        "CPILFESL,2008-03-01,2008-03-02\n"  # invalid: does not claim the key
        "CPILFESL,2008-03-01,2008-04-15\n"  # first valid listing: kept
        "cpilfesl,2008-03-01,2008-04-16\n"  # same key after upper-casing, other date
        "CPILFESL,2008-03-01,2008-04-15\n",  # same key and values as line 4
    )
    codes = dict(result.rejected.select("source_row", "reason_code").iter_rows())
    assert codes == {
        2: "empty_mandatory_field",
        3: "release_before_reference_period",
        5: "conflicting_duplicate_key_in_file",
        6: "duplicate_key_in_file",
    }
    assert result.accepted["_source_row"].to_list() == [4]


def test_header_only_file_loads_nothing(tmp_path: Path) -> None:
    result = read_text(tmp_path, f"{HEADER}\n")
    assert (result.rows_read, result.accepted.height, result.rejected.height) == (0, 0, 0)


def test_whole_sample_calendar_loads_and_covers_fred(tmp_path: Path) -> None:
    generate_sample_market(date(2008, 1, 2), date(2009, 6, 30), tmp_path, include_chains=False)
    path = tmp_path / "calendars" / "cpi_ppi_release_calendar_modelled.csv"
    result = read_release_calendar(path)
    assert result.rejected.height == 0
    assert result.rows_read == len(path.read_text().splitlines()) - 1
    check_result(path, result)
    # every FRED CPI/PPI month the sample ships since 1990 has its release date
    for series in ("CPILFESL", "PPIACO"):
        fred = read_fred(tmp_path / "fred" / f"{series}.csv").accepted
        months = fred.filter(pl.col("observation_date") >= date(1990, 1, 1))
        joined = months.join(
            result.accepted,
            left_on=["series_id", "observation_date"],
            right_on=["series_id", "reference_period"],
            how="left",
        )
        assert joined["release_date"].null_count() == 0
        assert (joined["release_date"] <= date(2009, 6, 30)).all()
