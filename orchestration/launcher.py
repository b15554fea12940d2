"""A run launcher whose run workers Dagster's run monitoring can check, on one host.

Dagster's :class:`~dagster.DefaultRunLauncher` starts each run's worker as a process of the
code server, but cannot tell the monitoring daemon whether that worker is still alive
(``supports_check_run_worker_health`` is False), so a worker killed by the OOM killer, a
reboot or ``kill -9`` leaves its run ``STARTED`` for ever and its concurrency slots taken.
This subclass answers the daemon's health check from the worker's process id:

* a run launched by the daemon or the UI: the pid its worker records on its engine events
  (``Executing steps in process (pid: N)``);
* a run the CLI executes in-process (tags ``alvh/launcher=cli``, ``alvh/pid``): the CLI's pid.

A pid that no longer exists is ``FAILED`` (the daemon then marks the run failed and frees
its slots, what :func:`orchestration.runs.release_stale_runs` does when no daemon runs);
a live one is ``RUNNING``; a run with no pid recorded yet is ``RUNNING`` (the run
monitoring's ``start_timeout_seconds`` covers a worker that never starts). The check is only
valid when the daemon and the run workers share one machine, as in ``deploy/dagster.yaml``;
a fleet of machines uses a launcher that owns its workers (``dagster-k8s``'s
``K8sRunLauncher``, which has its own health check). The health-check types live in
``dagster._core.launcher`` (not exported by Dagster; pinned in ``constraints.txt``, the
behaviour is tested in ``tests/integration/test_postgres_deployment.py``).
"""

from __future__ import annotations

import dagster as dg
from dagster._core.launcher.base import CheckRunHealthResult, WorkerStatus

from orchestration.runs import LAUNCHER_TAGS, process_alive


def worker_pid(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int | None:
    """The pid of the process executing ``run``: the CLI's for an in-process run, else the
    last one the run worker recorded on its engine events (``Executing steps in process
    (pid: N)``; a resumed run records its new worker)."""
    if all(run.tags.get(k) == v for k, v in LAUNCHER_TAGS.items()):
        return int(run.tags.get("alvh/pid", "0")) or None
    records = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, ascending=False
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        pid = event.engine_event_data.metadata.get("pid") if event else None
        if pid is not None:
            return int(pid.value)
    return None


class PidCheckedRunLauncher(dg.DefaultRunLauncher):
    """:class:`dagster.DefaultRunLauncher` + a run-worker health check by process id."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        """FAILED when the run's worker process is gone, else RUNNING (see the module)."""
        pid = worker_pid(self._instance, run)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no worker pid recorded yet")
        if process_alive(pid):
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"worker pid {pid} is alive")
        return CheckRunHealthResult(WorkerStatus.FAILED, f"worker process {pid} is gone")
