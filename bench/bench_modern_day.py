"""A dense modern day (~21,500 SPX/SPXW option rows) read, ingested and priced.

Usage::

    PYTHONPATH=. .venv/bin/python bench/bench_modern_day.py [--repeat 5] [--run] [--keep DIR]

Writes, into a temporary landing directory, a DataShop *Option EOD Summary with Calcs* day of
Friday 2023-08-18 far denser than the committed fixture, with the fixture generator's own
Black-76, smile, ticks and 34-column layout (``tests/data/real_layouts/make_datashop_day.py``,
imported by path; it imports nothing of ``alvh``). The SPX grid (:func:`dense_series`):

* SPXW PM dailies: every session 2023-08-18 (0DTE) … 2023-09-29 (30 expiries), 5-point
  strikes within ±10% of the 4370 centre (3935 … 4805), 25-point out to ±15% (3725 … 5025);
* SPXW PM Fridays 2023-10-06 … 2023-11-24 (not on an SPX monthly) and the end-of-month or
  quarter SPXW 2023-10-31, 11-30, 2024-03-28, 2024-06-28; SPX AM monthlies 2023-09-15 …
  2024-08-16: 5-point within ±10%, 25-point out to ±25% (3300 … 5450);
* the SPX AM monthly 2023-08-18, settled that morning (zero quotes), on the fixture's grid;

plus the fixture's VIX/VIXW file (206 rows) and the other files of the committed landing
directory (CFE VX, index histories, FEDFUNDS). Measured, median of ``--repeat`` runs after one
warm-up, on the machine's defaults (2 cores here): (a) ``read_cboe_option_eod`` of the SPX
file, (b) ``ingest.run.ingest`` of the ``cboe_option_eod`` source for the day into a fresh
DuckDB file, (c) ``pricing.option_greeks.option_greeks`` of the loaded rows (VX and FEDFUNDS
frames as ``tests/integration/test_real_landing.py`` builds them); with ``--run``, (d) one
``alvh run --date 2023-08-18`` on a fresh home (wall time, reported separately), and the same
for the committed fixture day (810 + 206 option rows) as the baseline. Checks
printed and recorded: rows quarantined, the share of ``iv_reason = 'OK'``, forward sources
by root, the 0DTE SPXW time to expiry, the settled AM series' reasons.
Results: ``bench/results/modern_day.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl
from machine import describe, timed

from alvh_assets.calendars import trading_days
from alvh_assets.ingest import run
from alvh_assets.ingest.readers import valuation as valuation_reader
from alvh_assets.ingest.readers.cboe_option_eod import read_cboe_option_eod
from alvh_assets.ingest.readers.cfe_vx import read_cfe_vx
from alvh_assets.ingest.readers.fred import read_fred
from alvh_assets.ingest.sources import SOURCES
from alvh_assets.pricing.option_greeks import option_greeks

PROJECT = Path(__file__).resolve().parents[1]
LAYOUTS = PROJECT / "tests" / "data" / "real_layouts"
RESULTS = PROJECT / "bench" / "results" / "modern_day.json"
DAY = dt.date(2023, 8, 18)
NOW = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)


def fixture_module():
    """``make_datashop_day`` imported by path (it is a script, not a package module)."""
    path = LAYOUTS / "make_datashop_day.py"
    spec = importlib.util.spec_from_file_location("make_datashop_day", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def dense_series(m) -> list[tuple]:
    """The dense SPX/SPXW series (module docstring): (root, expiry, AM, strikes, forward,
    atm vol, skew), the vol rising from 0.12 (0DTE) to 0.19 (a year) like the fixture's."""
    d = dt.date
    centre, fine = 4370, 435  # 5-point strikes within ±10% of the level
    near = m.grid(centre, fine, 5, 655, 25)  # 25-point out to ±15%
    far = m.grid(centre, fine, 5, 1090, 25)  # 25-point out to ±25%
    dailies = trading_days(DAY, d(2023, 9, 29))
    fridays = [d(2023, 10, 6) + dt.timedelta(weeks=i) for i in range(8)]  # … 2023-11-24
    eom = [d(2023, 10, 31), d(2023, 11, 30), d(2024, 3, 28), d(2024, 6, 28)]
    monthly = [
        d(2023, 9, 15), d(2023, 10, 20), d(2023, 11, 17), d(2023, 12, 15), d(2024, 1, 19),
        d(2024, 2, 16), d(2024, 3, 15), d(2024, 4, 19), d(2024, 5, 17), d(2024, 6, 21),
        d(2024, 7, 19), d(2024, 8, 16),
    ]  # fmt: skip
    series = [("SPX", DAY, True, m.grid(4370, 50, 25, 100, 50), m.SPX, 0.14, 0.8)]
    for root, am, expiries in (
        ("SPXW", False, dailies),
        ("SPXW", False, [e for e in fridays if e not in monthly] + eom),
        ("SPX", True, monthly),
    ):
        for e in expiries:
            T = max(m.years(e, am), 0.0)
            atm = 0.12 + 0.07 * min(T, 1.0) ** 0.5
            strikes = near if (e - DAY).days <= 42 else far
            series.append((root, e, am, strikes, m.spx_forward(e, am), atm, 0.8))
    return sorted(series, key=lambda s: (s[1], s[0]))


def dense_landing(dst: Path) -> tuple[Path, Path]:
    """The landing directory: the committed 2023-08-18 one (+ ``cfe_vx/``, as
    ``real_landing()`` of the integration test), its SPX file replaced by the dense one."""
    m = fixture_module()
    root = dst / "landing"
    shutil.copytree(LAYOUTS / "landing_2023-08-18", root)
    for p in (LAYOUTS / "cfe_vx").glob("*.csv"):
        shutil.copy(p, root / "cfe" / "vx" / p.name)
    out = root / "cboe" / "option_eod"
    spx = m.write(out, "SPX", "^SPX", m.SPX, dense_series(m))
    m.write(out, "VIX", "^VIX", m.VIX, m.vix_series())  # the fixture's own VIX day
    return root, spx


def ingest_fresh(landing: Path, db: Path, calls: list[float]) -> run.Summary:
    """The day's ``cboe_option_eod`` ingest into a new DuckDB file (deleted first; the
    whole is timed by the caller, the ``run.ingest`` call alone appended to ``calls``)."""
    db.unlink(missing_ok=True)
    with duckdb.connect(str(db)) as con:
        t0 = time.perf_counter()
        out = run.ingest(con, SOURCES["cboe_option_eod"], landing, (DAY, DAY), NOW)
        calls.append(time.perf_counter() - t0)
        return out


def carry_inputs(landing: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """FEDFUNDS, an empty valuation frame and the VX settles, as the integration test."""
    vx = pl.concat([read_cfe_vx(p).accepted for p in sorted(landing.glob("cfe/vx/*.csv"))])
    fred = read_fred(landing / "fred" / "FEDFUNDS.csv").accepted
    valuation = pl.DataFrame(schema=valuation_reader.SCHEMA)  # none delivered
    return fred, valuation, vx


def checks(options: pl.DataFrame, priced: pl.DataFrame, summary: run.Summary) -> dict:
    """The correctness facts of the dense day (module docstring)."""
    key = ["root", "expiration", "strike", "option_type"]
    vendor = ("vendor_calcs_flag", "implied_volatility_1545", "implied_underlying_price_1545")
    both = priced.join(options.select(*key, *vendor), on=key)
    reasons = both.group_by("iv_reason").len().sort("len", descending=True)
    forwards = both.group_by("root", "forward_source").len().sort("root", "forward_source").rows()
    zero = both.filter(pl.col("root") == "SPXW", pl.col("expiration") == DAY)
    settled = both.filter(pl.col("root") == "SPX", pl.col("expiration") == DAY)
    spx = both.filter(pl.col("root").is_in(["SPX", "SPXW"]))
    # the generator wrote its own forward and vol in the vendor columns: parity forwards and
    # IVs of quoted rows (a bid, T > 0DTE) against them
    parity = both.filter(pl.col("forward_source") == "put_call_parity")
    fwd_err = (parity["forward"] / parity["implied_underlying_price_1545"] - 1).abs()
    ok = both.filter(pl.col("iv_reason") == "OK")
    quoted = ok.filter(pl.col("has_bid"), pl.col("expiration") > DAY)
    gap = (quoted["iv"] - quoted["implied_volatility_1545"]).abs()
    return {
        "rows_read": summary.rows_read,
        "rows_loaded": summary.rows_loaded,
        "rows_quarantined": summary.rows_quarantined,
        "quarantine_reasons": summary.reasons.rows(),
        "iv_reason_counts": dict(reasons.rows()),
        "iv_ok_share": both.filter(pl.col("iv_reason") == "OK").height / both.height,
        "iv_ok_share_spx": spx.filter(pl.col("iv_reason") == "OK").height / spx.height,
        "iv_ok_rows_without_bid": ok.filter(~pl.col("has_bid")).height,
        "parity_forward_max_rel_error_vs_generator": fwd_err.max(),
        "iv_gap_vs_generator_quoted_non_0dte": {
            "rows": quoted.height,
            "median": gap.median(),
            "p99": gap.quantile(0.99),
        },
        "forward_sources_by_root": [[r, s, n] for r, s, n in forwards],
        "zero_dte_spxw_rows": zero.height,
        "zero_dte_time_to_expiry": sorted(set(zero["time_to_expiry"].to_list())),
        "zero_dte_t_is_15_over_525600": bool(
            zero.height and (zero["time_to_expiry"] - 15 / 525_600).abs().max() < 1e-15
        ),
        "zero_dte_iv_reasons": dict(zero.group_by("iv_reason").len().rows()),
        "settled_am_rows": settled.height,
        "settled_am_iv_reasons": sorted(set(settled["iv_reason"].to_list())),
        "settled_am_all_at_or_past_settlement": bool(
            settled.height and set(settled["iv_reason"]) == {"AT_OR_PAST_SETTLEMENT"}
        ),
        "vendor_flags": dict(
            both.filter(pl.col("vendor_calcs_flag").is_not_null())
            .group_by("vendor_calcs_flag")
            .len()
            .rows()
        ),
    }


def alvh_run(landing: Path, home: Path) -> dict:
    """One ``alvh run --date`` of the day on a fresh ``home`` (its own process): wall time,
    the ingest and pricing seconds its log reports for the option rows, what it wrote."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "ALVH_HOME": str(home),
        "ALVH_LANDING_DIR": str(landing),
        "ALVH_WAREHOUSE": str(home / "warehouse" / "alvh.duckdb"),
        "DAGSTER_HOME": str(home / "dagster_home"),
    }
    code = "import sys; from orchestration.cli import main; sys.argv[0] = 'alvh'; main()"
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, "run", "--date", str(DAY)],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=home,
    )
    wall = time.perf_counter() - t0
    log = done.stdout + done.stderr
    (home / "run.log").write_text(log)
    out: dict = {"returncode": done.returncode, "wall_seconds": wall}
    if done.returncode:
        print(done.stderr[-3000:])
        return out
    for asset, rows, seconds in re.findall(
        r"asset=(raw\.cboe_option_eod|pricing\.option_greeks) \S+ rows_in=(\d+) .*?"
        r"seconds=([0-9.]+)",
        log,
    ):
        out[f"{asset}_seconds_in_log"] = float(seconds)
        out[f"{asset}_rows_in"] = int(rows)
    with duckdb.connect(str(home / "warehouse" / "alvh.duckdb"), read_only=True) as con:
        out["quarantined"] = con.execute(
            "SELECT count(*) FROM quarantine.rejected_rows"
        ).fetchone()[0]
        out["fills"] = con.execute(
            "SELECT strategy, root, expiration, count(*) FROM strategy.fills "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--run", action="store_true", help="also time `alvh run --date`")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="alvh_modern_day_"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    landing, spx_file = dense_landing(work)
    generate = time.perf_counter() - t0
    vix_file = next(landing.glob("cboe/option_eod/VIX/*.csv"))

    load_before = os.getloadavg()
    read, t_read = timed(lambda: read_cboe_option_eod(spx_file), args.repeat)
    spx_rows = read.accepted.height
    db = work / "bench.duckdb"
    calls: list[float] = []
    summary, t_ingest = timed(lambda: ingest_fresh(landing, db, calls), args.repeat)
    with duckdb.connect(str(db), read_only=True) as con:
        options = con.execute("SELECT * FROM raw.cboe_option_eod").pl()
    fred, valuation, vx = carry_inputs(landing)
    priced, t_price = timed(lambda: option_greeks(options, fred, valuation, vx), args.repeat)
    facts = checks(options, priced, summary)

    def stage(seconds: list[float], rows: int) -> dict:
        med = statistics.median(seconds)
        return {"rows": rows, "median_seconds": med, "rows_per_second": rows / med,
                "seconds": seconds}  # fmt: skip

    series = dense_series(fixture_module())
    record = {
        "machine": describe(["polars", "duckdb", "numpy", "scipy"]),
        "day": str(DAY),
        "grid": {
            "spx_expiries": len(series),
            "spxw_expiries": sum(s[0] == "SPXW" for s in series),
            "spx_am_expiries": sum(s[0] == "SPX" for s in series),
            "strikes_near": len(series[1][3]),
            "strikes_far": len(series[-1][3]),
        },
        "files": {
            "spx_rows": spx_rows,
            "spx_bytes": spx_file.stat().st_size,
            "vix_rows": read_cboe_option_eod(vix_file).accepted.height,
            "generate_seconds": generate,
        },
        "repetitions": args.repeat,
        "load_average_before_after": [load_before, os.getloadavg()],
        "timing": "median wall seconds of the repetitions after one warm-up call",
        "read_cboe_option_eod_spx": stage(t_read, spx_rows),
        "ingest_cboe_option_eod_day": stage(t_ingest, summary.rows_read),
        "ingest_call_only": stage(calls[1:], summary.rows_read),
        "option_greeks": stage(t_price, options.height),
        "checks": facts,
    }
    if args.run:  # the dense day, then the committed fixture day (810 + 206 rows)
        record["alvh_run_date"] = alvh_run(landing, work / "home")
        committed = work / "committed"
        shutil.rmtree(committed, ignore_errors=True)
        shutil.copytree(LAYOUTS / "landing_2023-08-18", committed / "landing")
        for p in (LAYOUTS / "cfe_vx").glob("*.csv"):
            shutil.copy(p, committed / "landing" / "cfe" / "vx" / p.name)
        record["alvh_run_date_committed_fixture_day"] = alvh_run(
            committed / "landing", committed / "home"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(record, indent=2, default=str) + "\n")

    print(f"dense day {DAY}: SPX file {spx_rows:,} rows ({record['files']['spx_bytes']:,} B), "
          f"VIX {record['files']['vix_rows']} rows; {record['grid']}")  # fmt: skip
    stages = ("read_cboe_option_eod_spx", "ingest_cboe_option_eod_day", "ingest_call_only",
              "option_greeks")  # fmt: skip
    for name in stages:
        s = record[name]
        runs = [round(x, 3) for x in s["seconds"]]
        print(
            f"{name:28s} {s['rows']:>7,} rows  median {s['median_seconds']:.3f} s  "
            f"{s['rows_per_second']:>10,.0f} rows/s  {runs}"
        )
    for name in ("alvh_run_date", "alvh_run_date_committed_fixture_day"):
        if name in record:
            print(f"{name}: {record[name]}")
    print(json.dumps(facts, indent=1, default=str))
    print(f"wrote {RESULTS}" + ("" if args.keep else f" (work folder {work} removed)"))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
