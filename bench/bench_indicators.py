"""RSI(14, Wilder) and MACD(12, 26, 9): alvh_assets.marts.indicators vs TA-Lib vs pandas-ta.

Usage::

    .venv/bin/python bench/bench_indicators.py [--n 1000000] [--repeat 5]
        [--pandas-ta-python /tmp/benchvenv/bin/python]

Two inputs, the same arrays for every contender:

* the real Cboe VIX daily closes since 1990 packaged with the project
  (``alvh_assets.landing.vix_daily``);
* a seeded Gaussian random walk of ``--n`` points, ``10000 + cumsum(N(0, 1))`` (additive, so
  the level stays within a few thousand points of 10,000 and absolute differences stay
  comparable along the series; a geometric walk of 1,000,000 steps spans ~20 orders of
  magnitude).

Contenders:

* ours: ``alvh_assets.marts.indicators.rsi_wilder`` and ``macd`` (numpy array in);
* TA-Lib (``talib.RSI``, ``talib.MACD``; numpy array in), also the accuracy reference;
* pandas-ta-classic (the maintained pandas-ta fork that installs on Python 3.11 with numpy 2.4;
  pandas Series in, ``talib=False`` so its own code runs rather than TA-Lib's);
* pandas-ta 0.4.71b0 itself, when a Python with it is given (``--pandas-ta-python``, default
  ``/tmp/benchvenv/bin/python`` if it exists): pandas-ta needs Python >= 3.12 and numba
  0.61.2 (numpy < 2.3), so it cannot live in the project's venv. It runs in a child process
  on the same arrays (saved as .npy), in the same benchmark run; its outputs come back for the
  accuracy comparison.

Times are per call, the best of ``--repeat`` runs after a warm-up, on one thread; pandas
Series are built before timing. ``ratio_ours_over_peer`` = our best time / the peer's best
time (< 1: ours is faster). Accuracy: ``max |x − TA-Lib|`` over the indices where both are
defined, the count of indices where exactly one of them is NaN, and for recursions seeded
differently from TA-Lib the first index from which the difference stays below 1e-9.
Results go to ``bench/results/indicators.json``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "POLARS_MAX_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from machine import describe, timed  # noqa: E402

from alvh_assets.marts import indicators  # noqa: E402
from alvh_assets.sample.real_data import vix_daily  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "indicators.json"
DEFAULT_PANDAS_TA_PYTHON = Path("/tmp/benchvenv/bin/python")
CONVERGED = 1e-9  # |diff| below which a differently seeded recursion counts as converged

# The child run with pandas-ta 0.4.71b0 (Python >= 3.12). argv: input dir, repeat.
# Writes <name>_rsi.npy, <name>_macd.npy (3 x n) and prints its timings as JSON.
PANDAS_TA_CHILD = r"""
import os, sys
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[v] = "1"
import json, platform, time
from importlib.metadata import version
from pathlib import Path
import numpy as np, pandas as pd
import pandas_ta as ta

src, repeat = Path(sys.argv[1]), int(sys.argv[2])

def timed(fn):
    out = fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times

report = {"python": platform.python_version(),
          "versions": {p: version(p) for p in ("pandas-ta", "pandas", "numpy", "numba")},
          "talib_importable": bool(ta.Imports.get("talib")), "timings": {}}
for name in ("vix", "walk"):
    s = pd.Series(np.load(src / f"{name}.npy"))
    rsi, t_rsi = timed(lambda: ta.rsi(s, length=14, talib=False))
    m, t_macd = timed(lambda: ta.macd(s, fast=12, slow=26, signal=9, talib=False))
    np.save(src / f"{name}_rsi.npy", rsi.to_numpy(dtype=float))
    np.save(src / f"{name}_macd.npy", np.vstack([m["MACD_12_26_9"].to_numpy(dtype=float),
            m["MACDs_12_26_9"].to_numpy(dtype=float), m["MACDh_12_26_9"].to_numpy(dtype=float)]))
    report["timings"][name] = {"rsi": t_rsi, "macd": t_macd}
print(json.dumps(report))
"""


def random_walk(n: int, seed: int) -> np.ndarray:
    """``10000 + cumsum(N(0, 1))``: a Gaussian random walk of ``n`` points."""
    rng = np.random.default_rng(seed)
    return 10_000.0 + np.cumsum(rng.standard_normal(n))


def compare(x: np.ndarray, ref: np.ndarray) -> dict[str, Any]:
    """Accuracy of ``x`` against the TA-Lib output ``ref`` (same length)."""
    x, ref = np.asarray(x, dtype=float), np.asarray(ref, dtype=float)
    both = ~np.isnan(x) & ~np.isnan(ref)
    diff = np.where(both, np.abs(x - ref), 0.0)
    big = np.flatnonzero(diff > CONVERGED)
    first_ref = int(np.argmax(~np.isnan(ref)))
    return {
        "max_abs_diff": float(diff.max()) if both.any() else float("nan"),
        "max_abs_diff_at": int(np.argmax(diff)) if both.any() else None,
        "nan_mismatch": int((np.isnan(x) != np.isnan(ref)).sum()),
        "values_where_talib_nan": int((~np.isnan(x) & np.isnan(ref)).sum()),
        "first_talib_index": first_ref,
        "below_1e-9_from_index": int(big[-1] + 1) if big.size else first_ref,
    }


def compare_macd(out: tuple[np.ndarray, ...], ref: tuple[np.ndarray, ...]) -> dict[str, Any]:
    parts = {
        name: compare(a, b) for name, a, b in zip(("line", "signal", "hist"), out, ref, strict=True)
    }
    return {
        "max_abs_diff": max(p["max_abs_diff"] for p in parts.values()),
        "nan_mismatch": sum(p["nan_mismatch"] for p in parts.values()),
        "values_where_talib_nan": sum(p["values_where_talib_nan"] for p in parts.values()),
        "below_1e-9_from_index": max(p["below_1e-9_from_index"] for p in parts.values()),
        "outputs": parts,
    }


def row(
    series: str, indicator: str, contender: str, n: int, times: list[float], acc: dict | None
) -> dict[str, Any]:
    return {
        "series": series,
        "indicator": indicator,
        "contender": contender,
        "n": n,
        "seconds": min(times),
        "seconds_median": statistics.median(times),
        "accuracy_vs_talib": acc,
    }


def run_pandas_ta(python: Path, inputs: dict[str, np.ndarray], repeat: int) -> dict[str, Any]:
    """pandas-ta 0.4.71b0 in its own interpreter on the same arrays (module docstring)."""
    with tempfile.TemporaryDirectory(prefix="alvh_bench_pta_") as tmp:
        d = Path(tmp)
        for name, x in inputs.items():
            np.save(d / f"{name}.npy", x)
        proc = subprocess.run(
            [str(python), "-c", PANDAS_TA_CHILD, str(d), str(repeat)],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        report["outputs"] = {
            name: {
                "rsi": np.load(d / f"{name}_rsi.npy"),
                "macd": tuple(np.load(d / f"{name}_macd.npy")),
            }
            for name in inputs
        }
    return report


def machine() -> dict[str, Any]:
    return describe(
        ("numpy", "scipy", "pandas", "polars", "TA-Lib", "pandas-ta-classic"), threads_used=1
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="random-walk length")
    ap.add_argument("--repeat", type=int, default=5, help="timed repetitions (best is reported)")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument(
        "--pandas-ta-python",
        type=Path,
        default=DEFAULT_PANDAS_TA_PYTHON,
        help="a Python >= 3.12 with pandas-ta 0.4.71b0 (skipped when missing)",
    )
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    import pandas as pd
    import pandas_ta_classic as ptc
    import talib

    vix = vix_daily()
    inputs = {
        "vix": vix["close"].to_numpy().astype(np.float64),
        "walk": random_walk(args.n, args.seed),
    }
    labels = {
        "vix": f"VIX closes {vix['date'].min()} .. {vix['date'].max()}",
        "walk": f"Gaussian random walk 10000 + cumsum(N(0,1)), seed {args.seed}, "
        f"range {inputs['walk'].min():.1f} .. {inputs['walk'].max():.1f}",
    }

    pta = None
    pta_error = None
    if args.pandas_ta_python.exists():
        try:
            pta = run_pandas_ta(args.pandas_ta_python, inputs, args.repeat)
        except (subprocess.SubprocessError, OSError, ValueError, KeyError) as exc:
            pta_error = repr(exc)
    else:
        pta_error = f"{args.pandas_ta_python} not found (pandas-ta needs Python >= 3.12)"

    results: list[dict[str, Any]] = []
    for name, x in inputs.items():
        s = pd.Series(x)
        n = x.size
        ref_rsi, t = timed(lambda x=x: talib.RSI(x, timeperiod=14), args.repeat)
        results.append(row(name, "RSI(14)", "TA-Lib", n, t, None))
        ref_macd, t = timed(lambda x=x: talib.MACD(x, 12, 26, 9), args.repeat)
        results.append(row(name, "MACD(12,26,9)", "TA-Lib", n, t, None))

        out, t = timed(lambda x=x: indicators.rsi_wilder(x, 14), args.repeat)
        results.append(row(name, "RSI(14)", "ours", n, t, compare(out, ref_rsi)))
        out, t = timed(lambda x=x: indicators.macd(x, 12, 26, 9), args.repeat)
        results.append(row(name, "MACD(12,26,9)", "ours", n, t, compare_macd(out, ref_macd)))

        out, t = timed(lambda s=s: ptc.rsi(s, length=14, talib=False), args.repeat)
        results.append(
            row(name, "RSI(14)", "pandas-ta-classic", n, t, compare(out.to_numpy(), ref_rsi))
        )
        out, t = timed(
            lambda s=s: ptc.macd(s, fast=12, slow=26, signal=9, talib=False), args.repeat
        )
        cols = ("MACD_12_26_9", "MACDs_12_26_9", "MACDh_12_26_9")
        acc = compare_macd(tuple(out[c].to_numpy() for c in cols), ref_macd)
        results.append(row(name, "MACD(12,26,9)", "pandas-ta-classic", n, t, acc))

        if pta is not None:
            o, tt = pta["outputs"][name], pta["timings"][name]
            results.append(
                row(name, "RSI(14)", "pandas-ta", n, tt["rsi"], compare(o["rsi"], ref_rsi))
            )
            acc = compare_macd(o["macd"], ref_macd)
            results.append(row(name, "MACD(12,26,9)", "pandas-ta", n, tt["macd"], acc))

    for r in results:
        ours = next(
            o
            for o in results
            if o["contender"] == "ours"
            and (o["series"], o["indicator"]) == (r["series"], r["indicator"])
        )
        r["ratio_ours_over_peer"] = ours["seconds"] / r["seconds"]

    report = {
        "benchmark": "RSI(14) Wilder and MACD(12,26,9): ours vs TA-Lib vs pandas-ta",
        "command": f"python bench/bench_indicators.py --n {args.n} --repeat {args.repeat}",
        "machine": machine(),
        "pandas_ta_child": None
        if pta is None
        else {k: v for k, v in pta.items() if k not in ("outputs", "timings")}
        | {"interpreter": str(args.pandas_ta_python)},
        "pandas_ta_error": pta_error,
        "data": {
            name: {"n": int(x.size), "description": labels[name]} for name, x in inputs.items()
        },
        "timing": f"one thread; seconds per call = best of {args.repeat} after a warm-up; "
        "pandas Series built before timing; ratio_ours_over_peer = ours / peer (< 1: ours faster)",
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")

    print(f"{report['machine']['cpu_model']} | 1 thread | best of {args.repeat}")
    if pta_error:
        print(f"pandas-ta skipped: {pta_error}")
    print(
        f"{'series':<6} {'indicator':<14} {'contender':<18} {'n':>9} {'ms/call':>9} "
        f"{'ours/peer':>9} {'max|diff|':>10} {'nan≠':>5}"
    )
    for r in results:
        acc = r["accuracy_vs_talib"] or {}
        diff = acc.get("max_abs_diff")
        print(
            f"{r['series']:<6} {r['indicator']:<14} {r['contender']:<18} {r['n']:>9,} "
            f"{r['seconds'] * 1e3:>9.3f} {r['ratio_ours_over_peer']:>9.3f} "
            f"{'-' if diff is None else f'{diff:.1e}':>10} {acc.get('nan_mismatch', '-'):>5}"
        )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
