"""A backfill through the CLI on the embedded instance (SQLite + the batched event log)
against the same backfill on the PostgreSQL deployment (``deploy/dagster.yaml``).

Usage::

    PYTHONPATH=. .venv/bin/python bench/bench_postgres.py [--start D] [--end D] [--repeat 2]
        [--out postgres_vs_sqlite.json]

Generates the sample market's landing files for the window (with 10 days of warm-up) once,
starts a throwaway PostgreSQL cluster (``tests/integration/postgres.py``: ``initdb`` into a
temporary folder, a free localhost port, fsync off — a test cluster, as in the deployment
test), then runs ``alvh --set warmup_days=10 backfill --start … --end …`` on a fresh project
home per run, SQLite and PostgreSQL in turn (``--repeat`` pairs), each on a fresh database.
Records the wall time and the CPU time of the CLI process tree (``RUSAGE_CHILDREN``), and
the Dagster events each instance stored (runs, events). The warehouse work is identical in
both; the difference is Dagster's bookkeeping. Results:
``bench/results/<--out>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alvh_assets.sample.generate import generate_sample_market  # noqa: E402
from tests.integration.postgres import Server, throwaway_server  # noqa: E402

ALVH = str(Path(sys.executable).with_name("alvh"))
WARMUP_DAYS = 10


def _home(base: Path, name: str, landing: Path) -> dict[str, str]:
    home = base / name
    home.mkdir()
    return {
        **os.environ,
        "ALVH_HOME": str(home),
        "ALVH_LANDING_DIR": str(landing),
        "ALVH_WAREHOUSE": str(home / "warehouse" / "alvh.duckdb"),
        "DAGSTER_HOME": str(home / "dagster_home"),
    }


def _postgres_home(env: dict[str, str], server: Server, db: str) -> dict[str, str]:
    server.createdb(db)
    dagster_home = Path(env["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True)
    shutil.copy(ROOT / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    return {**env, **server.env(db)}


def _backfill(env: dict[str, str], start: str, end: str) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(
        [ALVH, "--set", f"warmup_days={WARMUP_DAYS}", "backfill", "--start", start, "--end", end],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"backfill failed: {done.stderr.strip().splitlines()[-1]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}


def _counts(env: dict[str, str]) -> dict[str, int]:
    """Runs and stored events of the instance, read through Dagster in a subprocess."""
    code = (
        "import dagster as dg, json\n"
        "with dg.DagsterInstance.get() as i:\n"
        "    runs = i.get_run_records()\n"
        "    events = sum(len(i.all_logs(r.dagster_run.run_id)) for r in runs)\n"
        "    print(json.dumps({'runs': len(runs), 'events': events}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--start", default="2008-10-01")
    parser.add_argument("--end", default="2008-10-31")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--out", default="postgres_vs_sqlite.json", help="file name under bench/results/"
    )
    args = parser.parse_args()
    # a kill (SIGTERM) unwinds like ^C: the throwaway server is stopped, the folders removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    base = Path(tempfile.mkdtemp(prefix="alvh_bench_pg_"))
    runs: dict[str, list[dict]] = {"sqlite": [], "postgres": []}
    try:
        landing = base / "landing"
        generate_sample_market(start - dt.timedelta(days=WARMUP_DAYS + 5), end, landing)
        with throwaway_server() as server:
            for i in range(args.repeat):
                for backend in ("sqlite", "postgres"):
                    env = _home(base, f"{backend}_{i}", landing)
                    if backend == "postgres":
                        env = _postgres_home(env, server, f"dagster_{i}")
                    figures = _backfill(env, args.start, args.end)
                    figures |= _counts(env)
                    print(backend, i, figures, flush=True)
                    runs[backend].append(figures)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    summary = {
        backend: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        for backend, rs in runs.items()
    }
    result = {
        "machine": describe(["dagster", "dagster-postgres", "duckdb"]),
        "load_average_after": os.getloadavg(),
        "window": [args.start, args.end],
        "runs": runs,
        "median": summary,
        "ratio_wall_postgres_over_sqlite": round(
            summary["postgres"]["wall_s"] / summary["sqlite"]["wall_s"], 2
        ),
    }
    out = ROOT / "bench" / "results" / args.out
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["median"], indent=2), result["ratio_wall_postgres_over_sqlite"])


if __name__ == "__main__":
    main()
