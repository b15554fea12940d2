"""Implied-volatility throughput and accuracy: alvh_assets.pricing vs py_vollib vs polars-vol.

Usage::

    .venv/bin/python bench/bench_iv.py [--n 1000000] [--vollib-n 20000] [--repeat 5]

All contenders invert the same seeded, realistic option arrays: spot 50-5000, K/S 0.5-2,
T 1 day - 3 years, vol 5%-300% (all log-uniform), r 0-6%, q 0-3%, calls and puts 50/50.
Prices come from ``bsm_price`` (validated against QuantLib to 1e-10 in the unit tests). Only
options a market would quote are kept: time value (price minus discounted intrinsic) of at
least 1e-5 x spot. Everything runs on one thread (the thread-count variables are set before
numpy/polars are imported). Results go to ``bench/results/iv_throughput.json``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "POLARS_MAX_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TypeVar  # noqa: E402

import numpy as np  # noqa: E402
from machine import describe  # noqa: E402

from alvh_assets.pricing import IVReason, IVResult, bsm_price, implied_vol_bsm  # noqa: E402

T_ = TypeVar("T_")

RESULTS = Path(__file__).resolve().parent / "results" / "iv_throughput.json"
MIN_TIME_VALUE = 1e-5  # x spot: below that an option would not be quoted


def make_options(n: int, seed: int = 20240611) -> dict[str, np.ndarray]:
    """``n`` seeded realistic European options with prices (see module docstring)."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("S", "K", "T", "r", "q", "sigma", "call")}
    out["price"] = []
    have = 0
    while have < n:
        m = 2 * (n - have) + 1000
        S = np.exp(rng.uniform(np.log(50.0), np.log(5000.0), m))
        K = S * np.exp(rng.uniform(np.log(0.5), np.log(2.0), m))
        T = np.exp(rng.uniform(np.log(1 / 365), np.log(3.0), m))
        sigma = np.exp(rng.uniform(np.log(0.05), np.log(3.0), m))
        r = rng.uniform(0.0, 0.06, m)
        q = rng.uniform(0.0, 0.03, m)
        call = rng.random(m) < 0.5
        price = bsm_price(S, K, T, r, q, sigma, call)
        F, D = S * np.exp((r - q) * T), np.exp(-r * T)
        intrinsic = D * np.maximum(np.where(call, F - K, K - F), 0.0)
        keep = price - intrinsic >= MIN_TIME_VALUE * S
        for key, arr in zip(
            ("S", "K", "T", "r", "q", "sigma", "call", "price"),
            (S, K, T, r, q, sigma, call, price),
            strict=True,
        ):
            out[key].append(arr[keep])
        have += int(keep.sum())
    return {k: np.concatenate(v)[:n] for k, v in out.items()}


def timed(fn: Callable[[], T_], repeat: int) -> tuple[T_, list[float]]:
    """Run ``fn`` ``repeat`` times; return the last result and the wall times."""
    times = []
    result = fn()  # warm-up (imports, allocator)
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, times


def accuracy(iv: np.ndarray, sigma: np.ndarray) -> dict[str, float | int]:
    err = np.abs(iv - sigma)
    finite = np.isfinite(err)
    return {
        "n_failed": int((~finite).sum()),
        "max_abs_error": float(err[finite].max()) if finite.any() else float("nan"),
        "p99_abs_error": float(np.quantile(err[finite], 0.99)) if finite.any() else float("nan"),
    }


def bench_ours(o: dict[str, np.ndarray], repeat: int) -> dict:
    def run() -> IVResult:
        return implied_vol_bsm(o["price"], o["S"], o["K"], o["T"], o["r"], o["q"], o["call"])

    res, times = timed(run, repeat)
    codes, counts = np.unique(res.reason, return_counts=True)
    best = min(times)
    return {
        "name": "alvh_assets.pricing.implied_vol_bsm",
        "method": "vectorized numpy port of Jaeckel's Let's Be Rational",
        "n": int(o["price"].size),
        "seconds": best,
        "seconds_median": statistics.median(times),
        "ivs_per_second": o["price"].size / best,
        "reasons": {IVReason(c).name: int(k) for c, k in zip(codes, counts, strict=True)},
        **accuracy(res.iv, o["sigma"]),
    }


def bench_vollib(o: dict[str, np.ndarray], n_sub: int) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import py_vollib
        from py_vollib.black_scholes_merton.implied_volatility import implied_volatility

    idx = np.arange(min(n_sub, o["price"].size))
    args = [
        (
            float(o["price"][i]),
            float(o["S"][i]),
            float(o["K"][i]),
            float(o["T"][i]),
            float(o["r"][i]),
            float(o["q"][i]),
            "c" if o["call"][i] else "p",
        )
        for i in idx
    ]

    def one(a: tuple) -> float:
        try:
            return implied_volatility(*a)
        except Exception:  # noqa: BLE001 - vollib raises for prices outside the bounds
            return float("nan")

    t0 = time.perf_counter()
    iv = np.array([one(a) for a in args])
    seconds = time.perf_counter() - t0
    return {
        "name": "py_vollib.black_scholes_merton.implied_volatility",
        "version": getattr(py_vollib, "__version__", "1.0.12"),
        "method": "scalar pure-Python Let's Be Rational, one call per option",
        "n": int(idx.size),
        "seconds": seconds,
        "ivs_per_second": idx.size / seconds,
        **accuracy(iv, o["sigma"][idx]),
    }


def bench_polars_vol(o: dict[str, np.ndarray], repeat: int) -> dict:
    import polars as pl
    import polars_vol

    # polars-vol has no dividend yield: the equivalent spot S e^{-qT} gives the same forward
    # S e^{(r-q)T}, the same discounting and the same upper bound, hence the same problem.
    df = pl.DataFrame(
        {
            "price": o["price"],
            "strike": o["K"],
            "spot": o["S"] * np.exp(-o["q"] * o["T"]),
            "t": o["T"],
            "r": o["r"],
            "is_call": o["call"],
        }
    )
    results = {}
    for method in ("newton", "halley"):
        expr = polars_vol.implied_vol("price", "strike", "spot", "t", "r", "is_call", method=method)

        def run(expr: pl.Expr = expr) -> np.ndarray:
            return df.select(expr.alias("iv"))["iv"].to_numpy()

        iv, times = timed(run, repeat)
        best = min(times)
        results[method] = {
            "name": f"polars_vol.implied_vol(method='{method}')",
            "version": polars_vol.__version__,
            "method": "Rust plugin: bracketed Newton/Halley on [1e-7, 10], A&S normal CDF",
            "note": "no dividend yield parameter: spot passed as S*exp(-qT) (same forward); "
            f"polars thread pool size {pl.thread_pool_size()}",
            "n": int(o["price"].size),
            "seconds": best,
            "seconds_median": statistics.median(times),
            "ivs_per_second": o["price"].size / best,
            **accuracy(iv, o["sigma"]),
        }
    return results


def machine() -> dict:
    return describe(("numpy", "scipy", "polars"), threads_used=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="options for the vectorized runs")
    ap.add_argument("--vollib-n", type=int, default=20_000, help="subset for scalar py_vollib")
    ap.add_argument("--repeat", type=int, default=5, help="timed repetitions (best is reported)")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    t0 = time.perf_counter()
    o = make_options(args.n, args.seed)
    gen_seconds = time.perf_counter() - t0

    ours = bench_ours(o, args.repeat)
    contenders = [ours, bench_vollib(o, args.vollib_n)]
    try:
        contenders.extend(bench_polars_vol(o, args.repeat).values())
    except Exception as exc:  # noqa: BLE001 - report, don't crash, if the plugin is unusable
        contenders.append({"name": "polars_vol.implied_vol", "error": repr(exc)})
    for c in contenders:
        if "ivs_per_second" in c:
            c["ratio_vs_ours"] = c["ivs_per_second"] / ours["ivs_per_second"]
    # ours on exactly the py_vollib subset, for a like-for-like accuracy comparison
    sub = {k: v[: contenders[1]["n"]] for k, v in o.items()}
    res = implied_vol_bsm(
        sub["price"], sub["S"], sub["K"], sub["T"], sub["r"], sub["q"], sub["call"]
    )
    ours["max_abs_error_on_vollib_subset"] = accuracy(res.iv, sub["sigma"])["max_abs_error"]

    report = {
        "benchmark": "implied volatility, Black-Scholes-Merton with dividend yield",
        "command": f"python bench/bench_iv.py --n {args.n} --vollib-n {args.vollib_n} "
        f"--repeat {args.repeat}",
        "machine": machine(),
        "data": {
            "seed": args.seed,
            "n": int(o["price"].size),
            "spot": "log-uniform 50-5000",
            "moneyness_K_over_S": "log-uniform 0.5-2",
            "maturity_years": "log-uniform 1/365-3",
            "vol": "log-uniform 0.05-3",
            "r": "uniform 0-0.06",
            "q": "uniform 0-0.03",
            "calls_fraction": float(o["call"].mean()),
            "filter": f"time value >= {MIN_TIME_VALUE} x spot (quotable options)",
            "generation_seconds": gen_seconds,
        },
        "timing": "single thread; 'seconds' is the best of --repeat runs after a warm-up "
        "(py_vollib: one pass over --vollib-n options, rate per option)",
        "contenders": contenders,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")

    print(f"{report['machine']['cpu_model']} | 1 thread | n = {o['price'].size:,}")
    print(
        f"{'contender':<48} {'n':>9} {'seconds':>9} {'IVs/s':>12} {'max|err|':>10} "
        f"{'failed':>7} {'vs ours':>8}"
    )
    for c in contenders:
        if "error" in c:
            print(f"{c['name']:<48} error: {c['error']}")
            continue
        print(
            f"{c['name']:<48} {c['n']:>9,} {c['seconds']:>9.3f} {c['ivs_per_second']:>12,.0f} "
            f"{c['max_abs_error']:>10.2e} {c['n_failed']:>7,} {c['ratio_vs_ours']:>8.4f}"
        )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
