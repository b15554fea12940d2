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

STEP_TAG = "alvh/step"
"""Run tag naming the CLI step a run is (its label: ``checks of dbt marts``, ...)."""
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
    job: str | None = None
    """The run's job name: the step's job in ``orchestration.definitions`` (``<step>_job``,
    ``daily_job`` for one day), so the runs page names every run (None: Dagster's
    ``__ephemeral_asset_job__``)."""


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


def _with_checks(
    label: str, selection: dg.AssetSelection, tags: dict | None, job: str | None = None
) -> list[Step]:
    return [
        Step(label, selection.without_checks(), None, tags, job=job),
        Step(f"checks of {label}", selection - selection.without_checks(), job=job),
    ]


def pipeline_steps(
    first: dt.date,
    last: dt.date,
    ingest_from: dt.date,
    sample: dict | None = None,
    stages: tuple[str, ...] = ("sources", "ingest", "views", "marts", "strategy", "report"),
    fresh: bool = False,
) -> list[Step]:
    """The steps for the trading days ``first..last`` (daily ingest and pricing from
    ``ingest_from``, for indicator warm-up); ``sample`` = config of the landing asset to
    write the sample market first. One day on an existing warehouse is one run of every
    asset (what the schedule launches); on a ``fresh`` one (no warehouse file yet: the dbt
    views need the raw tables first) it takes the steps of a range."""
    from orchestration.definitions import (
        ATTRIBUTION,
        DAILY,
        DAILY_INGEST,
        LANDING,
        MARTS,
        REFERENCE,
        REPORT,
        STRATEGY,
        VIEWS,
    )

    days = partition_range_tags(first, last)
    one_day = (
        days["dagster/asset_partition_range_start"] == days["dagster/asset_partition_range_end"]
    )
    if one_day and ingest_from == first and sample is None and "views" in stages and not fresh:
        return [
            Step("dbt staging views", VIEWS, needed=views_outdated, job="views_job"),
            Step(
                f"{first}: every asset and check",
                REFERENCE | DAILY | REPORT,
                None,
                days,
                job="daily_job",
            ),
        ]
    steps: list[Step] = []
    if sample is not None:
        steps.append(
            Step(
                "landing files",
                LANDING,
                {"ops": {"landing__sample_market": {"config": sample}}},
                job="landing_job",
            )
        )
    if "sources" in stages:
        steps.append(Step("monthly and calendar sources", REFERENCE, job="reference_job"))
    if "ingest" in stages:
        warm = partition_range_tags(ingest_from, last)
        steps += _with_checks("daily ingest and pricing", DAILY_INGEST, warm, "ingest_job")
    if "views" in stages:
        steps.append(Step("dbt staging views", VIEWS, job="views_job"))
    if "marts" in stages:
        steps += _with_checks("dbt marts", MARTS, days, "marts_job")
    if "strategy" in stages:
        steps += _with_checks("strategies", STRATEGY, days, "strategies_job")
        steps += _with_checks("attribution", ATTRIBUTION, days, "attribution_job")
    if "report" in stages:
        steps.append(Step("HTML report", REPORT, job="report_job"))
    return steps


USER_FIXABLE = "alvh/user_fixable"
"""Metadata key of a ``dg.Failure`` whose cause the user can fix (a missing landing folder,
a corrupt file): the CLI exits 2 with its description."""
USER_FIXABLE_ERRORS = frozenset(
    {
        "WarehouseLockedError",
        "FileNotFoundError",
        "NotADirectoryError",
        "IsADirectoryError",
        "PermissionError",
        "BadZipFile",
        "BadGzipFile",
        "ConfigError",
    }
)
"""Exception class names, anywhere in a failed step's cause chain, that the user can fix."""


class StepFailedError(RuntimeError):
    """A run failed or one of its checks did not pass. ``str()`` is one line naming the step
    and the failure (the failed step's ``dg.Failure`` description, its innermost error, or
    the failed checks with their assets); ``user_fixable`` says the user can fix the cause
    (exit 2, not 1); ``detail`` holds the full error traces for a log file."""

    def __init__(self, message: str, user_fixable: bool = False, detail: str = "") -> None:
        super().__init__(message)
        self.user_fixable = user_fixable
        self.detail = detail


def one_line(text: str, limit: int = 400) -> str:
    """The first non-empty line of ``text``, whitespace collapsed, at most ``limit`` chars."""
    line = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    line = " ".join(line.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _error_message(error) -> str:  # noqa: ANN001 - a SerializableErrorInfo
    """``"Class: message"`` of an error's message without its module-qualified prefix."""
    message = one_line(error.message)
    prefix = message.split(":", 1)
    if len(prefix) == 2 and prefix[0].rsplit(".", 1)[-1] == error.cls_name:
        message = prefix[1].strip()
    return message


def _innermost(error):  # noqa: ANN001, ANN202 - a SerializableErrorInfo
    chain = [error]
    while chain[-1].cause is not None:
        chain.append(chain[-1].cause)
    return chain


def step_failure(label: str, result: dg.ExecuteInProcessResult) -> StepFailedError | None:
    """The :class:`StepFailedError` of a finished run, or None when it succeeded and every
    ERROR-severity check passed (a failing WARN-severity check is reported, not fatal)."""
    failed_checks = [
        e
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    if result.success and not failed_checks:
        return None
    details: list[str] = []
    first: StepFailedError | None = None
    for event in result.get_step_failure_events():
        data = event.step_failure_data
        chain = _innermost(data.error) if data.error is not None else []
        details.append(f"step {event.step_key} failed:\n{data.error.to_string() if chain else ''}")
        if first is not None or (chain and chain[-1].cls_name == "DagsterAssetCheckFailedError"):
            continue  # a blocking check's failure: named below from its evaluation
        user = data.user_failure_data
        if user is not None and user.description:
            reason = one_line(user.description)
        elif chain and chain[-1].cls_name == "WarehouseLockedError":
            reason = _error_message(chain[-1])
        elif chain:
            reason = f"{chain[-1].cls_name}: {_error_message(chain[-1])}"
        else:
            reason = "failed"
        fixable = (user is not None and _truthy((user.metadata or {}).get(USER_FIXABLE))) or any(
            e.cls_name in USER_FIXABLE_ERRORS for e in chain
        )
        first = StepFailedError(
            f"{label}: {event.step_key}: {reason} (run {result.run_id})", user_fixable=fixable
        )
    if first is None and failed_checks:
        named = "; ".join(
            f"check {e.check_name} of asset {e.asset_key.to_user_string()} failed"
            + (f": {one_line(e.description, 160)}" if e.description else "")
            for e in failed_checks
        )
        first = StepFailedError(f"{label}: {named} (run {result.run_id})")
    if first is None:
        first = StepFailedError(f"{label}: run {result.run_id} failed")
    first.detail = "\n".join(details)
    return first


def _truthy(value: object) -> bool:
    return bool(getattr(value, "value", value))


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
        tags = {**(step.tags or {}), **cli_tags(), STEP_TAG: step.label}
        result = materialize(defs, step.selection, instance, resources, config, tags, step.job)
        failure = step_failure(step.label, result)
        if failure is not None:
            raise failure
    if on_step is not None:
        on_step(len(steps), len(steps), "done")
