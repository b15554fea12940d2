"""The sample-market asset and its checks, run through Dagster on a short range."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from alvh_assets.dagster_support import AlvhSettings
from alvh_assets.sample import assets as sample_assets


def _run(landing: Path, start: str, end: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [
            sample_assets.sample_market,
            sample_assets.sample_manifest_matches_files,
            sample_assets.sample_real_files_are_untouched,
        ],
        resources={"alvh": AlvhSettings(landing_dir=str(landing))},
        run_config={"ops": {"landing__sample_market": {"config": {"start": start, "end": end}}}},
        raise_on_error=False,
    )


def test_materialize_writes_files_and_checks_pass(tmp_path: Path) -> None:
    result = _run(tmp_path, "2008-10-08", "2008-10-10")
    assert result.success
    meta = result.asset_materializations_for_node("landing__sample_market")[0].metadata
    assert meta["range"].value == "2008-10-08 .. 2008-10-10"
    assert meta["files_modelled"].value >= 6  # 3 days x (SPX + VIX chains) + breadth + calendar
    assert meta["files_real"].value >= 10
    evals = result.get_asset_check_evaluations()
    assert {e.check_name for e in evals} == {
        "sample_manifest_matches_files",
        "sample_real_files_are_untouched",
    }
    assert all(e.passed for e in evals)
    assert (
        tmp_path / "cboe" / "option_eod" / "SPX" / "UnderlyingOptionsEODCalcs_^SPX_2008-10-10.csv"
    ).is_file()


def test_checks_fail_on_a_tampered_landing_dir(tmp_path: Path) -> None:
    assert _run(tmp_path, "2008-10-09", "2008-10-10").success
    real_vix = tmp_path / "cboe" / "index" / "VIX_History.csv"
    real_vix.write_bytes(real_vix.read_bytes().replace(b"69.950000", b"59.950000"))
    result = dg.materialize(
        [
            sample_assets.sample_manifest_matches_files,
            sample_assets.sample_real_files_are_untouched,
        ],
        resources={"alvh": AlvhSettings(landing_dir=str(tmp_path))},
        selection=dg.AssetSelection.all_asset_checks(),
        raise_on_error=False,
    )
    evals = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evals == {
        "sample_manifest_matches_files": False,
        "sample_real_files_are_untouched": False,
    }
