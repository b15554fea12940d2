"""Research at scale through Dagster, on the October 2008 warehouse: the ``research_sweep``
asset runs the grid named in the config (2 combinations) into the sweep tables and resumes
it; the report built on the shared 2×2 sweep renders its robustness section (heatmaps,
frontier, CIs) in headless Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser

from alvh_assets.config import load_config
from alvh_assets.dagster_support import AlvhSettings, WarehouseResource
from alvh_assets.report.assets import REPORT_ASSETS, REPORT_CHECKS
from alvh_assets.research.assets import RESEARCH_ASSETS, RESEARCH_CHECKS
from alvh_assets.research.grid import grid_axes, sweep_id_of
from alvh_assets.research.significance import METRICS
from alvh_assets.strategy.registry import REGISTRY
from orchestration.cli import main
from tests.integration.oct08 import END, OVERRIDES, START

pytestmark = pytest.mark.slow

GRID = {"hedge.valuation_budget_max": [0.28, 0.24]}
RESEARCH = {
    **OVERRIDES,
    "research.grids": {"budget": GRID, "unused": {"condor.pop_target": "0.70:0.80:0.05"}},
    "research.sweep_grid": "budget",
    "research.bootstrap_reps": 100,
    "research.workers": 1,
}


def _materialize(db: Path, overrides: dict, assets: list, home: Path | None = None):
    resources = {
        "alvh": AlvhSettings(
            overrides_json=json.dumps(overrides), landing_dir=str(db.parent / "no_landing")
        ),
        "warehouse": WarehouseResource(path=str(db)),
    }
    return dg.materialize(
        assets, resources=resources, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )


def _metadata(result: dg.ExecuteInJobResult, table: str) -> dict:
    (m,) = [
        e.event_specific_data.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["research", table])
    ]
    return {k: v.value for k, v in m.metadata.items()}


@pytest.fixture(scope="module")
def asset_run(attributed: Path, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("asset_sweep") / "alvh.duckdb"
    shutil.copy(attributed, db)
    return db, _materialize(db, RESEARCH, [*RESEARCH_ASSETS, *RESEARCH_CHECKS])


def test_the_asset_runs_the_configured_grid_into_the_sweep_tables(asset_run) -> None:
    db, result = asset_run
    assert result.success
    runs = _metadata(result, "sweep_runs")
    cfg = load_config(None, RESEARCH)
    sweep_id = sweep_id_of(grid_axes(GRID, "test"), cfg, (START, END))
    # the same sweep as `alvh sweep --grid-file` of this grid would run (same id)
    assert runs["sweep_id"] == sweep_id and runs["grid"] == "budget"
    assert (runs["combinations"], runs["finished"], runs["ran"], runs["skipped"]) == (2, 2, 2, 0)
    assert runs["dagster/row_count"] == 2 * len(REGISTRY)
    assert _metadata(result, "sweep_significance")["dagster/row_count"] == (
        2 * (len(REGISTRY) - 1) * len(METRICS)
    )
    deflated = _metadata(result, "sweep_deflated")
    with duckdb.connect(str(db), read_only=True) as con:
        best, dsr = con.execute(
            "SELECT best_combination, dsr FROM research.sweep_deflated "
            "WHERE sweep_id = ? AND strategy = 'alvh_442'",
            [sweep_id],
        ).fetchone()
        values = con.execute(
            "SELECT hedge__valuation_budget_max FROM research.sweep_runs "
            "WHERE sweep_id = ? AND combination = ? LIMIT 1",
            [sweep_id, best],
        ).fetchone()[0]
    assert deflated["best_combination"] == best and deflated["dsr"] == pytest.approx(dsr)
    assert json.loads(deflated["best_params"]) == {"hedge.valuation_budget_max": values}
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == len(RESEARCH_CHECKS) and all(e.passed for e in evaluations)


def test_a_rerun_of_the_asset_resumes_the_sweep(asset_run) -> None:
    db, _ = asset_run
    again = _materialize(db, RESEARCH, RESEARCH_ASSETS)
    assert again.success
    runs = _metadata(again, "sweep_runs")
    assert (runs["ran"], runs["skipped"], runs["finished"]) == (0, 2, 2)
    assert runs["dagster/row_count"] == 2 * len(REGISTRY)  # nothing duplicated


def test_without_a_named_grid_the_asset_fails_saying_so(attributed: Path, tmp_path: Path) -> None:
    db = tmp_path / "alvh.duckdb"
    shutil.copy(attributed, db)
    result = _materialize(db, {**RESEARCH, "research.sweep_grid": None}, RESEARCH_ASSETS)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error_display_string
    assert "no sweep grid is named" in message and "budget, unused" in message


def test_the_report_renders_the_robustness_section_in_chromium(
    swept: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, browser: Browser
) -> None:
    monkeypatch.setenv("ALVH_HOME", str(tmp_path))
    result = _materialize(swept, OVERRIDES, [*REPORT_ASSETS, *REPORT_CHECKS])
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())  # self-contained
    out = tmp_path / "reports"
    assert {p.name for p in (out / "png").glob("robustness_*.png")} == {
        "robustness_sharpe.png",
        "robustness_max_drawdown.png",
        "robustness_frontier.png",
    }
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto((out / "alvh_report.html").as_uri(), wait_until="load")
    section = page.locator("#section-robustness")
    assert "Sweep grid: 4 combinations of condor.pop_target, hedge.valuation_budget_max" in (
        section.locator("#robustness-sweep").inner_text()
    )
    widths = section.locator("img.chart").evaluate_all("els => els.map(e => e.naturalWidth)")
    assert len(widths) == 3 and all(w > 0 for w in widths), widths
    for metric in ("sharpe", "max_drawdown"):
        table = section.locator(f"table#heatmap-{metric}")
        assert table.locator("tbody tr").count() == 2  # valuation_budget_max 0.24, 0.28
        cells = table.locator("tbody td")
        assert cells.count() == 4 and all(t.strip() != "–" for t in cells.all_inner_texts())
        # the defaults (pop_target 0.75, valuation_budget_max 0.28): last row, last column
        assert table.locator("tbody tr").nth(1).locator("td[data-default]").count() == 1
        assert table.locator("td[data-default]").count() == 1
    n = 4 * len(REGISTRY)
    assert f"{n} points" in section.locator("#frontier-count").inner_text()
    assert 1 <= section.locator("table#frontier tbody tr").count() <= n
    ci = section.locator("table#sweep-ci tbody tr")
    assert ci.count() == (len(REGISTRY) - 1) * len(METRICS)
    assert section.locator("table#sweep-dsr tbody tr").count() == len(REGISTRY)
    assert errors == []
    assert all(u.startswith(("data:", "file:")) for u in requests), requests
    page.close()


def test_cli_report_takes_the_sweep_metrics_and_parameters(swept: Path, tmp_path: Path) -> None:
    env = {"ALVH_WAREHOUSE": str(swept), "ALVH_LANDING_DIR": str(tmp_path / "no_landing")}
    args = [a for k, v in OVERRIDES.items() for a in ("--set", f"{k}={v}")]
    args += ["report", "--out", str(tmp_path / "out"), "--sweep-id", "grid"]
    fields = "hedge.valuation_budget_max,condor.pop_target"
    r = CliRunner().invoke(
        main, [*args, "--heatmap", "calmar", "--heatmap-params", fields], env=env
    )
    assert r.exit_code == 0, r.output
    text = Path(r.output.strip()).read_text()
    assert 'id="heatmap-calmar"' in text and 'id="heatmap-sharpe"' not in text
    start = text.index('id="heatmap-calmar"')
    table = text[start : text.index("</table>", start)]
    # transposed: pop_target's values are the rows, valuation_budget_max's the columns;
    # the default (0.75, 0.28) is the one marked cell, in the row of 0.75
    assert "condor.pop_target ↓ / hedge.valuation_budget_max →" in table
    assert table.count("data-default") == 1
    assert "data-default" in table[table.index("<tr><th>0.75</th>") :]
    r = CliRunner().invoke(main, [*args, "--heatmap", "nope"], env=env)
    assert r.exit_code == 2 and "'nope' is not a metric" in r.output
