"""CFE VX settlement reader against its bad-input corpus (``tests/data/bad_inputs/cfe_vx``,
cut from the real CFE files), every real CFE file, and the sample generator's modelled
files: exact codes and counts, conservation line by line, raw lines as delivered,
unreadable files, the ×10 rule, zero prices, and reference settles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from alvh_assets.ingest.quarantine import ReadResult
from alvh_assets.ingest.readers.cfe_vx import (
    KEY,
    PARTITION_COLUMN,
    SCHEMA,
    SETTLE_RANGE,
    SOURCE,
    contract_expiration,
    read_cfe_vx,
)
from alvh_assets.landing import vx_label_expiration
from alvh_assets.sample.real_data import cfe_vx_files, real_data_dir
from alvh_assets.sample.vx_futures import write_vx_futures
from tests.ingest import corpus

CORPUS = corpus.BAD_INPUTS / "cfe_vx"
EXPECTED = corpus.load_expected(CORPUS)
READABLE, UNREADABLE = corpus.corpus_cases(CORPUS)
KNOWN_BAD_REAL_ROWS = {
    ("CFE_F09_VX.csv", "04/21/2008,F (Jan 09),0.00,0.00,0.00,0.00,1.00,1.00,0,0,0"),
    ("CFE_G09_VX.csv", "04/21/2008,G (Feb 09),22.67,22.67,22.67,22.67,1.00,-22.55,1,0,37"),
}
"""Real rows quarantined on purpose: CFE's 1.00 settles of 2008-04-21 (vx_settle_out_of_range)."""


def check_result(path: Path, result: ReadResult) -> None:
    """Schemas, key, conservation per line, and every raw_line equal to the delivered line."""
    assert result.source == SOURCE
    corpus.assert_conserved(result, SCHEMA, KEY)
    assert result.accepted.select(*KEY, "contract").null_count().sum_horizontal()[0] == 0
    corpus.assert_raw_lines_delivered(
        result, path, is_header=lambda ln: ln.startswith("Trade Date"), splitlines=True
    )
    assert result.rejected["reason"].null_count() == 0


def row_on(result: ReadResult, day: dt.date) -> dict:
    """The accepted row traded on ``day`` (one contract per file)."""
    return result.accepted.filter(pl.col("trade_date") == day).row(0, named=True)


@pytest.fixture(scope="module")
def real_results() -> dict[str, ReadResult]:
    """Every real CFE file, read once."""
    return {p.name: read_cfe_vx(p) for p in cfe_vx_files()}


def test_module_contract() -> None:
    assert SOURCE == "cfe_vx_settlements"
    assert KEY == ("trade_date", "contract_expiration")
    assert PARTITION_COLUMN == "trade_date"
    assert SCHEMA["price_scale"] == pl.Int8()
    assert SETTLE_RANGE[0] <= 9.5 and 100 <= SETTLE_RANGE[1] < 137.2


def test_corpus_lists_every_file() -> None:
    files = {p.name for p in CORPUS.iterdir()} - {"README.md", "expected.json"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", READABLE)
def test_corpus_counts_and_codes(name: str) -> None:
    path = CORPUS / name
    result = read_cfe_vx(path)
    corpus.assert_matches_expected(result, EXPECTED[name])
    check_result(path, result)


@pytest.mark.parametrize("name", UNREADABLE)
def test_corpus_unreadable(name: str) -> None:
    corpus.assert_unreadable(read_cfe_vx, CORPUS / name, EXPECTED[name]["unreadable"])


def test_rejected_rows_carry_line_and_partition_date() -> None:
    result = read_cfe_vx(CORPUS / "bad_settle_out_of_range_CFE_K07_VX.csv")
    rows = result.rejected.select("source_row", "partition_date").rows()
    assert rows == [(6, dt.date(2006, 4, 5)), (13, dt.date(2007, 4, 2))]
    unparseable = read_cfe_vx(CORPUS / "bad_unparseable_date_CFE_K07_VX.csv").rejected
    assert unparseable["partition_date"].null_count() == 3


def test_x10_rule_boundary_137_20() -> None:
    """137.20 on 2006-04-03 is 13.72 (×10 quote); on 2007-04-02 it is quarantined."""
    result = read_cfe_vx(CORPUS / "bad_settle_out_of_range_CFE_K07_VX.csv")
    row = row_on(result, dt.date(2006, 4, 3))
    assert (row["settle"], row["price_scale"]) == (13.72, 10)
    assert dt.date(2007, 4, 2) not in result.accepted["trade_date"].to_list()
    reason = result.rejected.filter(pl.col("source_row") == 13)["reason"][0]
    assert "137.2" in reason and "outside [5, 100]" in reason


def test_scale_change_2007_03_26() -> None:
    result = read_cfe_vx(CORPUS / "clean_scale_change_CFE_K07_VX.csv")
    before = row_on(result, dt.date(2007, 3, 23))  # quoted 136.90,139.00,136.50,138.00,138.70
    assert (before["open"], before["high"], before["low"], before["close"]) == (
        13.69,
        13.9,
        13.65,
        13.8,
    )
    assert (before["settle"], before["change"], before["price_scale"]) == (13.87, 0.15, 10)
    after = row_on(result, dt.date(2007, 3, 26))
    assert (after["settle"], after["price_scale"]) == (13.79, 1)
    assert after["change"] == -124.91  # CFE's own arithmetic across the change, as delivered
    assert (before["total_volume"], before["efp"], before["open_interest"]) == (561, 0, 19879)
    scales = result.accepted.group_by("price_scale").len().sort("price_scale").rows()
    assert scales == [(1, 9), (10, 11)]
    assert result.accepted["contract_expiration"].unique().to_list() == [dt.date(2007, 5, 16)]


def test_f06_settle_on_2006_01_03_is_divided_by_10() -> None:
    result = read_cfe_vx(real_data_dir() / "cfe_vx" / "CFE_F06_VX.csv")
    row = row_on(result, dt.date(2006, 1, 3))  # 123.40,124.60,120.30,120.30,120.20,-4.30
    assert row["contract"] == "F (Jan 06)"
    assert row["contract_expiration"] == dt.date(2006, 1, 18)
    assert (row["settle"], row["price_scale"]) == (12.02, 10)
    assert (row["open"], row["high"], row["low"], row["close"], row["change"]) == (
        12.34,
        12.46,
        12.03,
        12.03,
        -0.43,
    )


def test_zero_prices_are_null() -> None:
    result = read_cfe_vx(CORPUS / "clean_zero_rows_CFE_Z08_VX.csv")
    listed = row_on(result, dt.date(2008, 1, 18))  # all zeros: listed, no settlement yet
    assert all(listed[c] is None for c in ("open", "high", "low", "close", "settle"))
    assert (listed["change"], listed["open_interest"]) == (0.0, 0)
    quoted = row_on(result, dt.date(2008, 1, 22))  # no trade, a settle
    assert all(quoted[c] is None for c in ("open", "high", "low", "close"))
    assert (quoted["settle"], quoted["price_scale"]) == (22.7, 1)
    traded = row_on(result, dt.date(2008, 1, 30))
    assert (traded["open"], traded["settle"], traded["total_volume"]) == (23.97, 24.37, 5)


def test_partial_zero_ohlc_fields_are_null_one_by_one() -> None:
    result = read_cfe_vx(CORPUS / "clean_partial_zero_ohlc_CFE_F13_VX.csv")
    row = row_on(result, dt.date(2013, 1, 16))  # 0.00,14.25,14.40,0.00,13.69 on expiry
    assert (row["open"], row["high"], row["low"], row["close"]) == (None, 14.25, 14.4, None)
    assert row["settle"] == 13.69
    assert row["contract_expiration"] == dt.date(2013, 1, 16)


def test_empty_prices_and_trailing_commas_load() -> None:
    g05 = read_cfe_vx(CORPUS / "clean_empty_prices_CFE_G05_VX.csv")
    row = row_on(g05, dt.date(2004, 12, 13))  # ,,,,151.1,-2.5,127,0,6038
    assert all(row[c] is None for c in ("open", "high", "low", "close"))
    assert (row["settle"], row["change"], row["open_interest"]) == (15.11, -0.25, 6038)
    first = row_on(g05, dt.date(2004, 6, 18))  # all zeros, empty change
    assert first["settle"] is None and first["change"] is None
    h05 = read_cfe_vx(CORPUS / "clean_x10_trailing_commas_CFE_H05_VX.csv")
    row = row_on(h05, dt.date(2005, 1, 27))  # 143.00,...,141.80,-2.20,77,0,208,
    assert (row["settle"], row["change"], row["open_interest"]) == (14.18, -0.22, 208)
    assert row_on(h05, dt.date(2005, 1, 24))["change"] is None  # M/D/YYYY, empty change


def test_disclaimer_line_is_skipped() -> None:
    path = CORPUS / "clean_disclaimer_CFE_F14_VX.csv"
    result = read_cfe_vx(path)
    assert result.accepted["_source_row"].min() == 3  # disclaimer = line 1, header = line 2
    assert row_on(result, dt.date(2013, 4, 22))["settle"] == 19.7


def test_zip_reads_like_the_csv() -> None:
    plain = read_cfe_vx(CORPUS / "clean_zero_rows_CFE_Z08_VX.csv").accepted
    zipped = read_cfe_vx(CORPUS / "clean_zipped_CFE_Z08_VX.zip").accepted
    assert zipped.equals(plain)


def test_contract_expiration_labels() -> None:
    assert contract_expiration("K (May 07)") == dt.date(2007, 5, 16)
    assert contract_expiration(" Z (Dec 08) ") == dt.date(2008, 12, 17)
    assert contract_expiration("K (Jun 07)") is None  # code K is May
    assert contract_expiration("VX May 07") is None
    assert contract_expiration("") is None


def test_every_real_file_loads(real_results: dict[str, ReadResult]) -> None:
    """Every real CFE file reads; rows_read = lines - header/preamble/blank lines; the only
    quarantined rows are the two 1.00 settles of 2008-04-21."""
    assert len(real_results) == len(cfe_vx_files()) == 128
    rejected = set()
    for name, result in real_results.items():
        path = result.path
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        preamble = 0 if lines[0].startswith("Trade Date") else 1
        blank = sum(1 for ln in lines if not ln.strip())
        assert result.rows_read == len(lines) - 1 - preamble - blank, name
        check_result(path, result)
        for code, raw in result.rejected.select("reason_code", "raw_line").iter_rows():
            assert code == "vx_settle_out_of_range"
            rejected.add((name, raw))
    assert rejected == KNOWN_BAD_REAL_ROWS


def test_real_files_labels_expirations_and_scales(real_results: dict[str, ReadResult]) -> None:
    frame = pl.concat([r.accepted for r in real_results.values()])
    assert frame.height == 20_354
    for (label, expiration), _ in frame.group_by("contract", "contract_expiration"):
        assert vx_label_expiration(label) == expiration
    assert frame.filter(pl.col("trade_date") > pl.col("contract_expiration")).height == 0
    scaled = frame.filter(pl.col("trade_date") < dt.date(2007, 3, 26))
    assert scaled["price_scale"].unique().to_list() == [10]
    assert frame.filter(pl.col("trade_date") >= dt.date(2007, 3, 26))["price_scale"].max() == 1
    settles = frame["settle"].drop_nulls()
    assert settles.min() == pytest.approx(9.954) and settles.max() == 67.95
    for col in ("open", "high", "low", "close", "settle", "change"):
        values = frame[col].drop_nulls().to_list()
        # ÷10 gives the double of the exact decimal (12.02), not 12.020000000000001
        assert all(v == float(f"{v:.3f}") for v in values), col
    assert frame["settle"].null_count() == 338  # zero settles before a contract trades


def test_front_month_settle_on_2008_11_20(real_results: dict[str, ReadResult]) -> None:
    day = dt.date(2008, 11, 20)
    curve = (
        pl.concat([r.accepted for r in real_results.values()])
        .filter((pl.col("trade_date") == day) & pl.col("settle").is_not_null())
        .sort("contract_expiration")
    )
    front = curve.row(0, named=True)
    assert front["contract"] == "Z (Dec 08)"
    assert front["contract_expiration"] == dt.date(2008, 12, 17)
    assert front["settle"] == 66.23
    assert curve.height == 9


@pytest.mark.parametrize(
    ("start", "end"),
    [(dt.date(2004, 1, 2), dt.date(2004, 4, 30)), (dt.date(2015, 1, 2), dt.date(2015, 2, 27))],
)
def test_sample_market_cfe_files_load(start: dt.date, end: dt.date, tmp_path: Path) -> None:
    """The sample generator's real and modelled CFE files (×10 before 2007-03-26 too) load
    with zero quarantine across both seams (2004-03-26 and 2014-08-14)."""
    write_vx_futures(start, end, tmp_path, seed=20080915)
    paths = sorted((tmp_path / "cfe" / "vx").glob("*.csv"))
    assert any("_modelled" in p.name for p in paths) and any(
        "_modelled" not in p.name for p in paths
    )
    for path in paths:
        result = read_cfe_vx(path)
        assert result.rejected.height == 0, path.name
        check_result(path, result)


def test_small_files_rule_order(tmp_path: Path) -> None:
    """First failing rule wins: a bad date beats a bad label; a bad label beats the calendar."""
    header = "Trade Date,Futures,Open,High,Low,Close,Settle,Change,Total Volume,EFP,Open Interest"
    rows = [
        "13/01/2007,Q (Foo 07),0,0,0,0,13.5,0,0,0,0",  # unparseable date (and bad label)
        "01/06/2007,Q (Foo 07),0,0,0,0,13.5,0,0,0,0",  # unknown label (and a Saturday)
        "01/06/2007,K (May 07),0,0,0,0,-1,0,0,0,0",  # negative price (and a Saturday)
        "05/17/2007,K (May 07),0,0,0,0,0,0,0,0,0",  # after expiration (zero settle: no range)
        "01/03/2007,K (May 07),0,0,0,0,0,0,0,0,0",  # loads with a null settle
    ]
    path = tmp_path / "CFE_K07_VX.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    result = read_cfe_vx(path)
    assert result.rejected["reason_code"].to_list() == [
        "unparseable_date",
        "unknown_contract_label",
        "negative_price",
        "expiration_before_quote_date",
    ]
    assert result.accepted["settle"].to_list() == [None]
