"""The published layer on DuckLake, on a real local PostgreSQL catalog
(:func:`tests.integration.postgres.throwaway_server`) with Parquet files in ``tmp_path``:
readers in another process see one publication at a time, time travel returns a past
publication, a failed publish changes nothing, and the October 2008 demo tables are the
same in the lake as in the DuckDB file.

Each test makes its own catalog database on the module's server.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner
from dagster._core.events import DagsterEventType

from alvh_assets import lake
from alvh_assets.dagster_support import AlvhSettings, WarehouseResource
from bench.compare_warehouses import compare_attached
from orchestration.automation import publish_after_success
from orchestration.cli import main
from tests.integration.postgres import USER, Server, bindir, throwaway_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bindir() is None, reason="PostgreSQL binaries (initdb) not found"),
]

ROOT = Path(__file__).resolve().parents[2]
SEQ_TABLES = ("marts.pub_seq", "strategy.pub_seq")
_names = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with throwaway_server() as running:
        yield running


@pytest.fixture
def catalog(server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A new catalog database on the server, set as the lake's catalog and data path."""
    name = f"lake{next(_names)}"
    server.createdb(name)
    conninfo = f"dbname={name} host=127.0.0.1 port={server.port} user={USER}"
    monkeypatch.setenv("ALVH_DUCKLAKE_CATALOG", conninfo)
    monkeypatch.setenv("ALVH_DUCKLAKE_DATA_PATH", str(tmp_path / "lake"))
    return conninfo


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A small ``alvh.duckdb``: the two sequence tables (seq 0, bulk enough to take a
    moment to write), a ``staging`` table that is not published."""
    con = duckdb.connect(str(tmp_path / "alvh.duckdb"))
    for schema in ("marts", "strategy", "staging"):
        con.execute(f"CREATE SCHEMA {schema}")
    for table in SEQ_TABLES:
        con.execute(f"CREATE TABLE {table} AS SELECT 0 AS seq, range AS i FROM range(20000)")
    con.execute("CREATE TABLE staging.scratch AS SELECT 1 AS x")
    yield con
    con.close()


def _set_seq(con: duckdb.DuckDBPyConnection, seq: int) -> None:
    for table in SEQ_TABLES:
        con.execute(f"UPDATE {table} SET seq = {seq}")


READER = """
import json, os, sys, time, duckdb
from alvh_assets import lake
stop = sys.argv[1]
con = duckdb.connect()
lake.attach(con, "alvh", read_only=True)  # attached once, for the whole run
reads, seen, mixed = 0, set(), []
deadline = time.monotonic() + 90
while not os.path.exists(stop) and time.monotonic() < deadline:
    con.execute("BEGIN")  # one transaction: one snapshot over three statements
    a = con.execute("SELECT max(seq) FROM alvh.marts.pub_seq").fetchone()[0]
    time.sleep(0.02)  # widen the window for a publish to commit in between
    b = con.execute("SELECT min(seq) FROM alvh.strategy.pub_seq").fetchone()[0]
    n = con.execute("SELECT max(publication) FROM alvh.alvh_meta.publications").fetchone()[0]
    con.execute("COMMIT")
    if not a == b == n - 1:
        mixed.append([a, b, n])
    seen.add(a)
    reads += 1
    if reads == 1:
        print(json.dumps({"reads": 1}), flush=True)
last = con.execute("SELECT max(seq) FROM alvh.marts.pub_seq").fetchone()[0]
print(json.dumps({"reads": reads, "seen": sorted(seen), "mixed": mixed, "last": last}))
"""


def test_reader_process_sees_one_publication_at_a_time(
    warehouse: duckdb.DuckDBPyConnection, catalog: str, tmp_path: Path
) -> None:
    """A reader process holding one read-only attachment reads two tables and the
    publication record in one transaction per round while the writer publishes with a new
    sequence number each time: every round sees a single publication (seq = publication - 1),
    and the same attachment sees the last publication at the end."""
    stop = tmp_path / "stop"
    lake.publish_to_lake(warehouse)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(stop)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert json.loads(reader.stdout.readline()) == {"reads": 1}
        seconds = []
        for seq in range(1, 9):
            _set_seq(warehouse, seq)
            result = lake.publish_to_lake(warehouse)
            assert result.number == seq + 1
            assert result.rewritten == tuple(sorted(SEQ_TABLES))
            seconds.append(result.seconds)
        stop.touch()
        out, _ = reader.communicate(timeout=120)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert reader.returncode == 0
    summary = json.loads(out.splitlines()[-1])
    assert summary["mixed"] == []
    assert summary["reads"] >= 10 and len(summary["seen"]) >= 3  # it really overlapped
    assert summary["last"] == 8
    with lake.attach_published() as fresh:  # a new attachment sees the new publication too
        assert fresh.execute("SELECT min(seq), max(seq) FROM marts.pub_seq").fetchone() == (8, 8)
    print(f"\npublish of 2 x 20,000 rows to DuckLake: {min(seconds):.2f}..{max(seconds):.2f} s")


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def test_time_travel_skip_unchanged_and_drop(
    warehouse: duckdb.DuckDBPyConnection, catalog: str
) -> None:
    """Publication 2 changes one table: the other is not rewritten, publication 1's rows
    stay readable by version and by publication; publication 3 drops a table gone from the
    warehouse; the unpublished schema never reaches the lake."""
    first = lake.publish_to_lake(warehouse)
    before = {t: _rows(warehouse, t) for t in SEQ_TABLES}
    warehouse.execute("INSERT INTO strategy.pub_seq SELECT 1, -range FROM range(5)")
    second = lake.publish_to_lake(warehouse)
    assert (first.number, second.number) == (1, 2)
    assert first.rewritten == tuple(sorted(SEQ_TABLES))
    assert second.rewritten == ("strategy.pub_seq",) and second.snapshot > first.snapshot
    after = _rows(warehouse, "strategy.pub_seq")

    with lake.attach_published() as reader:
        assert _rows(reader, "strategy.pub_seq") == after
        assert [(p.number, p.snapshot, p.rewritten) for p in lake.publications(reader)] == [
            (1, first.snapshot, tuple(sorted(SEQ_TABLES))),
            (2, second.snapshot, ("strategy.pub_seq",)),
        ]
        past = f"strategy.pub_seq AT (VERSION => {first.snapshot})"
        assert _rows(reader, past) == before["strategy.pub_seq"]
        when = lake.publications(reader)[0].committed_at.isoformat()
        past = f"strategy.pub_seq AT (TIMESTAMP => TIMESTAMPTZ '{when}')"
        assert _rows(reader, past) == before["strategy.pub_seq"]
        schemas = reader.execute("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()
        assert ("staging",) not in schemas and ("marts",) in schemas
    with lake.attach_published(publication=1) as pinned:
        for table, rows in before.items():
            assert _rows(pinned, table) == rows
        last = pinned.execute("SELECT max(publication) FROM alvh_meta.publications")
        assert last.fetchone() == (1,)
    with (
        pytest.raises(LookupError, match="no publication 7"),
        lake.attach_published(publication=7),
    ):
        pass

    warehouse.execute("DROP TABLE marts.pub_seq")
    third = lake.publish_to_lake(warehouse)
    assert third.dropped == ("marts.pub_seq",) and third.rewritten == ()
    with lake.attach_published() as reader:
        assert reader.execute(
            "SELECT schema_name || '.' || table_name FROM alvh_meta.tables"
        ).fetchall() == [("strategy.pub_seq",)]
        with pytest.raises(duckdb.CatalogException):
            reader.execute("SELECT * FROM marts.pub_seq")
        assert (
            _rows(reader, f"marts.pub_seq AT (VERSION => {second.snapshot})")
            == before["marts.pub_seq"]
        )


def test_failed_publish_changes_nothing(warehouse: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """A table DuckLake cannot store (an ENUM column) fails the publish after another table
    was already rewritten in its transaction: no snapshot, the lake as before."""
    lake.publish_to_lake(warehouse)
    _set_seq(warehouse, 5)
    warehouse.execute("CREATE TABLE strategy.zz_bad AS SELECT 'a'::ENUM('a', 'b') AS e")
    with pytest.raises(duckdb.Error, match="unsupported type ENUM"):
        lake.publish_to_lake(warehouse)
    with lake.attach_published() as reader:
        assert [p.number for p in lake.publications(reader)] == [1]
        assert reader.execute("SELECT max(seq) FROM marts.pub_seq").fetchone() == (0,)
    warehouse.execute("DROP TABLE strategy.zz_bad")
    assert lake.publish_to_lake(warehouse).number == 2


def test_concurrent_publishes_the_later_commit_fails(
    warehouse: duckdb.DuckDBPyConnection,
    catalog: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two publishes at once (two warehouses): the one paused before its commit while the
    other commits fails with DuckLake's conflict, and the lake holds the other's publication
    only."""
    lake.publish_to_lake(warehouse)
    warehouse.execute("CHECKPOINT")
    (tmp_path / "other").mkdir()
    shutil.copy(tmp_path / "alvh.duckdb", tmp_path / "other" / "alvh.duckdb")
    _set_seq(warehouse, 5)
    paused, resume = threading.Event(), threading.Event()
    record = lake._record

    def record_then_pause(*args: object) -> None:
        record(*args)
        if threading.current_thread().name == "first":
            paused.set()
            resume.wait(60)

    monkeypatch.setattr(lake, "_record", record_then_pause)
    failed: list[BaseException] = []

    def first() -> None:
        try:
            lake.publish_to_lake(warehouse)
        except duckdb.Error as error:
            failed.append(error)

    thread = threading.Thread(target=first, name="first")
    thread.start()
    try:
        assert paused.wait(60)
        with duckdb.connect(str(tmp_path / "other" / "alvh.duckdb")) as other:
            _set_seq(other, 7)
            second = lake.publish_to_lake(other)
    finally:
        resume.set()
        thread.join(60)
    assert second.number == 2
    assert len(failed) == 1 and "conflict" in str(failed[0]).lower()
    with lake.attach_published() as reader:
        assert [p.number for p in lake.publications(reader)] == [1, 2]
        assert reader.execute("SELECT min(seq), max(seq) FROM marts.pub_seq").fetchone() == (7, 7)


def test_cli_publish_follows_the_backend(
    warehouse: duckdb.DuckDBPyConnection,
    catalog: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``alvh publish`` writes the DuckDB file by default and the lake with
    ``ALVH_WAREHOUSE_BACKEND=ducklake``; a bad backend or a missing catalog is one line."""
    warehouse.close()
    monkeypatch.setenv("ALVH_HOME", str(tmp_path))
    monkeypatch.setenv("ALVH_WAREHOUSE", str(tmp_path / "alvh.duckdb"))
    monkeypatch.delenv("ALVH_WAREHOUSE_BACKEND", raising=False)
    result = CliRunner().invoke(main, ["publish"])
    assert result.exit_code == 0 and (tmp_path / "published" / "current").is_symlink()
    assert not (tmp_path / "lake").exists()

    monkeypatch.setenv("ALVH_WAREHOUSE_BACKEND", "ducklake")
    result = CliRunner().invoke(main, ["publish"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("published publication 1 to DuckLake")
    assert "2 of 2 tables rewritten" in result.stdout
    with lake.attach_published() as reader:
        assert [p.number for p in lake.publications(reader)] == [1]

    for env, said in (
        ({"ALVH_WAREHOUSE_BACKEND": "iceberg"}, "ALVH_WAREHOUSE_BACKEND='iceberg' is not one"),
        ({"ALVH_DUCKLAKE_CATALOG": ""}, "ALVH_DUCKLAKE_CATALOG is not set"),
    ):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(main, ["publish"])
        assert result.exit_code == 2 and said in result.stderr
        monkeypatch.setenv("ALVH_WAREHOUSE_BACKEND", "ducklake")


@dg.asset
def _probe() -> int:
    return 1


def test_publish_sensor_follows_the_backend(
    warehouse: duckdb.DuckDBPyConnection,
    catalog: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a daily run the ``publish_after_success`` sensor publishes to the lake when
    the backend is ``ducklake`` (and writes no DuckDB copy)."""
    warehouse.close()
    monkeypatch.setenv("ALVH_WAREHOUSE", str(tmp_path / "alvh.duckdb"))
    monkeypatch.setenv("ALVH_WAREHOUSE_BACKEND", "ducklake")
    monkeypatch.delenv("ALVH_PUBLISHED_DIR", raising=False)
    with dg.instance_for_test() as instance:
        run_id = dg.materialize([_probe], instance=instance).run_id
        run = instance.get_run_by_id(run_id)._replace(job_name="daily_job")
        success = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_SUCCESS)
        context = dg.build_run_status_sensor_context(
            sensor_name="publish_after_success",
            dagster_event=success.records[0].event_log_entry.dagster_event,
            dagster_instance=instance,
            dagster_run=run,
            resources={"warehouse": WarehouseResource(), "alvh": AlvhSettings()},
        )
        assert publish_after_success(context) is None
    with lake.attach_published() as reader:
        assert [p.rewritten for p in lake.publications(reader)] == [tuple(sorted(SEQ_TABLES))]
    assert not (tmp_path / "published" / "current").exists()


@pytest.mark.slow_cli  # the strategies and attribution on the October 2008 market: minutes
def test_demo_tables_identical_in_the_lake(attributed: Path, catalog: str) -> None:
    """Every table of marts, strategy and attribution (and pricing, raw) of the October 2008
    warehouse reads back from the lake row for row, types and column order included."""
    with duckdb.connect(str(attributed), read_only=True) as con:
        started = time.perf_counter()
        result = lake.publish_to_lake(con)
        seconds = time.perf_counter() - started
        again = lake.publish_to_lake(con)
        rows = con.execute(
            "SELECT sum(estimated_size) FROM duckdb_tables() WHERE database_name = 'alvh' "
            f"AND schema_name IN ({', '.join(repr(s) for s in lake.SCHEMAS)})"
        ).fetchone()[0]
    assert again.rewritten == () and again.tables == result.tables
    schemas = {t.split(".")[0] for t in result.tables}
    assert {"marts", "strategy", "attribution", "pricing", "raw"} <= schemas

    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{attributed}' AS a (READ_ONLY)")
        lake.attach(con, "b", read_only=True)
        compared = compare_attached(con, lake.SCHEMAS)
    finally:
        con.close()
    assert {f"{r['schema']}.{r['table']}" for r in compared} == set(result.tables)
    assert [r for r in compared if not r["identical"]] == []
    print(
        f"\nOct-2008 warehouse to DuckLake: {len(result.tables)} tables, {rows:,} rows, "
        f"{seconds:.1f} s (first publish), {again.seconds:.1f} s (nothing changed)"
    )
