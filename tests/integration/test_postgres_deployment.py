"""The shared deployment on a real PostgreSQL (``deploy/dagster.yaml``, docs/production.md):
a throwaway cluster on this machine, the CLI's backfill, the daemon launching the schedule's
run for one day, run monitoring failing a CLI run that was killed, the landing sensor
running that day again through the daemon, and the webserver reading it all back — every
run, event and partition status in PostgreSQL. Slow: ``make test-slow``."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest

from alvh_assets.sample.generate import generate_sample_market
from orchestration.automation import NY, daily_after_close
from orchestration.launcher import worker_pid
from tests.integration.postgres import Server, bindir, query, throwaway_server

pytestmark = [
    pytest.mark.slow_cli,
    pytest.mark.skipif(
        bindir() is None,
        reason="PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ALVH = str(BIN / "alvh")
WORKSPACE = ["-w", str(ROOT / "workspace.yaml")]
LANDED = (dt.date(2008, 9, 29), dt.date(2008, 10, 10))
BACKFILL = ["--set", "warmup_days=10", "backfill", "--start", "2008-10-08", "--end", "2008-10-08"]
STRATEGY_ASSET = dg.AssetKey(["strategy", "account_daily"])
POLL_SECONDS = 2


@contextlib.contextmanager
def _environ(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with throwaway_server() as pg:
        pg.createdb("dagster")
        yield pg


@pytest.fixture(scope="module")
def env(server: Server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A project home whose Dagster instance is ``deploy/dagster.yaml`` on the throwaway
    server (run monitoring polled, and a dead run's slots freed, after 2 s: the one change)."""
    home = tmp_path_factory.mktemp("pg_home")
    generate_sample_market(*LANDED, home / "landing")
    dagster_home = home / "dagster_home"
    dagster_home.mkdir()
    config = (ROOT / "deploy" / "dagster.yaml").read_text()
    for setting in ("poll_interval_seconds: 30", "free_slots_after_run_end_seconds: 60"):
        assert setting in config
        config = config.replace(setting, f"{setting.split(':')[0]}: {POLL_SECONDS}")
    (dagster_home / "dagster.yaml").write_text(config)
    return {
        **os.environ,
        **server.env("dagster"),
        "ALVH_HOME": str(home),
        "ALVH_LANDING_DIR": str(home / "landing"),
        "ALVH_WAREHOUSE": str(home / "warehouse" / "alvh.duckdb"),
        "DAGSTER_HOME": str(dagster_home),
    }


def _wait(what: str, seconds: float, ready: Callable[[], object]) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = ready()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"not within {seconds:.0f} s: {what}")


def _dagster(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [str(BIN / "dagster"), *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def backfilled(env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run([ALVH, *BACKFILL], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return env


def test_the_cli_backfill_lands_runs_events_and_partitions_in_postgres(
    backfilled: dict[str, str],
) -> None:
    with _environ(backfilled), dg.DagsterInstance.get() as instance:
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        runs = instance.get_run_records()
        assert runs and {r.dagster_run.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
        done = instance.get_materialized_partitions(STRATEGY_ASSET)
    assert done == {"2008-10-08"}
    # the same facts, read from PostgreSQL's own tables
    assert query(backfilled, "select count(*) from runs where status = 'SUCCESS'") == [(len(runs),)]
    partitions = query(
        backfilled,
        "select distinct partition from event_logs where dagster_event_type = "
        "'ASSET_MATERIALIZATION' and asset_key = '[\"strategy\", \"account_daily\"]'",
    )
    assert {p for (p,) in partitions} == done
    (checks,) = query(backfilled, "select count(*) from asset_check_executions")
    assert checks[0] > 0


@pytest.fixture(scope="module")
def daemon(backfilled: dict[str, str]) -> Iterator[dict[str, str]]:
    log = Path(backfilled["ALVH_HOME"]) / "daemon.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", *WORKSPACE],
            env=backfilled, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield backfilled
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _launch(env: dict[str, str], request: dg.RunRequest) -> None:
    tags = {**request.tags, "dagster/partition": request.partition_key}
    _dagster(env, "job", "launch", *WORKSPACE, "-j", "daily_job", "--tags", json.dumps(tags))


def _runs_of(instance: dg.DagsterInstance, day: str) -> list[dg.DagsterRun]:
    records = instance.get_run_records(filters=dg.RunsFilter(tags={"dagster/partition": day}))
    return [r.dagster_run for r in records]


def test_the_daemon_launches_the_schedules_run_for_one_day(daemon: dict[str, str]) -> None:
    """The schedule's request for 2008-10-09 (its tick at 18:30 New York time), submitted to
    the queue; the daemon dequeues it and launches it through the code server."""
    tick = dt.datetime(2008, 10, 9, 18, 30, tzinfo=NY)
    request = daily_after_close(dg.build_schedule_context(scheduled_execution_time=tick))
    assert isinstance(request, dg.RunRequest) and request.partition_key == "2008-10-09"
    with _environ(daemon), dg.DagsterInstance.get() as instance:
        _launch(daemon, request)

        def finished() -> dg.DagsterRun | None:
            (run,) = _runs_of(instance, "2008-10-09")
            return run if run.is_finished else None

        run = _wait("the schedule's run finished", 600, finished)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.job_name == "daily_job"
        assert worker_pid(instance, run) not in (None, os.getpid())
        assert "2008-10-09" in instance.get_materialized_partitions(STRATEGY_ASSET)


def test_run_monitoring_fails_a_killed_cli_run_and_the_sensor_runs_the_day_again(
    daemon: dict[str, str],
) -> None:
    """A CLI run is in-process: no code server watches it, the daemon's run monitoring does
    (:class:`orchestration.launcher.PidCheckedRunLauncher`); then the landing sensor,
    started on the day before, runs that day through the daemon."""
    proc = subprocess.Popen(
        [ALVH, "run", "--date", "2008-10-10"], env=daemon,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    with _environ(daemon), dg.DagsterInstance.get() as instance:

        def cli_run() -> dg.DagsterRun | None:
            runs = instance.get_runs(
                filters=dg.RunsFilter(
                    tags={"alvh/pid": str(proc.pid)}, statuses=[dg.DagsterRunStatus.STARTED]
                )
            )
            return runs[0] if runs else None

        run = _wait("the CLI's run started", 300, cli_run)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

        def failed() -> bool:
            return instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE

        _wait("run monitoring marked the killed CLI run failed", 60, failed)
        messages = [
            r.event_log_entry.dagster_event.message
            for r in instance.get_records_for_run(
                run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE
            ).records
        ]
        assert any(f"worker process {proc.pid} is gone" in m for m in messages), messages

        _dagster(
            daemon, "sensor", "cursor", *WORKSPACE, "landing_day_sensor", "--set", "2008-10-09"
        )
        _dagster(daemon, "sensor", "start", *WORKSPACE, "landing_day_sensor")

        def sensor_run_done() -> bool:
            runs = [r for r in _runs_of(instance, "2008-10-10") if "dagster/sensor_name" in r.tags]
            return any(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)

        _wait("the sensor's run for 2008-10-10 succeeded", 600, sensor_run_done)
        (sensor_run,) = [
            r for r in _runs_of(instance, "2008-10-10") if "dagster/sensor_name" in r.tags
        ]
        assert sensor_run.tags["dagster/sensor_name"] == "landing_day_sensor"
        assert instance.get_materialized_partitions(STRATEGY_ASSET) == {
            "2008-10-08", "2008-10-09", "2008-10-10",
        }  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_webserver_reads_the_runs_from_postgres(backfilled: dict[str, str]) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "dagster-webserver"), *WORKSPACE, "-h", "127.0.0.1", "-p", str(port)],
        env=backfilled, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            with contextlib.suppress(OSError):
                return urllib.request.urlopen(f"{url}/server_info", timeout=2).status == 200
            return False

        _wait("the webserver answers", 120, up)
        body = json.dumps({"query": "{ runsOrError { ... on Runs { count } } }"}).encode()
        req = urllib.request.Request(
            f"{url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        answer = json.loads(urllib.request.urlopen(req, timeout=60).read())
        (runs,) = query(backfilled, "select count(*) from runs")
        assert answer["data"]["runsOrError"]["count"] == runs[0] > 0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
