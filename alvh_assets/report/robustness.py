"""The report's robustness section: what a parameter sweep says about the chosen parameters
(``docs/research.md``, "Reading the robustness section").

Read from ``research.sweep_runs``, ``research.sweep_significance`` and
``research.sweep_deflated`` for one sweep (named, else the latest: the one whose last
combination was written last, ``finished_at``) and shaped here, without drawing:

* :func:`heatmap_grid`: ALVH's metric over two swept parameters. The other swept parameters
  are held at their default (the report's config) when the grid holds it, else at ALVH's
  best combination's value (highest Sharpe). The cell of the default values is marked.
* :func:`pareto_frontier`: the points (combination × strategy) of hedge spend (net, % of
  average NAV a year; lower is better) against max drawdown (≤ 0; higher is better) that no
  other point beats on both (lower or equal spend *and* shallower or equal drawdown, one
  strictly).
* :func:`ci_rows`: ALVH minus each other strategy at ALVH's best combination (the one of
  ``research.sweep_deflated``), with the bootstrap CIs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from alvh_assets import warehouse as wh
from alvh_assets.config import AlvhConfig
from alvh_assets.research import sweep as sw
from alvh_assets.research.grid import column_value, field_value
from alvh_assets.research.significance import ALVH

SPEND, DRAWDOWN = "hedge_net_spend_pct_nav_yr", "max_drawdown"
"""The frontier's axes (columns of ``research.sweep_runs``)."""
NOT_PARAMS = {*sw.KEYED, "strategy", *sw.METRICS, *sw.RUNS_TAIL}
"""Columns of ``research.sweep_runs`` that are not swept parameters."""


@dataclass(frozen=True)
class SweepChoice:
    """What the robustness section shows: the sweep (None: the latest), the metrics of the
    heatmaps (columns of ``research.sweep_runs``), their two parameters (``section.field``
    or column names; None: the first two swept) and the config whose values are the
    defaults marked (None: the built-in defaults)."""

    sweep_id: str | None = None
    metrics: tuple[str, ...] = ("sharpe", "max_drawdown")
    params: tuple[str, str] | None = None
    config: AlvhConfig | None = None


@dataclass(frozen=True)
class SweepView:
    """One sweep as the section reads it."""

    sweep_id: str
    params: list[str]  # swept parameter columns (more than one value), table order
    runs: pl.DataFrame
    significance: pl.DataFrame
    deflated: pl.DataFrame
    defaults: dict[str, Any] = field(default_factory=dict)  # column -> default value


@dataclass(frozen=True)
class Heatmap:
    """A metric over two parameters: ``values[i][j]`` at ``y_values[i]``, ``x_values[j]``
    (None where no combination); ``default`` the (i, j) of the default values, if held."""

    metric: str
    x: str
    y: str | None
    x_values: list[Any]
    y_values: list[Any]
    values: list[list[float | None]]
    default: tuple[int, int] | None
    held: dict[str, Any]


def _latest(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(
        f"SELECT sweep_id FROM {sw.RUNS} GROUP BY sweep_id "
        "ORDER BY max(finished_at) DESC NULLS LAST, sweep_id DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def swept_params(runs: pl.DataFrame) -> list[str]:
    """The parameter columns of ``runs`` with more than one value, in table order."""
    return [c for c in runs.columns if c not in NOT_PARAMS and runs[c].drop_nulls().n_unique() > 1]


def read_sweep(con: duckdb.DuckDBPyConnection, choice: SweepChoice) -> SweepView | None:
    """The sweep of ``choice`` (None when the warehouse has no sweep; a named sweep that is
    missing is a ``ValueError``)."""
    present = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'research'"
        ).fetchall()
    }
    if not {t.split(".")[1] for t in (sw.RUNS, sw.SIGNIFICANCE, sw.DEFLATED)} <= present:
        if choice.sweep_id is not None:
            raise ValueError(f"sweep {choice.sweep_id}: the warehouse has no sweep tables")
        return None
    sweep_id = choice.sweep_id or _latest(con)
    if sweep_id is None:
        return None

    def read(table: str) -> pl.DataFrame:
        sql = f"SELECT * FROM {table} WHERE sweep_id = ? ORDER BY ALL"
        return wh.read_frame(con, sql, [sweep_id])

    runs = read(sw.RUNS)
    if runs.is_empty():
        raise ValueError(f"sweep {sweep_id} is not in {sw.RUNS}")
    params = swept_params(runs)
    cfg = choice.config or AlvhConfig()
    defaults = {p: _default(cfg, p) for p in params}
    return SweepView(sweep_id, params, runs, read(sw.SIGNIFICANCE), read(sw.DEFLATED), defaults)


def _default(cfg: AlvhConfig, column: str) -> Any:
    """The config's value of a parameter column (``section__field``: no field name holds a
    double underscore), as the column stores it; None for a field the config lacks."""
    try:
        return column_value(field_value(cfg, column.replace("__", ".")))
    except AttributeError:
        return None


def _best(runs: pl.DataFrame) -> dict[str, Any] | None:
    """ALVH's row of highest Sharpe (lowest combination on ties)."""
    alvh = runs.filter((pl.col("strategy") == ALVH) & pl.col("sharpe").is_not_null())
    if alvh.is_empty():
        return None
    return alvh.sort(["sharpe", "combination"], descending=[True, False]).row(0, named=True)


def heatmap_grid(
    runs: pl.DataFrame,
    metric: str,
    x: str,
    y: str | None,
    params: list[str],
    defaults: dict[str, Any],
) -> Heatmap:
    """ALVH's ``metric`` over parameters ``x`` (columns) and ``y`` (rows; None: one row),
    the other ``params`` held (module docstring)."""
    alvh = runs.filter(pl.col("strategy") == ALVH)
    best = _best(runs) or {}
    held: dict[str, Any] = {}
    for p in params:
        if p in (x, y):
            continue
        values = sorted(alvh[p].drop_nulls().unique().to_list())
        held[p] = defaults[p] if defaults.get(p) in values else best.get(p, values[0])
        alvh = alvh.filter(pl.col(p) == held[p])
    xs = sorted(alvh[x].drop_nulls().unique().to_list())
    ys = sorted(alvh[y].drop_nulls().unique().to_list()) if y else [None]
    cell = {
        (r[x], r[y] if y else None): r[metric]
        for r in alvh.select(x, *([y] if y else []), metric).to_dicts()
    }
    values = [[_finite(cell.get((xv, yv))) for xv in xs] for yv in ys]
    default = None
    if defaults.get(x) in xs and (y is None or defaults.get(y) in ys):
        default = (ys.index(defaults[y]) if y else 0, xs.index(defaults[x]))
    return Heatmap(metric, x, y, xs, ys, values, default, held)


def _finite(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else None


def pareto_frontier(
    points: pl.DataFrame, spend: str = SPEND, drawdown: str = DRAWDOWN
) -> pl.Series:
    """Whether each point is on the frontier: no other point has ``spend`` ≤ and
    ``drawdown`` ≥ with one of them strict. Points with a missing value are never on it."""
    xs, ys = points[spend].to_list(), points[drawdown].to_list()
    ok = [_finite(a) is not None and _finite(b) is not None for a, b in zip(xs, ys, strict=True)]
    out = []
    for i in range(points.height):
        if not ok[i]:
            out.append(False)
            continue
        beaten = any(
            ok[j] and xs[j] <= xs[i] and ys[j] >= ys[i] and (xs[j] < xs[i] or ys[j] > ys[i])
            for j in range(points.height)
        )
        out.append(not beaten)
    return pl.Series("on_frontier", out, dtype=pl.Boolean)


def frontier_points(runs: pl.DataFrame) -> pl.DataFrame:
    """Every (combination, strategy) with its hedge spend, max drawdown and whether it is on
    the frontier, cheapest first."""
    points = runs.select("combination", "strategy", SPEND, DRAWDOWN)
    return points.with_columns(pareto_frontier(points)).sort(SPEND, "combination", "strategy")


def ci_rows(view: SweepView) -> tuple[int | None, pl.DataFrame]:
    """ALVH's best combination (``research.sweep_deflated``) and its significance rows."""
    best = view.deflated.filter(pl.col("strategy") == ALVH)
    if best.is_empty():
        return None, view.significance.head(0)
    combination = best["best_combination"][0]
    rows = view.significance.filter(pl.col("combination") == combination)
    return combination, rows.sort("versus", "metric")


@dataclass(frozen=True)
class Robustness:
    """Everything the section shows, shaped: the sweep, its heatmaps, the frontier points,
    ALVH's best combination and its significance rows."""

    view: SweepView
    heatmaps: list[Heatmap]
    frontier: pl.DataFrame
    best: int | None
    ci: pl.DataFrame


def _axes(view: SweepView, params: tuple[str, str] | None) -> tuple[str | None, str | None]:
    """The heatmaps' (x, y) columns: ``params`` (dotted or columns) or the first two swept."""
    if params is None:
        first = [*view.params, None, None]
        return first[0], first[1]
    cols = tuple(p.replace(".", "__") for p in params)
    unknown = [p for p, c in zip(params, cols, strict=True) if c not in view.params]
    if unknown:
        swept = ", ".join(view.params) or "none"
        raise ValueError(f"sweep {view.sweep_id} does not vary {unknown[0]} (swept: {swept})")
    return cols[0], cols[1]


def read_robustness(con: duckdb.DuckDBPyConnection, choice: SweepChoice) -> Robustness | None:
    """The section's data for ``choice`` (None: the warehouse has no sweep); a
    ``ValueError`` names a sweep, metric or parameter that is not there."""
    view = read_sweep(con, choice)
    if view is None:
        return None
    schema = view.runs.schema
    metrics = {c for c in (*sw.METRICS, *sw.RUNS_TAIL) if c in schema and schema[c].is_numeric()}
    bad = [m for m in choice.metrics if m not in metrics]
    if bad:
        raise ValueError(f"'{bad[0]}' is not a metric of {sw.RUNS} (e.g. sharpe, cagr, calmar)")
    x, y = _axes(view, choice.params)
    heatmaps = (
        [heatmap_grid(view.runs, m, x, y, view.params, view.defaults) for m in choice.metrics]
        if x is not None
        else []
    )
    best, ci = ci_rows(view)
    return Robustness(view, heatmaps, frontier_points(view.runs), best, ci)
