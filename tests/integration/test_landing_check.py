"""``alvh landing check DIR``: what a landing directory holds, read by the ingest's readers."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from click.testing import CliRunner

from alvh_assets.ingest.inventory import take_stock
from orchestration.cli import main


def test_a_missing_directory_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["landing", "check", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines == [
        f"error: landing directory {tmp_path / 'nowhere'} does not exist or is not a folder"
    ]


def test_the_inventory_counts_what_the_ingest_loads(landing: Path, built: Path) -> None:
    """Rows the readers would load equal the rows the October 2008 build holds."""
    inv = {s.source.name: s for s in take_stock(landing).sources}
    with duckdb.connect(str(built), read_only=True) as con:
        for name in ("cboe_option_eod", "cfe_vx_settlements", "fred_observations"):
            stored = con.execute(f"SELECT count(*) FROM raw.{name}").fetchone()[0]
            assert inv[name].rows_loaded == stored, name
    options = inv["cboe_option_eod"]
    assert options.groups == {"^SPX", "^VIX"}
    assert options.modelled == len(options.files) > 0  # the sample's chains are modelled
    assert len(options.days) == len(options.files) // 2  # one SPX and one VIX file a day
    # the two 1.00 settles of CFE's own F09 and G09 files (2008-04-21), as the ingest quarantines
    assert inv["cfe_vx_settlements"].quarantined == {"vx_settle_out_of_range": 2}


def test_check_prints_what_is_there_and_what_is_missing(landing: Path, tmp_path: Path) -> None:
    root = tmp_path / "landing"
    shutil.copytree(landing, root)
    shutil.rmtree(root / "nyse" / "breadth")
    (root / "cboe" / "index" / "VIX_History.csv").unlink()
    (root / "cboe" / "option_eod" / "SPX" / "notes.txt").write_text("not a delivery\n")
    result = CliRunner().invoke(main, ["landing", "check", str(root)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "raw.cboe_option_eod" in out and "^SPX, ^VIX" in out
    assert "files that would be refused: 1" in out
    assert "cboe/option_eod/SPX/notes.txt: not a delivery format" in out
    assert "nyse_breadth_daily: no breadth: the A/D divergence signal is null" in out
    assert "cboe_index_daily: no VIX files" in out
    # without the VIX history no option day is complete by the landing sensor's rule
    days = len(list((root / "cboe" / "option_eod" / "SPX").glob("*.csv")))
    assert f"option-chain days: {days}, incomplete by the landing sensor's rule: {days}" in out
