"""The run-status sensor publishes after a successful warehouse-writing run, and only then."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.events import DagsterEventType

from alvh_assets.dagster_support import AlvhSettings, WarehouseResource
from orchestration.automation import publish_after_success
from orchestration.runs import LAUNCHER_TAGS


@dg.asset
def _probe() -> int:
    return 1


def test_publishes_after_a_daily_run_and_skips_other_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALVH_WAREHOUSE", str(tmp_path / "alvh.duckdb"))
    monkeypatch.delenv("ALVH_PUBLISHED_DIR", raising=False)
    with duckdb.connect(str(tmp_path / "alvh.duckdb")) as con:
        con.execute("CREATE SCHEMA marts; CREATE TABLE marts.t AS SELECT 42 AS x")
    with dg.instance_for_test() as instance:
        run_id = dg.materialize([_probe], instance=instance).run_id
        run = instance.get_run_by_id(run_id)
        success = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_SUCCESS)
        event = success.records[0].event_log_entry.dagster_event

        def evaluate(r: dg.DagsterRun) -> dg.SkipReason | None:
            ctx = dg.build_run_status_sensor_context(
                sensor_name="publish_after_success",
                dagster_event=event,
                dagster_instance=instance,
                dagster_run=r,
                resources={"warehouse": WarehouseResource(), "alvh": AlvhSettings()},
            )
            return publish_after_success(ctx)

        skipped = evaluate(run)
        assert isinstance(skipped, dg.SkipReason)
        assert not (tmp_path / "published").exists()
        # the CLI's runs carry their step's job name too, but the CLI publishes itself
        cli_run = run._replace(job_name="ingest_job", tags={**run.tags, **LAUNCHER_TAGS})
        assert isinstance(evaluate(cli_run), dg.SkipReason)
        assert not (tmp_path / "published").exists()
        assert evaluate(run._replace(job_name="daily_job")) is None
    published = tmp_path / "published" / "alvh.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT x FROM marts.t").fetchone() == (42,)
    assert (tmp_path / "published" / "parquet" / "marts" / "t.parquet").exists()
