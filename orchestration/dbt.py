"""dbt models as Dagster assets (dagster-dbt): keys, groups and owners from the dbt project,
dbt tests as asset checks, every threshold passed from the ALVH config as dbt vars
(the fields :func:`alvh_assets.config.mart_vars` collects).

Staging and intermediate views are unpartitioned; marts are partitioned by trading day and
rebuilt for the run's window (``window_start``/``window_end`` vars), one dbt invocation for
a whole backfill range.
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from alvh_assets.config import mart_vars
from alvh_assets.dagster_support import (
    WRITER_POLICIES,
    WRITER_POOL,
    AlvhSettings,
    WarehouseResource,
    ge_checks,
    log_line,
    window_sessions,
)
from alvh_assets.ingest.run import upgrade_raw_tables
from alvh_assets.ingest.sources import SOURCES

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DBT_PROJECT = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
OWNERS = ["team:alvh-analytics"]


def die_with_parent() -> None:
    """``preexec_fn`` of a subprocess: SIGKILL it when the process that started it dies
    (Linux ``PR_SET_PDEATHSIG``; elsewhere nothing). The CLI's watchdog covers the dbt runs
    dagster-dbt starts (see ``orchestration.cli._contain_children``)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


def ensure_manifest() -> Path:
    """The dbt manifest, (re)created with ``dbt parse`` when missing (fresh clone, CI) or
    older than any model, macro or test file."""
    manifest = DBT_PROJECT.manifest_path
    sources = [p for d in ("models", "macros", "tests") for p in (DBT_DIR / d).rglob("*")]
    newest = max(p.stat().st_mtime for p in [*sources, DBT_DIR / "dbt_project.yml"])
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        dbt = Path(sys.executable).with_name("dbt")
        subprocess.run(
            [str(dbt), "parse", "--profiles-dir", str(DBT_DIR), "--quiet"],
            cwd=DBT_DIR,
            check=True,
            env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"},
            preexec_fn=die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
    return manifest


class AlvhDbtTranslator(DagsterDbtTranslator):
    """Keys ``[schema, name]`` (``raw/<table>`` for sources, matching the ingest assets),
    groups by schema, the analytics team as owner."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or "dbt"
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return dbt_resource_props.get("config", {}).get("schema") or "dbt"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return OWNERS


TRANSLATOR = AlvhDbtTranslator()


def _invoke(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    alvh: AlvhSettings,
    warehouse: WarehouseResource,
    window: tuple | None,
) -> Iterator:
    variables = mart_vars(alvh.load())
    if window is not None:
        variables |= {"window_start": window[0].isoformat(), "window_end": window[1].isoformat()}
    os.environ["ALVH_WAREHOUSE"] = str(warehouse.location())
    # no partial parse: the DuckDB catalog name is the warehouse file's stem, so a parse
    # cached for another warehouse file would point every relation at the wrong catalog
    args = ["build", "--no-partial-parse", "--vars", json.dumps(variables)]
    started = time.perf_counter()
    yield from dbt.cli(args, context=context).stream()
    if window is not None:
        _log_window_rows(context, warehouse, window, time.perf_counter() - started)


def _log_window_rows(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, window: tuple, seconds: float
) -> None:
    """The structured line of every mart of the run: rows of its window after the build."""
    with warehouse.connect(read_only=True) as con:
        for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
            table = ".".join(key.path)
            rows = con.execute(
                f"SELECT count(*) FROM {table} WHERE date BETWEEN ? AND ?", list(window)
            ).fetchone()[0]
            context.log.info(log_line(table, f"{window[0]}..{window[1]}", rows, rows, 0, seconds))


@dbt_assets(
    manifest=ensure_manifest(),
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    select="path:models/staging path:models/intermediate",
    name="dbt_views",
    pool=WRITER_POOL,
)
def dbt_views(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    alvh: AlvhSettings,
    warehouse: WarehouseResource,
) -> Iterator:
    """Staging and intermediate views (rename, cast, no joins) and their dbt tests. Raw
    tables made by an older version first gain the columns the views select."""
    if warehouse.location().exists():
        with warehouse.connect() as con:
            added = upgrade_raw_tables(con, SOURCES.values())
        if added:
            context.log.info(f"raw tables upgraded, columns added (null): {', '.join(added)}")
    yield from _invoke(context, dbt, alvh, warehouse, None)


@dbt_assets(
    manifest=ensure_manifest(),
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    select="path:models/marts",
    name="dbt_marts",
    **WRITER_POLICIES,
)
def dbt_marts(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    alvh: AlvhSettings,
    warehouse: WarehouseResource,
) -> Iterator:
    """Daily marts for the run's trading-day window, incremental (delete+insert)."""
    # a run of the marts' checks alone (no partition) re-tests the tables as they stand
    window = (
        window_sessions(context)
        if context.has_partition_key or context.has_partition_key_range
        else None
    )
    yield from _invoke(context, dbt, alvh, warehouse, window)


DBT_RESOURCE = DbtCliResource(
    project_dir=DBT_PROJECT,
    profiles_dir=str(DBT_DIR),
    dbt_executable=str(Path(sys.executable).with_name("dbt")),  # the venv's dbt, not PATH
)


def mart_ge_checks() -> list[dg.AssetChecksDefinition]:
    """One GE ``multi_asset_check`` per mart, one check per expectation."""
    from alvh_assets.marts.mart_expectations import MART_SUITES, MART_TABLES

    return [
        ge_checks(
            f"ge_marts_{t}",
            dg.AssetKey(["marts", t]),
            MART_SUITES[t],
            lambda con, t=t: {"table": con.execute(f"SELECT * FROM marts.{t}").pl()},
            nonblocking_severity=dg.AssetCheckSeverity.WARN,
        )
        for t in MART_TABLES
    ]
