"""Cboe index history reader against its bad-input corpus (``tests/data/bad_inputs/cboe_index``,
cut from the real VIX, VIX3M and S&P 500 files) and the whole real files: exact codes and
counts, conservation line by line, raw lines as delivered, unreadable files, the symbol
rule, the open band, and values on named days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from alvh_assets.ingest.quarantine import ReadResult
from alvh_assets.ingest.readers.cboe_index import (
    KEY,
    PARTITION_COLUMN,
    SCHEMA,
    SOURCE,
    read_cboe_index,
    symbol_from_name,
)
from alvh_assets.sample.index_files import spx_cboe_text
from alvh_assets.sample.real_data import real_data_dir
from tests.ingest import corpus

CORPUS = corpus.BAD_INPUTS / "cboe_index"
EXPECTED = corpus.load_expected(CORPUS)
READABLE, UNREADABLE = corpus.corpus_cases(CORPUS)
VIX_FILE = real_data_dir() / "cboe_vix_daily.csv"
VIX3M_FILE = real_data_dir() / "cboe_vix3m_daily.csv"
VIX_QUARANTINED_1990_2018 = {
    (dt.date(2004, 6, 11), "not_a_trading_day"),  # NYSE closed: President Reagan's funeral
    (dt.date(2004, 11, 8), "inconsistent_ohlc"),  # open 2.58, range 13.68-14.48
    (dt.date(2006, 2, 8), "inconsistent_ohlc"),  # open 41.60, range 12.76-13.61
}


def check_result(path: Path, result: ReadResult) -> None:
    """Schemas, key, conservation per line, and every raw_line equal to the delivered line."""
    assert result.source == SOURCE
    corpus.assert_conserved(result, SCHEMA, KEY)
    assert result.accepted.null_count().sum_horizontal()[0] == 0
    corpus.assert_raw_lines_delivered(
        result, path, is_header=lambda ln: ln.lower().startswith("date,"), splitlines=True
    )
    assert result.rejected["reason"].null_count() == 0


def on(result: ReadResult, day: dt.date) -> tuple[float, float, float, float]:
    """(open, high, low, close) loaded for ``day``."""
    row = result.accepted.filter(pl.col("date") == day).row(0, named=True)
    return row["open"], row["high"], row["low"], row["close"]


@pytest.fixture(scope="module")
def vix() -> ReadResult:
    return read_cboe_index(VIX_FILE, symbol="VIX")


@pytest.fixture(scope="module")
def vix3m() -> ReadResult:
    return read_cboe_index(VIX3M_FILE, symbol="VIX3M")


def test_module_contract() -> None:
    assert SOURCE == "cboe_index_daily"
    assert KEY == ("symbol", "date")
    assert PARTITION_COLUMN == "date"
    assert list(SCHEMA) == ["symbol", "date", "open", "high", "low", "close"]


def test_corpus_lists_every_file() -> None:
    files = {p.name for p in CORPUS.iterdir()} - {"README.md", "expected.json"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", READABLE)
def test_corpus_counts_and_codes(name: str) -> None:
    path = CORPUS / name
    result = read_cboe_index(path)
    corpus.assert_matches_expected(result, EXPECTED[name])
    check_result(path, result)
    assert result.accepted["symbol"].unique().to_list() == [symbol_from_name(path)]


@pytest.mark.parametrize("name", UNREADABLE)
def test_corpus_unreadable(name: str) -> None:
    corpus.assert_unreadable(read_cboe_index, CORPUS / name, EXPECTED[name]["unreadable"])


def test_symbol_from_file_name_or_argument() -> None:
    assert symbol_from_name("landing/cboe/index/SPX_History.csv") == "SPX"
    assert symbol_from_name("VIX3M_History.csv") == "VIX3M"
    assert symbol_from_name("bad_duplicate_VIX_History.csv") == "VIX"
    assert symbol_from_name("vix_history.zip") == "VIX"
    assert symbol_from_name("cboe_vix_daily.csv") is None
    result = read_cboe_index(CORPUS / "unreadable_no_symbol.csv", symbol="vix")
    assert result.accepted["symbol"].unique().to_list() == ["VIX"]
    renamed = read_cboe_index(CORPUS / "clean_2008_VIX_History.csv", symbol="VXX")
    assert renamed.accepted["symbol"].unique().to_list() == ["VXX"]  # the argument wins


def test_real_vix_file(vix: ReadResult) -> None:
    """The whole real VIX file: 1990-2018 loses only the three rows listed; from 2022 the
    file carries rows on NYSE holidays (Cboe's global trading hours), quarantined too."""
    check_result(VIX_FILE, vix)
    assert vix.rows_read == 9235
    rejected = vix.rejected.select("partition_date", "reason_code").rows()
    assert {r for r in rejected if r[0].year <= 2018} == VIX_QUARANTINED_1990_2018
    later = [r for r in rejected if r[0].year > 2018]
    assert {code for _, code in later} == {"not_a_trading_day"}
    assert len(later) == 32
    assert vix.accepted.height == 9235 - 35


def test_vix_2004_06_11_closure_row_is_quarantined(vix: ReadResult) -> None:
    row = vix.rejected.filter(pl.col("partition_date") == dt.date(2004, 6, 11)).row(0, named=True)
    assert row["reason_code"] == "not_a_trading_day"
    assert row["raw_line"] == "2004-06-11,15.040000,15.040000,15.040000,15.040000"
    assert dt.date(2004, 6, 11) not in vix.accepted["date"].to_list()
    closure = read_cboe_index(CORPUS / "bad_real_closure_2004_VIX_History.csv")
    assert closure.rejected.select("source_row", "reason_code").rows() == [
        (10, "not_a_trading_day")
    ]


def test_real_vix_values_on_named_days(vix: ReadResult) -> None:
    assert on(vix, dt.date(1990, 1, 2)) == (17.24, 17.24, 17.24, 17.24)  # O=H=L=C era
    assert on(vix, dt.date(2008, 10, 24)) == (67.8, 89.53, 67.8, 79.13)  # intraday record
    assert on(vix, dt.date(2008, 11, 20)) == (74.26, 81.48, 72.76, 80.86)
    assert on(vix, dt.date(2020, 3, 16)) == (57.83, 83.56, 57.83, 82.69)  # record close
    # the historical stale-quote open below the low: accepted (inside the open band)
    assert on(vix, dt.date(1994, 3, 8)) == (12.2, 16.39, 16.07, 16.23)


def test_real_vix3m_file(vix3m: ReadResult) -> None:
    check_result(VIX3M_FILE, vix3m)
    assert (vix3m.rows_read, vix3m.rejected.height) == (4136, 0)
    assert on(vix3m, dt.date(2009, 9, 18)) == (25.91, 26.66, 25.91, 26.54)
    assert on(vix3m, dt.date(2009, 9, 21)) == (26.96, 27.24, 26.17, 26.23)
    assert on(vix3m, dt.date(2013, 10, 30)) == (14.68, 15.45, 15.0, 15.13)  # open < low
    assert vix3m.accepted["date"].max() == dt.date(2026, 2, 27)


def test_sample_spx_file_loads(tmp_path: Path) -> None:
    """The sample generator's SPX file (real S&P 500 1999-2018, Cboe layout) loads whole."""
    path = tmp_path / "SPX_History.csv"
    text, rows = spx_cboe_text(dt.date(2018, 12, 31))
    path.write_text(text)
    result = read_cboe_index(path)
    check_result(path, result)
    assert (result.rows_read, result.accepted.height) == (rows, 5031)
    assert on(result, dt.date(2008, 10, 10)) == (902.309998, 936.359985, 839.799988, 899.219971)


def test_open_band(tmp_path: Path) -> None:
    """Open may leave [low, high] up to ×2 / ÷2; high/low/close have only float slack."""
    rows = [
        "2008-10-01,20.0,21.0,19.0,20.5",  # ok
        "2008-10-02,9.6,21.0,19.2,20.0",  # open = low/2 exactly: ok
        "2008-10-03,42.0,21.0,19.0,20.0",  # open = 2 × high exactly: ok
        "2008-10-06,9.49,21.0,19.0,20.0",  # open < low/2
        "2008-10-07,20.0,21.0,19.0,21.0000001",  # close above high
        "2008-10-08,20.0,20.0,20.0,20.0",  # O=H=L=C
    ]
    path = tmp_path / "TEST_History.csv"
    path.write_text("\n".join(["DATE,OPEN,HIGH,LOW,CLOSE", *rows]) + "\n")
    result = read_cboe_index(path)
    assert result.rejected.select("source_row", "reason_code").rows() == [
        (5, "inconsistent_ohlc"),
        (6, "inconsistent_ohlc"),
    ]
    assert result.accepted["symbol"].unique().to_list() == ["TEST"]


def test_mixed_date_styles_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "SPX_History.csv"
    path.write_text("DATE,OPEN,HIGH,LOW,CLOSE\r\n10/01/2008,1,2,1,2\r\n2008-10-02,1,2,1,2\r\n")
    result = read_cboe_index(path)
    assert result.accepted["date"].to_list() == [dt.date(2008, 10, 1), dt.date(2008, 10, 2)]


def test_prefixed_header_with_preamble() -> None:
    result = read_cboe_index(CORPUS / "clean_preamble_prefixed_header_VIX_History.csv")
    assert result.accepted["_source_row"].min() == 3
    real = read_cboe_index(VIX_FILE, symbol="VIX").accepted
    jan = real.filter(pl.col("date").dt.strftime("%Y-%m") == "2004-01").drop("_source_row")
    assert result.accepted.drop("_source_row").equals(jan)
