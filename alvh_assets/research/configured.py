"""The sweep of the grid named in the config (``research.sweep_grid``), as the Dagster asset
``research_sweep`` runs it (``docs/research.md``).

The grid is ``research.grids[research.sweep_grid]`` in the syntax of a grid file
(:func:`alvh_assets.research.grid.grid_axes`); its combinations sit on top of the run's
config (file and overrides), the window is :func:`.sweep.sweep_window`'s default (the stored
strategy range) and the sweep id is :func:`.grid.sweep_id_of`'s digest, so the asset and
``alvh sweep --grid-file`` of the same grid, config and window run *the same* sweep: one
resumes the other, in the same tables (``research.sweep_runs``, ``sweep_significance``,
``sweep_deflated``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from alvh_assets.config import AlvhConfig
from alvh_assets.research import sweep as sw
from alvh_assets.research.grid import (
    Axis,
    Combination,
    combinations,
    grid_axes,
    merge_axes,
    sweep_id_of,
)
from alvh_assets.research.significance import ALVH


@dataclass(frozen=True)
class ConfiguredSweep:
    """What a run of the configured sweep did, and ALVH's best combination afterwards."""

    grid: str
    keys: tuple[str, ...]
    result: sw.SweepResult
    finished: int  # combinations of the grid with results (this run's and earlier ones)
    best_combination: int | None  # ALVH's highest Sharpe (research.sweep_deflated)
    best_params: dict[str, Any]
    dsr: float | None  # its deflated Sharpe ratio


@dataclass(frozen=True)
class ConfiguredGrid:
    """The sweep the config names: grid name, axes, combinations, window and sweep id."""

    name: str
    axes: list[Axis]
    combos: list[Combination]
    window: tuple[dt.date, dt.date]
    sweep_id: str


def configured_grid(
    con: duckdb.DuckDBPyConnection,
    cfg: AlvhConfig,
    config_path: str | Path | None,
    overrides: Mapping[str, Any],
    window: tuple[dt.date, dt.date] | None = None,
) -> ConfiguredGrid:
    """The grid ``research.grids[research.sweep_grid]`` on top of the run's config (loaded
    from ``config_path`` and ``overrides``), over ``window`` (default: the stored strategy
    range of the warehouse behind ``con``, :func:`.sweep.sweep_window`);
    :class:`.sweep.SweepError` when no grid is named."""
    name = cfg.research.sweep_grid
    if name is None:
        grids = ", ".join(sorted(cfg.research.grids)) or "none defined"
        raise sw.SweepError(
            f"no sweep grid is named: set research.sweep_grid to one of research.grids ({grids})"
        )
    axes = merge_axes(grid_axes(cfg.research.grids[name], f"research.grids.{name}"))
    combos = combinations(axes, config_path, overrides)
    window = window or sw.sweep_window(con, cfg)
    return ConfiguredGrid(name, axes, combos, window, sweep_id_of(axes, cfg, window))


def best_of(
    con: duckdb.DuckDBPyConnection, grid: ConfiguredGrid, result: sw.SweepResult
) -> ConfiguredSweep:
    """What the sweep of ``grid`` holds after a run: finished combinations, and ALVH's best
    combination in ``research.sweep_deflated`` with its DSR."""
    finished = len(sw.finished(con, grid.sweep_id) & {c.config_hash for c in grid.combos})
    best = con.execute(
        f"SELECT best_combination, dsr FROM {sw.DEFLATED} WHERE sweep_id = ? AND strategy = ?",
        [grid.sweep_id, ALVH],
    ).fetchone()
    params = grid.combos[best[0]].overrides if best is not None else {}
    return ConfiguredSweep(
        grid.name,
        tuple(a.key for a in grid.axes),
        result,
        finished,
        best[0] if best else None,
        dict(params),
        best[1] if best else None,
    )


def run_configured_sweep(
    con: duckdb.DuckDBPyConnection,
    cfg: AlvhConfig,
    config_path: str | Path | None,
    overrides: Mapping[str, Any],
    on_progress: Callable[[int, int], None] | None = None,
) -> ConfiguredSweep:
    """Run (or resume) the sweep of ``research.sweep_grid`` (:func:`configured_grid`) on
    the warehouse of ``con`` with ``research.workers`` processes and
    ``research.bootstrap_reps`` resamples."""
    grid = configured_grid(con, cfg, config_path, overrides)
    result = sw.run_sweep(
        con,
        grid.sweep_id,
        grid.axes,
        grid.combos,
        grid.window,
        workers=cfg.research.workers,
        reps=cfg.research.bootstrap_reps,
        on_progress=on_progress,
    )
    return best_of(con, grid, result)
