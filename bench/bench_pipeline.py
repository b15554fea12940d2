"""Benchmark: the pipeline end to end, stage by stage (W1, W2) and one more day (W3).

    python bench/bench_pipeline.py                    # W1: the demo range, then W3
    python bench/bench_pipeline.py --full             # W2: 1999-01-04 … 2018-12-31, then W3
    python bench/bench_pipeline.py --start 2008-01-02 --end 2008-12-31
    python bench/bench_pipeline.py --w3-home /tmp/alvh_bench_pipeline_x --end 2009-07-01

Every stage runs in its own child process (so wall time, CPU time — the child's and its
dbt subprocess's — and peak RSS are the stage's own), in a fresh project home, through the
same Dagster runs as ``alvh demo``: sample generation; monthly/calendar sources; daily
ingest (from ``warmup_days`` before the start); pricing; dbt views and marts; the four
strategies; attribution; the report; publishing. Each stage includes its checks. W3 then
writes the landing files of the next trading day and times ``alvh run --date`` for it (all
steps, checks, report and publish: what the daily schedule does), with its per-step
breakdown. Results: ``bench/results/pipeline_<label>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = r"""
import datetime as dt, json, sys, time
stage, first, last, warm = sys.argv[1], *(dt.date.fromisoformat(a) for a in sys.argv[2:5])
t0 = time.perf_counter()
if stage == "sample":
    from alvh_assets import paths
    from alvh_assets.sample.generate import generate_sample_market
    generate_sample_market(first, last, paths.landing_dir())
    print(json.dumps({"steps": {"sample": time.perf_counter() - t0}}))
    sys.exit(0)
if stage == "publish":
    from alvh_assets import paths, warehouse
    from alvh_assets.publish import publish
    with warehouse.connect(paths.warehouse_path()) as con:
        publish(con)
    print(json.dumps({"steps": {"publish": time.perf_counter() - t0}}))
    sys.exit(0)
t_import = time.perf_counter()
import dagster as dg
from orchestration import definitions as d
from orchestration.pipeline import Step, pipeline_steps, run_steps, _with_checks
from alvh_assets.dagster_support import AlvhSettings
from orchestration.runs import instance_home, partition_range_tags
instance_home()
days, warm_days = partition_range_tags(first, last), partition_range_tags(warm, last)
ingest = d.DAILY_INGEST & dg.AssetSelection.groups("ingest")
pricing = d.DAILY_INGEST & dg.AssetSelection.groups("pricing")
stages = {
    "sources": [Step("sources", d.REFERENCE)],
    "ingest": _with_checks("ingest", ingest, warm_days),
    "pricing": _with_checks("pricing", pricing, warm_days),
    "dbt": [Step("views", d.VIEWS), *_with_checks("marts", d.MARTS, days)],
    "strategy": _with_checks("strategy", d.STRATEGY, days),
    "attribution": _with_checks("attribution", d.ATTRIBUTION, days),
    "report": [Step("report", d.REPORT)],
    "run_day": pipeline_steps(first, last, first),
}
times = {}
def on_step(i, n, label):
    now = time.perf_counter()
    if times.get("_label") is not None:
        times[times["_label"]] = now - times["_t"]
    times["_label"], times["_t"] = label, now
# the strategies start on the workload's first day (W2: 1999, not the config's 2007 start);
# the next day (W3) continues the book
start = {} if stage == "run_day" else {"sample_start": str(first)}
settings = AlvhSettings(overrides_json=json.dumps(start))  # model_copy would not reach runs
imported = time.perf_counter() - t_import
with dg.DagsterInstance.get() as instance:
    run_steps(stages[stage], instance, {**d.defs.resources, "alvh": settings}, on_step)
    times.pop("_label"), times.pop("_t")
    profile = {}
    if stage == "run_day":  # W3: where the day's run spends its time, step by step
        run = instance.get_runs(limit=1)[0]
        stats = instance.get_run_step_stats(run.run_id)
        steps = sorted(
            ((s.step_key, s.end_time - s.start_time) for s in stats if s.end_time and s.start_time),
            key=lambda kv: -kv[1],
        )
        run_s = sum(times.values())
        profile = {
            "import_orchestration_s": round(imported, 2),
            "run_s": round(run_s, 2),
            "events": len(instance.all_logs(run.run_id)),
            "steps": len(steps),
            "in_steps_s": round(sum(v for _, v in steps), 2),
            "between_steps_s": round(run_s - sum(v for _, v in steps), 2),
            "slowest_steps_s": {k: round(v, 2) for k, v in steps[:15]},
        }
print(json.dumps({"steps": times, "profile": profile}))
"""

STAGES = (
    "sample",
    "sources",
    "ingest",
    "pricing",
    "dbt",
    "strategy",
    "attribution",
    "report",
    "publish",
)


def _machine() -> dict:
    return describe(("duckdb", "polars", "dagster", "dbt-core", "great-expectations"))


def run_stage(stage: str, first: dt.date, last: dt.date, warm: dt.date, env: dict) -> dict:
    """One stage in a child process: wall, CPU (user + sys, with its children) and max RSS."""
    t = time.perf_counter()
    log = Path(env["ALVH_HOME"]) / f"{stage}.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, stage, str(first), str(last), str(warm)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        out = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        tail = "\n".join(log.read_text().splitlines()[-40:])
        raise SystemExit(
            f"{tail}\nstage {stage} failed (exit {os.waitstatus_to_exitcode(status)}); log: {log}"
        )
    result = json.loads(out.strip().splitlines()[-1])
    return {
        "stage": stage,
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "steps_s": {k: round(v, 2) for k, v in result["steps"].items()},
        **({"profile": result["profile"]} if result.get("profile") else {}),
    }


def home_env(home: Path) -> dict[str, str]:
    """The environment of a run in the project home ``home``."""
    return {
        "ALVH_HOME": str(home),
        "ALVH_CONFIG": str(home / "config.yaml"),
        "DAGSTER_HOME": str(home / ".dagster_home"),
        "ALVH_LANDING_DIR": str(home / "landing" / "sample"),
        "ALVH_WAREHOUSE": str(home / "warehouse" / "alvh.duckdb"),
        "OMP_NUM_THREADS": "2",
    }


def headline(record: dict) -> dict:
    """The figures a later run is compared with: wall time per stage, totals, W3."""
    return {
        "date": record["machine"]["date"],
        "stages_wall_s": {r["stage"]: r["wall_s"] for r in record["stages"]},
        "total_wall_s": record["total_wall_s"],
        "peak_rss_mb": record["peak_rss_mb"],
        "w3_run_wall_s": record["w3"]["run_wall_s"],
        "w3_publish_wall_s": record["w3"]["stages"][-1]["wall_s"],
    }


def was(value: float, before: float | None) -> str:
    """``value`` beside its previous measurement (``was 12.3``), or nothing the first time."""
    return "" if before is None else f" (was {before:.1f})"


def main() -> None:
    from alvh_assets.calendars import next_trading_day
    from alvh_assets.config import AlvhConfig

    cfg = AlvhConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=dt.date.fromisoformat, default=cfg.sample_start)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=cfg.sample_end)
    parser.add_argument("--full", action="store_true", help="W2: 1999-01-04 … 2018-12-31")
    parser.add_argument("--keep", action="store_true", help="keep the project home")
    parser.add_argument(
        "--w3-home",
        type=Path,
        help="only W3, on a home kept by --keep: rerun the day --end (printed, not recorded)",
    )
    args = parser.parse_args()
    if args.w3_home is not None:
        env = {**os.environ, **home_env(args.w3_home)}
        w3 = [run_stage(s, args.end, args.end, args.end, env) for s in ("run_day", "publish")]
        print(json.dumps(w3, indent=2))
        return
    first, last = (
        (dt.date(1999, 1, 4), dt.date(2018, 12, 28)) if args.full else (args.start, args.end)
    )
    label = (
        "W2_full"
        if args.full
        else (
            "W1_demo"
            if (first, last) == (cfg.sample_start, cfg.sample_end)
            else f"range_{first}_{last}"
        )
    )
    warm = max(first - dt.timedelta(days=cfg.warmup_days), dt.date(1999, 1, 4))
    out = HERE / "results" / f"pipeline_{label}.json"
    previous = headline(json.loads(out.read_text())) if out.exists() else None
    before = previous["stages_wall_s"] if previous else {}
    home = Path(tempfile.mkdtemp(prefix="alvh_bench_pipeline_"))
    (home / "config.yaml").write_text(f"data_start: {warm}\n")  # the partitions' first day
    env = {**os.environ, **home_env(home)}
    results = []
    try:
        for stage in STAGES:
            r = run_stage(stage, first, last, warm, env)
            results.append(r)
            print(
                f"{label} {stage:<12} wall {r['wall_s']:>8.1f} s"
                f"  cpu {r['cpu_s']:>8.1f} s  rss {r['max_rss_mb']:>7.0f} MB"
                f"{was(r['wall_s'], before.get(stage))}",
                flush=True,
            )
        day = next_trading_day(last)
        w3 = [run_stage("sample", day, day, day, env), run_stage("run_day", day, day, day, env)]
        w3.append(run_stage("publish", day, day, day, env))
        for r in w3:
            print(
                f"W3 {day} {r['stage']:<8} wall {r['wall_s']:>6.1f} s  cpu {r['cpu_s']:>6.1f} s  "
                f"rss {r['max_rss_mb']:>6.0f} MB",
                flush=True,
            )
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    record = {
        "machine": _machine(),
        "workload": label,
        "range": [str(first), str(last)],
        "ingest_from": str(warm),
        "stages": results,
        "total_wall_s": round(sum(r["wall_s"] for r in results), 1),
        "total_cpu_s": round(sum(r["cpu_s"] for r in results), 1),
        "peak_rss_mb": max(r["max_rss_mb"] for r in results),
        "w3": {
            "day": str(next_trading_day(last)),
            "stages": w3,
            "run_wall_s": w3[1]["wall_s"],
            "with_publish_wall_s": round(w3[1]["wall_s"] + w3[2]["wall_s"], 1),
        },
        "previous": previous,
    }
    out.write_text(json.dumps(record, indent=2) + "\n")
    p = previous or {}
    print(
        f"total {record['total_wall_s']} s wall{was(record['total_wall_s'], p.get('total_wall_s'))}"
        f", peak {record['peak_rss_mb']} MB; W3 {record['w3']['run_wall_s']} s"
        f"{was(record['w3']['run_wall_s'], p.get('w3_run_wall_s'))} -> {out}"
    )
    for key, value in w3[1].get("profile", {}).items():
        print(f"W3 profile {key}: {value}")


if __name__ == "__main__":
    main()
