"""The Dagster code location loads, validates, and describes its assets properly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).resolve().parents[2]


def test_definitions_load_and_every_asset_is_described() -> None:
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = list(graph.get_all_asset_keys())
    assert dg.AssetKey(["landing", "sample_market"]) in keys
    for key in keys:
        node = graph.get(key)
        assert node.description, key
        assert node.group_name and node.group_name != "default", key
        assert node.owners, key
        assert node.kinds, key
    checks = list(graph.asset_check_keys)
    assert len(checks) >= 2
    for key in keys:
        assert any(c.asset_key == key for c in checks), f"{key} has no asset check"


def _cli(home: Path, tool: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``tool`` of this environment (``dagster``, ``dg``) from the project root with
    ``DAGSTER_HOME`` in ``home``; assert it succeeded."""
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [str(Path(sys.executable).with_name(tool)), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def test_dagster_cli_validates_the_workspace(tmp_path: Path) -> None:
    out = _cli(tmp_path, "dagster", "definitions", "validate", "-w", "workspace.yaml")
    assert "Validation successful" in out.stdout + out.stderr


def test_every_cli_step_is_a_job_listed_by_the_dagster_cli(tmp_path: Path) -> None:
    from orchestration.definitions import STEP_JOBS, STEPS

    assert set(STEPS) >= {"reference", "ingest", "views", "marts", "strategies", "attribution"}
    out = _cli(tmp_path, "dagster", "job", "list", "-m", "orchestration.definitions")
    listed = {
        line.split(":", 1)[1].strip() for line in out.stdout.splitlines() if line.startswith("Job:")
    }
    assert {job.name for job in STEP_JOBS.values()} | {"daily_job"} <= listed
    assert {f"{step}_job" for step in STEPS} <= listed


def test_the_research_sweep_has_its_own_job_outside_the_daily_job() -> None:
    from alvh_assets.research.assets import KEYS
    from orchestration.definitions import daily_job, defs, research_sweep_job

    graph = defs.resolve_asset_graph()
    sweep = {dg.AssetKey(t.split(".")) for t in KEYS}
    assert research_sweep_job.selection.resolve(graph) == sweep
    assert not daily_job.selection.resolve(graph) & sweep


def test_dg_lists_the_definitions_of_tool_dg(tmp_path: Path) -> None:
    """``dg`` (dagster-dg-cli, what ``dg dev`` runs on) finds the code location through
    ``[tool.dg]`` in pyproject.toml: every CLI step's job and the assets are listed."""
    import json

    from orchestration.definitions import STEP_JOBS, defs

    out = _cli(tmp_path, "dg", "list", "defs", "--json")
    listed = json.loads(out.stdout[out.stdout.index("{") :])
    jobs = {job["name"] for job in listed["jobs"]}
    assert {job.name for job in STEP_JOBS.values()} | {"daily_job"} <= jobs
    assets = {asset["asset_key"] for asset in listed["assets"]}
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.materializable_asset_keys} <= assets
