"""dbt models as Dagster assets (dagster-dbt): keys, groups and owners from the dbt project,
dbt tests as asset checks, every threshold passed from the ALVH config as dbt vars
(the fields :func:`alvh_assets.config.mart_vars` collects).

Staging and intermediate views are unpartitioned; marts are partitioned by trading day and
rebuilt for the run's window (``ALVH_WINDOW_START``/``ALVH_WINDOW_END`` in dbt's environment,
not --vars, so dbt's partial parse survives from run to run), one dbt invocation for a whole
backfill range.
"""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
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
    add_asset_metadata,
    ge_checks,
    log_line,
    table_metadata,
    window_sessions,
)
from alvh_assets.ingest.run import upgrade_raw_tables
from alvh_assets.ingest.sources import SOURCES
from alvh_assets.paths import WINDOW_ENV

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
    older than any model, macro or test file; under an exclusive lock, so a process importing
    the definitions never reads a manifest another one is still writing (test workers)."""
    manifest = DBT_PROJECT.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _parse_if_stale(manifest)
    return manifest


def _parse_if_stale(manifest: Path) -> None:
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


PARSE_CACHE = DBT_DIR / "target" / "partial_parse"
"""dbt's partial-parse files, one per warehouse file and set of vars (see :func:`_invoke`)."""


def parse_cache(warehouse: Path, variables: Mapping[str, Any]) -> Path:
    """The cached partial parse for dbt runs on ``warehouse`` with ``variables``: keyed by
    the warehouse's resolved path (DuckDB names the catalog after the file's stem, and every
    parsed relation carries that catalog) and the vars (dbt discards its whole parse when
    --vars differ), so a parse cached for one warehouse never serves another, and tests or
    projects alternating between warehouses do not evict each other's parse."""
    key = json.dumps([str(Path(warehouse).resolve()), dict(variables)], sort_keys=True)
    return PARSE_CACHE / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.msgpack"


def project_digest(variables: Mapping[str, Any]) -> str:
    """A digest of the dbt project's code (models, macros, tests, dbt_project.yml) and the
    vars: what the outcome of a dbt unit test depends on (never the warehouse's data)."""
    digest = hashlib.sha256(json.dumps(dict(variables), sort_keys=True).encode())
    files = [p for d in ("models", "macros", "tests") for p in (DBT_DIR / d).rglob("*")]
    for path in sorted([*files, DBT_DIR / "dbt_project.yml"]):
        if path.is_file():
            digest.update(str(path.relative_to(DBT_DIR)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _invoke(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    alvh: AlvhSettings,
    warehouse: WarehouseResource,
    window: tuple | None,
) -> Iterator:
    """One ``dbt build`` of the selection, with partial parsing.

    --vars are the config's thresholds only, constant for a config; the run's window goes
    in the environment (``ALVH_WINDOW_START``/``ALVH_WINDOW_END``, read by the models when
    they execute, not when dbt parses them), so a new day does not force a full parse. The
    parse is cached per warehouse file and vars (:func:`parse_cache`): seeded into this
    invocation's own target folder and, after the run, the updated parse atomically moved
    back. dbt itself also rejects a cached parse whose profile (the warehouse path) or vars
    differ, so a stale catalog can never be used."""
    variables = mart_vars(alvh.load())
    location = warehouse.location()
    env = {  # the dbt subprocess's warehouse (profiles.yml) and window, restored after it
        "ALVH_WAREHOUSE": str(location),
        **{
            WINDOW_ENV[name]: (window[i].isoformat() if window is not None else None)
            for i, name in enumerate(("window_start", "window_end"))
        },
    }
    saved = {k: os.environ.get(k) for k in env}
    _set_env(env)  # dagster-dbt hands its process environment to the dbt subprocess
    cache = parse_cache(location, variables)
    # this invocation's own target folder (artifacts apart), named as dagster-dbt names it
    op, run = context.op_execution_context.op.name, context.run.run_id[:7]
    target = DBT_DIR / "target" / f"{op}-{run}-{uuid.uuid4().hex[:7]}"
    if cache.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache, target / "partial_parse.msgpack")
    args = ["build", "--vars", json.dumps(variables)]
    # dbt unit tests check the models' logic on fixed rows, not the day's data: a window's
    # build runs them once per state of the code and vars, then leaves them out
    unit_tested = PARSE_CACHE / f"unit_tests_passed.{project_digest(variables)}"
    if window is not None and unit_tested.exists():
        args += ["--exclude-resource-type", "unit_test"]
    started = time.perf_counter()
    events: list = []
    try:
        # held back until dbt ends (it holds the DuckDB file), then counted (_table_facts)
        events.extend(dbt.cli(args, context=context, target_path=target).stream())
    except Exception:
        yield from events  # the models built before the failure stay recorded
        raise
    finally:
        _set_env(saved)
    parsed = target / "partial_parse.msgpack"
    cache.parent.mkdir(parents=True, exist_ok=True)
    if window is not None and _unit_tests_passed(target):
        unit_tested.touch()
    if parsed.exists():
        staged = cache.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(parsed, staged)
        os.replace(staged, cache)
    counts = _table_facts(context, warehouse, window, time.perf_counter() - started)
    for event in events:
        key = _output_key(context, event)
        yield event.with_metadata({**event.metadata, **counts[key]}) if key in counts else event


def _unit_tests_passed(target: Path) -> bool:
    """Whether the invocation ran every unit test of the marts and all passed (its
    run_results.json against its manifest.json)."""
    try:
        results = json.loads((target / "run_results.json").read_text())["results"]
        units = json.loads((target / "manifest.json").read_text())["unit_tests"]
    except (OSError, ValueError, KeyError):
        return False
    expected = {
        uid for uid, unit in units.items() if unit["original_file_path"].startswith("models/marts/")
    }
    passed = {r["unique_id"] for r in results if r["status"] == "pass"}
    return bool(expected) and expected <= passed


def _set_env(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _output_key(context: dg.AssetExecutionContext, event: object) -> dg.AssetKey | None:
    """The asset key of a dbt ``Output`` event (None for any other event)."""
    if not isinstance(event, dg.Output):
        return None
    return context.assets_def.keys_by_output_name[event.output_name]


def _table_facts(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    window: tuple | None,
    seconds: float,
) -> dict[dg.AssetKey, dict[str, Any]]:
    """After a dbt build, each selected model's metadata from the warehouse, read by this
    process once dbt has released the file (dagster-dbt's ``fetch_row_counts()`` would
    query while the dbt process still holds DuckDB's lock): the column schema, and per
    partition the rows of that day (a mart in a window run, by its ``date`` column, with the
    structured log line of the window's rows); a view's or an unpartitioned run's table
    count goes on its Output (returned per key)."""
    keys = context.partition_keys if window is not None else []
    run_wide: dict[dg.AssetKey, dict[str, Any]] = {}
    with warehouse.connect(read_only=True) as con:
        for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
            table = ".".join(key.path)
            scoped = table_metadata(con, table, ["date"], window, keys)
            if not scoped:
                continue  # not built (a failed or skipped model)
            if window is not None and keys and "dagster/row_count" in scoped[keys[0]]:
                rows = sum(m["dagster/row_count"] for m in scoped.values() if m)
                span = f"{window[0]}..{window[1]}"
                context.log.info(log_line(table, span, rows, rows, 0, seconds))
                run_wide[key] = {"window_rows": rows}
            else:
                rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                run_wide[key] = {"dagster/row_count": rows}
            add_asset_metadata(context, key, scoped)
    return run_wide


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


class DbtCliWithoutAdapter(DbtCliResource):
    """dagster-dbt's resource without the dbt adapter it builds in the Dagster process before
    every invocation (dbt's adapter modules imported, the profile and project loaded again:
    ~2 s of a day's run) only for ``fetch_row_counts()``/``fetch_column_metadata()``, which
    this project does not call: row counts come from :func:`_table_facts` once dbt has
    released the file. dagster-dbt already runs without it when building it fails
    (``adapter=None``). Guarded on upgrade by ``tests/unit/test_dbt_vars.py``."""

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


DBT_RESOURCE = DbtCliWithoutAdapter(
    project_dir=DBT_PROJECT,
    profiles_dir=str(DBT_DIR),
    dbt_executable=str(Path(sys.executable).with_name("dbt")),  # the venv's dbt, not PATH
)


def mart_ge_checks() -> list[dg.AssetChecksDefinition]:
    """One GE ``multi_asset_check`` per mart: ``ge_marts_<mart>_blocking`` and
    ``ge_marts_<mart>_nonblocking`` (WARN), each holding its group's expectations."""
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
