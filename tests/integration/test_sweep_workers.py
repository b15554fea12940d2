"""The sweep spread over worker processes (``sweep_workers_job``) on a real PostgreSQL
(:func:`tests.integration.postgres.throwaway_server`): Dagster's run and event storage
(``deploy/dagster.yaml``) and the DuckLake catalog of the shared warehouse on it, the
October 2008 warehouse published to the lake, and the 2×2 grid run by two worker processes
at a time, on Dagster's multiprocess executor and on a Celery worker pool (broker and
result backend on the same PostgreSQL). Either way the lake's sweep tables equal the
single-process sweep's in the DuckDB file, row for row (run times left out)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.events import DagsterEventType

from alvh_assets import lake
from alvh_assets.config import load_config
from alvh_assets.research import sweep as sw
from alvh_assets.research.configured import ConfiguredSweep, run_configured_sweep
from alvh_assets.research.significance import METRICS
from alvh_assets.strategy.registry import REGISTRY
from bench.compare_warehouses import compare_attached
from orchestration.definitions import defs
from orchestration.sweep_workers import sweep_job
from tests.integration.oct08 import OVERRIDES
from tests.integration.postgres import PASSWORD, USER, Server, bindir, throwaway_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.slow_cli,  # worker processes and a Celery pool: make test-slow
    pytest.mark.skipif(bindir() is None, reason="PostgreSQL binaries (initdb) not found"),
]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GRID = {"condor.pop_target": [0.72, 0.75], "hedge.valuation_budget_max": [0.28, 0.24]}
RESEARCH = {
    **OVERRIDES,
    "research.grids": {"grid": GRID},
    "research.sweep_grid": "grid",
    "research.bootstrap_reps": 200,
    "research.workers": 1,
}
RESOURCES = {"resources": {"alvh": {"config": {"overrides_json": json.dumps(RESEARCH)}}}}
TIMINGS = frozenset({"run_seconds", "finished_at"})
"""Columns (of ``research.sweep_runs``) that differ between two runs of a combination."""
ROWS = {
    sw.RUNS: 4 * len(REGISTRY),
    sw.SIGNIFICANCE: 4 * (len(REGISTRY) - 1) * len(METRICS),
    sw.DEFLATED: len(REGISTRY),
}
_names = itertools.count()


def sweep_workers() -> dg.JobDefinition:
    """The job of the code location (multiprocess executor), rebuilt in every step process."""
    return defs.get_job_def("sweep_workers_job")


def celery_sweep() -> dg.JobDefinition:
    """The same job on ``dagster_celery.celery_executor``, with the code location's resources
    (rebuilt by the Celery worker for each step)."""
    from dagster_celery import celery_executor

    job = sweep_job(celery_executor)
    return dg.Definitions(jobs=[job], resources=defs.resources).get_job_def(job.name)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with throwaway_server() as pg:
        pg.createdb("dagster")
        yield pg


@pytest.fixture(scope="module")
def single(
    attributed: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ConfiguredSweep]:
    """The configured sweep in one process, on a copy of the DuckDB warehouse."""
    db = tmp_path_factory.mktemp("single") / "alvh.duckdb"
    shutil.copy(attributed, db)
    with duckdb.connect(str(db)) as con:
        alone = run_configured_sweep(con, load_config(None, RESEARCH), None, RESEARCH)
    assert (alone.result.total, alone.result.ran) == (4, 4)
    return db, alone


@pytest.fixture
def deployment(
    server: Server, attributed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dg.DagsterInstance]:
    """``deploy/dagster.yaml`` on the server, a new lake (catalog on the server, Parquet
    files in ``tmp_path``) holding the October 2008 publication; the environment the step
    processes and workers inherit."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    name = f"lake{next(_names)}"
    server.createdb(name)
    for key, value in server.env("dagster").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv(
        "ALVH_DUCKLAKE_CATALOG", f"dbname={name} host=127.0.0.1 port={server.port} user={USER}"
    )
    monkeypatch.setenv("ALVH_DUCKLAKE_DATA_PATH", str(tmp_path / "lake"))
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    with duckdb.connect(str(attributed), read_only=True) as con:
        lake.publish_to_lake(con)
    with dg.DagsterInstance.get() as instance:
        yield instance


def _lake_against(db: Path) -> dict[str, dict]:
    """The research tables of the lake (``b``) against those of the DuckDB file ``db``
    (``a``), by ``compare_warehouses.compare_attached``, keyed ``schema.table``."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{db}' AS a (READ_ONLY)")
        lake.attach(con, "b", read_only=True)
        compared = compare_attached(con, ("research",), TIMINGS)
    finally:
        con.close()
    return {f"{r['schema']}.{r['table']}": r for r in compared}


def _run(instance: dg.DagsterInstance, job, run_config: dict) -> tuple[list[dict], dict, dict]:
    """Execute the job; its chunks' outputs, the deflate step's summary and the plan."""
    with dg.execute_job(dg.reconstructable(job), instance, run_config=run_config) as result:
        assert result.success
        assert instance.get_run_by_id(result.run_id).is_success  # read back from PostgreSQL
        mapped = [
            e for e in result.get_step_success_events() if e.step_key.startswith("run_lake_sweep")
        ]
        chunks = result.output_for_node("run_lake_sweep_chunk") if mapped else {}
        return (
            list(chunks.values()),
            result.output_for_node("deflate_lake_sweep"),
            result.output_for_node("plan_lake_sweep", "plan"),
        )


def _same_as_single(
    single: tuple[Path, ConfiguredSweep], chunks: list[dict], summary: dict
) -> set[int]:
    """Assert the lake's sweep is the single-process one; the worker processes' ids."""
    db, alone = single
    assert sorted(i for c in chunks for i in c["combinations"]) == [0, 1, 2, 3]
    assert (summary["sweep_id"], summary["finished"], summary["ran"]) == (
        alone.result.sweep_id,
        4,
        4,
    )
    assert summary["best_combination"] == alone.best_combination
    compared = _lake_against(db)
    assert set(compared) == set(ROWS)
    for table, count in ROWS.items():
        assert compared[table]["rows_b"] == count, table
        assert compared[table]["identical"], compared[table]
    pids = {c["pid"] for c in chunks}
    assert os.getpid() not in pids
    return pids


def test_two_processes_of_the_multiprocess_executor_give_the_single_process_sweep(
    deployment: dg.DagsterInstance, single: tuple[Path, ConfiguredSweep], tmp_path: Path
) -> None:
    assert type(deployment.run_storage).__name__ == "PostgresRunStorage"
    chunks, summary, _ = _run(
        deployment, sweep_workers, {**RESOURCES, "execution": {"config": {"max_concurrent": 2}}}
    )
    assert len(_same_as_single(single, chunks, summary)) == 4  # a process per step
    # a second run, from Dagster's CLI with docs/production.md's config: nothing left to run
    config = tmp_path / "sweep.yaml"
    config.write_text(
        "resources:\n  alvh:\n    config:\n"
        f"      overrides_json: '{json.dumps(RESEARCH)}'\n"
        "ops:\n  plan_lake_sweep:\n    config:\n      combinations_per_step: 4\n"
        "execution:\n  config:\n    max_concurrent: 8\n"
    )
    done = subprocess.run(
        [str(BIN / "dagster"), "job", "execute", "-m", "orchestration.definitions"]
        + ["-j", "sweep_workers_job", "-c", str(config)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (last,) = deployment.get_run_records(dg.RunsFilter(job_name="sweep_workers_job"), limit=1)
    assert last.dagster_run.is_success
    plan = [
        e.dagster_event.step_output_data
        for e in deployment.all_logs(last.dagster_run.run_id, DagsterEventType.STEP_OUTPUT)
        if e.dagster_event.step_key == "plan_lake_sweep"
    ]
    assert plan and all(p.metadata["to_run"].value == 0 for p in plan if p.output_name == "plan")
    with lake.attach_published() as con:
        assert con.execute(f"SELECT count(*) FROM {sw.RUNS}").fetchone()[0] == ROWS[sw.RUNS]


def test_a_celery_pool_of_two_workers_on_postgres_gives_the_single_process_sweep(
    deployment: dg.DagsterInstance,
    single: tuple[Path, ConfiguredSweep],
    server: Server,
    tmp_path: Path,
) -> None:
    broker = f"celery{next(_names)}"
    server.createdb(broker)
    url = f"{USER}:{PASSWORD}@127.0.0.1:{server.port}/{broker}"
    celery = {
        "broker": f"sqla+postgresql+psycopg2://{url}",  # kombu's SQLAlchemy transport
        "backend": f"db+postgresql+psycopg2://{url}",  # Celery's database result backend
        "config_source": {"worker_concurrency": 2},
    }
    config = tmp_path / "celery.yaml"
    config.write_text(json.dumps({"execution": {"config": celery}}))
    log = tmp_path / "worker.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": f"{BIN}:{os.environ['PATH']}"}
    with open(log, "w") as out:
        worker = subprocess.Popen(
            [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app"]
            + ["-y", str(config)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while " ready." not in log.read_text():
            assert worker.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "the Celery worker did not start in 120 s"
            time.sleep(0.5)
        chunks, summary, _ = _run(
            deployment, celery_sweep, {**RESOURCES, "execution": {"config": celery}}
        )
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(60)
    assert "ForkPoolWorker-2" in log.read_text()  # the pool's second process took a step
    assert len(_same_as_single(single, chunks, summary)) == 2  # the pool's two processes
