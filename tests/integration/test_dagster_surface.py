"""What the Dagster UI shows after the CLI's pipeline (issue 20 item 5): every partition of
the range materialized and none before the data's first day, every run under its step's
job name, each partition's own row count in a range run, column schemas and dbt row counts.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from alvh_assets.calendars import trading_days
from alvh_assets.config import load_config
from alvh_assets.dagster_support import PARTITIONS_START, TRADING_DAYS, partitions_start
from tests.integration.oct08 import END, START, WARMUP, resources

JOBS = {
    "reference_job",
    "ingest_job",
    "views_job",
    "marts_job",
    "strategies_job",
    "attribution_job",
    "report_job",
}


def test_partitions_start_at_the_first_day_of_data() -> None:
    cfg = load_config()
    first = cfg.sample_start - dt.timedelta(days=cfg.warmup_days)  # 2006-05-28, a Sunday
    assert TRADING_DAYS.get_first_partition_key() == PARTITIONS_START
    assert PARTITIONS_START == partitions_start(cfg).isoformat() == "2006-05-30"
    assert trading_days(first, dt.date.fromisoformat(PARTITIONS_START))[0].isoformat() == (
        PARTITIONS_START
    )
    declared = load_config(overrides={"data_start": "1999-01-02"})  # a Saturday
    assert partitions_start(declared) == dt.date(1999, 1, 4)


def _materializations(instance: dg.DagsterInstance, key: dg.AssetKey) -> dict[str, dict]:
    """Partition -> metadata of the latest materialization of each partition of ``key``."""
    records = instance.fetch_materializations(key, limit=10_000).records
    out: dict[str, dict] = {}
    for r in sorted(records, key=lambda r: r.storage_id):
        out[r.partition_key] = r.asset_materialization.metadata
    return out


def _day_counts(con: duckdb.DuckDBPyConnection, table: str, column: str) -> dict[str, int]:
    rows = con.execute(f"SELECT {column}, count(*) FROM {table} GROUP BY ALL").fetchall()
    return {d.isoformat(): n for d, n in rows}


@pytest.mark.slow
def test_the_pipeline_materializes_every_partition_under_named_jobs(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.definitions import DAILY_INGEST, defs
    from orchestration.pipeline import pipeline_steps, run_steps

    monkeypatch.setenv("ALVH_HOME", str(tmp_path))  # the report is written under it
    db = tmp_path / "wh" / "alvh.duckdb"
    res = resources(landing, db, json.dumps({"sample_start": START.isoformat()}))
    steps = pipeline_steps(START, END, WARMUP)
    with dg.DagsterInstance.ephemeral() as instance:
        run_steps(steps, instance, res)
        runs = instance.get_runs()
        # one run per step, each under its step's job (the runs page names them)
        assert len(runs) == len(steps)
        assert {r.job_name for r in runs} == JOBS
        events = {r.tags["alvh/step"]: len(instance.all_logs(r.run_id)) for r in runs}
        print("events per run:", json.dumps(events, indent=1))

        graph = defs.resolve_asset_graph()
        ingest_keys = DAILY_INGEST.resolve(graph)
        warm = {d.isoformat() for d in trading_days(WARMUP, END)}
        days = {d.isoformat() for d in trading_days(START, END)}
        partitioned = [k for k in graph.materializable_asset_keys if graph.get(k).is_partitioned]
        assert len(partitioned) >= 20
        for key in partitioned:
            want = warm if key in ingest_keys else days
            assert instance.get_materialized_partitions(key) == want, key
        assert min(warm) >= PARTITIONS_START

        with duckdb.connect(str(db), read_only=True) as con:
            for key, column in [
                (dg.AssetKey(["raw", "cboe_option_eod"]), "quote_date"),  # Python writer
                (dg.AssetKey(["strategy", "positions_daily"]), "date"),
                (dg.AssetKey(["marts", "fct_vix_term_structure_daily"]), "date"),  # dbt
            ]:
                table = ".".join(key.path)
                found = _materializations(instance, key)
                counted = _day_counts(con, table, column)
                got = {p: m["dagster/row_count"].value for p, m in found.items()}
                assert got == {p: counted.get(p, 0) for p in found}, key
                assert max(got.values()) < sum(got.values()), key  # a day's, not the window's
                latest = instance.get_latest_materialization_event(key).asset_materialization
                schema = latest.metadata["dagster/column_schema"].value
                columns = con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? "
                    "AND table_name = ? ORDER BY column_index",
                    key.path,
                ).fetchall()
                assert [c.name for c in schema.columns] == [c for (c,) in columns], key
            view = dg.AssetKey(["staging", "stg_cboe__option_eod"])
            latest = instance.get_latest_materialization_event(view).asset_materialization
            (rows,) = con.execute(f"SELECT count(*) FROM {'.'.join(view.path)}").fetchone()
            assert latest.metadata["dagster/row_count"].value == rows > 0
