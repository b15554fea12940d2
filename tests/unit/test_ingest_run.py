"""``run.ingest`` checks before it deletes (issue 13): every refused input leaves every table
byte-identical, non-session files are quarantined, the richer of two deliveries wins, the log
keeps other days, and reader workers die with their parent.

Each test states what the code before issue 13 did (the defect it pins)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from collections import Counter
from pathlib import Path

import duckdb
import polars as pl
import pytest

from alvh_assets.ingest import run
from alvh_assets.ingest.quarantine import Reason
from alvh_assets.ingest.sources import SOURCES
from alvh_assets.sample.generate import generate_sample_market
from tests.warehouse_tables import warehouse_tables

FIRST, LAST = dt.date(2008, 10, 7), dt.date(2008, 10, 10)  # Tuesday .. Friday
DAY = dt.date(2008, 10, 8)
NOW = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
LATER = dt.datetime(2024, 1, 3, tzinfo=dt.UTC)
EOD = SOURCES["cboe_option_eod"]
INDEX = SOURCES["cboe_index_daily"]
PROJECT = Path(__file__).parents[2]


def _eod(landing: Path, root: str, day: dt.date | str, calcs: str = "Calcs") -> Path:
    return landing / f"cboe/option_eod/{root}/UnderlyingOptionsEOD{calcs}_^{root}_{day}.csv"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing_small")
    generate_sample_market(FIRST, LAST, out)
    return out


@pytest.fixture
def land(sample: Path, tmp_path: Path) -> Path:
    """A copy to mutate, without the manifest (a mutated file would not match it)."""
    dst = tmp_path / "landing"
    shutil.copytree(sample, dst)
    (dst / "manifest.json").unlink()
    return dst


def _ingest(
    db: Path,
    landing: Path,
    names: tuple[str, ...] = tuple(SOURCES),
    window: tuple[dt.date, dt.date] = (FIRST, LAST),
    at: dt.datetime = NOW,
    **kw: object,
) -> dict[str, run.Summary]:
    with duckdb.connect(str(db)) as con:
        return {
            n: run.ingest(con, SOURCES[n], landing, window if SOURCES[n].daily else None, at, **kw)
            for n in names
        }


def _assert_same(before: dict[str, pl.DataFrame], db: Path) -> None:
    after = warehouse_tables(db)
    assert before.keys() == after.keys()
    for name, frame in before.items():
        assert frame.equals(after[name]), name


def _one_line(e: pytest.ExceptionInfo) -> str:
    text = str(e.value)
    assert "\n" not in text
    return text


@pytest.fixture(scope="module")
def loaded(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every source ingested for the four sessions (from the sample, manifest verified)."""
    db = tmp_path_factory.mktemp("wh") / "alvh.duckdb"
    _ingest(db, sample)
    return db


@pytest.fixture
def db(loaded: Path, tmp_path: Path) -> Path:
    out = tmp_path / "alvh.duckdb"
    shutil.copy(loaded, out)
    return out


# --- defect 1: nothing is deleted on bad input ------------------------------------------------


def test_a_missing_landing_folder_is_refused_and_every_table_stays(db: Path) -> None:
    """Before: `_replace` deleted the day (daily sources) or the whole table (FRED, FOMC,
    calendars, valuation), then inserted the nothing it found: exit 0, tables emptied."""
    before = warehouse_tables(db)
    for name in SOURCES:
        with pytest.raises(run.LandingError) as e:
            _ingest(db, Path("/nonexistent"), (name,), (DAY, DAY))
        assert "/nonexistent does not exist" in _one_line(e)
    _assert_same(before, db)


def test_the_days_missing_vix_file_refuses_the_window(db: Path, land: Path) -> None:
    """Before: the day loaded without its VIX rows (4,688 -> 4,048 rows), silently."""
    _eod(land, "VIX", DAY).unlink()
    before = warehouse_tables(db)
    with pytest.raises(run.RefusedWindowError) as e:
        _ingest(db, land, ("cboe_option_eod",), (DAY, DAY))
    line = _one_line(e)
    assert "^VIX" in line and "2008-10-08" in line and "UnderlyingOptionsEOD" in line
    assert "--force" in line
    _assert_same(before, db)
    done = _ingest(db, land, ("cboe_option_eod",), (DAY, DAY), force=True)["cboe_option_eod"]
    assert (
        done.rows_loaded
        == before["raw.cboe_option_eod"]
        .filter((pl.col("quote_date") == DAY) & (pl.col("underlying_symbol") == "^SPX"))
        .height
    )


def test_a_first_load_without_the_vix_file_is_refused_too(land: Path, tmp_path: Path) -> None:
    """Before: nothing said the day lacked a root; now a group delivered on an earlier
    session (the VIX file of 10-07) is due on every later one."""
    _eod(land, "VIX", DAY).unlink()
    with pytest.raises(run.RefusedWindowError, match=r"\^VIX.*2008-10-08"):
        _ingest(tmp_path / "fresh.duckdb", land, ("cboe_option_eod",))


def test_a_gzipped_delivery_is_refused_naming_the_file(db: Path, land: Path) -> None:
    """Before: `*.csv.gz` matched no pattern and was skipped: the day lost its SPX rows
    (-> 640 rows) and the file was not even logged."""
    spx = _eod(land, "SPX", DAY)
    gz = spx.with_name(spx.name + ".gz")
    gz.write_bytes(spx.read_bytes())
    spx.unlink()
    before = warehouse_tables(db)
    with pytest.raises(run.LandingError) as e:
        _ingest(db, land, ("cboe_option_eod",), (DAY, DAY))
    line = _one_line(e)
    assert "UnderlyingOptionsEODCalcs_^SPX_2008-10-08.csv.gz" in line
    assert "not a delivery format this reader accepts" in line
    _assert_same(before, db)
    # another day's run is not concerned by a file dated 10-08
    _ingest(db, land, ("cboe_option_eod",), (LAST, LAST))


def test_an_odd_name_is_refused_by_every_run(land: Path, tmp_path: Path) -> None:
    """Before: files matching no pattern were ignored."""
    (land / "fred" / "notes.txt").write_text("a note\n")
    with pytest.raises(run.LandingError, match=r"fred/notes.txt: not a delivery format"):
        _ingest(tmp_path / "x.duckdb", land, ("fred_observations",))


def test_a_file_cut_to_its_header_is_refused(db: Path, land: Path) -> None:
    """Before: the SPX file reduced to its header replaced the day's SPX rows by none."""
    spx = _eod(land, "SPX", DAY)
    spx.write_text(spx.read_text().split("\n", 1)[0] + "\n")
    before = warehouse_tables(db)
    with pytest.raises(run.RefusedWindowError) as e:
        _ingest(db, land, ("cboe_option_eod",), (DAY, DAY))
    assert "no rows of ^SPX for session(s) 2008-10-08" in _one_line(e)
    _assert_same(before, db)


def test_a_shrink_beyond_the_configured_share_needs_force(db: Path, land: Path) -> None:
    """Before: any replacement went through. Now a stored (day, group) may lose at most
    ``ingest.max_day_shrink`` of its rows."""
    spx = _eod(land, "SPX", DAY)
    lines = spx.read_text().splitlines(keepends=True)
    spx.write_text("".join(lines[: len(lines) * 4 // 10]))  # 60 % fewer rows
    before = warehouse_tables(db)
    with pytest.raises(run.RefusedWindowError, match="max_day_shrink allows 50% less"):
        _ingest(db, land, ("cboe_option_eod",), (DAY, DAY))
    _assert_same(before, db)
    _ingest(db, land, ("cboe_option_eod",), (DAY, DAY), max_day_shrink=0.7)


def test_whole_table_sources_never_lose_their_rows_to_no_file(
    db: Path, land: Path, tmp_path: Path
) -> None:
    """Before: a whole-table source without files replaced its table with nothing."""
    shutil.rmtree(land / "fred")
    (land / "fred").mkdir()
    before = warehouse_tables(db)
    with pytest.raises(run.RefusedWindowError) as e:
        _ingest(db, land, ("fred_observations",))
    assert "no rows in the landing folder (fred/*.csv)" in _one_line(e)
    _assert_same(before, db)
    # an empty table and no file: nothing to replace, fine
    empty = _ingest(tmp_path / "empty.duckdb", land, ("fred_observations",))
    assert empty["fred_observations"].rows_loaded == 0


def test_one_series_gone_is_refused(db: Path, land: Path) -> None:
    """Before: the FRED table was replaced by the files left, losing a series silently."""
    (land / "fred" / "CPILFESL.csv").unlink()
    with pytest.raises(run.RefusedWindowError, match="replacing CPILFESL would drop it"):
        _ingest(db, land, ("fred_observations",))


def test_a_history_that_does_not_reach_the_day_is_refused(db: Path, land: Path) -> None:
    """Before: the index day was replaced by what the file held (nothing for the day).
    A session inside the history's span without a row is the vendor's gap and loads."""
    vix = land / "cboe/index/VIX_History.csv"
    lines = vix.read_text().splitlines(keepends=True)
    vix.write_text("".join(ln for ln in lines if not ln.startswith("2008-10-10")))
    with pytest.raises(run.RefusedWindowError, match=r"no rows of VIX for session\(s\) 2008-10-10"):
        _ingest(db, land, ("cboe_index_daily",), (LAST, LAST))
    gap = [ln for ln in lines if not ln.startswith("2008-10-08")]
    vix.write_text("".join(gap))
    with pytest.raises(run.RefusedWindowError, match="VIX on 2008-10-08 would drop it"):
        _ingest(db, land, ("cboe_index_daily",), (DAY, DAY))  # stored: never replaced by none
    _ingest(db.with_name("fresh.duckdb"), land, ("cboe_index_daily",))  # first load: a gap


# --- defect 3: Calcs and non-Calcs deliveries of one day; linear duplicates --------------------


def _without_calcs(path: Path) -> pl.DataFrame:
    from alvh_assets.ingest.readers.cboe_option_eod import CALCS_COLUMNS

    frame = pl.read_csv(path, infer_schema=False)
    return frame.drop([c for c in frame.columns if c in CALCS_COLUMNS])


def test_the_calcs_file_wins_over_the_same_day_without_calcs(land: Path, tmp_path: Path) -> None:
    """Before: absent optional columns compared as different values, so every row of both
    files was quarantined as conflicting (8,096 rows) and the day's SPX data disappeared."""
    spx = _eod(land, "SPX", DAY)
    poor = _without_calcs(spx)
    poor.write_csv(_eod(land, "SPX", DAY, calcs=""))
    n = poor.height
    done = _ingest(tmp_path / "wh.duckdb", land, ("cboe_option_eod",), (DAY, DAY))
    reasons = dict(done["cboe_option_eod"].reasons.iter_rows())
    assert reasons == {Reason.SUPERSEDED_BY_RICHER_FILE.value: n}
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        spx_rows = con.execute(
            "SELECT count(*), bool_and(has_calcs), min(_source_file) FROM raw.cboe_option_eod "
            "WHERE underlying_symbol = '^SPX'"
        ).fetchone()
    assert spx_rows == (n, True, spx.relative_to(land).as_posix())


def test_copies_conflict_only_on_a_column_both_carry(land: Path, tmp_path: Path) -> None:
    """A differing bid on one series: that series' two copies conflict, the rest is
    superseded (before: all conflicting)."""
    spx = _eod(land, "SPX", DAY)
    poor = _without_calcs(spx).with_row_index()
    poor = poor.with_columns(
        pl.when(pl.col("index") == 5)
        .then(pl.lit("999.5"))
        .otherwise(pl.col("ask_eod"))
        .alias("ask_eod")
    ).drop("index")
    poor.write_csv(_eod(land, "SPX", DAY, calcs=""))
    done = _ingest(tmp_path / "wh.duckdb", land, ("cboe_option_eod",), (DAY, DAY))
    reasons = dict(done["cboe_option_eod"].reasons.iter_rows())
    assert reasons == {
        Reason.CONFLICTING_DUPLICATE.value: 2,
        Reason.SUPERSEDED_BY_RICHER_FILE.value: poor.height - 1,
    }


def test_a_redelivered_big_file_reads_each_file_once(
    land: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``lines.setdefault(f, physical_lines(...))`` re-read the file for every
    quarantined row (~9 ms a row: hours for a re-delivered quarter)."""
    spx = _eod(land, "SPX", DAY)
    base = pl.read_csv(spx, infer_schema=False)
    big = pl.concat(
        base.with_columns((pl.col("strike").cast(pl.Float64) + k / 100).cast(pl.Utf8))
        for k in range(13)
    )
    assert big.height > 50_000
    only = tmp_path / "only"
    first = _eod(only, "SPX", DAY)
    first.parent.mkdir(parents=True)
    big.write_csv(first)
    again = first.with_suffix(".zip")  # the same file re-delivered zipped
    with zipfile.ZipFile(again, "w") as zf:
        zf.write(first, arcname=first.name)
    calls: Counter[str] = Counter()
    real = run.physical_lines

    def counting(path: Path | str) -> list[str]:
        calls[Path(path).name] += 1
        return real(path)

    monkeypatch.setattr(run, "physical_lines", counting)
    batch = run.collect(EOD, only, (DAY, DAY), NOW)
    assert batch.raw.height == big.height
    assert batch.rejected["reason_code"].unique().to_list() == [Reason.DUPLICATE_ACROSS_FILES.value]
    assert batch.rejected.height == big.height
    assert calls == {again.name: 1}


# --- issue 17: vendor-computed values flagged, on a warehouse made before the flag -------------


def test_a_warehouse_without_vendor_calcs_flag_gains_it_and_loads_flagged_rows(
    db: Path, land: Path
) -> None:
    """raw.cboe_option_eod of an older version has no vendor_calcs_flag: the next run adds
    it (null on the rows already there) and loads a quote whose vendor IV is 7.3 (above
    500%) with its IV null and the flag ``iv_above_max`` instead of quarantining it."""
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE raw.cboe_option_eod DROP COLUMN vendor_calcs_flag")
        before = con.execute("SELECT count(*) FROM raw.cboe_option_eod").fetchone()[0]
    spx = _eod(land, "SPX", DAY)
    frame = pl.read_csv(spx, infer_schema=False)
    frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(pl.lit("7.300000"))
        .otherwise(pl.col("implied_volatility_1545"))
        .alias("implied_volatility_1545")
    ).write_csv(spx)
    strike = float(frame["strike"][3])
    done = _ingest(db, land, ("cboe_option_eod",), (DAY, DAY))["cboe_option_eod"]
    assert done.rows_quarantined == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.cboe_option_eod").fetchone()[0] == before
        flagged = con.execute(
            "SELECT quote_date, strike, implied_volatility_1545, bid_1545 IS NOT NULL, "
            "vendor_calcs_flag FROM raw.cboe_option_eod WHERE vendor_calcs_flag IS NOT NULL"
        ).fetchall()
        others = con.execute(
            "SELECT count(*) FILTER (WHERE quote_date <> ?), count(*) FILTER (WHERE quote_date "
            "= ?) FROM raw.cboe_option_eod WHERE vendor_calcs_flag IS NULL",
            [DAY, DAY],
        ).fetchone()
    assert flagged == [(DAY, strike, None, True, "iv_above_max")]
    assert others[0] > 0 and others[1] > 0  # older days keep a null flag


def test_upgrade_raw_tables_adds_missing_columns_to_existing_tables_only(
    db: Path, tmp_path: Path
) -> None:
    """What the dbt views step runs first: an older raw.cboe_option_eod gains
    vendor_calcs_flag (null), once; a warehouse without raw tables gets none."""
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE raw.cboe_option_eod DROP COLUMN vendor_calcs_flag")
        assert run.upgrade_raw_tables(con, SOURCES.values()) == [
            "raw.cboe_option_eod.vendor_calcs_flag"
        ]
        assert run.upgrade_raw_tables(con, SOURCES.values()) == []
        nulls, rows = con.execute(
            "SELECT count(*) FILTER (WHERE vendor_calcs_flag IS NULL), count(*) "
            "FROM raw.cboe_option_eod"
        ).fetchone()
    assert nulls == rows > 0
    with duckdb.connect(str(tmp_path / "fresh.duckdb")) as con:
        assert run.upgrade_raw_tables(con, SOURCES.values()) == []
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0] == 0


# --- defect 7: files and rows dated on non-sessions --------------------------------------------


def test_a_file_dated_on_saturday_is_quarantined_by_fridays_run(db: Path, land: Path) -> None:
    """Before: a file dated on a Saturday after the window's last session was never read,
    loaded, quarantined or logged (4,100 rows vanished)."""
    saturday = dt.date(2008, 10, 11)
    shutil.copy(_eod(land, "SPX", LAST), _eod(land, "SPX", saturday))
    rows = EOD.reader(_eod(land, "SPX", saturday)).rows_read
    for _ in range(2):  # idempotent
        done = _ingest(db, land, ("cboe_option_eod",), (LAST, LAST))["cboe_option_eod"]
        log = done.log.filter(pl.col("source_file").str.contains("2008-10-11"))
        assert log.select("rows_read", "rows_quarantined").row(0) == (rows, rows)
        assert run.conservation_errors(done.log).is_empty()
        with duckdb.connect(str(db), read_only=True) as con:
            q = con.execute(
                "SELECT reason_code, partition_date, count(*) FROM quarantine.rejected_rows "
                "WHERE source_file LIKE '%2008-10-11%' GROUP BY ALL"
            ).fetchall()
        assert q == [(Reason.FILE_DATED_ON_NON_SESSION.value, saturday, rows)]


def test_a_history_row_dated_on_saturday_is_quarantined_once(db: Path, land: Path) -> None:
    """Before: a history row dated on a weekend counted as outside every session window:
    never quarantined, never logged as such."""
    vix = land / "cboe/index/VIX_History.csv"
    vix.write_text(vix.read_text() + "2008-10-11,30.00,31.00,29.00,30.50\n")
    done = _ingest(db, land, ("cboe_index_daily",), (LAST, LAST))["cboe_index_daily"]
    assert dict(done.reasons.iter_rows()) == {Reason.NOT_TRADING_DAY.value: 1}
    monday = (dt.date(2008, 10, 13),) * 2  # not in the sample: forced
    done = _ingest(db, land, ("cboe_index_daily",), monday, force=True)["cboe_index_daily"]
    assert done.rows_quarantined == 0  # the Saturday row is owned by Friday's window


# --- defect 10: the log of other days survives a rerun of one day ------------------------------


def test_rerunning_one_day_keeps_the_log_of_every_other_day(db: Path, sample: Path) -> None:
    """Before: re-running one day deleted the log rows of every window overlapping it
    (1,048 -> 924 rows: every other day of the original backfill lost its audit)."""
    before = warehouse_tables(db)["quarantine.ingest_log"]
    _ingest(db, sample, ("cboe_option_eod", "cboe_index_daily"), (DAY, DAY), at=LATER)
    after = warehouse_tables(db)["quarantine.ingest_log"]
    reread = pl.col("source_file").str.contains("2008-10-08")
    untouched = before.filter(~reread)
    kept = after.join(untouched, on=list(after.columns), how="semi", nulls_equal=True)
    assert kept.height == untouched.height
    day_rows = after.filter(reread)
    assert day_rows.height == 2 and (day_rows["window_start"] == DAY).all()
    index = after.filter(pl.col("source") == "cboe_index_daily")
    assert index.height == 2 * before.filter(pl.col("source") == "cboe_index_daily").height


# --- defect 12: manifest and symlinks ----------------------------------------------------------


def test_a_file_cut_at_a_row_boundary_is_refused_by_the_manifest(
    sample: Path, tmp_path: Path
) -> None:
    """Before: the manifest's rows and sha256 were never checked."""
    land = tmp_path / "landing"
    shutil.copytree(sample, land)
    spx = _eod(land, "SPX", DAY)
    spx.write_text("".join(spx.read_text().splitlines(keepends=True)[:-100]))
    with pytest.raises(run.LandingError) as e:
        _ingest(tmp_path / "wh.duckdb", land, ("cboe_option_eod",), (DAY, DAY))
    line = _one_line(e)
    assert "UnderlyingOptionsEODCalcs_^SPX_2008-10-08.csv: does not match manifest.json" in line
    assert "sha256" in line and "rows where it lists" in line


@pytest.mark.parametrize("text", ["{not json", '{"files": 3}', '{"files": [{"path": "x"}]}'])
def test_a_malformed_manifest_is_one_line(land: Path, tmp_path: Path, text: str) -> None:
    """Before: a malformed manifest was never read by the ingest (or crashed elsewhere)."""
    (land / "manifest.json").write_text(text)
    with pytest.raises(run.LandingError) as e:
        _ingest(tmp_path / "wh.duckdb", land, ("fomc_decisions",))
    assert "manifest.json is malformed" in _one_line(e)


def test_a_symlink_leaving_the_landing_is_refused_never_read(land: Path, tmp_path: Path) -> None:
    """Before: a symlink was followed, and an unreadable-file error quoted the first line of
    its target (/etc/passwd) into the logs."""
    (land / "fred" / "EVIL.csv").symlink_to("/etc/passwd")
    with pytest.raises(run.LandingError) as e:
        _ingest(tmp_path / "wh.duckdb", land, ("fred_observations",))
    line = _one_line(e)
    assert "fred/EVIL.csv: a symlink leaving the landing folder" in line
    assert "root" not in line


# --- defect 9: worker processes die with their parent ------------------------------------------


def test_reader_workers_die_when_their_parent_is_killed(tmp_path: Path) -> None:
    """Before: after ``kill -9`` of the parent the spawned reader workers lived on (> 120 s)."""
    script = textwrap.dedent(
        """
        import os, sys, time
        from alvh_assets.ingest import run
        if __name__ == "__main__":
            pool = run.reader_pool(2)
            list(pool.map(abs, [0] * 8))  # start the workers
            print(" ".join(str(p) for p in pool._processes), flush=True)
            time.sleep(600)
        """
    )
    (tmp_path / "parent.py").write_text(script)
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "parent.py")],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    try:
        workers = [int(p) for p in proc.stdout.readline().split()]  # type: ignore[union-attr]
        assert len(workers) == 2 and all(_alive(p) for p in workers)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped is dead)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_the_manifest_of_the_sample_is_verified_and_holds(sample: Path) -> None:
    """The sample's manifest lists every landing file with the reader's row count."""
    doc = json.loads((sample / "manifest.json").read_text())
    assert doc["files"]
    entries = run.landing_checks.read_manifest(sample)
    assert set(entries) == {f["path"] for f in doc["files"]}
