"""The CLI's stale-run sweep (``orchestration.runs.release_stale_runs``) on an instance
configured like ``deploy/dagster.yaml`` (run monitoring, the pid-checked launcher) but on
SQLite: with no monitoring daemon alive the CLI marks a dead CLI run failed and frees its
pool slot; with a fresh heartbeat of the daemon it leaves the run to the daemon."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._daemon.types import DaemonHeartbeat

from orchestration.runs import (
    LAUNCHER_TAGS,
    MONITORING_DAEMON,
    monitored_by_daemon,
    release_stale_runs,
)

MONITORED = """
run_launcher:
  module: orchestration.launcher
  class: PidCheckedRunLauncher
run_monitoring:
  enabled: true
"""


@pytest.fixture
def instance(tmp_path: Path):
    (tmp_path / "dagster.yaml").write_text(MONITORED)
    with dg.DagsterInstance.from_config(str(tmp_path)) as inst:
        yield inst


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@dg.op
def _noop() -> None:
    pass


@dg.job
def _job() -> None:
    _noop()


def _started_run(instance: dg.DagsterInstance, pid: int) -> dg.DagsterRun:
    """A CLI run left 'started' by process ``pid``, holding a slot of pool ``duckdb_writer``."""
    instance.event_log_storage.set_concurrency_slots("duckdb_writer", 1)
    run = instance.create_run_for_job(_job, tags={**LAUNCHER_TAGS, "alvh/pid": str(pid)})
    instance.handle_run_event(
        run.run_id,
        dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_START.value, job_name=run.job_name
        ),
    )
    claim = instance.event_log_storage.claim_concurrency_slot("duckdb_writer", run.run_id, "step")
    assert claim.is_claimed
    return run


def test_no_live_daemon_the_cli_fails_the_dead_run_and_frees_its_slot(instance) -> None:
    run = _started_run(instance, _dead_pid())
    assert not monitored_by_daemon(instance)  # configured, but no daemon heartbeat
    assert release_stale_runs(instance) == [run.run_id]
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.event_log_storage.get_concurrency_info("duckdb_writer").active_slot_count == 0


def test_a_live_monitoring_daemon_is_left_to_do_it(instance) -> None:
    run = _started_run(instance, _dead_pid())
    instance.add_daemon_heartbeat(
        DaemonHeartbeat(time.time(), MONITORING_DAEMON, daemon_id="test", errors=[])
    )
    assert monitored_by_daemon(instance)
    assert release_stale_runs(instance) == []
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
