"""One year of SPX iron condors: our engine's condor book vs optopsy 2.2's ``iron_condor``.

Usage::

    .venv/bin/python bench/bench_condor_optopsy.py [--start 2008-01-02] [--end 2008-12-31]
        [--repeat 3] [--landing DIR]

Input, the same for both: the embedded sample market for the year
(``alvh_assets.sample.generate.generate_sample_market`` into a temporary folder, or an
existing landing folder with ``--landing``), its SPX/SPXW option files read with the
project's reader (``read_cboe_option_eod``) and the SPX index file (``read_cboe_index``).
Every number either side sees comes from the file's 15:45 columns:

* ours (``alvh_assets.strategy.engine.step``, strategy ``"unhedged"`` = the condor book
  alone, default config): ``bid/ask = bid_1545/ask_1545``, ``iv = implied_volatility_1545``
  (0 = "not computed" -> null), ``underlying_price = active_underlying_price_1545`` (the
  S&P 500 close), ``forward = implied_underlying_price_1545 · e^{rT}`` (the file's
  ``U = S e^{-qT}`` times ``e^{rT}`` is the carry forward ``S e^{(r-q)T}``; ``r`` from
  ``alvh_assets.sample.carry.daily_carry``, the generator's own rate), ``spot_delta/spot_gamma =
  delta_1545/gamma_1545`` and the engine's forward Greeks from them (``delta = spot_delta·S/F``,
  ``gamma = spot_gamma·(S/F)²``, ``vega = vega_1545·100``, ``theta = theta_1545·365``,
  the conventions of ``pricing.option_greeks``); SPX open/close for settlements. No marts:
  no event-window blackout and no distorted-fundamentals adjustment. No interest on cash.
* optopsy: one row per option with ``underlying_symbol = root`` (SPX/SPXW kept apart),
  ``underlying_price`` = the S&P 500 close, ``bid/ask = bid_1545/ask_1545``,
  ``delta = delta_1545``, ``volume = 1000`` (see below), only rows with DTE 30-45 (entries)
  or DTE 21 (exits): optopsy has a maximum but no minimum entry DTE.

optopsy is called with ``exit_dte=21, max_entry_dte=45, delta_min=-0.15, delta_max=0.15``
(one signed delta band for all four legs: it must hold our short legs, |delta| 0.11-0.14,
and therefore every wing inside them too), ``min_bid_ask=0.05`` (default),
``slippage="liquidity", fill_ratio=0.5`` with ``volume >= reference_volume`` on every row, so
that its fill is ``mid ± 0.5 × half-spread``, exactly our ``slippage_share_of_half_spread``,
and ``raw=True`` (one row per combination instead of its grouped statistics). It is called
once per entry day (that day's rows plus the DTE-21 rows of its expiries) because one call
over the year would materialise every four-leg combination of the year at once; the
results are the same (combinations never span two entry days). Of each day's output only
the combinations with 50-point wings (ours) are kept; the total count is recorded.

Timed (best of ``--repeat``, same process, one thread): ours = building the ``MarketDay``
objects from the prepared chain frame + ``step`` over every session; optopsy = the per-day
slicing + ``iron_condor`` calls + the wing filter. Not timed, for both: generating the
sample, reading the files, shaping each side's input frame. Results go to
``bench/results/condor_vs_optopsy.json``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "POLARS_MAX_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402
from machine import describe  # noqa: E402

from alvh_assets.config import AlvhConfig, load_config  # noqa: E402
from alvh_assets.ingest.readers.cboe_index import read_cboe_index  # noqa: E402
from alvh_assets.ingest.readers.cboe_option_eod import read_cboe_option_eod  # noqa: E402
from alvh_assets.sample.carry import daily_carry  # noqa: E402
from alvh_assets.sample.generate import generate_sample_market  # noqa: E402
from alvh_assets.strategy.book import Fill  # noqa: E402
from alvh_assets.strategy.engine import StrategyState, initial_state, step  # noqa: E402
from alvh_assets.strategy.market import CHAIN_SCHEMA, MarketDay  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "condor_vs_optopsy.json"
DELTA_BAND = 0.15
REFERENCE_VOLUME = 1000
LEG_ORDER = ("long_put", "short_put", "short_call", "long_call")  # optopsy's leg1 … leg4


# --------------------------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------------------------


def read_landing(landing: Path) -> tuple[pl.DataFrame, dict[dt.date, tuple[float, float]], int]:
    """SPX/SPXW option rows (the reader's accepted rows), SPX (open, close) by date, and the
    number of rows the reader rejected."""
    files = sorted((landing / "cboe" / "option_eod" / "SPX").glob("*.csv"))
    if not files:
        raise SystemExit(f"no SPX option files under {landing}")
    parts, rejected = [], 0
    for f in files:
        res = read_cboe_option_eod(f)
        parts.append(res.accepted.drop("_source_row"))
        rejected += res.rejected.height
    index = read_cboe_index(landing / "cboe" / "index" / "SPX_History.csv").accepted
    spx = {d: (o, c) for d, o, c in index.select("date", "open", "close").iter_rows()}
    return pl.concat(parts), spx, rejected


def our_chain(raw: pl.DataFrame) -> pl.DataFrame:
    """``quote_date`` + the :data:`CHAIN_SCHEMA` columns (module docstring)."""
    days = sorted(raw["quote_date"].unique().to_list())
    carry = daily_carry(days).select(pl.col("date").alias("quote_date"), "rate")
    t = (pl.col("expiration") - pl.col("quote_date")).dt.total_days() / 365.0
    has_iv = pl.col("implied_volatility_1545").is_not_null()
    s_over_f = pl.col("underlying_price") / pl.col("forward")
    return (
        raw.join(carry, on="quote_date", how="left")
        .with_columns(
            underlying_price=pl.col("active_underlying_price_1545"),
            forward=pl.col("implied_underlying_price_1545") * (pl.col("rate") * t).exp(),
        )
        .select(
            "quote_date",
            "root",
            "expiration",
            "strike",
            "option_type",
            pl.col("bid_1545").alias("bid"),
            pl.col("ask_1545").alias("ask"),
            pl.col("implied_volatility_1545").alias("iv"),
            pl.when(has_iv).then(pl.col("delta_1545") * s_over_f).alias("delta"),
            pl.when(has_iv).then(pl.col("gamma_1545") * s_over_f**2).alias("gamma"),
            pl.when(has_iv).then(pl.col("vega_1545") * 100.0).alias("vega"),
            pl.when(has_iv).then(pl.col("theta_1545") * 365.0).alias("theta"),
            "forward",
            "underlying_price",
            pl.when(has_iv).then(pl.col("delta_1545")).alias("spot_delta"),
            pl.when(has_iv).then(pl.col("gamma_1545")).alias("spot_gamma"),
        )
    )


def optopsy_input(raw: pl.DataFrame, cfg: AlvhConfig) -> pd.DataFrame:
    """optopsy's chain frame (module docstring): entry rows (DTE in the entry window) and
    exit rows (DTE = exit_dte)."""
    c = cfg.condor
    dte = (pl.col("expiration") - pl.col("quote_date")).dt.total_days()
    return (
        raw.filter((dte == c.exit_dte) | dte.is_between(c.entry_dte_min, c.entry_dte_max))
        .select(
            pl.col("root").alias("underlying_symbol"),
            pl.col("active_underlying_price_1545").alias("underlying_price"),
            "option_type",
            pl.col("expiration").cast(pl.Datetime("ns")),
            pl.col("quote_date").cast(pl.Datetime("ns")),
            "strike",
            pl.col("bid_1545").alias("bid"),
            pl.col("ask_1545").alias("ask"),
            pl.col("delta_1545").alias("delta"),
            pl.lit(float(REFERENCE_VOLUME)).alias("volume"),
        )
        .to_pandas()
    )


# --------------------------------------------------------------------------------------------
# the two runs
# --------------------------------------------------------------------------------------------


def run_ours(
    chain: pl.DataFrame, spx: dict[dt.date, tuple[float, float]], cfg: AlvhConfig
) -> tuple[list[Fill], StrategyState, int]:
    """Build one fresh MarketDay per session and fold the unhedged strategy over them."""
    by_day = {
        k[0]: g.drop("quote_date").cast(CHAIN_SCHEMA)  # type: ignore[arg-type]
        for k, g in chain.partition_by("quote_date", as_dict=True, maintain_order=True).items()
    }
    state = initial_state("unhedged", cfg)
    fills: list[Fill] = []
    for day in sorted(by_day):
        o, c = spx[day]
        state, rows = step(state, MarketDay(day, by_day[day], spx_open=o, spx_close=c), cfg)
        fills.extend(rows.fills)
    return fills, state, len(by_day)


def optopsy_kwargs(cfg: AlvhConfig, slippage: str = "liquidity") -> dict[str, Any]:
    c = cfg.condor
    kw: dict[str, Any] = {
        "raw": True,
        "exit_dte": c.exit_dte,
        "max_entry_dte": c.entry_dte_max,
        "delta_min": -DELTA_BAND,
        "delta_max": DELTA_BAND,
        "min_bid_ask": 0.05,
        "slippage": slippage,
    }
    if slippage == "liquidity":
        kw |= {"fill_ratio": cfg.execution.slippage_share_of_half_spread}
        kw |= {"reference_volume": REFERENCE_VOLUME}
    return kw


def run_optopsy(df: pd.DataFrame, kw: dict[str, Any], wing: float) -> dict[str, Any]:
    """optopsy's iron condor, one call per entry day; keeps the ``wing``-point combinations."""
    import optopsy as op

    dte = (df["expiration"] - df["quote_date"]).dt.days
    is_exit = dte == kw["exit_dte"]
    exits, entries = df[is_exit], df[~is_exit]
    kept, combos, per_day = [], 0, {}
    for day, rows in entries.groupby("quote_date", sort=True):
        data = pd.concat(
            [rows, exits[exits["expiration"].isin(rows["expiration"].unique())]],
            ignore_index=True,
        )
        out = op.iron_condor(data, **kw)
        combos += len(out)
        per_day[day.date()] = len(out)
        mask = (out["strike_leg2"] - out["strike_leg1"] == wing) & (
            out["strike_leg4"] - out["strike_leg3"] == wing
        )
        kept.append(out[mask])
    return {"kept": pd.concat(kept, ignore_index=True), "combos": combos, "per_day": per_day}


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, list[float]]:
    """``repeat`` timed runs (no separate warm-up: a run of optopsy takes ~1 minute)."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, times


# --------------------------------------------------------------------------------------------
# trades
# --------------------------------------------------------------------------------------------


def our_trades(fills: list[Fill], final: StrategyState) -> list[dict[str, Any]]:
    """One record per condor (fills grouped by ``group_id``; a roll stays in its group)."""
    groups: dict[str, list[Fill]] = {}
    for f in fills:
        groups.setdefault(f.group_id, []).append(f)
    open_groups = {p.group_id for p in final.positions}
    trades = []
    for gid, fs in groups.items():
        entry = [f for f in fs if f.reason.startswith("entry")]
        legs = {f.leg: f for f in entry}
        contracts = abs(legs["short_put"].quantity)
        roll_days = sorted({f.date for f in fs if f.reason.startswith("roll")})
        last = fs[-1]
        gross = sum(f.cash_flow + f.commission + f.exchange_fees for f in fs)
        slippage = sum(f.slippage for f in fs)
        costs = sum(f.commission + f.exchange_fees for f in fs)
        per = contracts * 100.0
        trades.append(
            {
                "group_id": gid,
                "root": legs["short_put"].root,
                "expiration": legs["short_put"].expiration.isoformat(),
                "entry_date": entry[0].date.isoformat(),
                "dte_entry": (legs["short_put"].expiration - entry[0].date).days,
                "strikes": [legs[leg].strike for leg in LEG_ORDER],
                "contracts": contracts,
                "credit_fill": -sum(f.quantity * f.price for f in entry) / contracts,
                "credit_mid": -sum(f.quantity * f.mid for f in entry) / contracts,
                "exit_date": None if gid in open_groups else last.date.isoformat(),
                "exit_reason": "open at end" if gid in open_groups else last.reason,
                "rolls": [d.isoformat() for d in roll_days],
                "fills": len(fs),
                "pnl_usd": sum(f.cash_flow for f in fs),
                "commissions_fees_usd": costs,
                "slippage_usd": slippage,
                "pnl_points_per_condor": sum(f.cash_flow for f in fs) / per,
                "pnl_points_before_fees": gross / per,
                "pnl_points_at_mid": (gross + slippage) / per,
            }
        )
    return sorted(trades, key=lambda t: t["entry_date"])


def _key(row: Any) -> tuple:
    return (
        row.underlying_symbol,
        pd.Timestamp(row.expiration).date().isoformat(),
        int(row.dte_entry),
        (row.strike_leg1, row.strike_leg2, row.strike_leg3, row.strike_leg4),
    )


def optopsy_mid_for(trade: dict[str, Any], df: pd.DataFrame, cfg: AlvhConfig) -> float | None:
    """optopsy's own result (default mid fills) for exactly our four contracts: a call on
    their rows at entry and at DTE 21 only, so it returns that one combination."""
    import optopsy as op

    exp = pd.Timestamp(trade["expiration"])
    entry = pd.Timestamp(trade["entry_date"])
    exit_day = exp - pd.Timedelta(days=cfg.condor.exit_dte)
    legs = [("P", trade["strikes"][0]), ("P", trade["strikes"][1])]
    legs += [("C", trade["strikes"][2]), ("C", trade["strikes"][3])]
    mask = (
        (df["underlying_symbol"] == trade["root"])
        & (df["expiration"] == exp)
        & df["quote_date"].isin([entry, exit_day])
    )
    rows = df[mask]
    rows = rows[[(t, k) in legs for t, k in zip(rows["option_type"], rows["strike"], strict=True)]]
    out = op.iron_condor(rows, **optopsy_kwargs(cfg, "mid"))
    if len(out) != 1:
        return None
    r = out.iloc[0]
    return float(r["total_exit_proceeds"] - r["total_entry_cost"])


def compare_trades(
    trades: list[dict[str, Any]], kept: pd.DataFrame, df: pd.DataFrame, cfg: AlvhConfig
) -> list[dict[str, Any]]:
    """Our trades next to optopsy's row for the same entry day, expiry and strikes."""
    index = {_key(r): r for r in kept.itertuples(index=False)}
    out = []
    for t in trades:
        key = (t["root"], t["expiration"], t["dte_entry"], tuple(t["strikes"]))
        r = index.get(key)
        opt = None if r is None else float(r.total_exit_proceeds - r.total_entry_cost)
        if t["exit_reason"].startswith("exit: DTE") and not t["rolls"]:
            category = "DTE-21 exit, no roll"
        elif t["rolls"]:
            category = "rolled"
        elif "profit take" in t["exit_reason"]:
            category = "profit take"
        elif "stop loss" in t["exit_reason"]:
            category = "stop loss"
        else:
            category = t["exit_reason"]
        out.append(
            t
            | {
                "category": category,
                "optopsy_found": r is not None,
                "optopsy_exit_date": (
                    pd.Timestamp(t["expiration"]) - pd.Timedelta(days=cfg.condor.exit_dte)
                )
                .date()
                .isoformat(),
                "optopsy_pnl_points": opt,
                "optopsy_pnl_points_mid": optopsy_mid_for(t, df, cfg),
                "diff_before_fees_minus_optopsy": None
                if opt is None
                else t["pnl_points_before_fees"] - opt,
            }
        )
    return out


def optopsy_universe(kept: pd.DataFrame, combos: int, per_day: dict) -> dict[str, Any]:
    """What optopsy's own output says about all the 50-point-wing condors it evaluated."""
    pnl = (kept["total_exit_proceeds"] - kept["total_entry_cost"]).to_numpy()
    credit = -kept["total_entry_cost"].to_numpy()
    dates = (kept["expiration"] - pd.to_timedelta(kept["dte_entry"], unit="D")).dt.date
    return {
        "combinations_all_widths": combos,
        "entry_days": len(per_day),
        "combinations_per_day_median": statistics.median(per_day.values()) if per_day else 0,
        "combinations_per_day_max": max(per_day.values(), default=0),
        "wing_condors": len(kept),
        "wing_condor_entry_days": int(dates.nunique()),
        "pnl_points_mean": float(pnl.mean()),
        "pnl_points_median": float(np.median(pnl)),
        "win_rate": float((pnl > 0).mean()),
        "credit_points_median": float(np.median(credit)),
        "pct_change_mean": float(kept["pct_change"].mean()),
    }


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return describe(("optopsy", "pandas", "numpy", "polars", "scipy"), threads_used=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2008, 1, 2))
    ap.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2008, 12, 31))
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each (best reported)")
    ap.add_argument("--landing", type=Path, help="existing sample landing folder (else generated)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    cfg = load_config()
    load_start = os.getloadavg()

    tmp = None
    t0 = time.perf_counter()
    if args.landing is None:
        tmp = Path(tempfile.mkdtemp(prefix="alvh_bench_condor_"))
        generate_sample_market(args.start, args.end, tmp)
        landing = tmp
    else:
        landing = args.landing
    gen_seconds = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        raw, spx, rejected = read_landing(landing)
        raw = raw.filter(pl.col("quote_date").is_between(args.start, args.end))
        read_seconds = time.perf_counter() - t0
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.perf_counter()
    chain = our_chain(raw)
    odf = optopsy_input(raw, cfg)
    shape_seconds = time.perf_counter() - t0

    (fills, final, sessions), ours_times = timed(lambda: run_ours(chain, spx, cfg), args.repeat)
    kw = optopsy_kwargs(cfg)
    wing = cfg.condor.wing_width_points
    opt, opt_times = timed(lambda: run_optopsy(odf, kw, wing), args.repeat)

    trades = compare_trades(our_trades(fills, final), opt["kept"], odf, cfg)
    closed = [t for t in trades if t["exit_date"] is not None]
    matched = [t for t in closed if t["optopsy_pnl_points"] is not None]
    ours_best, opt_best = min(ours_times), min(opt_times)

    def total(key: str) -> float:
        return sum(t[key] * t["contracts"] * 100.0 for t in matched)

    by_category: dict[str, dict[str, Any]] = {}
    for t in matched:
        c = by_category.setdefault(
            t["category"], {"trades": 0, "sum_diff_points": 0.0, "max_abs_diff_points": 0.0}
        )
        c["trades"] += 1
        c["sum_diff_points"] += t["diff_before_fees_minus_optopsy"]
        c["max_abs_diff_points"] = max(
            c["max_abs_diff_points"], abs(t["diff_before_fees_minus_optopsy"])
        )
    report = {
        "benchmark": "one-year SPX iron condor backtest: alvh engine (condor book) vs optopsy",
        "command": f"python bench/bench_condor_optopsy.py --start {args.start} --end {args.end} "
        f"--repeat {args.repeat}",
        "machine": machine(),
        "data": {
            "source": "embedded sample market (modelled chains), generate_sample_market",
            "start": args.start.isoformat(),
            "end": args.end.isoformat(),
            "sessions": sessions,
            "option_rows": raw.height,
            "rows_rejected_by_reader": rejected,
            "optopsy_input_rows": len(odf),
            "generation_seconds": gen_seconds,
            "read_seconds": read_seconds,
            "shape_inputs_seconds": shape_seconds,
        },
        "config": {
            "ours": {
                "strategy": "unhedged (condor book only)",
                "condor": cfg.condor.model_dump(mode="json"),
                "execution": cfg.execution.model_dump(mode="json"),
            },
            "optopsy": {"strategy": "iron_condor", **kw, "wing_filter_points": wing},
        },
        "timing": {
            "what": "ours: MarketDay construction from the prepared chain + engine.step over "
            "every session; optopsy: per-entry-day slicing + iron_condor + wing filter. "
            "Excluded from both: sample generation, file reading, input shaping.",
            "ours_seconds": ours_best,
            "ours_seconds_all": ours_times,
            "optopsy_seconds": opt_best,
            "optopsy_seconds_all": opt_times,
            "ours_ms_per_session": ours_best / sessions * 1e3,
            "optopsy_over_ours": opt_best / ours_best,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "load_average_1min_start_end": [load_start[0], os.getloadavg()[0]],
        },
        "optopsy_universe": optopsy_universe(opt["kept"], opt["combos"], opt["per_day"]),
        "summary": {
            "our_condors": len(trades),
            "our_condors_closed": len(closed),
            "matched_in_optopsy": len(matched),
            "our_fills": len(fills),
            "our_pnl_usd": sum(t["pnl_usd"] for t in closed),
            "our_pnl_usd_before_fees": total("pnl_points_before_fees"),
            "our_commissions_fees_usd": sum(t["commissions_fees_usd"] for t in closed),
            "our_slippage_usd": sum(t["slippage_usd"] for t in closed),
            "optopsy_pnl_usd_same_trades_and_sizes": total("optopsy_pnl_points"),
            "optopsy_mid_pnl_usd_same_trades_and_sizes": sum(
                (t["optopsy_pnl_points_mid"] or 0.0) * t["contracts"] * 100.0 for t in matched
            ),
            "by_category": by_category,
        },
        "trades": trades,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")

    s, tm, u = report["summary"], report["timing"], report["optopsy_universe"]
    print(
        f"{report['machine']['cpu_model']} | 1 thread | {args.start}..{args.end}, "
        f"{sessions} sessions, {raw.height:,} option rows"
    )
    print(
        f"ours    {tm['ours_seconds']:8.2f} s  ({tm['ours_ms_per_session']:.1f} ms/session), "
        f"{s['our_condors']} condors, {s['our_fills']} fills"
    )
    print(
        f"optopsy {tm['optopsy_seconds']:8.2f} s  ({u['combinations_all_widths']:,} combinations "
        f"on {u['entry_days']} entry days, {u['wing_condors']:,} with {wing:g}-pt wings)"
    )
    print(f"optopsy / ours = {tm['optopsy_over_ours']:.1f}x")
    print(
        f"{'entry':<10} {'exp':<10} {'strikes':<23} {'n':>3} {'exit':<10} {'category':<21} "
        f"{'ours':>7} {'pre-fee':>7} {'optopsy':>7} {'opt mid':>7}"
    )
    for t in trades:
        k = "/".join(f"{x:g}" for x in t["strikes"])
        opt_pts = t["optopsy_pnl_points"]
        mid_pts = t["optopsy_pnl_points_mid"]
        print(
            f"{t['entry_date']:<10} {t['expiration']:<10} {k:<23} {t['contracts']:>3} "
            f"{t['exit_date'] or '-':<10} {t.get('category', ''):<21} "
            f"{t['pnl_points_per_condor']:>7.3f} {t['pnl_points_before_fees']:>7.3f} "
            f"{'-' if opt_pts is None else f'{opt_pts:.3f}':>7} "
            f"{'-' if mid_pts is None else f'{mid_pts:.3f}':>7}"
        )
    print(
        f"total USD: ours {s['our_pnl_usd']:,.0f} (before fees {s['our_pnl_usd_before_fees']:,.0f})"
        f"; optopsy on the same condors and sizes {s['optopsy_pnl_usd_same_trades_and_sizes']:,.0f}"
        f" (mid fills {s['optopsy_mid_pnl_usd_same_trades_and_sizes']:,.0f})"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
