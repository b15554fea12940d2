"""The sweep spread over worker processes (``sweep_workers_job``) on a real PostgreSQL
(:func:`tests.integration.postgres.throwaway_server`): Dagster's run and event storage
(``deploy/dagster.yaml``) and the DuckLake catalog of the shared warehouse on it, the
October 2008 warehouse published to the lake, the 2×2 grid run by two worker processes at a
time, and the lake's sweep tables equal to the single-process sweep's in the DuckDB file."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from alvh_assets import lake
from alvh_assets.config import load_config
from alvh_assets.research import sweep as sw
from alvh_assets.research.configured import run_configured_sweep
from alvh_assets.research.significance import METRICS
from alvh_assets.strategy.registry import REGISTRY
from orchestration.definitions import defs
from tests.integration.oct08 import OVERRIDES
from tests.integration.postgres import USER, Server, bindir, throwaway_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bindir() is None, reason="PostgreSQL binaries (initdb) not found"),
]

ROOT = Path(__file__).resolve().parents[2]
GRID = {"condor.pop_target": [0.72, 0.75], "hedge.valuation_budget_max": [0.28, 0.24]}
RESEARCH = {
    **OVERRIDES,
    "research.grids": {"grid": GRID},
    "research.sweep_grid": "grid",
    "research.bootstrap_reps": 200,
    "research.workers": 1,
}
TIMINGS = {sw.RUNS: ("run_seconds", "finished_at")}
"""Columns that differ between any two runs of the same combination."""


def sweep_workers() -> dg.JobDefinition:
    """The job with the code location's resources (rebuilt in every step process)."""
    return defs.get_job_def("sweep_workers_job")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with throwaway_server() as pg:
        pg.createdb("dagster")
        pg.createdb("lake")
        yield pg


@pytest.fixture
def deployment(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dg.DagsterInstance]:
    """``deploy/dagster.yaml`` on the server, the lake's catalog on it and its Parquet files
    in ``tmp_path`` (the environment the step processes inherit)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    for key, value in server.env("dagster").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv(
        "ALVH_DUCKLAKE_CATALOG", f"dbname=lake host=127.0.0.1 port={server.port} user={USER}"
    )
    monkeypatch.setenv("ALVH_DUCKLAKE_DATA_PATH", str(tmp_path / "lake"))
    with dg.DagsterInstance.get() as instance:
        yield instance


def _rows(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple]:
    skip = TIMINGS.get(table, ())
    cols = [
        c
        for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = ? "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [catalog, *table.split(".")],
        ).fetchall()
        if c not in skip
    ]
    listed = ", ".join(f'"{c}"' for c in cols)
    return con.execute(f"SELECT {listed} FROM {catalog}.{table} ORDER BY ALL").fetchall()


def test_two_worker_processes_on_postgres_and_ducklake_give_the_single_process_sweep(
    deployment: dg.DagsterInstance, attributed: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(attributed), read_only=True) as con:
        lake.publish_to_lake(con)
    single = tmp_path / "alvh.duckdb"
    shutil.copy(attributed, single)
    with duckdb.connect(str(single)) as con:
        alone = run_configured_sweep(con, load_config(None, RESEARCH), None, RESEARCH)
    assert (alone.result.total, alone.result.ran) == (4, 4)

    with dg.execute_job(
        dg.reconstructable(sweep_workers),
        deployment,
        run_config={
            "resources": {"alvh": {"config": {"overrides_json": json.dumps(RESEARCH)}}},
            "execution": {"config": {"max_concurrent": 2}},
        },
    ) as result:
        assert result.success
        # the run and its events are in PostgreSQL
        assert type(deployment.run_storage).__name__ == "PostgresRunStorage"
        assert deployment.get_run_by_id(result.run_id).is_success
        chunks = list(result.output_for_node("run_lake_sweep_chunk").values())
        summary = result.output_for_node("deflate_lake_sweep")
    assert sorted(i for c in chunks for i in c["combinations"]) == [0, 1, 2, 3]
    pids = {c["pid"] for c in chunks}
    assert len(pids) == 4 and os.getpid() not in pids  # a process per step
    assert (summary["sweep_id"], summary["finished"], summary["ran"]) == (
        alone.result.sweep_id,
        4,
        4,
    )
    assert summary["best_combination"] == alone.best_combination

    with lake.attach_published() as con:
        con.execute(f"ATTACH '{single}' AS single (READ_ONLY)")
        for table in (sw.RUNS, sw.SIGNIFICANCE, sw.DEFLATED):
            workers, one = _rows(con, "alvh", table), _rows(con, "single", table)
            assert (
                len(workers)
                == {
                    sw.RUNS: 4 * len(REGISTRY),
                    sw.SIGNIFICANCE: 4 * (len(REGISTRY) - 1) * len(METRICS),
                    sw.DEFLATED: len(REGISTRY),
                }[table]
            )
            assert workers == one, table

    # a second run resumes: nothing left to run, the tables unchanged
    with dg.execute_job(
        dg.reconstructable(sweep_workers),
        deployment,
        run_config={"resources": {"alvh": {"config": {"overrides_json": json.dumps(RESEARCH)}}}},
    ) as again:
        assert again.success
        assert again.output_for_node("plan_lake_sweep", "plan")["to_run"] == 0
    with lake.attach_published() as con:
        assert len(_rows(con, "alvh", sw.RUNS)) == 4 * len(REGISTRY)
