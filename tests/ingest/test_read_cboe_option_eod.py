"""Cboe Option EOD Summary reader against its bad-input corpus
(``tests/data/bad_inputs/cboe_option_eod``) and a whole generated day: exact reason codes
and counts, conservation line by line, raw lines as delivered, unreadable files named with
their problem, the real-file variants (no Calcs, M/D/YYYY dates, quoted/padded fields,
zip, ^VIX zero underlying fields, CRLF+BOM) and values compared to the CSV text."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from alvh_assets.ingest.quarantine import ReadResult
from alvh_assets.ingest.readers.cboe_option_eod import (
    CALCS_COLUMNS,
    FILE_COLUMNS,
    INT_COLUMNS,
    KEY,
    PARTITION_COLUMN,
    SCHEMA,
    SOURCE,
    VENDOR_CALCS_FLAGS,
    file_date,
    read_cboe_option_eod,
)
from tests.ingest import corpus

CORPUS = corpus.BAD_INPUTS / "cboe_option_eod"
EXPECTED = corpus.load_expected(CORPUS)
READABLE, UNREADABLE = corpus.corpus_cases(CORPUS)
DAY = date(2008, 10, 10)
D = "2008-10-10"
UNDERLYING_BID_ASK = (
    "underlying_bid_1545",
    "underlying_ask_1545",
    "underlying_bid_eod",
    "underlying_ask_eod",
)
ACCEPTED_SCHEMA = pl.Schema({**SCHEMA, "_source_row": pl.Int64()})


def check_result(path: Path, result: ReadResult) -> None:
    """Schemas, key, conservation per line, and every raw_line equal to the delivered line."""
    assert result.source == SOURCE
    corpus.assert_conserved(result, SCHEMA, KEY)
    assert result.accepted.select(pl.col(list(KEY)).null_count().sum()).row(0) == (0,) * len(KEY)
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    corpus.assert_raw_lines_delivered(result, path)
    for reason in result.rejected["reason"]:
        assert reason


def read(name: str) -> ReadResult:
    return read_cboe_option_eod(CORPUS / name)


def row_at(result: ReadResult, line: int) -> dict:
    """The accepted row read from physical line ``line``."""
    rows = result.accepted.filter(pl.col("_source_row") == line).to_dicts()
    assert len(rows) == 1, f"line {line} not loaded"
    return rows[0]


def reason_at(result: ReadResult, line: int) -> tuple[str, str]:
    """(reason_code, reason) of the quarantined physical line ``line``."""
    code, why = (
        result.rejected.filter(pl.col("source_row") == line).select("reason_code", "reason").row(0)
    )
    return code, why


# ----------------------------------------------------------------------------- the corpus


def test_corpus_lists_every_file() -> None:
    data_files = {p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".zip")}
    assert data_files == set(EXPECTED)
    assert (CORPUS / "README.md").is_file()
    readme = (CORPUS / "README.md").read_text()
    assert all(name in readme for name in EXPECTED)


def test_corpus_files_are_small() -> None:
    for name in READABLE:
        assert EXPECTED[name]["rows_read"] <= 40, name


@pytest.mark.parametrize("name", READABLE)
def test_corpus_counts_and_codes(name: str) -> None:
    path = CORPUS / name
    result = read_cboe_option_eod(path)
    corpus.assert_matches_expected(result, EXPECTED[name])
    check_result(path, result)


@pytest.mark.parametrize("name", UNREADABLE)
def test_corpus_unreadable(name: str) -> None:
    corpus.assert_unreadable(read_cboe_option_eod, CORPUS / name, EXPECTED[name]["unreadable"])


def test_every_reason_code_of_the_reader_is_exercised() -> None:
    codes = {c for e in EXPECTED.values() for c in e.get("quarantined", {})}
    assert codes == {
        "wrong_column_count",
        "empty_mandatory_field",
        "unparseable_date",
        "non_numeric_value",
        "negative_price",
        "unknown_option_type",
        "nonpositive_strike",
        "expiration_before_quote_date",
        "bid_above_ask",
        "not_a_trading_day",
        "quote_date_differs_from_file_date",
        "duplicate_key_in_file",
        "negative_count",
        "implausible_value",
        "conflicting_duplicate_key_in_file",
    }


def test_priority_first_failing_rule_wins() -> None:
    result = read(f"priority_first_failing_rule_wins_{D}.csv")
    order = [
        "wrong_column_count",
        "empty_mandatory_field",
        "unparseable_date",
        "non_numeric_value",
        "negative_price",
        "unknown_option_type",
        "nonpositive_strike",
        "expiration_before_quote_date",
        "bid_above_ask",
        "not_a_trading_day",
        "quote_date_differs_from_file_date",
        "conflicting_duplicate_key_in_file",
    ]
    got = result.rejected.sort("source_row")
    assert got["source_row"].to_list() == [*range(2, 13), 15]
    assert got["reason_code"].to_list() == order
    # lines 13 and 14 break only vendor-computed values: they load, flagged; line 15 has
    # the key line 14 was edited to, so it is the conflicting duplicate of the loaded 14
    assert row_at(result, 13)["vendor_calcs_flag"] == "iv_negative;vega_out_of_range"
    assert row_at(result, 14)["vendor_calcs_flag"] == "delta_out_of_range"
    assert row_at(result, 14)["option_type"] == "C"
    assert "same key as line 14" in reason_at(result, 15)[1]
    assert "high='--'" in reason_at(result, 5)[1]  # the vendor gamma '--' is not named
    assert "gamma" not in reason_at(result, 5)[1]


def test_human_reasons_quote_the_offending_values() -> None:
    cases = {
        f"non_numeric_value_{D}.csv": {
            3: "bid_1545='n/a'",
            6: "open_interest='12.5'",
        },
        f"negative_price_{D}.csv": {2: "bid_eod='-0.0500'", 11: "underlying_bid_1545='-899.2200'"},
        f"bid_above_ask_{D}.csv": {6: "1545 bid 4.4000 / ask 4.3000", 12: "eod bid 190.8000"},
        f"unparseable_date_{D}.csv": {5: "2008-10-32", 8: "Dec 19 2008"},
        f"empty_mandatory_field_{D}.csv": {4: "strike", 9: "ask_eod", 12: "option_type"},
        f"wrong_column_count_{D}.csv": {3: "found 33", 7: "found 35"},
        f"unknown_option_type_{D}.csv": {9: "'CALL'"},
        f"nonpositive_strike_{D}.csv": {7: "-5.000"},
        f"expiration_before_quote_date_{D}.csv": {4: "2008-10-09"},
        f"not_a_trading_day_{D}.csv": {5: "2008-10-11"},
        f"quote_date_differs_from_file_date_{D}.csv": {7: "2008-10-09 differs"},
        f"duplicate_key_in_file_{D}.csv": {
            7: "duplicate option series: same key as line 6",
            27: "same key as line 10 with different values (open_interest)",
        },
        f"negative_count_{D}.csv": {4: "open_interest='-1'", 8: "bid_size_eod='-5'"},
        f"implausible_value_{D}.csv": {
            3: "strike='1e308'",
            5: "bid_eod='1e308'",
            7: "strike='100000.000'",
            9: "open_interest='1000000000'",
            11: "underlying_bid_1545='10000000.0000'",
        },
    }
    for name, lines in cases.items():
        result = read(name)
        for line, fragment in lines.items():
            assert fragment in reason_at(result, line)[1], (name, line)


def test_rejected_rows_carry_their_partition_date() -> None:
    result = read(f"not_a_trading_day_{D}.csv")
    assert PARTITION_COLUMN == "quote_date"
    assert reason_at(result, 5)[0] == "not_a_trading_day"
    got = result.rejected.filter(pl.col("source_row") == 5)["partition_date"].item()
    assert got == date(2008, 10, 11)
    unparseable = read(f"unparseable_date_{D}.csv").rejected
    assert unparseable.filter(pl.col("source_row") == 5)["partition_date"].item() is None


# --------------------------------------------------------------------- controls in bad files


def test_same_day_expiry_is_valid() -> None:
    result = read(f"expiration_before_quote_date_{D}.csv")
    row = row_at(result, 8)
    assert row["expiration"] == row["quote_date"] == DAY


def test_iv_zero_means_not_computed_and_bound_is_inclusive() -> None:
    result = read(f"flagged_vendor_iv_{D}.csv")
    not_computed = row_at(result, 12)
    for col in ("implied_volatility_1545", "delta_1545", "gamma_1545", "theta_1545"):
        assert not_computed[col] is None, col
    assert not_computed["vega_1545"] is None and not_computed["rho_1545"] is None
    assert row_at(result, 10)["implied_volatility_1545"] == 5.0
    assert not_computed["vendor_calcs_flag"] is None
    assert row_at(result, 10)["vendor_calcs_flag"] is None
    # IV 0 with a put delta of 2: the Greeks are not judged, they load as null, unflagged
    assert row_at(result, 18)["delta_1545"] is None
    assert row_at(result, 18)["vendor_calcs_flag"] is None


def test_delta_bounds_are_inclusive() -> None:
    result = read(f"flagged_vendor_greeks_{D}.csv")
    assert row_at(result, 8)["delta_1545"] == -1.0  # put
    assert row_at(result, 11)["delta_1545"] == 0.0  # call
    assert row_at(result, 16)["theta_1545"] == 0.029581  # a deep ITM put's positive theta


# ------------------------------------------------------------- vendor-computed (Calcs) values

FLAGGED = {  # file -> physical line -> (vendor_calcs_flag, the columns it nulls)
    f"flagged_vendor_iv_{D}.csv": {
        4: ("iv_above_max", ["implied_volatility_1545"]),
        8: ("iv_negative", ["implied_volatility_1545"]),
        14: ("iv_above_max", ["implied_volatility_1545"]),
        16: ("iv_unparseable", ["implied_volatility_1545"]),
    },
    f"flagged_vendor_greeks_{D}.csv": {
        5: ("delta_out_of_range", ["delta_1545"]),
        6: ("delta_out_of_range", ["delta_1545"]),
        9: ("gamma_out_of_range", ["gamma_1545"]),
        13: ("vega_out_of_range", ["vega_1545"]),
        15: ("theta_unparseable", ["theta_1545"]),
        16: ("rho_out_of_range", ["rho_1545"]),
        17: ("implied_underlying_price_out_of_range", ["implied_underlying_price_1545"]),
        18: ("active_underlying_price_out_of_range", ["active_underlying_price_1545"]),
        19: ("delta_unparseable;gamma_out_of_range", ["delta_1545", "gamma_1545"]),
    },
    f"non_numeric_value_{D}.csv": {10: ("delta_unparseable", ["delta_1545"])},
}


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_bad_vendor_values_load_as_null_with_the_flag(name: str) -> None:
    """The row loads; only the flagged Calcs value is null; every other value (the quote,
    sizes, open interest, prices and the other Calcs) equals the clean base row's."""
    result = read(name)
    got, flagged = result.accepted, FLAGGED[name]
    assert dict(
        got.filter(pl.col("vendor_calcs_flag").is_not_null())
        .select("_source_row", "vendor_calcs_flag")
        .iter_rows()
    ) == {line: flag for line, (flag, _) in flagged.items()}
    clean = base()
    for line, (_, nulled) in flagged.items():
        row, want = row_at(result, line), clean.row(line - 2, named=True)
        for col in nulled:
            assert row[col] is None, (line, col)
        same = [c for c in FILE_COLUMNS if c not in nulled and c not in CALCS_COLUMNS]
        assert {c: row[c] for c in same} == {c: want[c] for c in same}, line
        assert row["has_calcs"] is True


def test_vendor_calcs_flag_codes() -> None:
    assert VENDOR_CALCS_FLAGS == (
        "implied_underlying_price_unparseable",
        "implied_underlying_price_out_of_range",
        "active_underlying_price_unparseable",
        "active_underlying_price_out_of_range",
        "iv_unparseable",
        "iv_negative",
        "iv_above_max",
        "delta_unparseable",
        "delta_out_of_range",
        "gamma_unparseable",
        "gamma_out_of_range",
        "theta_unparseable",
        "theta_out_of_range",
        "vega_unparseable",
        "vega_out_of_range",
        "rho_unparseable",
        "rho_out_of_range",
    )
    flags = {f for e in FLAGGED.values() for f, _ in e.values()}
    assert {c for f in flags for c in f.split(";")} <= set(VENDOR_CALCS_FLAGS)


def _chain_file(tmp_path: Path, edits: dict[int, dict[str, str]]) -> Path:
    """The base cut (24 rows) with ``edits`` (physical line -> column -> text) applied."""
    lines = corpus.delivered_lines(CORPUS / f"variant_crlf_bom_{D}.csv")
    header = lines[1].split(",")
    rows = [lines[i].split(",") for i in range(2, 26)]
    for line, cols in edits.items():
        for col, value in cols.items():
            rows[line - 2][header.index(col)] = value
    path = tmp_path / f"UnderlyingOptionsEODCalcs_^SPX_{D}.csv"
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    return path


def test_a_vendor_iv_above_500pct_loads_the_quote_a_crossed_market_does_not(
    tmp_path: Path,
) -> None:
    """Issue 17: 4 of 4,430 real quotes of a 2023 day were lost to a vendor IV above 5. A
    vendor IV of 7.3 on a normal quote now loads (IV null, flag ``iv_above_max``); a crossed
    market (bid > ask: a defect of the quote itself) is still quarantined."""
    path = _chain_file(
        tmp_path,
        {
            3: {"implied_volatility_1545": "7.300000"},
            7: {"bid_1545": "25.0000", "ask_1545": "24.0000"},
        },
    )
    result = read_cboe_option_eod(path)
    check_result(path, result)
    assert result.accepted.height == 23
    row = row_at(result, 3)
    assert row["implied_volatility_1545"] is None
    assert row["vendor_calcs_flag"] == "iv_above_max"
    want = base().row(1, named=True)
    for col in ("bid_1545", "ask_1545", "bid_eod", "ask_eod", "open_interest", "delta_1545"):
        assert row[col] == want[col] is not None, col
    assert result.rejected["reason_code"].to_list() == ["bid_above_ask"]
    assert result.rejected["source_row"].to_list() == [7]
    others = result.accepted.filter(pl.col("_source_row") != 3)
    assert others["vendor_calcs_flag"].null_count() == others.height


def test_a_market_defect_still_quarantines_and_copies_compare_calcs_as_delivered(
    tmp_path: Path,
) -> None:
    """A market defect quarantines the row whatever its Calcs say; duplicates compare the
    Calcs values as delivered (two copies differing only in a flagged IV conflict)."""
    path = _chain_file(
        tmp_path,
        {
            4: {"implied_volatility_1545": "9.000000", "strike": "-5.000"},
            5: {"implied_volatility_1545": "8.000000"},
        },
    )
    lines = path.read_text().splitlines()
    copy = lines[5 - 1].split(",")
    copy[lines[0].split(",").index("implied_volatility_1545")] = "7.000000"
    path.write_text("\n".join([*lines, ",".join(copy)]) + "\n")
    result = read_cboe_option_eod(path)
    check_result(path, result)
    assert reason_at(result, 4)[0] == "nonpositive_strike"
    assert row_at(result, 5)["vendor_calcs_flag"] == "iv_above_max"
    code, why = reason_at(result, 26)
    assert code == "conflicting_duplicate_key_in_file"
    assert why.endswith("(implied_volatility_1545)")


def test_duplicates_keep_the_first_row() -> None:
    result = read(f"duplicate_key_in_file_{D}.csv")
    assert row_at(result, 10)["open_interest"] != 999
    assert reason_at(result, 7)[0] == "duplicate_key_in_file"  # identical copy
    assert reason_at(result, 27)[0] == "conflicting_duplicate_key_in_file"


def test_plausible_controls_load() -> None:
    assert row_at(read(f"implausible_value_{D}.csv"), 13)["strike"] == 5.0
    assert row_at(read(f"negative_count_{D}.csv"), 10)["trade_volume"] == 0


def test_implausible_strike_is_judged_against_the_row_underlying(tmp_path: Path) -> None:
    """100x the underlying is the bound; a ^VIX row with all-0 underlying fields has no
    underlying and only the absolute cap applies."""
    lines = (CORPUS / f"variant_vix_zero_underlying_{D}.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [ln.split(",") for ln in lines[1:3]]
    strike = header.index("strike")
    spot = [header.index(f"{c}_underlying_price_1545") for c in ("implied", "active")]
    rows[0][strike] = "900000.000"  # no underlying: below the 1e6 cap, loads
    for i in spot:
        rows[0][i] = "0.0000"
    top = max(float(rows[1][i]) for i in spot)
    rows[1][strike] = f"{top * 100 + 1:.3f}"  # just above 100x the underlying
    path = tmp_path / f"UnderlyingOptionsEODCalcs_^VIX_{D}.csv"
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    result = read_cboe_option_eod(path)
    assert result.accepted["_source_row"].to_list() == [2]
    assert result.rejected["reason_code"].to_list() == ["implausible_value"]


# ---------------------------------------------------------------------------- the variants


def base() -> pl.DataFrame:
    """The corpus's base rows (the CRLF+BOM file is the base cut, byte for byte apart from
    the BOM and line ends), without ``_source_row``."""
    return read(f"variant_crlf_bom_{D}.csv").accepted.drop("_source_row")


@pytest.mark.parametrize(
    "name",
    [
        f"variant_mdy_time_quoted_padded_{D}.csv",
        f"variant_mm_dd_yyyy_{D}.csv",
        f"variant_zipped_{D}.zip",
        f"variant_columns_reordered_{D}.csv",
    ],
)
def test_variant_loads_the_same_values_as_iso(name: str) -> None:
    got = read(name).accepted.drop("_source_row")
    assert got.equals(base())


def test_mdy_dates_parse_to_the_iso_dates() -> None:
    mdy = read(f"variant_mdy_time_quoted_padded_{D}.csv").accepted
    lines = corpus.delivered_lines(CORPUS / f"variant_mdy_time_quoted_padded_{D}.csv")
    assert '"  10/10/2008 0:00:00 "' in lines[2] and '"11/21/2008 0:00:00"' in lines[4]
    assert row_at(read(f"variant_mdy_time_quoted_padded_{D}.csv"), 4)["expiration"] == date(
        2008, 11, 21
    )
    assert mdy["quote_date"].unique().to_list() == [DAY]
    assert mdy["option_type"].unique().sort().to_list() == ["C", "P"]  # 'c'/'p' in the file
    assert mdy["expiration"].to_list() == base()["expiration"].to_list()


@pytest.mark.parametrize(
    "name",
    [
        f"variant_no_calcs_26_columns_{D}.csv",
        f"variant_no_calcs_no_delivery_code_25_columns_{D}.csv",
    ],
)
def test_no_calcs_variant(name: str) -> None:
    got = read(name).accepted.drop("_source_row")
    assert got.height == 24
    assert not got["has_calcs"].any()
    for col in CALCS_COLUMNS:
        assert got[col].null_count() == got.height, col
    others = [c for c in SCHEMA if c not in (*CALCS_COLUMNS, "has_calcs")]
    assert got.select(others).equals(base().select(others))


def test_vix_zero_underlying_fields_load_as_null() -> None:
    path = CORPUS / f"variant_vix_zero_underlying_{D}.csv"
    text = pl.read_csv(corpus.payload(path), infer_schema_length=0)
    assert (text.select(UNDERLYING_BID_ASK).to_numpy() == "0.0000").all()
    got = read_cboe_option_eod(path).accepted
    assert got["underlying_symbol"].unique().to_list() == ["^VIX"]
    for col in UNDERLYING_BID_ASK:
        assert got[col].null_count() == got.height, col
    assert got["active_underlying_price_1545"].to_list() == [
        float(v) for v in text["active_underlying_price_1545"]
    ]
    assert got["implied_underlying_price_1545"].null_count() == 0


def test_header_only_file_loads_nothing() -> None:
    result = read(f"variant_header_only_{D}.csv")
    assert result.rows_read == 0 and result.accepted.schema == ACCEPTED_SCHEMA


def test_file_date_from_name() -> None:
    assert file_date("UnderlyingOptionsEODCalcs_^SPX_2008-10-10.csv") == DAY
    assert file_date("x/UnderlyingOptionsEODQuotes_2008-10-10.zip") == DAY
    assert file_date("a_2001-01-01_b_2008-10-10.csv") == DAY
    assert file_date("spx_chain.csv") is None
    assert file_date("x_2008-13-45.csv") is None


# -------------------------------------------------------------------- a whole generated day


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample market's 2008-10-10 chain files (SPX and VIX, plain and zipped)."""
    from alvh_assets.sample.generate import generate_sample_market

    out = tmp_path_factory.mktemp("cboe_option_eod_day")
    generate_sample_market(DAY, DAY, out)
    base_dir = out / "cboe" / "option_eod"
    return {
        "SPX": base_dir / "SPX" / f"UnderlyingOptionsEODCalcs_^SPX_{D}.csv",
        "VIX": base_dir / "VIX" / f"UnderlyingOptionsEODCalcs_^VIX_{D}.csv",
    }


def expected_from_text(path: Path) -> pl.DataFrame:
    """The file typed straight from its text by polars' own CSV reader (the oracle), with
    the documented conventions applied: index underlying 0 -> null."""
    text = pl.read_csv(path, infer_schema_length=0)
    numeric = [c for c in FILE_COLUMNS if SCHEMA[c] in (pl.Float64(), pl.Int64())]
    typed = text.with_columns(
        pl.col("quote_date", "expiration").str.to_date("%Y-%m-%d"),
        *(pl.col(c).cast(SCHEMA[c]) for c in numeric),
    )
    index = pl.col("underlying_symbol").str.starts_with("^")
    return typed.with_columns(
        *(
            pl.when(index & (pl.col(c) == 0)).then(None).otherwise(pl.col(c)).alias(c)
            for c in UNDERLYING_BID_ASK
        ),
        pl.lit(True).alias("has_calcs"),
        pl.lit(None, pl.Utf8).alias("vendor_calcs_flag"),
    ).select(list(SCHEMA))


@pytest.mark.parametrize("underlying", ["SPX", "VIX"])
def test_generated_day_loads_every_row(generated: dict[str, Path], underlying: str) -> None:
    path = generated[underlying]
    result = read_cboe_option_eod(path)
    check_result(path, result)
    assert result.rejected.height == 0
    assert result.accepted.height == result.rows_read > 500
    got = result.accepted
    assert got.drop("_source_row").equals(expected_from_text(path))
    assert got["has_calcs"].all()
    assert got["_source_row"].to_list() == list(range(2, result.rows_read + 2))
    assert (got["bid_eod"] == 0).sum() > 0  # far wings quote a zero bid and load
    assert all(got[c].dtype == pl.Int64 for c in INT_COLUMNS)


def test_generated_cells_match_the_csv_text(generated: dict[str, Path]) -> None:
    path = generated["SPX"]
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    got = read_cboe_option_eod(path).accepted
    for line in (2, 100, 2000, len(lines)):
        fields = dict(zip(header, lines[line - 1].split(","), strict=True))
        row = row_at_frame(got, line)
        assert row["underlying_symbol"] == fields["underlying_symbol"] == "^SPX"
        assert row["quote_date"] == date.fromisoformat(fields["quote_date"])
        assert row["expiration"] == date.fromisoformat(fields["expiration"])
        assert row["root"] == fields["root"]
        assert row["option_type"] == fields["option_type"]
        assert row["strike"] == float(fields["strike"])
        assert row["bid_1545"] == float(fields["bid_1545"])
        assert row["ask_eod"] == float(fields["ask_eod"])
        assert row["implied_volatility_1545"] == float(fields["implied_volatility_1545"])
        assert row["delta_1545"] == float(fields["delta_1545"])
        assert row["open_interest"] == int(fields["open_interest"])
        assert row["bid_size_eod"] == int(fields["bid_size_eod"])
        assert row["underlying_bid_eod"] == float(fields["underlying_bid_eod"])
        assert row["delivery_code"] is None and fields["delivery_code"] == ""


def row_at_frame(frame: pl.DataFrame, line: int) -> dict:
    return frame.filter(pl.col("_source_row") == line).to_dicts()[0]


def test_generated_vix_day_keeps_symbol_and_nulls_underlying(generated: dict[str, Path]) -> None:
    got = read_cboe_option_eod(generated["VIX"]).accepted
    assert got["underlying_symbol"].unique().to_list() == ["^VIX"]
    assert got["root"].unique().to_list() == ["VIX"]
    for col in UNDERLYING_BID_ASK:
        assert got[col].null_count() == got.height
    assert got["active_underlying_price_1545"].min() > 0


def test_zipped_generated_day_equals_plain(generated: dict[str, Path], tmp_path: Path) -> None:
    plain = generated["SPX"]
    zipped = tmp_path / plain.with_suffix(".zip").name
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(plain, plain.name)
    assert read_cboe_option_eod(zipped).accepted.equals(read_cboe_option_eod(plain).accepted)
