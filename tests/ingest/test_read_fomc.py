"""FOMC decisions reader against its bad-input corpus (``tests/data/bad_inputs/fomc``, cut
from the real file) and the whole real file: exact codes and counts, conservation line by
line, raw lines as delivered, unreadable files, unscheduled and weekend actions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from alvh_assets.ingest.quarantine import ReadResult
from alvh_assets.ingest.readers.fomc import KEY, SCHEMA, read_fomc
from alvh_assets.sample.real_data import real_data_dir
from tests.ingest import corpus

CORPUS = corpus.BAD_INPUTS / "fomc"
EXPECTED = corpus.load_expected(CORPUS)
READABLE, UNREADABLE = corpus.corpus_cases(CORPUS)
REAL = real_data_dir() / "fomc_decisions.csv"


def check_result(path: Path, result: ReadResult) -> None:
    """Schemas, key, conservation per line, and every raw_line equal to the delivered line."""
    corpus.assert_conserved(result, SCHEMA, KEY)
    assert result.accepted.null_count().sum_horizontal().item() == 0
    corpus.assert_raw_lines_delivered(result, path)


def flags(result: ReadResult) -> dict[date, bool]:
    """decision_date -> scheduled of the accepted rows."""
    return dict(result.accepted.select("decision_date", "scheduled").iter_rows())


def test_corpus_lists_every_file() -> None:
    assert {p.name for p in CORPUS.glob("*.csv")} == set(EXPECTED)
    assert (CORPUS / "README.md").is_file()


@pytest.mark.parametrize("name", READABLE)
def test_corpus_counts_and_codes(name: str) -> None:
    path = CORPUS / name
    result = read_fomc(path)
    corpus.assert_matches_expected(result, EXPECTED[name])
    check_result(path, result)


@pytest.mark.parametrize("name", UNREADABLE)
def test_corpus_unreadable(name: str) -> None:
    corpus.assert_unreadable(read_fomc, CORPUS / name, EXPECTED[name]["unreadable"])


def test_unscheduled_2008_actions() -> None:
    got = flags(read_fomc(CORPUS / "clean_2007_2008.csv"))
    assert got[date(2008, 10, 8)] is False
    assert got[date(2008, 10, 29)] is True
    unscheduled = sorted(d for d, s in got.items() if not s)
    assert unscheduled == [
        date(2007, 8, 10),
        date(2007, 8, 17),
        date(2008, 1, 22),
        date(2008, 3, 11),
        date(2008, 10, 8),
    ]


def test_sunday_unscheduled_action_loads() -> None:
    got = flags(read_fomc(CORPUS / "clean_weekend_unscheduled.csv"))
    assert date(2020, 3, 15).weekday() == 6  # a Sunday
    assert got[date(2020, 3, 15)] is False
    assert got[date(2020, 3, 3)] is False


def test_boolean_spellings_match_the_real_flags() -> None:
    spelled = flags(read_fomc(CORPUS / "clean_boolean_spellings.csv"))
    real = flags(read_fomc(REAL))
    assert spelled == {d: real[d] for d in spelled}
    assert len(spelled) == 11


def test_bad_rows_name_the_problem() -> None:
    bad = read_fomc(CORPUS / "bad_scheduled_not_boolean.csv").rejected.row(0, named=True)
    assert (bad["source_row"], bad["raw_line"]) == (10, "2008-10-08,unscheduled")
    assert "'unscheduled'" in bad["reason"]
    bad = read_fomc(CORPUS / "bad_unparseable_date.csv").rejected.row(0, named=True)
    assert (bad["raw_line"], bad["reason"]) == (
        "2008-04-31,true",
        "unparseable decision date '2008-04-31'",
    )
    bad = read_fomc(CORPUS / "bad_column_count.csv").rejected.row(0, named=True)
    assert bad["raw_line"] == "2008-04-30,true,25bp cut"


def test_duplicate_keeps_the_first_row() -> None:
    result = read_fomc(CORPUS / "bad_duplicate.csv")
    assert flags(result)[date(2008, 10, 8)] is False
    dup = result.rejected.row(0, named=True)
    assert (dup["source_row"], dup["raw_line"]) == (13, "2008-10-08,true")
    assert dup["reason_code"] == "conflicting_duplicate_key_in_file"
    assert dup["reason"].endswith("same key as line 10 with different values (scheduled)")


def test_every_boolean_spelling(tmp_path: Path) -> None:
    path = tmp_path / "fomc.csv"
    spellings = ["true", "TRUE", "1", "yes", "YES", "false", "False", "0", "no", "NO"]
    extra = ["t", "2", "Y", "unscheduled"]
    lines = [f"2008-01-{d:02d},{s}" for d, s in enumerate(spellings + extra, start=1)]
    path.write_text("decision_date,scheduled\n" + "\n".join(lines) + "\n")
    result = read_fomc(path)
    assert result.accepted["scheduled"].to_list() == [True] * 5 + [False] * 5
    assert result.rejected["reason_code"].to_list() == ["value_out_of_range"] * len(extra)


def test_whole_real_file_loads_without_quarantine() -> None:
    result = read_fomc(REAL)
    assert result.rejected.height == 0
    assert result.rows_read == len(REAL.read_text().splitlines()) - 1 == 228
    check_result(REAL, result)
    got = flags(result)
    assert got[date(2020, 3, 15)] is False
    assert got[date(2008, 10, 8)] is False
    assert result.accepted.equals(
        pl.read_csv(REAL, try_parse_dates=True)
        .with_columns(pl.int_range(2, pl.len() + 2).alias("_source_row"))
        .cast({"scheduled": pl.Boolean, "_source_row": pl.Int64})
    )
