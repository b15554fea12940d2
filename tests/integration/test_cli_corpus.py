"""The bad-input corpus through the real CLI (issue 13, build 8): each kind of bad delivery
is run through ``alvh ingest`` in a subprocess against a warehouse holding good days, with
its expected outcome — refused in one line (exit 2, every table byte-identical), or loaded
with the bad rows quarantined under their reason (the good day 2008-10-08 byte-identical).

The complete reader corpora (``tests/data/bad_inputs/<reader>``) run file by file through
the readers and ``run.ingest`` in ``tests/ingest`` and ``tests/unit/test_ingest_run.py``;
here the landing kinds of the issue go through the CLI (missing folder, missing file,
``.csv.gz``, header only, corrupt zip, symlink out, manifest mismatch, Calcs beside
non-Calcs, a file dated on a Saturday, absurd values, conflicting duplicates), and one
unreadable file of every reader's corpus in ``test_cli_corpus_readers.py`` (a file of its
own so the two run side by side under ``make test-slow``). Slow (one CLI process per case).
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest

from alvh_assets.ingest.readers.cboe_option_eod import CALCS_COLUMNS
from tests.integration.cli_corpus import (
    GOOD_DAY,
    alvh,
    assert_refused,
    chain,
    good_day,
    quarantined,
    same_tables,
)

pytestmark = pytest.mark.slow_cli


def _header_only(land: Path) -> None:
    path = chain(land, "SPX", "2008-10-10")
    path.write_text(path.read_text().splitlines()[0] + "\n")


def _gzipped_beside(land: Path) -> None:
    import gzip

    path = chain(land, "SPX", "2008-10-10")
    Path(f"{path}.gz").write_bytes(gzip.compress(path.read_bytes()))


def _corrupt_zip(land: Path) -> None:
    """The day's SPX file delivered zipped, its deflate stream damaged mid-way."""
    path = chain(land, "SPX", "2008-10-10")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(path.name, path.read_bytes())
    data = bytearray(buf.getvalue())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.unlink()
    path.with_suffix(".zip").write_bytes(bytes(data))


def _symlink_out(land: Path) -> None:
    (land / "cboe" / "index" / "VIX3M_History.csv").symlink_to("/etc/passwd")


def _manifest_mismatch(land: Path, original: Path) -> None:
    """The vendor's manifest back in place, and the day's VIX file cut at a row boundary."""
    shutil.copy(original / "manifest.json", land / "manifest.json")
    path = chain(land, "VIX", "2008-10-10")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 2]))


REFUSED: dict[str, tuple[Callable[..., None] | None, str, str]] = {
    # case: (change to the landing, the day run, a text the one line must hold)
    "vix_file_missing": (
        lambda land: chain(land, "VIX", "2008-10-10").unlink(),
        "2008-10-10",
        "2008-10-10",
    ),
    "spx_file_as_csv_gz": (_gzipped_beside, "2008-10-10", ".csv.gz"),
    "spx_file_header_only": (_header_only, "2008-10-10", "2008-10-10"),
    "spx_zip_corrupt_deflate": (_corrupt_zip, "2008-10-10", "UnderlyingOptionsEODCalcs_^SPX"),
    "symlink_leaving_landing": (_symlink_out, "2008-10-10", "VIX3M_History.csv"),
}


@pytest.mark.parametrize("case", ["missing_landing", *REFUSED, "manifest_mismatch"])
def test_refused_in_one_line_with_every_table_identical(
    case: str, corpus_home: Path, corpus_landing: Path, landing: Path, tmp_path: Path
) -> None:
    land = tmp_path / "landing"
    shutil.copytree(corpus_landing, land, symlinks=True)
    if case == "missing_landing":  # refused before any step wrote
        assert_refused(corpus_home, tmp_path / "nonexistent", GOOD_DAY, "does not exist", True)
        return
    if case == "manifest_mismatch":
        _manifest_mismatch(land, landing)
        day, expect = "2008-10-10", "manifest"
    else:
        change, day, expect = REFUSED[case]
        change(land)
    assert_refused(corpus_home, land, day, expect, False)


def _append_rows(path: Path, edit: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> int:
    """Append the rows ``edit`` makes from the file's rows; how many were appended."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    extra = edit(rows)
    with path.open("a", newline="") as f:
        csv.DictWriter(f, fieldnames=list(rows[0])).writerows(extra)
    return len(extra)


VENDOR_IV_STRIKE = "12355.000"
"""Strike of the appended row whose vendor IV is 7.3 (above 500%): loads, flagged."""


def _bad_option_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    absurd = {**rows[-1], "strike": "1e308"}
    negative_oi = {**rows[-2], "strike": "12345", "open_interest": "-5"}
    bid = float(rows[10]["bid_1545"]) + 0.05
    conflicting = {**rows[10], "bid_1545": f"{bid:.2f}", "ask_1545": f"{bid + 1:.2f}"}
    vendor_iv = {**rows[-3], "strike": VENDOR_IV_STRIKE, "implied_volatility_1545": "7.300000"}
    return [absurd, negative_oi, conflicting, vendor_iv]


def test_bad_rows_quarantined_and_the_good_day_identical(
    corpus_home: Path, corpus_landing: Path, tmp_path: Path
) -> None:
    """One run over two new sessions: the SPX file of 2008-10-13 also delivered without the
    Calcs add-on (the richer file wins, every poorer copy quarantined as superseded), absurd
    values, a negative open interest and a conflicting duplicate in the 2008-10-14 chain (and
    a quote whose vendor IV is 7.3: not quarantined, it loads with the IV null and
    ``vendor_calcs_flag`` 'iv_above_max', and is priced), a conflicting duplicate row in the
    SPX history; the good day unchanged."""
    db = corpus_home / "warehouse" / "alvh.duckdb"
    good = good_day(db)
    land = tmp_path / "landing"
    shutil.copytree(corpus_landing, land)
    calcs = pl.read_csv(chain(land, "SPX", "2008-10-13"), infer_schema=False)
    calcs.drop(CALCS_COLUMNS).write_csv(chain(land, "SPX", "2008-10-13", calcs=False))
    assert _append_rows(chain(land, "SPX", "2008-10-14"), _bad_option_rows) == 4
    spx = land / "cboe/index/SPX_History.csv"
    spx.write_text(spx.read_text() + "10/14/2008,999.0,999.5,998.5,999.0\n")

    done = alvh(corpus_home, land, "ingest", "--start", "2008-10-13", "--end", "2008-10-14")
    assert done.returncode == 0, done.stderr[-3000:]
    assert quarantined(db, "2008-10-13") == {"superseded_by_richer_file": calcs.height}
    on_14 = quarantined(db, "2008-10-14")
    assert on_14 == {
        "implausible_value": 1,
        "negative_count": 1,
        "conflicting_duplicate_key_in_file": 2,  # the option row and the SPX history row
    }, on_14
    with duckdb.connect(str(db), read_only=True) as con:
        spx_13 = con.execute(
            "SELECT count(*) FROM raw.cboe_option_eod WHERE quote_date = '2008-10-13' "
            "AND underlying_symbol = '^SPX'"
        ).fetchone()[0]
        close_14 = con.execute(
            "SELECT close FROM raw.cboe_index_daily WHERE symbol = 'SPX' AND date = '2008-10-14'"
        ).fetchone()[0]
        flagged = con.execute(
            "SELECT strike, implied_volatility_1545, bid_1545 IS NOT NULL, vendor_calcs_flag "
            "FROM raw.cboe_option_eod WHERE vendor_calcs_flag IS NOT NULL"
        ).fetchall()
        priced = con.execute(
            "SELECT vendor_iv, iv_diff FROM pricing.option_greeks "
            "WHERE quote_date = '2008-10-14' AND strike = ?",
            [float(VENDOR_IV_STRIKE)],
        ).fetchall()
    assert flagged == [(float(VENDOR_IV_STRIKE), None, True, "iv_above_max")]
    assert priced == [(None, None)]  # the pricing step takes the null vendor IV
    assert spx_13 == calcs.height
    assert close_14 != 999.0  # the first row of the key loads, the differing copy does not
    assert same_tables(good_day(db), good) == []


def test_a_file_dated_on_a_saturday_is_quarantined_not_lost(
    corpus_home: Path, corpus_landing: Path, tmp_path: Path
) -> None:
    db = corpus_home / "warehouse" / "alvh.duckdb"
    good = good_day(db)
    land = tmp_path / "landing"
    shutil.copytree(corpus_landing, land)
    friday = chain(land, "VIX", "2008-10-10")
    saturday = chain(land, "VIX", "2008-10-11")
    saturday.write_text(friday.read_text().replace("2008-10-10", "2008-10-11"))
    rows = len(saturday.read_text().splitlines()) - 1

    done = alvh(corpus_home, land, "ingest", "--date", "2008-10-10")
    assert done.returncode == 0, done.stderr[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        (n,) = con.execute(
            "SELECT count(*) FROM quarantine.rejected_rows WHERE source_file LIKE '%2008-10-11%' "
            "AND reason_code = 'file_dated_on_non_session'"
        ).fetchone()
        (logged,) = con.execute(
            "SELECT sum(rows_quarantined) FROM quarantine.ingest_log "
            "WHERE source_file LIKE '%2008-10-11%'"
        ).fetchone()
    assert n == rows and logged == rows
    assert same_tables(good_day(db), good) == []
