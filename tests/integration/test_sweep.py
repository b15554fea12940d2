"""``alvh sweep`` on the October 2008 warehouse: a 2×2 grid writes 4 combinations × every
strategy, the combination equal to the defaults reproduces ``attribution.performance``
exactly, and an interrupted sweep resumes without duplicates."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from alvh_assets.research import significance as sig
from alvh_assets.research.grid import combinations, parse_axis
from alvh_assets.research.sweep import METRICS, SweepError, run_sweep
from alvh_assets.strategy.registry import REGISTRY
from orchestration.cli import main
from tests.integration.oct08 import BASE, END, START, SWEEP_GRID

pytestmark = pytest.mark.slow

DEFAULT = 2
"""The defaults (pop_target 0.75, valuation_budget_max 0.28) are combination 2: a worker
has run another combination on the same market days before it."""


def _copy(db: Path, tmp: Path) -> Path:
    out = tmp / "alvh.duckdb"
    shutil.copy(db, out)
    return out


def _runs(db: Path, sweep_id: str) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT * FROM research.sweep_runs WHERE sweep_id = ? ORDER BY combination, strategy",
            [sweep_id],
        ).pl()


def test_a_2x2_grid_writes_four_combinations_of_every_strategy(swept: Path) -> None:
    runs = _runs(swept, "grid")
    assert runs.height == 4 * len(REGISTRY)
    assert runs.select("combination", "strategy").is_unique().all()
    assert set(runs["strategy"]) == set(REGISTRY)
    assert runs.schema["condor__pop_target"] == pl.Float64
    assert runs.schema["hedge__valuation_budget_max"] == pl.Float64
    points = runs.select("combination", "condor__pop_target", "hedge__valuation_budget_max")
    assert points.unique().sort("combination").rows() == [
        (0, 0.72, 0.28),
        (1, 0.72, 0.24),
        (2, 0.75, 0.28),
        (3, 0.75, 0.24),
    ]
    assert (
        runs.group_by("combination").agg(pl.col("config_hash").n_unique())["config_hash"].to_list()
        == [1] * 4
    )
    assert runs["psr"].drop_nulls().is_between(0, 1).all()
    with duckdb.connect(str(swept), read_only=True) as con:
        significance = con.execute("SELECT * FROM research.sweep_significance").pl()
        deflated = con.execute("SELECT * FROM research.sweep_deflated").pl()
    assert significance.height == 4 * (len(REGISTRY) - 1) * len(sig.METRICS)
    assert set(significance["strategy"]) == {sig.ALVH}
    assert significance.select("combination", "versus", "metric").is_unique().all()
    ok = significance.filter(pl.col("ci_low").is_not_null())
    assert ok.height > 0
    assert (ok["ci_low"] <= ok["ci_high"]).all()
    assert set(deflated["strategy"]) == set(REGISTRY) and (deflated["trials"] == 4).all()


def test_the_default_combination_reproduces_attribution_performance_exactly(
    swept: Path,
) -> None:
    runs = _runs(swept, "grid").filter(pl.col("combination") == DEFAULT)
    with duckdb.connect(str(swept), read_only=True) as con:
        perf = con.execute(
            "SELECT * FROM attribution.performance WHERE period = 'all' ORDER BY strategy"
        ).pl()
    cols = ["strategy", *METRICS]
    assert perf.height == len(REGISTRY)
    assert runs.select(cols).sort("strategy").equals(perf.select(cols)), "not bit-equal"
    # and another combination does differ
    other = _runs(swept, "grid").filter(pl.col("combination") == 0).select(cols)
    assert not other.sort("strategy").equals(perf.select(cols))


def test_an_interrupted_sweep_resumes_without_duplicates(
    attributed: Path, swept: Path, tmp_path: Path
) -> None:
    db = _copy(attributed, tmp_path)
    axes = [parse_axis(g) for g in SWEEP_GRID]
    full = combinations(axes, None, BASE)
    # the sweep "killed" after the combinations of pop_target 0.75: a subset of the grid
    part_axes = [parse_axis("condor.pop_target=0.75"), axes[1]]
    part = combinations(part_axes, None, BASE)
    with duckdb.connect(str(db)) as con:
        first = run_sweep(con, "resume", part_axes, part, (START, END), workers=1, reps=200)
        assert (first.ran, first.skipped) == (2, 0)
        again = run_sweep(con, "resume", axes, full, (START, END), workers=1, reps=200)
        assert (again.total, again.ran, again.skipped) == (4, 2, 2)
        last = run_sweep(con, "resume", axes, full, (START, END), workers=1, reps=200)
        assert (last.ran, last.skipped) == (0, 4)
        with pytest.raises(SweepError, match="give another --sweep-id"):
            run_sweep(con, "resume", axes, full, (START, END - dt.timedelta(days=7)), workers=1)
        n_sig = con.execute(
            "SELECT count(*), count(DISTINCT (combination, versus, metric)) "
            "FROM research.sweep_significance WHERE sweep_id = 'resume'"
        ).fetchone()
    assert n_sig == (4 * (len(REGISTRY) - 1) * 4,) * 2
    resumed, fresh = _runs(db, "resume"), _runs(swept, "grid")
    assert resumed.height == 4 * len(REGISTRY)
    assert resumed.select("combination", "strategy").is_unique().all()
    keys = ["combination", "config_hash", "condor__pop_target", "hedge__valuation_budget_max"]
    cols = [*keys, "strategy", *METRICS, "psr"]
    assert resumed.select(cols).equals(fresh.select(cols))


def test_cli_sweep_prints_the_significance(attributed: Path, tmp_path: Path) -> None:
    db = _copy(attributed, tmp_path)
    args = [a for kv in BASE for a in ("--set", kv)]
    args += ["sweep", "--grid", "hedge.valuation_budget_max=0.28,0.24", "--workers", "1"]
    args += ["--reps", "100", "--sweep-id", "cli"]
    r = CliRunner().invoke(main, args, env={"ALVH_WAREHOUSE": str(db)})
    assert r.exit_code == 0, r.output
    assert "sweep cli: 2 combinations" in r.output
    assert "ran 2, skipped 0" in r.output and "per combination" in r.output
    assert "deflated Sharpe ratio" in r.output and "ci_low" in r.output
    r = CliRunner().invoke(main, args, env={"ALVH_WAREHOUSE": str(db)})
    assert r.exit_code == 0 and "ran 0, skipped 2" in r.output
