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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from alvh_assets.config import AlvhConfig
from alvh_assets.research import sweep as sw
from alvh_assets.research.grid import combinations, grid_axes, merge_axes, sweep_id_of
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


def run_configured_sweep(
    con: duckdb.DuckDBPyConnection,
    cfg: AlvhConfig,
    config_path: str | Path | None,
    overrides: Mapping[str, Any],
    on_progress: Callable[[int, int], None] | None = None,
) -> ConfiguredSweep:
    """Run (or resume) the sweep of ``research.sweep_grid`` on the warehouse of ``con``
    with ``research.workers`` processes and ``research.bootstrap_reps`` resamples;
    :class:`.sweep.SweepError` when no grid is named. ``cfg`` is the run's config, loaded
    from ``config_path`` and ``overrides``."""
    name = cfg.research.sweep_grid
    if name is None:
        grids = ", ".join(sorted(cfg.research.grids)) or "none defined"
        raise sw.SweepError(
            f"no sweep grid is named: set research.sweep_grid to one of research.grids ({grids})"
        )
    axes = merge_axes(grid_axes(cfg.research.grids[name], f"research.grids.{name}"))
    combos = combinations(axes, config_path, overrides)
    window = sw.sweep_window(con, cfg)
    sweep_id = sweep_id_of(axes, cfg, window)
    result = sw.run_sweep(
        con,
        sweep_id,
        axes,
        combos,
        window,
        workers=cfg.research.workers,
        reps=cfg.research.bootstrap_reps,
        on_progress=on_progress,
    )
    finished = len(sw.finished(con, sweep_id) & {c.config_hash for c in combos})
    best = con.execute(
        f"SELECT best_combination, dsr FROM {sw.DEFLATED} WHERE sweep_id = ? AND strategy = ?",
        [sweep_id, ALVH],
    ).fetchone()
    params = combos[best[0]].overrides if best is not None else {}
    return ConfiguredSweep(
        name,
        tuple(a.key for a in axes),
        result,
        finished,
        best[0] if best else None,
        dict(params),
        best[1] if best else None,
    )
