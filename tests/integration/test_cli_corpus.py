"""The bad-input corpus through the real CLI (issue 13, build 8): each kind of bad delivery
is run through ``alvh ingest`` in a subprocess against a warehouse holding good days, with
its expected outcome — refused in one line (exit 2, every table byte-identical), or loaded
with the bad rows quarantined under their reason (the good day 2008-10-08 byte-identical).

The complete reader corpora (``tests/data/bad_inputs/<reader>``) run file by file through
the readers and ``run.ingest`` in ``tests/ingest`` and ``tests/unit/test_ingest_run.py``;
here one unreadable file of every reader's corpus goes through the CLI, with the landing
kinds of the issue (missing folder, missing file, ``.csv.gz``, header only, corrupt zip,
symlink out, manifest mismatch, Calcs beside non-Calcs, a file dated on a Saturday, absurd
values, conflicting duplicates). Slow (one CLI process per case): ``make test-slow``.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest

from alvh_assets.ingest.readers.cboe_option_eod import CALCS_COLUMNS
from tests.warehouse_tables import warehouse_tables

pytestmark = pytest.mark.slow_cli
XDIST_SHARDS = 2  # ~20 independent CLI cases of ~16 s: dealt to both workers (tests/conftest)

ALVH = str(Path(sys.executable).with_name("alvh"))
BAD_INPUTS = Path(__file__).parents[1] / "data" / "bad_inputs"
GOOD_DAY = "2008-10-08"
LOADED = ("2008-10-06", "2008-10-10")  # the window of the baseline ingest
OPTION_DIR = Path("cboe/option_eod")
DAILY_TABLES = {  # daily tables and their date column: the good day's rows must not change
    "raw.cboe_option_eod": "quote_date",
    "raw.cboe_index_daily": "date",
    "raw.cfe_vx_settlements": "trade_date",
    "raw.nyse_breadth_daily": "date",
    "pricing.option_greeks": "quote_date",
}


def _chain(landing: Path, root: str, day: str, calcs: bool = True) -> Path:
    name = "UnderlyingOptionsEODCalcs" if calcs else "UnderlyingOptionsEOD"
    return landing / OPTION_DIR / root / f"{name}_^{root}_{day}.csv"


def _alvh(home: Path, landing: Path | str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ALVH_HOME": str(home),
        "ALVH_LANDING_DIR": str(landing),
        "ALVH_WAREHOUSE": str(home / "warehouse" / "alvh.duckdb"),
        "DAGSTER_HOME": str(home / "dagster_home"),
    }
    return subprocess.run(
        [ALVH, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def _good_day(db: Path) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: con.execute(f"SELECT * FROM {t} WHERE {c} = ? ORDER BY ALL", [GOOD_DAY]).pl()
            for t, c in DAILY_TABLES.items()
        }


def _same(got: dict[str, pl.DataFrame], want: dict[str, pl.DataFrame]) -> list[str]:
    """Tables that differ (or appeared/disappeared)."""
    return sorted(
        t for t in got.keys() | want.keys() if t not in got or t not in want
        or not got[t].equals(want[t])
    )  # fmt: skip


def _quarantined(db: Path, day: str | None = None) -> dict[str, int]:
    """reason_code -> rows of the last ingest (on ``day`` when given)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT reason_code, count(*) FROM quarantine.rejected_rows "
            "WHERE (? IS NULL OR partition_date = ?::DATE) GROUP BY 1",
            [day, day],
        ).fetchall()
    return dict(rows)


def _one_line(stderr: str) -> str:
    """The one error line (the per-asset INFO log lines of the steps that ran may precede it);
    no traceback, no Dagster ERROR record on the console."""
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr[-3000:]
    assert "Traceback" not in stderr and " - ERROR - " not in stderr, stderr[-3000:]
    return errors[0]


@pytest.fixture(scope="module")
def pristine(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The October 2008 landing without its manifest (the cases change files after it)."""
    out = tmp_path_factory.mktemp("corpus_landing") / "landing"
    shutil.copytree(landing, out)
    (out / "manifest.json").unlink()
    return out


@pytest.fixture(scope="module")
def loaded(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project home whose warehouse holds the good days 2008-10-06 .. 2008-10-10."""
    home = tmp_path_factory.mktemp("corpus_home")
    done = _alvh(home, pristine, "ingest", "--start", LOADED[0], "--end", LOADED[1])
    assert done.returncode == 0, done.stderr[-3000:]
    return home


def _header_only(land: Path) -> None:
    path = _chain(land, "SPX", "2008-10-10")
    path.write_text(path.read_text().splitlines()[0] + "\n")


def _gzipped_beside(land: Path) -> None:
    import gzip

    path = _chain(land, "SPX", "2008-10-10")
    Path(f"{path}.gz").write_bytes(gzip.compress(path.read_bytes()))


def _corrupt_zip(land: Path) -> None:
    """The day's SPX file delivered zipped, its deflate stream damaged mid-way."""
    path = _chain(land, "SPX", "2008-10-10")
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
    path = _chain(land, "VIX", "2008-10-10")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 2]))


REFUSED: dict[str, tuple[Callable[..., None] | None, str, str]] = {
    # case: (change to the landing, the day run, a text the one line must hold)
    "vix_file_missing": (
        lambda land: _chain(land, "VIX", "2008-10-10").unlink(),
        "2008-10-10",
        "2008-10-10",
    ),
    "spx_file_as_csv_gz": (_gzipped_beside, "2008-10-10", ".csv.gz"),
    "spx_file_header_only": (_header_only, "2008-10-10", "2008-10-10"),
    "spx_zip_corrupt_deflate": (_corrupt_zip, "2008-10-10", "UnderlyingOptionsEODCalcs_^SPX"),
    "symlink_leaving_landing": (_symlink_out, "2008-10-10", "VIX3M_History.csv"),
}
CORPUS_UNREADABLE = {  # reader corpus file -> where it lands (replacing the delivered file)
    "cboe_option_eod/unreadable_wrong_header.csv": _chain(Path(), "SPX", "2008-10-10"),
    "cboe_index/unreadable_yahoo_layout_SPX_History.csv": Path("cboe/index/SPX_History.csv"),
    "cfe_vx/unreadable_wrong_header_CFE_K07_VX.csv": Path("cfe/vx/CFE_X08_VX.csv"),
    "nyse_breadth/unreadable_missing_column.csv": Path("nyse/breadth/NYSE_breadth_modelled.csv"),
    "fred/unreadable_wrong_header.csv": Path("fred/CPILFESL.csv"),
    "release_calendar/unreadable_missing_column.csv": Path(
        "calendars/cpi_ppi_release_calendar_modelled.csv"
    ),
    "fomc/unreadable_wrong_header.csv": Path("calendars/fomc_decisions.csv"),
    "valuation/unreadable_binary.csv": Path("valuation/valuation_monthly.csv"),
}


@pytest.mark.parametrize(
    "case", ["missing_landing", *REFUSED, "manifest_mismatch", *CORPUS_UNREADABLE]
)
def test_refused_in_one_line_with_every_table_identical(
    case: str, loaded: Path, pristine: Path, landing: Path, tmp_path: Path
) -> None:
    db = loaded / "warehouse" / "alvh.duckdb"
    before, unstamped, good = (
        warehouse_tables(db),
        warehouse_tables(db, stamps=False, logs=False),
        _good_day(db),
    )
    land = tmp_path / "landing"
    shutil.copytree(pristine, land, symlinks=True)
    day, expect = "2008-10-10", None
    if case == "missing_landing":
        land, day, expect = tmp_path / "nonexistent", GOOD_DAY, "does not exist"
    elif case == "manifest_mismatch":
        _manifest_mismatch(land, landing)
        expect = "manifest"
    elif case in REFUSED:
        change, day, expect = REFUSED[case]
        change(land)
    else:
        target = land / CORPUS_UNREADABLE[case]
        target.unlink()
        shutil.copy(BAD_INPUTS / case, target)
        expect = target.name
    done = _alvh(loaded, land, "ingest", "--date", day)
    line = _one_line(done.stderr)
    assert done.returncode == 2, line
    assert line.startswith("error: ") and expect in line, line
    assert "/bin/bash" not in line and "root:x" not in line  # never file content
    assert _same(_good_day(db), good) == []  # byte-identical, lineage stamps included
    if case == "missing_landing":  # refused before any step wrote: every table byte-identical
        assert _same(warehouse_tables(db), before) == []
    else:  # the data as before; only lineage stamps and run logs move: a refusal in the
        # daily step comes after the monthly/calendar sources were reloaded, unchanged, by
        # the run's first step, and the sources of the run whose files are fine replace the
        # day with the same rows (and log that they did)
        assert _same(warehouse_tables(db, stamps=False, logs=False), unstamped) == []


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
    loaded: Path, pristine: Path, tmp_path: Path
) -> None:
    """One run over two new sessions: the SPX file of 2008-10-13 also delivered without the
    Calcs add-on (the richer file wins, every poorer copy quarantined as superseded), absurd
    values, a negative open interest and a conflicting duplicate in the 2008-10-14 chain (and
    a quote whose vendor IV is 7.3: not quarantined, it loads with the IV null and
    ``vendor_calcs_flag`` 'iv_above_max', and is priced), a conflicting duplicate row in the
    SPX history; the good day unchanged."""
    db = loaded / "warehouse" / "alvh.duckdb"
    good = _good_day(db)
    land = tmp_path / "landing"
    shutil.copytree(pristine, land)
    calcs = pl.read_csv(_chain(land, "SPX", "2008-10-13"), infer_schema=False)
    calcs.drop(CALCS_COLUMNS).write_csv(_chain(land, "SPX", "2008-10-13", calcs=False))
    assert _append_rows(_chain(land, "SPX", "2008-10-14"), _bad_option_rows) == 4
    spx = land / "cboe/index/SPX_History.csv"
    spx.write_text(spx.read_text() + "10/14/2008,999.0,999.5,998.5,999.0\n")

    done = _alvh(loaded, land, "ingest", "--start", "2008-10-13", "--end", "2008-10-14")
    assert done.returncode == 0, done.stderr[-3000:]
    assert _quarantined(db, "2008-10-13") == {"superseded_by_richer_file": calcs.height}
    on_14 = _quarantined(db, "2008-10-14")
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
    assert _same(_good_day(db), good) == []


def test_a_file_dated_on_a_saturday_is_quarantined_not_lost(
    loaded: Path, pristine: Path, tmp_path: Path
) -> None:
    db = loaded / "warehouse" / "alvh.duckdb"
    good = _good_day(db)
    land = tmp_path / "landing"
    shutil.copytree(pristine, land)
    friday = _chain(land, "VIX", "2008-10-10")
    saturday = _chain(land, "VIX", "2008-10-11")
    saturday.write_text(friday.read_text().replace("2008-10-10", "2008-10-11"))
    rows = len(saturday.read_text().splitlines()) - 1

    done = _alvh(loaded, land, "ingest", "--date", "2008-10-10")
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
    assert _same(_good_day(db), good) == []
