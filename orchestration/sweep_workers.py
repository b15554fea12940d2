"""Dagster job ``sweep_workers_job``: the configured sweep (``research.sweep_grid``) spread
over worker processes, on the shared DuckLake warehouse (``docs/production.md``).

Steps, each a process of its own (Dagster's multiprocess executor on one machine, at most
``max_concurrent`` at a time; Celery workers on several machines in production:
:func:`sweep_executor`):

1. ``plan_lake_sweep``: the sweep's tables made in the lake, its window fixed (the
   published strategy range) and the combinations not yet finished cut into chunks of
   ``combinations_per_step``, one dynamic output each;
2. ``run_lake_sweep_chunk`` (one step per chunk): the chunk's market read from the lake,
   every combination run (:func:`alvh_assets.research.sweep.compute`) and written in its
   own transaction, so one DuckLake snapshot per combination: concurrent steps append to
   the same tables without conflict, and a failed or killed step loses only the
   combination it was computing (retried: the step skips what is already written);
3. ``deflate_lake_sweep``: ``research.sweep_deflated`` over the grid's combinations.

The results are the single-process sweep's (``alvh sweep``, the ``research_sweep`` asset):
same sweep id, config hashes and per-combination bootstrap seeds (a test compares them).
Every step attaches the lake read-write (``ALVH_DUCKLAKE_CATALOG``,
``ALVH_DUCKLAKE_DATA_PATH``). The ``research`` tables live in the lake only: a publication
replaces the published schemas (:data:`alvh_assets.lake.SCHEMAS`) and never touches them. A
step reads the market of the planned window from the latest publication; a daily
publication adds days after the window, which the sweep does not read.
"""

import datetime as dt
import json
import os

import dagster as dg
import duckdb
from pydantic import Field

from alvh_assets import lake, paths
from alvh_assets.config import AlvhConfig
from alvh_assets.dagster_support import AlvhSettings
from alvh_assets.research import sweep as sw
from alvh_assets.research.configured import ConfiguredGrid, best_of, configured_grid


class SweepWorkersConfig(dg.Config):
    """How the sweep is cut into steps."""

    combinations_per_step: int = Field(
        default=1,
        ge=1,
        description="Combinations one step runs (each step reads the window's market once).",
    )


def sweep_executor() -> dg.ExecutorDefinition:
    """The executor of ``sweep_workers_job``, chosen by ``$ALVH_SWEEP_EXECUTOR``:
    ``multiprocess`` (default; run config ``execution.config.max_concurrent``
    is the number of workers) or ``celery`` (``dagster_celery.celery_executor``: broker,
    backend and queues in the run config, workers started by ``dagster-celery worker
    start``)."""
    if paths.sweep_executor() == "celery":
        from dagster_celery import celery_executor

        return celery_executor
    return dg.multiprocess_executor


def _grid(
    alvh: AlvhSettings,
    cfg: AlvhConfig,
    con: duckdb.DuckDBPyConnection,
    window: tuple[dt.date, dt.date] | None = None,
) -> ConfiguredGrid:
    """The configured sweep of the run's settings (``cfg``, loaded from them) over
    ``window`` (default: the lake's)."""
    return configured_grid(con, cfg, alvh.config_path, json.loads(alvh.overrides_json), window)


def _planned(
    alvh: AlvhSettings, cfg: AlvhConfig, con: duckdb.DuckDBPyConnection, plan: dict
) -> ConfiguredGrid:
    """The grid of the planned sweep; a failure when the config no longer gives its id."""
    first, last = plan["window"]
    window = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    grid = _grid(alvh, cfg, con, window)
    if grid.sweep_id != plan["sweep_id"]:
        raise dg.Failure(
            f"the config gives sweep {grid.sweep_id}, not the planned {plan['sweep_id']}: "
            "it changed between the steps"
        )
    return grid


@dg.op(
    out={"plan": dg.Out(dict), "chunks": dg.DynamicOut(list)},
    tags={"dagster/kind/ducklake": ""},
)
def plan_lake_sweep(context: dg.OpExecutionContext, config: SweepWorkersConfig, alvh: AlvhSettings):
    """Make the sweep's tables in the lake, fix its window and sweep id, and yield the
    unfinished combinations in chunks of ``combinations_per_step``."""
    with lake.attach_published(read_only=False) as con:
        try:
            grid = _grid(alvh, alvh.load(), con)
            todo = sw.plan_sweep(con, grid.sweep_id, grid.axes, grid.combos, grid.window)
        except sw.SweepError as e:
            raise dg.Failure(description=str(e)) from e
    plan = {
        "sweep_id": grid.sweep_id,
        "window": [d.isoformat() for d in grid.window],
        "combinations": len(grid.combos),
        "to_run": len(todo),
    }
    context.log.info(
        f"sweep {grid.sweep_id} ({grid.name}): {len(todo)} of {len(grid.combos)} to run"
    )
    yield dg.Output(plan, "plan", metadata=plan)
    step = config.combinations_per_step
    for first in range(0, len(todo), step):
        indices = [c.index for c in todo[first : first + step]]
        yield dg.DynamicOutput(
            indices, output_name="chunks", mapping_key=f"c{indices[0]}_{indices[-1]}"
        )


@dg.op(
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5),
    tags={"dagster/kind/ducklake": ""},
)
def run_lake_sweep_chunk(
    context: dg.OpExecutionContext, alvh: AlvhSettings, plan: dict, indices: list
) -> dict:
    """Run the combinations ``indices`` of the planned sweep not yet in the lake and write
    each in its own transaction; the process id and the combinations run."""
    cfg = alvh.load()
    with lake.attach_published(read_only=False) as con:
        grid = _planned(alvh, cfg, con, plan)
        done = sw.finished(con, grid.sweep_id)
        by_index = {c.index: c for c in grid.combos}
        todo = [by_index[i] for i in indices if by_index[i].config_hash not in done]

        def write(outcome: sw.Outcome) -> None:
            sw.write_outcome(con, grid.sweep_id, by_index[outcome.index], grid.axes, outcome)
            context.log.info(f"combination {outcome.index}: {outcome.seconds:.1f} s")

        sw.compute(con, todo, grid.window, write, workers=1, reps=cfg.research.bootstrap_reps)
    ran = {"pid": os.getpid(), "combinations": [c.index for c in todo]}
    context.add_output_metadata(ran)
    return ran


@dg.op(tags={"dagster/kind/ducklake": ""})
def deflate_lake_sweep(
    context: dg.OpExecutionContext, alvh: AlvhSettings, plan: dict, chunks: list
) -> dict:
    """``research.sweep_deflated`` of the sweep over the grid's combinations; metadata:
    the combinations finished, ALVH's best one and its DSR, the worker processes used."""
    with lake.attach_published(read_only=False) as con:
        grid = _planned(alvh, alvh.load(), con, plan)
        sw.write_deflated(con, grid.sweep_id, grid.combos)
        ran = sum(len(c["combinations"]) for c in chunks)
        skipped = plan["combinations"] - plan["to_run"]
        result = sw.SweepResult(grid.sweep_id, grid.window, len(grid.combos), skipped, ran)
        done = best_of(con, grid, result)
    summary = {
        "sweep_id": grid.sweep_id,
        "combinations": len(grid.combos),
        "finished": done.finished,
        "ran": ran,
        "worker_processes": len({c["pid"] for c in chunks}),
        "best_combination": done.best_combination if done.best_combination is not None else -1,
        "dsr": float(done.dsr) if done.dsr is not None else float("nan"),
    }
    context.add_output_metadata(summary)
    return summary


def sweep_job(executor_def: dg.ExecutorDefinition | None = None) -> dg.JobDefinition:
    """``sweep_workers_job`` on ``executor_def`` (default :func:`sweep_executor`)."""

    @dg.job(
        name="sweep_workers_job",
        executor_def=executor_def or sweep_executor(),
        description="Run (or resume) the sweep of research.sweep_grid on the shared DuckLake "
        "warehouse, its combinations spread over worker processes (docs/production.md).",
        tags={"team": "alvh-quant"},
    )
    def job() -> None:
        plan, chunks = plan_lake_sweep()
        deflate_lake_sweep(plan, chunks.map(lambda c: run_lake_sweep_chunk(plan, c)).collect())

    return job


sweep_workers_job = sweep_job()
