"""Walk-forward selection over a sweep's grid (``alvh sweep --walk-forward``;
``docs/research.md``).

Every combination runs once over the whole range, in-process on the warehouse's marts and
pricing, from the initial accounts (the sweep's machinery: :mod:`.sweep`). The range's
sessions are then cut into rolling windows: an in-sample window followed by an
out-of-sample window, the next pair shifted by the out-of-sample length. For window ``k``
the combination with the highest *criterion* of ALVH on the in-sample sessions is chosen
(ties: the lowest combination number; a combination whose criterion is undefined there is
not eligible) and its out-of-sample metrics, per strategy, are reported. The choice uses
only in-sample sessions: nothing after the in-sample window's last session is read.

Metrics of a window are those of ``attribution.performance`` restricted to its sessions
(as for a calendar-year period there): ``start_nav`` is the NAV of the session before the
window, returns are ``nav_t / nav_{t-1} - 1``, the risk-free return accrues the previous
session's rate, ``cagr`` counts calendar days from the session before the window, Sharpe
is annualized with ``attribution.trading_days_per_year``, ``calmar = cagr / |max_drawdown|``.

Path dependence: a combination's NAV in a window depends on what it held when the window
opened (open condors, hedge layers, budget), i.e. on its path since the range start. The
series used here are those of each combination run continuously from the range start, so
the out-of-sample result is that of a book that had always traded the chosen parameters;
a trader switching parameters at the window boundary would instead carry the previous
choice's positions into it. Restarting each combination from cash at every window start
would remove the carry-over but also add an artificial ramp-up (no hedge, no condor in the
first sessions) to every window; the continuous path is the honest figure of what the
parameters do in steady state, and is the one reported.

Table ``research.walk_forward`` (walk_forward_id, window_number, strategy): the window's
in-sample and out-of-sample dates, the criterion, the chosen combination, its config hash
and swept parameters (typed columns ``section__field``), ALVH's criterion value in-sample,
and per strategy the out-of-sample ``sessions``, ``start_nav``, ``end_nav``,
``total_return``, ``cagr``, ``sharpe``, ``max_drawdown``, ``calmar``. Rewritten whole on
every run of the same id.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import duckdb
import numpy as np
import polars as pl

from alvh_assets import warehouse as wh
from alvh_assets.attribution import metrics as m
from alvh_assets.calendars import previous_trading_day, trading_days
from alvh_assets.config import AlvhConfig
from alvh_assets.research import sweep as sw
from alvh_assets.research.grid import Axis, Combination, column_dtype
from alvh_assets.research.significance import ALVH
from alvh_assets.strategy.engine import initial_state
from alvh_assets.strategy.market import MarketDay, market_days
from alvh_assets.strategy.registry import REGISTRY
from alvh_assets.strategy.run import fold

TABLE = "research.walk_forward"
CRITERIA = ("sharpe", "cagr", "calmar")
"""Selection criteria, each the ``attribution.performance`` metric of ALVH on the in-sample
sessions (higher is better)."""
S, N, F, D = pl.Utf8(), pl.Int64(), pl.Float64(), pl.Date()
OUT_METRICS = ("total_return", "cagr", "sharpe", "max_drawdown", "calmar")


class WalkForwardError(sw.SweepError):
    """Windows that do not fit the range (the user can fix them)."""


@dataclass(frozen=True)
class Window:
    index: int
    in_start: dt.date
    in_end: dt.date
    out_start: dt.date
    out_end: dt.date
    in_slice: tuple[int, int]  # inclusive session indices in the range
    out_slice: tuple[int, int]


def windows(
    sessions: list[dt.date],
    *,
    in_sessions: int | None = None,
    out_sessions: int | None = None,
    in_years: float | None = None,
    out_years: float | None = None,
) -> list[Window]:
    """Rolling in-sample/out-of-sample windows over ``sessions``, either in sessions
    (``in_sessions``/``out_sessions``) or in years (``in_years``/``out_years``: an
    in-sample window covers the sessions from its first one to before the same date
    ``in_years`` × 365.25 calendar days later, likewise out-of-sample). Pair ``k`` starts
    ``k`` out-of-sample lengths after the first session (in sessions, or in calendar days
    from the first session's date), so the out-of-sample windows tile the range; a last
    out-of-sample window shorter than asked is kept when it holds at least two sessions (a
    Sharpe ratio needs two returns), dropped otherwise."""
    by_sessions = in_sessions is not None or out_sessions is not None
    by_years = in_years is not None or out_years is not None
    if by_sessions == by_years:
        raise WalkForwardError("give the windows either in sessions or in years, not both")
    n = len(sessions)
    if by_sessions and (not in_sessions or not out_sessions or min(in_sessions, out_sessions) < 2):
        raise WalkForwardError("in- and out-of-sample windows need at least 2 sessions each")
    if by_years and (not in_years or not out_years or min(in_years, out_years) <= 0):
        raise WalkForwardError("in- and out-of-sample years must be positive")

    def at(k: int, extra_in: bool) -> int:
        """Index of the first session of: in-sample window ``k`` (``extra_in`` False) or
        out-of-sample window ``k`` (True); windows in years are anchored on the calendar
        from the first session (no drift from holidays)."""
        if by_sessions:
            return k * out_sessions + (in_sessions if extra_in else 0)
        days = k * out_years * 365.25 + (in_years * 365.25 if extra_in else 0.0)
        return bisect.bisect_left(sessions, sessions[0] + dt.timedelta(days=round(days)))

    out: list[Window] = []
    k = 0
    while True:
        i, j, e = at(k, False), at(k, True), min(n, at(k + 1, True))
        if j >= n or j - i < 2 or e - j < 2:
            break
        out.append(
            Window(
                k,
                sessions[i],
                sessions[j - 1],
                sessions[j],
                sessions[e - 1],
                (i, j - 1),
                (j, e - 1),
            )
        )
        k += 1
    if not out:
        raise WalkForwardError(
            f"the range {sessions[0]} .. {sessions[-1]} ({n} sessions) holds no in-sample "
            "window followed by an out-of-sample window: shorten them or widen the range"
        )
    return out


@dataclass(frozen=True)
class Series:
    """One strategy's whole-range daily series of one combination."""

    dates: list[dt.date]
    nav: np.ndarray
    r: np.ndarray
    rf: np.ndarray
    capital: float


def series_of(account: pl.DataFrame, capital: float) -> dict[str, Series]:
    """Per strategy of a run's ``strategy.account_daily``: dates, NAV, daily returns (the
    first from the initial capital) and risk-free returns."""
    out = {}
    for s in account["strategy"].unique(maintain_order=True).to_list():
        a = account.filter(pl.col("strategy") == s).sort("date")
        dates = a["date"].to_list()
        nav = a["nav"].to_numpy().astype(float)
        rf = m.risk_free_returns(a["rate"].fill_null(0.0).to_numpy(), dates)
        out[s] = Series(dates, nav, m.daily_returns(nav, capital), rf, capital)
    return out


def window_metrics(x: Series, i0: int, i1: int, n: int) -> dict[str, float | int | None]:
    """The metrics of sessions ``i0..i1`` (inclusive) of ``x``, as ``attribution.performance``
    computes a period's: ``start_nav`` the NAV of the session before ``i0`` (the initial
    capital at 0), ``cagr`` over calendar days from that session, Sharpe annualized by
    ``n``."""
    dates = x.dates[i0 : i1 + 1]
    nav = x.nav[i0 : i1 + 1]
    r, rf = x.r[i0 : i1 + 1], x.rf[i0 : i1 + 1]
    start_nav = float(x.nav[i0 - 1]) if i0 else x.capital
    base = x.dates[i0 - 1] if i0 else previous_trading_day(x.dates[0])
    end_nav = float(nav[-1])
    cagr = m.cagr(start_nav, end_nav, (dates[-1] - base).days)
    dd = m.max_drawdown(nav, dates, start_nav, base)
    return {
        "sessions": len(dates),
        "start_nav": start_nav,
        "end_nav": end_nav,
        "total_return": end_nav / start_nav - 1.0 if start_nav > 0 else None,
        "cagr": cagr,
        "sharpe": m.sharpe(r, rf, n),
        "max_drawdown": dd.depth,
        "calmar": m.calmar(cagr, dd.depth),
    }


def choose(values: dict[int, float | None]) -> int | None:
    """The combination with the highest defined value (ties: the lowest number)."""
    ok = [(v, -c) for c, v in values.items() if v is not None and np.isfinite(v)]
    return -max(ok)[1] if ok else None


# --------------------------------------------------------------------------------------------
# Running the combinations (the sweep's worker processes)
# --------------------------------------------------------------------------------------------


def run_account(days: list[MarketDay], cfg: AlvhConfig) -> pl.DataFrame:
    """``strategy.account_daily`` of one combination over the whole range."""
    states = {s: initial_state(s, cfg) for s in REGISTRY}
    return fold(states, days, cfg)["strategy.account_daily"]


def _account_task(item: tuple[int, AlvhConfig]) -> tuple[int, pl.DataFrame]:
    return item[0], run_account(sw._DAYS, item[1])


def run_accounts(
    con: duckdb.DuckDBPyConnection,
    combos: list[Combination],
    window: tuple[dt.date, dt.date],
    *,
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[int, pl.DataFrame]:
    """Each combination's ``strategy.account_daily`` over ``window``, one run each, the
    market read once (one worker per core; ``workers=1`` in this process)."""
    frames = sw.read_inputs(con, window)
    days = trading_days(*window)
    progress = on_progress or (lambda _d, _t: None)
    out: dict[int, pl.DataFrame] = {}
    progress(0, len(combos))
    n = max(1, min(workers or os.cpu_count() or 1, len(combos)))
    if n == 1:
        market = list(market_days(frames, days))
        for c in combos:
            out[c.index] = run_account(market, c.cfg)
            progress(len(out), len(combos))
        return out
    with ProcessPoolExecutor(
        n,
        mp_context=get_context("spawn"),
        initializer=sw._init_worker,
        initargs=(os.getpid(), frames, days),
    ) as pool:
        try:
            for index, account in pool.map(_account_task, [(c.index, c.cfg) for c in combos]):
                out[index] = account
                progress(len(out), len(combos))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return out


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def table_schema(axes: list[Axis]) -> dict[str, pl.DataType]:
    return {
        "walk_forward_id": S,
        "window_number": N,
        "in_start": D,
        "in_end": D,
        "out_start": D,
        "out_end": D,
        "criterion": S,
        "chosen_combination": N,
        "chosen_config_hash": S,
        **{a.column: column_dtype(a.key) for a in axes},
        "in_sample_value": F,
        "strategy": S,
        "sessions": N,
        "start_nav": F,
        "end_nav": F,
        **{k: F for k in OUT_METRICS},
    }


def walk_forward_table(
    wf_id: str,
    axes: list[Axis],
    combos: list[Combination],
    accounts: dict[int, pl.DataFrame],
    wins: list[Window],
    criterion: str,
    trading_days_per_year: int,
) -> pl.DataFrame:
    """One row per window and strategy: the combination chosen on the in-sample sessions by
    ALVH's ``criterion`` and every strategy's out-of-sample metrics under it. A window
    where no combination has a defined criterion is left out."""
    if criterion not in CRITERIA:
        raise WalkForwardError(f"criterion {criterion!r}: one of {', '.join(CRITERIA)}")
    by_index = {c.index: c for c in combos}
    series = {
        i: series_of(a, by_index[i].cfg.execution.initial_capital) for i, a in accounts.items()
    }
    n = trading_days_per_year
    rows = []
    for w in wins:
        values = {i: window_metrics(s[ALVH], *w.in_slice, n)[criterion] for i, s in series.items()}
        best = choose(values)
        if best is None:
            continue
        combo = by_index[best]
        for strategy, x in series[best].items():
            rows.append(
                {
                    "walk_forward_id": wf_id,
                    "window_number": w.index,
                    "in_start": w.in_start,
                    "in_end": w.in_end,
                    "out_start": w.out_start,
                    "out_end": w.out_end,
                    "criterion": criterion,
                    "chosen_combination": best,
                    "chosen_config_hash": combo.config_hash,
                    **combo.params(axes),
                    "in_sample_value": values[best],
                    "strategy": strategy,
                    **window_metrics(x, *w.out_slice, n),
                }
            )
    return pl.DataFrame(rows, schema=table_schema(axes), orient="row")


def walk_forward_id_of(sweep_id: str, criterion: str, wins: list[Window]) -> str:
    spec = f"{sweep_id}|{criterion}|" + ";".join(
        f"{w.in_start}:{w.in_end}:{w.out_start}:{w.out_end}" for w in wins
    )
    return "wf-" + hashlib.sha256(spec.encode()).hexdigest()[:12]


def write(con: duckdb.DuckDBPyConnection, table: pl.DataFrame, wf_id: str) -> None:
    """Replace the rows of ``wf_id`` (a new swept column is added to an existing table)."""
    wh.ensure_table(con, TABLE, dict(table.schema))
    with wh.transaction(con):
        con.execute(f"DELETE FROM {TABLE} WHERE walk_forward_id = ?", [wf_id])
        wh.insert(con, TABLE, table)


def summary(table: pl.DataFrame, axes: list[Axis]) -> str:
    """The text ``alvh sweep --walk-forward`` prints: per window the chosen combination,
    its parameters and in-sample criterion, and ALVH's out-of-sample metrics; then every
    strategy's out-of-sample metrics."""
    if table.is_empty():
        return "no window had a combination with a defined criterion"
    cols = ["window_number", "in_start", "in_end", "out_start", "out_end", "chosen_combination"]
    cols += [a.column for a in axes] + ["in_sample_value", *OUT_METRICS]
    with sw.text_tables(rows=200, cols=30, width=240):
        alvh = table.filter(pl.col("strategy") == ALVH).select(cols)
        every = table.select("window_number", "strategy", "sessions", *OUT_METRICS)
        crit = table["criterion"][0]
        return "\n\n".join(
            [
                f"walk-forward, chosen by {ALVH}'s in-sample {crit}; {ALVH} out of sample:\n{alvh}",
                f"every strategy out of sample (under the chosen combination):\n{every}",
            ]
        )
