"""A parameter sweep: the strategy engine and the attribution over a grid of configs,
in-process on the warehouse's marts and pricing (``alvh sweep``; ``docs/research.md``).

The market of the window (option chains with their Greeks, signals of the marts, index
levels, VX final settlements: :func:`alvh_assets.strategy.market.read_market`) is read once
and handed to one worker process per core (spawned, each dying with this process); a worker
builds its market days once and runs every combination it is given on them:
:func:`alvh_assets.strategy.run.fold` from the initial accounts, then
:func:`alvh_assets.attribution.run.attribute_frames` (the same code as the ``strategy`` and
``attribution`` assets, writing nothing), then the significance of ALVH against each other
strategy (:mod:`.significance`). Nothing is ingested, priced or built by dbt.

Tables (schema ``research``), each written per combination in one transaction, so a killed
sweep keeps every finished combination and a rerun of the same sweep skips them (matched by
config hash; their combination numbers follow the grid of the rerun):

* ``research.sweep_runs`` (sweep_id, combination, strategy): every swept parameter (a
  typed column ``section__field``), ``config_hash``, the ``attribution.performance``
  metrics of the whole range (period ``all``), the daily Sharpe moments, PSR(0) and
  ``run_seconds`` and ``finished_at`` (UTC);
* ``research.sweep_significance`` (sweep_id, combination, versus, metric): ALVH minus the
  other strategy, with its bootstrap CI;
* ``research.sweep_deflated`` (sweep_id, strategy): the best combination by Sharpe and its
  deflated Sharpe ratio given the number of combinations.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context

import duckdb
import numpy as np
import polars as pl

from alvh_assets import warehouse as wh
from alvh_assets.attribution.run import attribute_frames
from alvh_assets.attribution.schema import PERFORMANCE
from alvh_assets.calendars import trading_days
from alvh_assets.config import AlvhConfig
from alvh_assets.research import significance as sig
from alvh_assets.research.grid import Axis, Combination, column_dtype
from alvh_assets.strategy.engine import initial_state
from alvh_assets.strategy.market import MarketDay, MarketFrames, market_days, read_market
from alvh_assets.strategy.registry import REGISTRY
from alvh_assets.strategy.run import fold

RUNS, SIGNIFICANCE, DEFLATED = (
    "research.sweep_runs",
    "research.sweep_significance",
    "research.sweep_deflated",
)
S, N, F, D = pl.Utf8(), pl.Int64(), pl.Float64(), pl.Date()
KEYED = {"sweep_id": S, "combination": N, "config_hash": S}
METRICS = {k: v for k, v in PERFORMANCE.items() if k not in ("strategy", "period")}
"""The ``attribution.performance`` columns a sweep keeps per strategy (period ``all``)."""
RUNS_TAIL = {
    "sharpe_daily": F,
    "skewness": F,
    "kurtosis": F,
    "psr": F,
    "run_seconds": F,
    "finished_at": pl.Datetime("us"),
}
"""After the metrics: the Sharpe moments, PSR(0), the combination's run time and when it was
written (UTC; the latest sweep is the one written last)."""
DEFLATED_SCHEMA: dict[str, pl.DataType] = {
    "sweep_id": S,
    "strategy": S,
    "trials": N,
    "best_combination": N,
    "best_config_hash": S,
    "sessions": N,
    "sharpe": F,
    "sharpe_daily": F,
    "sharpe_daily_variance": F,
    "expected_max_sharpe_daily": F,
    "skewness": F,
    "kurtosis": F,
    "psr": F,
    "dsr": F,
}


class SweepError(ValueError):
    """A sweep that cannot run as asked (no market in the window, a sweep id used for
    another window): the user can fix it."""


def runs_schema(axes: list[Axis]) -> dict[str, pl.DataType]:
    """``research.sweep_runs`` for a grid: keys, the strategy, one typed column per axis,
    the performance metrics, the Sharpe moments."""
    params = {a.column: column_dtype(a.key) for a in axes}
    return {**KEYED, "strategy": S, **params, **METRICS, **RUNS_TAIL}


SIGNIFICANCE_SCHEMA = {**KEYED, **sig.SIGNIFICANCE}


def sweep_window(
    con: duckdb.DuckDBPyConnection,
    cfg: AlvhConfig,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[dt.date, dt.date]:
    """The sessions a sweep runs: ``start``/``end`` when given, else the range of the stored
    ``strategy.account_daily`` (the window the pipeline ran, so the defaults reproduce
    ``attribution.performance``), else the config's sample range."""
    stored = (None, None)
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'strategy' AND table_name = 'account_daily'"
    ).fetchone()[0]
    if exists:
        stored = con.execute("SELECT min(date), max(date) FROM strategy.account_daily").fetchone()
    first = start or stored[0] or cfg.sample_start
    last = end or stored[1] or cfg.sample_end
    first = max(first, cfg.sample_start)
    if first > last or not trading_days(first, last):
        raise SweepError(f"no session to sweep in {first} .. {last}")
    return first, last


def read_inputs(con: duckdb.DuckDBPyConnection, window: tuple[dt.date, dt.date]) -> MarketFrames:
    """The market of the window, read once for every combination."""
    frames = read_market(con, *window)
    if frames.chains.is_empty():
        raise SweepError(
            f"the warehouse has no priced option rows in {window[0]} .. {window[1]}: "
            "build it first (alvh demo or alvh backfill)"
        )
    return frames


# --------------------------------------------------------------------------------------------
# One combination (in a worker, or in this process)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    index: int
    config_hash: str
    cfg: AlvhConfig
    window: tuple[dt.date, dt.date]
    reps: int
    block_size: float | None
    seed: int


@dataclass
class Outcome:
    """What one combination computed: per strategy the performance row (period ``all``) and
    Sharpe moments, and the significance rows."""

    index: int
    config_hash: str
    runs: pl.DataFrame
    significance: pl.DataFrame
    seconds: float


_DAYS: list[MarketDay] = []


def _init_worker(parent: int, frames: MarketFrames, days: list[dt.date]) -> None:
    """Worker initializer: die with the sweep's process, build the market days once."""
    from alvh_assets.ingest.run import _die_with_parent

    _die_with_parent(parent)
    _DAYS[:] = list(market_days(frames, days))


def run_task(task: Task) -> Outcome:
    """Run one combination on this process's market days (:func:`_init_worker`)."""
    return run_combination(_DAYS, task)


def run_combination(days: list[MarketDay], task: Task) -> Outcome:
    """The engine from the initial accounts, the attribution and the significance of one
    combination, written nowhere."""
    started = time.perf_counter()
    cfg = task.cfg
    states = {s: initial_state(s, cfg) for s in REGISTRY}
    strategy = fold(states, days, cfg)
    attribution = attribute_frames(strategy, task.window, cfg)
    perf = attribution["attribution.performance"].filter(pl.col("period") == "all")
    arrays = sig.daily_arrays(
        strategy["strategy.account_daily"],
        strategy["strategy.fills"],
        cfg.execution.initial_capital,
    )
    stats = sig.strategy_sharpe_stats(arrays)
    moments = pl.DataFrame(
        [
            {
                "strategy": s,
                "sharpe_daily": st.sharpe,
                "skewness": st.skewness,
                "kurtosis": st.kurtosis,
                "psr": None
                if st.sharpe is None
                else sig.psr(st.sharpe, st.sessions, st.skewness, st.kurtosis),
            }
            for s, st in stats.items()
        ],
        schema={"strategy": S, "sharpe_daily": F, "skewness": F, "kurtosis": F, "psr": F},
        orient="row",
    )
    significance = sig.compare(
        arrays,
        cfg.attribution.trading_days_per_year,
        reps=task.reps,
        block_size=task.block_size,
        seed=task.seed,
    )
    seconds = time.perf_counter() - started
    runs = perf.drop("period").join(moments, on="strategy", how="left")
    runs = runs.with_columns(pl.lit(seconds).alias("run_seconds"))
    return Outcome(task.index, task.config_hash, runs, significance, seconds)


# --------------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    sweep_id: str
    window: tuple[dt.date, dt.date]
    total: int
    skipped: int
    ran: int
    seconds: list[float] = field(default_factory=list)

    @property
    def seconds_per_combination(self) -> float | None:
        return float(np.mean(self.seconds)) if self.seconds else None


def ensure_tables(con: duckdb.DuckDBPyConnection, axes: list[Axis]) -> None:
    wh.ensure_table(con, RUNS, runs_schema(axes))
    wh.ensure_table(con, SIGNIFICANCE, SIGNIFICANCE_SCHEMA)
    wh.ensure_table(con, DEFLATED, DEFLATED_SCHEMA)


def finished(con: duckdb.DuckDBPyConnection, sweep_id: str) -> set[str]:
    """Config hashes of the combinations of ``sweep_id`` already written."""
    rows = con.execute(
        f"SELECT DISTINCT config_hash FROM {RUNS} WHERE sweep_id = ?", [sweep_id]
    ).fetchall()
    return {r[0] for r in rows}


def _renumber(
    con: duckdb.DuckDBPyConnection, sweep_id: str, combo: Combination, axes: list[Axis]
) -> None:
    """A finished combination keeps its results; its number and swept columns follow the
    current grid."""
    params = combo.params(axes)
    sets = ", ".join(["combination = ?", *(f'"{c}" = ?' for c in params)])
    con.execute(
        f"UPDATE {RUNS} SET {sets} WHERE sweep_id = ? AND config_hash = ?",
        [combo.index, *params.values(), sweep_id, combo.config_hash],
    )
    con.execute(
        f"UPDATE {SIGNIFICANCE} SET combination = ? WHERE sweep_id = ? AND config_hash = ?",
        [combo.index, sweep_id, combo.config_hash],
    )


def write_outcome(
    con: duckdb.DuckDBPyConnection,
    sweep_id: str,
    combo: Combination,
    axes: list[Axis],
    outcome: Outcome,
) -> None:
    """Write one combination's rows of ``research.sweep_runs`` and
    ``research.sweep_significance`` in one transaction, replacing any it had."""
    keys = {"sweep_id": sweep_id, "combination": combo.index, "config_hash": combo.config_hash}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    runs = outcome.runs.with_columns(
        *(pl.lit(v, dtype=KEYED[k]).alias(k) for k, v in keys.items()),
        pl.lit(now, dtype=RUNS_TAIL["finished_at"]).alias("finished_at"),
        *(
            pl.lit(v, dtype=column_dtype(a.key)).alias(a.column)
            for a, v in zip(axes, combo.params(axes).values(), strict=True)
        ),
    ).select(list(runs_schema(axes)))
    significance = outcome.significance.with_columns(
        *(pl.lit(v, dtype=KEYED[k]).alias(k) for k, v in keys.items())
    ).select(list(SIGNIFICANCE_SCHEMA))
    with wh.transaction(con):
        for table in (RUNS, SIGNIFICANCE):
            con.execute(
                f"DELETE FROM {table} WHERE sweep_id = ? AND config_hash = ?",
                [sweep_id, combo.config_hash],
            )
        wh.insert(con, RUNS, runs)
        wh.insert(con, SIGNIFICANCE, significance)


def plan_sweep(
    con: duckdb.DuckDBPyConnection,
    sweep_id: str,
    axes: list[Axis],
    combos: list[Combination],
    window: tuple[dt.date, dt.date],
) -> list[Combination]:
    """The combinations of ``combos`` not yet in ``sweep_id``, after the tables are made,
    the window is checked against the one the sweep was run over (:class:`SweepError`)
    and the finished combinations are renumbered to this grid."""
    ensure_tables(con, axes)
    sessions = trading_days(*window)
    spans = con.execute(
        f"SELECT DISTINCT start_date, end_date FROM {RUNS} WHERE sweep_id = ? "
        "AND (start_date <> ? OR end_date <> ?)",
        [sweep_id, sessions[0], sessions[-1]],
    ).fetchall()
    if spans:
        raise SweepError(
            f"sweep {sweep_id} was run over {spans[0][0]} .. {spans[0][1]}, not "
            f"{sessions[0]} .. {sessions[-1]}: give another --sweep-id"
        )
    done = finished(con, sweep_id)
    with wh.transaction(con):
        for c in combos:
            if c.config_hash in done:
                _renumber(con, sweep_id, c, axes)
    return [c for c in combos if c.config_hash not in done]


def compute(
    con: duckdb.DuckDBPyConnection,
    todo: list[Combination],
    window: tuple[dt.date, dt.date],
    on_outcome: Callable[[Outcome], None],
    *,
    workers: int | None = None,
    reps: int = 1000,
    block_size: float | None = None,
    seed: int = 0,
) -> None:
    """Read the window's market from ``con`` once and run every combination of ``todo``,
    handing each :class:`Outcome` to ``on_outcome`` (in this process) as it finishes.
    ``workers``: worker processes (default one per core; 1 runs in this process). A
    combination's bootstrap seed is its config hash plus ``seed``, so the results do not
    depend on the worker or the order."""
    if not todo:
        return
    frames = read_inputs(con, window)
    days = trading_days(*window)
    tasks = [
        Task(
            c.index,
            c.config_hash,
            c.cfg,
            window,
            reps,
            block_size,
            (int(c.config_hash[:8], 16) + seed) % 2**31,
        )
        for c in todo
    ]
    n = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    if n == 1:
        market = list(market_days(frames, days))
        for task in tasks:
            on_outcome(run_combination(market, task))
        return
    with ProcessPoolExecutor(
        n,
        mp_context=get_context("spawn"),
        initializer=_init_worker,
        initargs=(os.getpid(), frames, days),
    ) as pool:
        pending: set[Future] = {pool.submit(run_task, t) for t in tasks}
        try:
            while pending:
                ready, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in ready:
                    on_outcome(f.result())
        except BaseException:  # a failed combination or Ctrl-C: stop the rest now
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def run_sweep(
    con: duckdb.DuckDBPyConnection,
    sweep_id: str,
    axes: list[Axis],
    combos: list[Combination],
    window: tuple[dt.date, dt.date],
    *,
    workers: int | None = None,
    reps: int = 1000,
    block_size: float | None = None,
    seed: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run every combination of ``combos`` not yet in ``sweep_id`` (:func:`plan_sweep`)
    and write it as it finishes (:func:`compute`); then the deflated Sharpe ratios
    (:func:`write_deflated`). ``workers``: worker processes (default one per core; 1 runs
    in this process)."""
    todo = plan_sweep(con, sweep_id, axes, combos, window)
    result = SweepResult(sweep_id, window, len(combos), len(combos) - len(todo), 0)
    progress = on_progress or (lambda _d, _t: None)
    progress(result.skipped, result.total)
    by_index = {c.index: c for c in todo}

    def finish(outcome: Outcome) -> None:
        write_outcome(con, sweep_id, by_index[outcome.index], axes, outcome)
        result.ran += 1
        result.seconds.append(outcome.seconds)
        progress(result.skipped + result.ran, result.total)

    compute(con, todo, window, finish, workers=workers, reps=reps, block_size=block_size, seed=seed)
    write_deflated(con, sweep_id, combos)
    return result


def deflated_table(runs: pl.DataFrame, sweep_id: str) -> pl.DataFrame:
    """Per strategy: the combination with the highest Sharpe ratio among ``runs`` (the
    ``research.sweep_runs`` rows of the trials) and its deflated Sharpe ratio given the
    number of trials and the variance of their daily Sharpe ratios (sample variance,
    ddof=1; 0 for one trial)."""
    rows = []
    for (s,), g in runs.sort("combination").group_by("strategy", maintain_order=True):
        ok = g.filter(pl.col("sharpe_daily").is_not_null())
        if ok.is_empty():
            continue
        trials = g.height
        srs = ok["sharpe_daily"].to_numpy()
        var = float(np.var(srs, ddof=1)) if len(srs) > 1 else 0.0
        best = ok.row(int(np.argmax(srs)), named=True)
        stats = sig.SharpeStats(
            best["sessions"], best["sharpe_daily"], best["skewness"], best["kurtosis"]
        )
        sr0, dsr = sig.deflated_sharpe(stats, var, trials)
        rows.append(
            {
                "sweep_id": sweep_id,
                "strategy": s,
                "trials": trials,
                "best_combination": best["combination"],
                "best_config_hash": best["config_hash"],
                "sessions": best["sessions"],
                "sharpe": best["sharpe"],
                "sharpe_daily": best["sharpe_daily"],
                "sharpe_daily_variance": var,
                "expected_max_sharpe_daily": sr0 if math.isfinite(sr0) else None,
                "skewness": best["skewness"],
                "kurtosis": best["kurtosis"],
                "psr": best["psr"],
                "dsr": dsr,
            }
        )
    return pl.DataFrame(rows, schema=DEFLATED_SCHEMA, orient="row")


def text_tables(rows: int, cols: int, width: int) -> pl.Config:
    """How the research commands print their tables: Markdown, 4 decimals, no shapes."""
    return pl.Config(
        tbl_rows=rows,
        tbl_cols=cols,
        float_precision=4,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_formatting="ASCII_MARKDOWN",
        tbl_width_chars=width,
        fmt_str_lengths=40,
    )


def _finished_runs(
    con: duckdb.DuckDBPyConnection, sweep_id: str, combos: list[Combination]
) -> pl.DataFrame:
    """The rows of ``research.sweep_runs`` of ``sweep_id`` for the grid's combinations."""
    return wh.read_frame(
        con,
        f"SELECT * FROM {RUNS} WHERE sweep_id = ? AND list_contains(?, config_hash) "
        "ORDER BY combination, strategy",
        [sweep_id, [c.config_hash for c in combos]],
    )


def write_deflated(
    con: duckdb.DuckDBPyConnection, sweep_id: str, combos: list[Combination]
) -> pl.DataFrame:
    """Recompute ``research.sweep_deflated`` of ``sweep_id`` over the grid's combinations."""
    table = deflated_table(_finished_runs(con, sweep_id, combos), sweep_id)
    with wh.transaction(con):
        con.execute(f"DELETE FROM {DEFLATED} WHERE sweep_id = ?", [sweep_id])
        wh.insert(con, DEFLATED, table)
    return table


def summary(
    con: duckdb.DuckDBPyConnection, sweep_id: str, axes: list[Axis], combos: list[Combination]
) -> str:
    """The text ``alvh sweep`` prints: ALVH per combination (best Sharpe first, ten at
    most), the significance of the best combination against every other strategy, the PSR
    of each strategy there, and the deflated Sharpe ratios."""
    params = [a.column for a in axes]
    runs = _finished_runs(con, sweep_id, combos)
    alvh = runs.filter(pl.col("strategy") == sig.ALVH).sort("sharpe", descending=True)
    if alvh.is_empty():
        return "no ALVH results"
    best = alvh.row(0, named=True)
    cols = ["combination", *params, "sharpe", "cagr", "max_drawdown"]
    cols += ["hedge_net_spend_pct_nav_yr", "psr"]
    significance = wh.read_frame(
        con,
        f"SELECT versus, metric, value, versus_value, difference, ci_low, ci_high, "
        f"excludes_zero FROM {SIGNIFICANCE} WHERE sweep_id = ? AND config_hash = ? "
        "ORDER BY versus, metric",
        [sweep_id, best["config_hash"]],
    )
    psr = runs.filter(pl.col("config_hash") == best["config_hash"]).select(
        "strategy", "sessions", "sharpe", "sharpe_daily", "skewness", "kurtosis", "psr"
    )
    deflated = wh.read_frame(
        con,
        "SELECT strategy, trials, best_combination, sharpe, sharpe_daily, "
        "expected_max_sharpe_daily, psr, dsr FROM research.sweep_deflated "
        "WHERE sweep_id = ? ORDER BY strategy",
        [sweep_id],
    )
    with text_tables(rows=40, cols=20, width=200):
        return "\n\n".join(
            [
                f"{sig.ALVH} by combination (best Sharpe first):\n{alvh.select(cols).head(10)}",
                f"{sig.ALVH} minus each strategy, combination {best['combination']} "
                f"(95% stationary block bootstrap CI):\n{significance}",
                f"probabilistic Sharpe ratio PSR(0), combination {best['combination']}:\n{psr}",
                f"deflated Sharpe ratio of each strategy's best combination:\n{deflated}",
            ]
        )
