"""Which house condor rule makes the ``unhedged`` book lose? (issue 14 item 6)

Usage::

    .venv/bin/python bench/condor_rule_variants.py --warehouse PATH \\
        [--start 2010-01-04] [--end 2018-12-28] [--variants base,no_rolls,...] [--json OUT]

Question answered: on the warehouse's market (the sample market: modelled chains around the
real SPX/VIX), the house condor (methodology §2: POP-75% shorts, 30-45 DTE entry, 50-point
wings, roll a side past 0.30 |delta|, profit take at 50% of the whole-cycle credit, close at
21 DTE, stop at 2x credit) loses money where the Cboe-CNDR-rule book (§4 item 5: 20/5-delta
monthly condor held to settlement) on the same chains is about flat. This script reruns the
house condor with **one rule changed at a time** (plus a few combinations and the CNDR book
as the control) and prints, per variant: annualized return (CAGR), max drawdown, cycles,
roll events, the average |delta| of the short legs at entry, how the cycles ended (count
and net P&L per exit kind), and the P&L by attribution component (theta, vega,
delta/gamma, slippage, commissions + fees, interest) from
:func:`alvh_assets.attribution.daily_pnl.daily_pnl`.

How it runs: the warehouse is opened **read-only** and nothing is written to it. The market
is read once (:func:`alvh_assets.strategy.market.load_market`) and each session is stepped
through every variant in turn (:func:`alvh_assets.strategy.engine.step`, one process, one
thread), each variant a fresh account (``execution.initial_capital``, flat) on ``--start``
with its own config (:func:`alvh_assets.config.load_config` with dotted overrides). Rows
are collected in memory (:class:`alvh_assets.strategy.store.Collector`) and attributed
there. Because every variant starts flat on ``--start``, the base variant's figures differ
slightly from a warehouse run that started earlier and carried its book into the window.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from alvh_assets.attribution import metrics as m
from alvh_assets.attribution.daily_pnl import daily_pnl
from alvh_assets.calendars import previous_trading_day
from alvh_assets.config import AlvhConfig, load_config
from alvh_assets.strategy.engine import StrategyState, initial_state, step
from alvh_assets.strategy.market import load_market
from alvh_assets.strategy.store import Collector

REAL_SPREAD_FACTOR = 0.28
"""The sample's SPX spreads are about 3.5x Cboe's on a calm day: a trade crossing the same
share of a real spread pays about 0.28 of the sample's slippage."""

NO_ROLLS = {"condor.roll_delta_trigger": 0.95}
NO_PROFIT_TAKE = {"condor.profit_take_pct": 1.0}
NO_DTE_EXIT = {"condor.exit_dte": 0}
NO_STOP = {"condor.stop_loss_multiple": 10.0}
DELTA_WINGS = {"condor.wing_mode": "delta", "condor.wing_delta": 0.05}
CNDR_LIKE_STRIKES = {
    **DELTA_WINGS,
    "condor.pop_min": 0.55,
    "condor.pop_target": 0.64,
    "condor.pop_max": 0.75,
}
HELD = {**NO_ROLLS, **NO_PROFIT_TAKE, **NO_DTE_EXIT, **NO_STOP}
REAL_SLIPPAGE = {"execution.slippage_share_of_half_spread": 0.5 * REAL_SPREAD_FACTOR}


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    strategy: str = "unhedged"
    overrides: dict[str, Any] = field(default_factory=dict)


VARIANTS: tuple[Variant, ...] = (
    Variant("base", "house condor, default config"),
    Variant("no_rolls", "roll_delta_trigger 0.95 (never rolls)", overrides=NO_ROLLS),
    Variant("no_profit_take", "profit_take_pct 1.0 (no 50% take)", overrides=NO_PROFIT_TAKE),
    Variant("no_dte_exit", "exit_dte 0 (no 21-DTE close)", overrides=NO_DTE_EXIT),
    Variant("no_stop", "stop_loss_multiple 10 (no 2x stop)", overrides=NO_STOP),
    Variant("delta_wings", "wings at 5 delta instead of 50 points", overrides=DELTA_WINGS),
    Variant(
        "cndr_strikes",
        "~20-delta shorts (POP 0.64) and 5-delta wings, house management",
        overrides=CNDR_LIKE_STRIKES,
    ),
    Variant(
        "slip0",
        "slippage share 0 (costs = commissions + fees)",
        overrides={"execution.slippage_share_of_half_spread": 0.0},
    ),
    Variant("slip_real", "slippage share 0.14 (spreads 3.5x narrower)", overrides=REAL_SLIPPAGE),
    Variant("held", "no roll, no take, no DTE exit, no stop: held to settlement", overrides=HELD),
    Variant("held_slip_real", "held + slippage share 0.14", overrides={**HELD, **REAL_SLIPPAGE}),
    Variant(
        "cndr_strikes_held",
        "~20/5-delta strikes, 30-45 DTE, held to settlement",
        overrides={**CNDR_LIKE_STRIKES, **HELD},
    ),
    Variant(
        "no_rolls_no_stop_dte",
        "no roll, no stop, no 21-DTE exit; keeps the 50% take",
        overrides={**NO_ROLLS, **NO_STOP, **NO_DTE_EXIT},
    ),
    Variant("exit_dte_7", "close at 7 DTE instead of 21", overrides={"condor.exit_dte": 7}),
    Variant("exit_dte_14", "close at 14 DTE instead of 21", overrides={"condor.exit_dte": 14}),
    Variant(
        "no_dte_exit_no_rolls",
        "no 21-DTE close and no rolls",
        overrides={**NO_DTE_EXIT, **NO_ROLLS},
    ),
    Variant(
        "no_dte_exit_no_stop", "no 21-DTE close and no stop", overrides={**NO_DTE_EXIT, **NO_STOP}
    ),
    Variant(
        "no_dte_exit_delta_wings",
        "no 21-DTE close, 5-delta wings (the proposed fix)",
        overrides={**NO_DTE_EXIT, **DELTA_WINGS},
    ),
    Variant(
        "fix_no_take",
        "no 21-DTE close, 5-delta wings, no 50% take",
        overrides={**NO_DTE_EXIT, **DELTA_WINGS, **NO_PROFIT_TAKE},
    ),
    Variant(
        "fix_no_rolls",
        "no 21-DTE close, 5-delta wings, no rolls",
        overrides={**NO_DTE_EXIT, **DELTA_WINGS, **NO_ROLLS},
    ),
    Variant(
        "no_dte_exit_slip_real",
        "no 21-DTE close + slippage share 0.14",
        overrides={**NO_DTE_EXIT, **REAL_SLIPPAGE},
    ),
    Variant(
        "fix_slip_real",
        "no 21-DTE close, 5-delta wings + slippage share 0.14",
        overrides={**NO_DTE_EXIT, **DELTA_WINGS, **REAL_SLIPPAGE},
    ),
    Variant("cndr", "control: Cboe CNDR rules (cboe_cndr)", strategy="cboe_cndr"),
    Variant(
        "cndr_slip_real",
        "control + slippage share 0.14",
        strategy="cboe_cndr",
        overrides=REAL_SLIPPAGE,
    ),
)


def _exit_kind(reason: str) -> str:
    if "profit take" in reason:
        return "take"
    if "stop loss" in reason:
        return "stop"
    if reason.startswith("exit: DTE"):
        return "dte"
    if reason.startswith("settlement"):
        return "settle"
    if reason.startswith("halt"):
        return "halt"
    return "open"


def summarize(
    v: Variant, frames: dict[str, pl.DataFrame], cfg: AlvhConfig, window: tuple[dt.date, dt.date]
) -> dict[str, Any]:
    """The variant's row: returns, drawdown, cycle statistics and P&L by component."""
    account = frames["strategy.account_daily"].sort("date")
    fills = frames["strategy.fills"]
    cap = cfg.execution.initial_capital
    dates, nav = account["date"].to_list(), account["nav"].to_numpy()
    base = previous_trading_day(dates[0])
    dd = m.max_drawdown(nav, dates, cap, base)
    pnl = daily_pnl(account, frames["strategy.positions_daily"], fills, window, cap)
    comp = dict(pnl.group_by("component").agg(pl.col("amount").sum()).iter_rows())
    condor = fills.filter(pl.col("kind") == "condor")
    entries = condor.filter(
        pl.col("trade_kind") == "condor_entry", pl.col("leg").str.starts_with("short")
    )
    rolls = condor.filter(
        pl.col("trade_kind") == "condor_roll",
        pl.col("leg").str.starts_with("short"),
        pl.col("quantity") > 0,
    )
    cycles = (
        condor.sort("fill_id")
        .group_by("cycle_id")
        .agg(
            pl.col("cash_flow").sum().alias("pnl"),
            pl.col("reason").last().alias("last"),
            (pl.col("date").max() - pl.col("date").min()).dt.total_days().alias("held"),
        )
        .with_columns(pl.col("last").map_elements(_exit_kind, return_dtype=pl.Utf8).alias("how"))
    )
    open_ids = set(
        frames["strategy.positions_daily"].filter(pl.col("date") == dates[-1])["group_id"].to_list()
    )
    cycles = cycles.with_columns(
        pl.when(pl.col("cycle_id").is_in(list(open_ids)))
        .then(pl.lit("open"))
        .otherwise("how")
        .alias("how")
    )
    ends = {
        r["how"]: {"n": r["n"], "pnl": r["pnl"]}
        for r in cycles.group_by("how")
        .agg(pl.len().alias("n"), pl.col("pnl").sum())
        .iter_rows(named=True)
    }
    years = (dates[-1] - base).days / 365.0
    by_year = (
        account.group_by(pl.col("date").dt.year().alias("year"), maintain_order=True)
        .agg(pl.col("nav").last())
        .sort("year")
    )
    prev, yearly = cap, {}
    for y, nav_y in by_year.iter_rows():
        yearly[str(y)] = nav_y / prev - 1.0
        prev = nav_y
    return {
        "variant": v.name,
        "description": v.description,
        "strategy": v.strategy,
        "overrides": v.overrides,
        "cagr": m.cagr(cap, float(nav[-1]), (dates[-1] - base).days),
        "max_drawdown": dd.depth,
        "end_nav": float(nav[-1]),
        "years": years,
        "yearly": yearly,
        "cycles": entries["cycle_id"].n_unique(),
        "rolls": rolls.height,
        "hold_days": float(cycles.filter(pl.col("how") != "open")["held"].mean() or 0.0),
        "short_delta_entry": _mean_short_delta(frames["strategy.positions_daily"]),
        "wing_points": _mean_wing(frames["strategy.positions_daily"]),
        "ends": ends,
        "theta": comp.get("condor_theta", 0.0),
        "vega": comp.get("condor_vega", 0.0),
        "delta_gamma": comp.get("condor_delta_gamma", 0.0),
        "slippage": comp.get("slippage", 0.0),
        "commissions_fees": comp.get("commissions", 0.0) + comp.get("exchange_fees", 0.0),
        "interest": comp.get("interest", 0.0),
        "residual": comp.get("residual", 0.0),
        "halted": bool(account["halted"][-1]),
    }


def _mean_short_delta(positions: pl.DataFrame) -> float:
    """Average |delta| of the short legs on the session they were opened (entries, rolls)."""
    legs = positions.filter(
        pl.col("kind") == "condor",
        pl.col("entry_date") == pl.col("date"),
        pl.col("leg").str.starts_with("short"),
    )
    x = legs["target_delta"].mean() if legs.height else None
    return float(x) if x is not None else float("nan")


def _mean_wing(positions: pl.DataFrame) -> float:
    """Average wing width (points) of the condors on their entry sessions."""
    legs = positions.filter(pl.col("kind") == "condor", pl.col("entry_date") == pl.col("date"))
    wide = legs.pivot(
        on="leg", index=["date", "group_id"], values="strike", aggregate_function="first"
    )
    need = {"short_put", "long_put", "short_call", "long_call"}
    if not need <= set(wide.columns):
        return float("nan")
    w = pl.max_horizontal(
        pl.col("short_put") - pl.col("long_put"), pl.col("long_call") - pl.col("short_call")
    )
    return float(wide.select(w.mean()).item() or float("nan"))


def run_variants(
    warehouse: str, start: dt.date, end: dt.date, variants: list[Variant], progress: bool
) -> list[dict[str, Any]]:
    """Step every variant over the sessions of ``[start, end]`` (market read once)."""
    cfgs = {v.name: load_config(overrides=v.overrides) for v in variants}
    states: dict[str, StrategyState] = {
        v.name: initial_state(v.strategy, cfgs[v.name]) for v in variants
    }
    collectors = {v.name: Collector() for v in variants}
    con = duckdb.connect(warehouse, read_only=True)
    t0 = time.perf_counter()
    try:
        for n, day in enumerate(load_market(con, start, end), 1):
            for v in variants:
                states[v.name], rows = step(states[v.name], day, cfgs[v.name])
                collectors[v.name].add(day.date, v.strategy, rows)
            if progress and n % 63 == 0:
                print(f"  {day.date} {time.perf_counter() - t0:6.0f}s", file=sys.stderr, flush=True)
    finally:
        con.close()
    return [summarize(v, collectors[v.name].frames(), cfgs[v.name], (start, end)) for v in variants]


def _k(x: float) -> str:
    return f"{x / 1000:+,.0f}k"


def table(rows: list[dict[str, Any]]) -> str:
    """The results as a Markdown table (P&L components in thousands of USD over the window)."""
    head = (
        "| variant | CAGR | max DD | cycles | rolls | days held | short Δ | wing pts "
        "| take / stop / DTE / settle (n, P&L) | theta | vega | delta/gamma | at mids "
        "| slippage | comm+fees | interest |"
    )
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        e = r["ends"]
        ends = " / ".join(
            f"{e[k]['n']} {_k(e[k]['pnl'])}" if k in e else "0"
            for k in ("take", "stop", "dte", "settle")
        )
        out.append(
            f"| `{r['variant']}` | {r['cagr']:+.2%} | {r['max_drawdown']:.1%} | {r['cycles']} "
            f"| {r['rolls']} | {r['hold_days']:.0f} | {r['short_delta_entry']:.3f} "
            f"| {r['wing_points']:.0f} | {ends} "
            f"| {_k(r['theta'])} | {_k(r['vega'])} | {_k(r['delta_gamma'])} "
            f"| {_k(r['theta'] + r['vega'] + r['delta_gamma'])} "
            f"| {_k(r['slippage'])} | {_k(r['commissions_fees'])} | {_k(r['interest'])} |"
        )
    return "\n".join(out)


def year_table(rows: list[dict[str, Any]]) -> str:
    """Calendar-year returns per variant (the first and last years may be partial)."""
    years = sorted({y for r in rows for y in r["yearly"]})
    out = ["| variant | " + " | ".join(years) + " |", "|---|" + "---|" * len(years)]
    for r in rows:
        cells = " | ".join(f"{r['yearly'][y]:+.1%}" if y in r["yearly"] else "" for y in years)
        out.append(f"| `{r['variant']}` | {cells} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--warehouse", required=True, help="DuckDB warehouse (opened read-only)")
    p.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2010, 1, 4))
    p.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2018, 12, 28))
    p.add_argument(
        "--variants",
        default=",".join(v.name for v in VARIANTS),
        help="comma-separated subset of: " + ", ".join(v.name for v in VARIANTS),
    )
    p.add_argument("--json", help="also write the rows as JSON to this file")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    a = p.parse_args(argv)
    known = {v.name: v for v in VARIANTS}
    names = [s.strip() for s in a.variants.split(",") if s.strip()]
    unknown = [s for s in names if s not in known]
    if unknown:
        p.error(f"unknown variant(s) {unknown}; known: {', '.join(known)}")
    t0 = time.perf_counter()
    rows = run_variants(a.warehouse, a.start, a.end, [known[s] for s in names], not a.quiet)
    print(f"{a.start} .. {a.end}, {len(rows)} variants, {time.perf_counter() - t0:.0f}s\n")
    print(table(rows))
    print()
    print(year_table(rows))
    for r in rows:
        print(
            f"\n`{r['variant']}`: {r['description']}; end NAV {r['end_nav']:,.0f}; "
            f"residual {r['residual']:.2f}; halted {r['halted']}"
        )
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
