"""Launching runs in-process against the project's Dagster instance (used by the CLI)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from alvh_assets import paths
from alvh_assets.calendars import trading_days

INSTANCE_CONFIG = """\
# written by alvh (orchestration/runs.py); a dagster.yaml without this line is left alone
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1  # the DuckDB writers share the pool "duckdb_writer": one at a time
event_log_storage:  # SQLite, a partition range's events in one transaction
  module: orchestration.event_log
  class: BatchedSqliteEventLogStorage
  config:
    base_dir: history/runs  # relative to DAGSTER_HOME: a copied project keeps its own
"""
"""The instance config alvh writes. It holds no absolute path (every storage lives under
``DAGSTER_HOME``), so a project folder copied or moved elsewhere writes its own history."""
EPHEMERAL_JOB = "__ephemeral_asset_job__"
"""Dagster's name for a run of assets without a job (``dg.materialize``)."""
LAUNCHER_TAGS = {"alvh/launcher": "cli"}
"""Tags of the runs the CLI launches in-process (with ``alvh/pid``, the launching process)."""


def instance_home() -> Path:
    """Use ``DAGSTER_HOME`` (default: project-local), writing its ``dagster.yaml`` (SQLite
    storage with batched event writes, no telemetry, every pool limited to one op at a time)
    unless one not written by alvh is there (e.g. a Postgres deployment's)."""
    home = paths.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    config = home / "dagster.yaml"
    wanted = INSTANCE_CONFIG
    current = config.read_text() if config.exists() else None
    if current is None or (current != wanted and current.startswith(wanted.split("\n")[0])):
        config.write_text(wanted)
    return home


def cli_tags() -> dict[str, str]:
    """Tags marking a run as launched in-process by this CLI process."""
    return {**LAUNCHER_TAGS, "alvh/pid": str(os.getpid())}


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (one we may not signal counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


MONITORING_DAEMON = "MONITORING"
"""The daemon type of Dagster's run monitoring (its heartbeats in the instance)."""


def monitored_by_daemon(instance: dg.DagsterInstance) -> bool:
    """Whether a live daemon's run monitoring checks run workers: the instance enables it
    with a launcher that can check a worker (``deploy/dagster.yaml``) and the monitoring
    daemon's heartbeat is fresh. The daemon then marks dead runs failed and the CLI leaves
    that to it; configured but no daemon up (a machine where only the CLI runs, the daemon
    stopped), the CLI does it, or a run left 'started' by a crash would hold the
    warehouse's pool slot for ever."""
    if not (
        instance.run_monitoring_enabled and instance.run_launcher.supports_check_run_worker_health
    ):
        return False
    status = instance.get_daemon_statuses([MONITORING_DAEMON]).get(MONITORING_DAEMON)
    return status is not None and status.healthy


def release_stale_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the CLI runs left 'started' by a process that no longer exists (a crash or
    a kill) and free their concurrency slots, so the next run does not wait for them.
    Returns their run ids. Nothing when the daemon's run monitoring does it
    (:func:`monitored_by_daemon`, with :class:`orchestration.launcher.PidCheckedRunLauncher`)."""
    if monitored_by_daemon(instance):
        return []
    records = instance.get_run_records(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
            tags=LAUNCHER_TAGS,
        )
    )
    released = []
    for record in records:
        run = record.dagster_run
        pid = int(run.tags.get("alvh/pid", "0"))
        if pid == os.getpid() or (pid and process_alive(pid)):
            continue
        instance.report_run_failed(run, f"launching process {pid} is gone (interrupted run)")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released


def partition_range_tags(start: dt.date, end: dt.date) -> dict[str, str]:
    """Run tags that make one run cover every trading-day partition in ``[start, end]``."""
    days = trading_days(start, end)
    if not days:
        raise ValueError(f"no NYSE trading day in {start} .. {end}")
    return {
        "dagster/asset_partition_range_start": days[0].isoformat(),
        "dagster/asset_partition_range_end": days[-1].isoformat(),
    }


def materialize(
    defs: dg.Definitions,
    selection: dg.AssetSelection,
    instance: dg.DagsterInstance,
    resources: dict[str, object],
    run_config: dict | None = None,
    tags: dict[str, str] | None = None,
    job_name: str | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize ``selection`` (with its checks) of ``defs`` in one in-process run of the
    job ``job_name`` (what ``dg.materialize`` does, under a name: the runs page then shows
    ``ingest_job``, not ``__ephemeral_asset_job__``)."""
    name = job_name or EPHEMERAL_JOB
    job_defs = dg.Definitions(
        assets=[*(defs.assets or []), *(defs.asset_checks or [])],
        jobs=[dg.define_asset_job(name, selection=selection)],
        resources=resources,
    )
    return job_defs.resolve_job_def(name).execute_in_process(
        run_config=run_config, instance=instance, tags=tags, raise_on_error=False
    )
