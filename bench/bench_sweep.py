"""Benchmark: a 64-combination sweep (4 × 4 × 4) over the demo range (issue 19, item 5).

    python bench/bench_sweep.py --warehouse /path/to/demo/alvh.duckdb

The warehouse is copied to a temporary folder first (the given one is only read). The grid
is ``condor.pop_target`` × ``condor.wing_width_points`` × ``hedge.valuation_budget_max``,
four values each, run by :func:`alvh_assets.research.sweep.run_sweep` exactly as
``alvh sweep`` runs it: the market read once, one worker process per core, each combination
the four strategies, their attribution and the significance (1,000 stationary block
bootstrap resamples by default) in-process, written to ``research.sweep_runs``. Recorded:
wall time (reading the market, the combinations, the deflated Sharpe ratios), seconds per
combination (inside a worker), the load average before and after, and the pipeline once
per combination for comparison (the ``strategy`` and ``attribution`` stages of W1,
``bench/results/pipeline_W1_demo.json``, each a Dagster run with its checks, × 64).
Results: ``bench/results/sweep.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent
GRID = [
    "condor.pop_target=0.70,0.73,0.76,0.79",
    "condor.wing_width_points=25,50,75,100",
    "hedge.valuation_budget_max=0.16,0.20,0.24,0.28",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", required=True, type=Path, help="demo warehouse (read only)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "sweep.json")
    args = ap.parse_args()

    import duckdb

    from alvh_assets.config import load_config
    from alvh_assets.research.grid import combinations, parse_axis
    from alvh_assets.research.sweep import run_sweep, sweep_window

    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        db = Path(tmp) / "alvh.duckdb"
        t0 = time.perf_counter()
        shutil.copy(args.warehouse, db)
        copy_s = time.perf_counter() - t0
        axes = [parse_axis(g) for g in GRID]
        combos = combinations(axes, None, [])
        cfg = load_config(None, {})
        load_before = os.getloadavg()
        done: list[float] = []
        t0 = time.perf_counter()
        with duckdb.connect(str(db)) as con:
            window = sweep_window(con, cfg)
            result = run_sweep(
                con,
                "bench",
                axes,
                combos,
                window,
                workers=args.workers,
                reps=args.reps,
                on_progress=lambda d, t: done.append(time.perf_counter() - t0),
            )
            rows = con.execute("SELECT count(*) FROM research.sweep_runs").fetchone()[0]
        wall = time.perf_counter() - t0
        load_after = os.getloadavg()
    w1 = json.loads((HERE / "results" / "pipeline_W1_demo.json").read_text())
    stages = {s["stage"]: s for s in w1["stages"]}
    per_pipeline = stages["strategy"]["wall_s"] + stages["attribution"]["wall_s"]
    workers = args.workers or os.cpu_count()
    out = {
        "machine": describe(["numpy", "polars", "duckdb", "arch"], threads_used=workers),
        "workload": "sweep_64_demo",
        "grid": GRID,
        "combinations": len(combos),
        "window": [window[0].isoformat(), window[1].isoformat()],
        "workers": workers,
        "bootstrap_reps": args.reps,
        "copy_warehouse_s": round(copy_s, 2),
        "wall_s": round(wall, 2),
        "wall_per_combination_s": round(wall / len(combos), 3),
        "first_combination_done_s": round(done[1], 2) if len(done) > 1 else None,
        "seconds_per_combination_in_worker": round(result.seconds_per_combination or 0, 3),
        "ran": result.ran,
        "sweep_runs_rows": rows,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
        "target_s": 180,
        "pipeline_per_combination_s": round(per_pipeline, 2),
        "pipeline_per_combination_source": "W1 strategy + attribution stages "
        "(bench/results/pipeline_W1_demo.json), each a Dagster run with its checks",
        "pipeline_64_estimate_s": round(64 * per_pipeline, 1),
        "speedup_vs_pipeline": round(64 * per_pipeline / wall, 1),
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
