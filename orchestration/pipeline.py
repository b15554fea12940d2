"""The pipeline's runs in order, as the CLI launches them (in-process, one run per step).

A partitioned step covers its whole window in one run (single-run backfill); its checks run
once right after it, over the loaded tables (Dagster would otherwise plan every check for
every partition of a long range). A single trading day is one run of everything with its
checks (what the daily schedule launches), after the dbt views if the dbt project changed
since they were built. Every write replaces its window in one transaction, so a step
interrupted by a crash leaves the tables of its last commit and re-running the same steps
finishes the work with no duplicates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from orchestration.runs import cli_tags, materialize, partition_range_tags

QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
"""Console logging at INFO: one structured line per asset, not Dagster's step events."""


@dataclass(frozen=True)
class Step:
    """One in-process run: a label, an asset selection, run config and partition tags."""

    label: str
    selection: dg.AssetSelection
    run_config: dict | None = None
    tags: dict[str, str] | None = None
    needed: Callable[[dg.DagsterInstance, dict], bool] | None = None
    """Run the step only when this returns True (given the instance and the resources)."""


def views_outdated(instance: dg.DagsterInstance, resources: dict) -> bool:
    """True when a dbt staging/intermediate model (a view, or a table for a Python model) is
    missing from the warehouse or was last materialized before the dbt manifest (re-parsed
    whenever a model, macro or test file changes) was written."""
    from orchestration.dbt import DBT_PROJECT, dbt_views

    parsed = DBT_PROJECT.manifest_path.stat().st_mtime
    for key in dbt_views.keys:
        event = instance.get_latest_materialization_event(key)
        if event is None or event.timestamp < parsed:
            return True
    names = [key.path[-1] for key in dbt_views.keys]
    if not resources["warehouse"].location().exists():
        return True
    with resources["warehouse"].connect(read_only=True) as con:
        found = con.execute(
            "SELECT count(DISTINCT n) FROM (SELECT view_name AS n FROM duckdb_views() UNION ALL "
            "SELECT table_name FROM duckdb_tables()) WHERE n IN (SELECT unnest(?))",
            [names],
        ).fetchone()[0]
    return found < len(names)


def _with_checks(label: str, selection: dg.AssetSelection, tags: dict | None) -> list[Step]:
    return [
        Step(label, selection.without_checks(), None, tags),
        Step(f"checks of {label}", selection - selection.without_checks()),
    ]


def pipeline_steps(
    first: dt.date,
    last: dt.date,
    ingest_from: dt.date,
    sample: dict | None = None,
    stages: tuple[str, ...] = ("sources", "ingest", "views", "marts", "strategy", "report"),
) -> list[Step]:
    """The steps for the trading days ``first..last`` (daily ingest and pricing from
    ``ingest_from``, for indicator warm-up); ``sample`` = config of the landing asset to
    write the sample market first."""
    from orchestration.definitions import (
        ATTRIBUTION,
        DAILY,
        DAILY_INGEST,
        LANDING,
        MARTS,
        REPORT,
        STRATEGY,
        VIEWS,
        WHOLE,
    )

    days = partition_range_tags(first, last)
    one_day = (
        days["dagster/asset_partition_range_start"] == days["dagster/asset_partition_range_end"]
    )
    if one_day and ingest_from == first and sample is None and "views" in stages:
        return [
            Step("dbt staging views", VIEWS, needed=views_outdated),
            Step(f"{first}: every asset and check", WHOLE | DAILY | REPORT, None, days),
        ]
    steps: list[Step] = []
    if sample is not None:
        steps.append(
            Step("landing files", LANDING, {"ops": {"landing__sample_market": {"config": sample}}})
        )
    if "sources" in stages:
        steps.append(Step("monthly and calendar sources", WHOLE))
    if "ingest" in stages:
        warm = partition_range_tags(ingest_from, last)
        steps += _with_checks("daily ingest and pricing", DAILY_INGEST, warm)
    if "views" in stages:
        steps.append(Step("dbt staging views", VIEWS))
    if "marts" in stages:
        steps += _with_checks("dbt marts", MARTS, days)
    if "strategy" in stages:
        steps += _with_checks("strategies", STRATEGY, days)
        steps += _with_checks("attribution", ATTRIBUTION, days)
    if "report" in stages:
        steps.append(Step("HTML report", REPORT))
    return steps


class StepFailedError(RuntimeError):
    """A run failed or one of its checks did not pass."""


def run_steps(
    steps: list[Step],
    instance: dg.DagsterInstance,
    resources: dict[str, object],
    on_step: Callable[[int, int, str], None] | None = None,
) -> None:
    """Run ``steps`` in order; stop at the first failed run or failed check."""
    from orchestration.definitions import defs

    for i, step in enumerate(steps):
        if step.needed is not None and not step.needed(instance, resources):
            continue
        if on_step is not None:
            on_step(i, len(steps), step.label)
        config = {**QUIET, **(step.run_config or {})}
        tags = {**(step.tags or {}), **cli_tags()}
        result = materialize(defs, step.selection, instance, resources, config, tags)
        failed = [  # a failing WARN-severity check is reported in Dagster, not fatal
            e.asset_check_key.name
            for e in result.get_asset_check_evaluations()
            if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
        ]
        if not result.success or failed:
            detail = f"; failed checks: {', '.join(failed)}" if failed else ""
            raise StepFailedError(f"{step.label}: run {result.run_id} failed{detail}")
    if on_step is not None:
        on_step(len(steps), len(steps), "done")
