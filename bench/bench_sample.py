"""Benchmark: generating the embedded sample market.

    python bench/bench_sample.py                 # default range + one dense year (2016)
    python bench/bench_sample.py --full          # also 1999-01-04 … 2018-12-31 in one run
    python bench/bench_sample.py --results /tmp/x.json   # write elsewhere (e.g. a before/after
                                                 # comparison with PYTHONPATH on another tree)

Each workload runs in a fresh child process so wall time, CPU time and peak memory
(max RSS) are its own. Results go to ``bench/results/sample_generation.json`` unless
``--results`` names another file.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent
WORKLOADS = {
    "default_range": ("2007-07-02", "2009-06-30"),
    "dense_year_2016": ("2016-01-04", "2016-12-30"),
    "full_1999_2018": ("1999-01-04", "2018-12-31"),
}

CHILD = """
import datetime as dt, json, sys, time
from pathlib import Path
from alvh_assets.sample.generate import generate_sample_market
start, end = (dt.date.fromisoformat(a) for a in sys.argv[1:3])
out = Path(sys.argv[3])
t = time.perf_counter()
manifest = generate_sample_market(start, end, out)
files = json.loads(manifest.read_text())["files"]
print(json.dumps({"seconds": time.perf_counter() - t, "files": len(files),
                  "rows": sum(f["rows"] for f in files),
                  "bytes": sum((out / f["path"]).stat().st_size for f in files)}))
"""


def _machine() -> dict:
    return describe(("numpy", "polars"))


def run(name: str, start: str, end: str) -> dict:
    """Generate one range in a child process; wall, CPU and peak RSS of that child."""
    out = Path(tempfile.mkdtemp(prefix=f"alvh_bench_{name}_"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, start, end, str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(out, ignore_errors=True)
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "range": [start, end],
        "wall_seconds": round(wall, 2),
        "generate_seconds": round(stats["seconds"], 2),
        "cpu_seconds": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
        ),
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1),
        "files": stats["files"],
        "rows": stats["rows"],
        "megabytes_written": round(stats["bytes"] / 1e6, 1),
        "rows_per_second": round(stats["rows"] / stats["seconds"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also run 1999–2018 in one run")
    parser.add_argument(
        "--results",
        type=Path,
        default=HERE / "results" / "sample_generation.json",
        help="JSON file to update (default: bench/results/sample_generation.json)",
    )
    args = parser.parse_args()
    names = ["default_range", "dense_year_2016"] + (["full_1999_2018"] if args.full else [])
    results = {"machine": _machine(), "workloads": {}}
    path: Path = args.results
    if path.exists():  # keep the last full run when only the short ones are re-measured
        results["workloads"] = json.loads(path.read_text()).get("workloads", {})
    for name in names:
        print(f"{name} ...", flush=True)
        results["workloads"][name] = run(name, *WORKLOADS[name])
        print(json.dumps(results["workloads"][name]))
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
