"""Monthly valuation reader against its bad-input corpus
(``tests/data/bad_inputs/valuation``, cut from the sample generator's Shiller-derived file)
and the generator's whole file: exact codes and counts, conservation line by line, raw
lines as delivered, unreadable files, 0.0 = missing, rule boundaries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from alvh_assets.ingest.quarantine import ReadResult
from alvh_assets.ingest.readers.valuation import KEY, SCHEMA, VALUE_COLUMNS, read_valuation
from alvh_assets.sample.generate import generate_sample_market
from alvh_assets.sample.macro import VALUATION_HEADER, valuation_text
from tests.ingest import corpus

CORPUS = corpus.BAD_INPUTS / "valuation"
EXPECTED = corpus.load_expected(CORPUS)
READABLE, UNREADABLE = corpus.corpus_cases(CORPUS)
AUG_2008 = (
    "2008-08-01,2008-11-03,1281.47,47.75666666666667,28.803333333333335,3.89,26.8333,"
    "0.022477,0.037267,-0.001633,0.0"
)


def check_result(path: Path, result: ReadResult) -> None:
    """Schemas, key, conservation per line, and every raw_line equal to the delivered line."""
    corpus.assert_conserved(result, SCHEMA, KEY)
    assert result.accepted.select("month", "publication_date").null_count().sum_horizontal()[0] == 0
    corpus.assert_raw_lines_delivered(result, path)


def month_row(result: ReadResult, month: date) -> dict:
    """The accepted row of ``month``."""
    return result.accepted.filter(pl.col("month") == month).row(0, named=True)


LEGACY_HEADER = (
    "month,publication_date,sp500,earnings,dividend,long_rate_pct,pe,dividend_yield,"
    "earnings_yield,erp_proxy,pcf"
)
"""The layout before ``cpi`` and ``cape`` (the corpus files; still accepted)."""
SEP_2011 = (
    "2011-09-01,2011-12-01,1173.88,86.98,25.18,1.98,13.4960,0.021450,0.074096,0.054296,0.0,"
    "226.89,19.7"
)
"""September 2011 as the sample writes it (the excess-CAPE-yield maximum, methodology §3)."""


def read_rows(tmp_path: Path, *rows: str, header: str = LEGACY_HEADER) -> ReadResult:
    """Read a small valuation file written to ``tmp_path``."""
    path = tmp_path / "valuation.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return read_valuation(path)


def test_corpus_lists_every_file() -> None:
    assert {p.name for p in CORPUS.glob("*.csv")} == set(EXPECTED)
    assert (CORPUS / "README.md").is_file()


@pytest.mark.parametrize("name", READABLE)
def test_corpus_counts_and_codes(name: str) -> None:
    path = CORPUS / name
    result = read_valuation(path)
    corpus.assert_matches_expected(result, EXPECTED[name])
    check_result(path, result)


@pytest.mark.parametrize("name", UNREADABLE)
def test_corpus_unreadable(name: str) -> None:
    corpus.assert_unreadable(read_valuation, CORPUS / name, EXPECTED[name]["unreadable"])


def test_values_on_named_row_and_pcf_zero_is_null() -> None:
    result = read_valuation(CORPUS / "clean_2008.csv")
    row = month_row(result, date(2008, 8, 1))
    assert row["publication_date"] == date(2008, 11, 3)
    assert (row["sp500"], row["pe"], row["dividend_yield"]) == (1281.47, 26.8333, 0.022477)
    assert row["erp_proxy"] == -0.001633  # negative ERP proxies are valid
    assert row["pcf"] is None  # written 0.0: missing
    assert result.accepted["pcf"].null_count() == 12


def test_zero_means_missing() -> None:
    result = read_valuation(CORPUS / "clean_zero_means_missing.csv")
    missing = ("earnings", "dividend", "pe", "dividend_yield", "earnings_yield", "erp_proxy")
    for month in (date(2008, 10, 1), date(2008, 11, 1), date(2008, 12, 1)):
        row = month_row(result, month)
        assert all(row[c] is None for c in missing)
        assert row["sp500"] is not None and row["long_rate_pct"] is not None
    assert month_row(result, date(2008, 9, 1))["earnings"] == 45.95


def test_absent_optional_columns_load_as_null() -> None:
    result = read_valuation(CORPUS / "clean_optional_columns_absent.csv")
    full = read_valuation(CORPUS / "clean_2008.csv").accepted
    for c in ("earnings", "dividend", "long_rate_pct", "dividend_yield", "earnings_yield"):
        assert result.accepted[c].null_count() == 12
    assert result.accepted.select("month", "publication_date", "sp500", "pe").equals(
        full.select("month", "publication_date", "sp500", "pe")
    )


def test_us_dates_and_short_months_load_the_same_values() -> None:
    iso = read_valuation(CORPUS / "clean_2008.csv").accepted
    assert read_valuation(CORPUS / "clean_us_dates.csv").accepted.equals(iso)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bad_non_numeric.csv", "sp500 '1,281.47' is not a finite number"),
        ("bad_negative_pe.csv", "pe -26.8333 <= 0"),
        ("bad_negative_price.csv", "sp500 -1281.47 <= 0"),
        ("bad_dividend_yield_percent.csv", "dividend_yield 2.2477 outside [0, 0.2]"),
        (
            "bad_publication_before_month.csv",
            "publication date 2008-08-29 is on or before the end of month 2008-08",
        ),
        ("bad_unparseable_date.csv", "unparseable publication date '2008-11-31'"),
    ],
)
def test_bad_rows_name_the_problem(name: str, reason: str) -> None:
    bad = read_valuation(CORPUS / name).rejected.row(0, named=True)
    assert bad["source_row"] == 9
    assert bad["reason"] == reason


def test_duplicate_keeps_the_first_row() -> None:
    result = read_valuation(CORPUS / "bad_duplicate.csv")
    dup = result.rejected.row(0, named=True)
    assert (dup["source_row"], dup["raw_line"]) == (14, AUG_2008)
    assert dup["reason"].endswith("line 9")
    assert month_row(result, date(2008, 8, 1))["_source_row"] == 9


def test_rule_boundaries(tmp_path: Path) -> None:
    rows = [
        "2008-01-01,2008-02-01,100,5,2,4,20,0.2,0.05,0.01,8",  # published the 1st after: ok
        "2008-02-01,2008-02-29,100,5,2,4,20,0.02,0.05,0.01,8",  # last day of the month
        "2008-03-01,2008-06-02,100,-5,2,-0.5,20,0.02,-0.05,-0.1,-3",  # negatives allowed
        "2008-04-01,2008-07-01,100,5,2,4,20,0.2001,0.05,0.01,8",  # yield above 0.2
        "2008-05-01,2008-08-01,100,5,-2,4,20,0.02,0.05,0.01,8",  # negative dividend
        "2008-06-01,2008-09-01,NaN,5,2,4,20,0.02,0.05,0.01,8",  # not finite
        "2008-07-01,2008-10-01,100,5,2,4,inf,0.02,0.05,0.01,8",  # not finite
        "2008-08-15,2008-11-03,100,5,2,4,20,0.02,0.05,0.01,8",  # not a month
        "2008-09-01,2008-12-01,0,0.00,0,,0,0.0,-0.0,0,0",  # every zero is missing
        "2008-10,01/02/2009,,,,,,,,,",  # blank values: null
    ]
    result = read_rows(tmp_path, *rows)
    codes = dict(result.rejected.select("source_row", "reason_code").iter_rows())
    assert codes == {
        3: "release_before_reference_period",
        5: "value_out_of_range",
        6: "value_out_of_range",
        7: "non_numeric_value",
        8: "non_numeric_value",
        9: "unparseable_date",
    }
    assert result.accepted["_source_row"].to_list() == [2, 4, 10, 11]
    for month in (date(2008, 9, 1), date(2008, 10, 1)):
        row = month_row(result, month)
        assert all(row[c] is None for c in VALUE_COLUMNS)
    assert month_row(result, date(2008, 3, 1))["earnings"] == -5.0


def test_first_failing_rule_wins(tmp_path: Path) -> None:
    result = read_rows(
        tmp_path,
        "2008-01-01,2008-01-15,-100,5,2,4,20,0.02,0.05,0.01,8",  # range beats early release
        "2008-02-01,2008-02-15,abc,5,2,4,-20,0.02,0.05,0.01,8",  # non-numeric beats range
        "2008-03-01,,abc,5,2,4,-20,0.02,0.05,0.01,8",  # empty mandatory beats non-numeric
    )
    assert result.rejected["reason_code"].to_list() == [
        "value_out_of_range",
        "non_numeric_value",
        "empty_mandatory_field",
    ]


def test_whole_sample_file_loads_without_quarantine(tmp_path: Path) -> None:
    generate_sample_market(date(2008, 1, 2), date(2009, 6, 30), tmp_path, include_chains=False)
    path = tmp_path / "valuation" / "valuation_monthly.csv"
    result = read_valuation(path)
    assert result.rejected.height == 0
    assert result.rows_read == len(path.read_text().splitlines()) - 1
    check_result(path, result)
    assert result.accepted["month"].min() == date(1871, 1, 1)
    assert (result.accepted["publication_date"] <= date(2009, 6, 30)).all()


def test_full_range_valuation_loads_without_quarantine(tmp_path: Path) -> None:
    text, rows = valuation_text(date(2018, 12, 31))
    path = tmp_path / "valuation_monthly.csv"
    path.write_text(text)
    result = read_valuation(path)
    assert (result.rows_read, result.rejected.height) == (rows, 0)
    assert result.accepted["pe"].null_count() == 0
    assert result.accepted["dividend_yield"].max() < 0.2


# --------------------------------------------------------------------------- cpi and cape


def test_sample_layout_carries_cpi_cape_and_the_10_year_yield() -> None:
    """The inputs of the excess CAPE yield (methodology §3): the last row published by
    2011-12-01 is September 2011 with Shiller's CPI 226.89, CAPE (PE10) 19.7 and 10-year
    yield 1.98%."""
    assert VALUATION_HEADER.split(",")[-2:] == ["cpi", "cape"]
    assert valuation_text(date(2011, 12, 1))[0].splitlines()[-1] == SEP_2011


def test_new_columns_load_and_old_files_have_them_null(tmp_path: Path) -> None:
    row = month_row(read_rows(tmp_path, SEP_2011, header=VALUATION_HEADER), date(2011, 9, 1))
    assert (row["cpi"], row["cape"], row["long_rate_pct"]) == (226.89, 19.7, 1.98)
    legacy = read_valuation(CORPUS / "clean_2008.csv").accepted
    assert legacy["cpi"].null_count() == legacy["cape"].null_count() == 12


def test_bad_cpi_and_cape_rows_are_quarantined(tmp_path: Path) -> None:
    base = SEP_2011.rsplit(",", 2)[0]
    rows = [
        SEP_2011,  # line 2: good
        base.replace("2011-09", "2011-10").replace("2011-12-01", "2012-01-03") + ",226.42,-20.16",
        base.replace("2011-09", "2011-11").replace("2011-12-01", "2012-02-01") + ",n/a,20.1",
        base.replace("2011-09", "2011-12").replace("2011-12-01", "2012-03-01") + ",225.67,2016",
        base.replace("2011-09", "2012-01").replace("2011-12-01", "2012-04-02") + ",-226.67,20.3",
        base.replace("2011-09", "2012-02").replace("2011-12-01", "2012-05-01") + ",227.66",
        base.replace("2011-09", "2012-03").replace("2011-12-01", "2012-06-01") + ",0.0,0.0",
    ]
    path = tmp_path / "valuation.csv"
    path.write_text("\n".join([VALUATION_HEADER, *rows]) + "\n")
    result = read_valuation(path)
    check_result(path, result)
    bad = {r["source_row"]: (r["reason_code"], r["reason"]) for r in result.rejected.to_dicts()}
    assert bad == {
        3: ("value_out_of_range", "cape -20.16 <= 0"),
        4: ("non_numeric_value", "cpi 'n/a' is not a finite number"),
        5: ("implausible_value", "implausible cape '2016' (|cape| at least 1,000)"),
        6: ("value_out_of_range", "cpi -226.67 <= 0"),
        7: ("wrong_column_count", bad[7][1]),
    }
    assert result.accepted["_source_row"].to_list() == [2, 8]
    march = month_row(result, date(2012, 3, 1))  # 0.0 = missing, as in Shiller's file
    assert march["cpi"] is None and march["cape"] is None
