"""The Dagster support the domains' ``assets.py`` share: resources, trading-day partitions,
table specs, SQL and great_expectations check factories, and the one factory of the
partitioned writer assets, which applies the house policies once.

Every asset that writes the warehouse is made by :func:`writer_asset`: trading-day
partitions with a single-run backfill (a backfill range is one run), the ``duckdb_writer``
concurrency pool (one DuckDB writer at a time), the timing, one structured log line per
table (``asset= window= rows_in= loaded= quarantined= seconds=``) and the row-count
metadata. Owners, kinds, grain and table metadata go on the specs through
:func:`table_spec`. The dbt assets (``orchestration/dbt.py``) take the same pool, backfill
policy, partitions and log line from here.

This module and the ``assets.py`` files are the only modules of ``alvh_assets`` that import
Dagster; nothing here imports ``orchestration`` (``tests/unit/test_layering.py``).
"""

import datetime as dt
import json
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import numpy as np

from alvh_assets import paths
from alvh_assets import warehouse as wh
from alvh_assets.calendars import CALENDAR_START, sessions_series, trading_days
from alvh_assets.config import AlvhConfig, load_config
from alvh_assets.metadata import markdown_table, rows_per_day, table_columns
from alvh_assets.quality import Expectation, Frame, run_suite

# backfill_policy and pool are marked beta in Dagster 1.13; both are what design.md asks for.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------


class AlvhSettings(dg.ConfigurableResource):
    """The ALVH configuration (YAML file + JSON overrides) and the landing directory.

    ``config_path`` points at a YAML file in the layout of ``alvh config show``;
    ``overrides_json`` holds per-run ``{"section.field": value}`` overrides;
    ``force_replace`` lets an ingest replace a window that misses deliveries or shrinks a
    stored day by more than ``ingest.max_day_shrink`` (the CLI's ``--force``).
    """

    config_path: str | None = None
    overrides_json: str = "{}"
    landing_dir: str | None = None
    force_replace: bool = False

    def load(self) -> AlvhConfig:
        """The validated configuration (raises ConfigError naming the bad field)."""
        return load_config(self.config_path, json.loads(self.overrides_json))

    def landing(self) -> Path:
        """Landing directory (explicit setting, else ``$ALVH_LANDING_DIR`` or the default)."""
        return Path(self.landing_dir).resolve() if self.landing_dir else paths.landing_dir()


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file (``path``, else ``$ALVH_WAREHOUSE`` or the default)."""

    path: str | None = None

    def location(self) -> Path:
        """Resolved warehouse path."""
        return Path(self.path).resolve() if self.path else paths.warehouse_path()

    def connect(self, read_only: bool = False):  # noqa: ANN201 - a context manager
        """``with warehouse.connect() as con:`` a DuckDB connection."""
        return wh.connect(self.location(), read_only=read_only)


# --------------------------------------------------------------------------------------------
# Partitions: one per NYSE trading day (exchange_calendars XNYS), weekends and exchange
# holidays excluded, so the partition keys are exactly the sessions.
# --------------------------------------------------------------------------------------------


def partitions_start(config: AlvhConfig | None = None) -> dt.date:
    """The first trading-day partition: the first session on or after the config's first day
    of data (:meth:`AlvhConfig.first_data_day`; the config at ``$ALVH_CONFIG``, else the
    defaults), so the UI shows no partition before the data."""
    cfg = config if config is not None else load_config(paths.config_file())
    first = cfg.first_data_day()
    return trading_days(first, first + dt.timedelta(days=14))[0]


PARTITIONS_START = partitions_start().isoformat()


def _holidays() -> list[dt.datetime]:
    """Weekdays that are not XNYS sessions (holidays, closures), as naive datetimes."""
    sessions = sessions_series().to_numpy().astype("datetime64[D]")
    weekdays = np.arange(np.datetime64(CALENDAR_START), sessions[-1] + 1, dtype="datetime64[D]")
    weekdays = weekdays[np.is_busday(weekdays)]
    closed = np.setdiff1d(weekdays, sessions)
    return [dt.datetime.combine(d, dt.time()) for d in closed.astype(object)]


TRADING_DAYS = dg.TimeWindowPartitionsDefinition(  # every session from PARTITIONS_START
    cron_schedule="0 0 * * 1-5",
    start=PARTITIONS_START,
    fmt="%Y-%m-%d",
    timezone="America/New_York",
    exclusions=_holidays(),
)


WRITER_POLICIES: dict[str, Any] = dict(
    partitions_def=TRADING_DAYS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb_writer",
)
"""The policies of every partitioned warehouse writer, stated once: trading-day partitions,
a single-run backfill (a range is one run, never one run per day) and the concurrency pool
``duckdb_writer`` (the instance limits it to one op at a time: DuckDB allows one writer)."""
WRITER_POOL: str = WRITER_POLICIES["pool"]
"""The pool of every warehouse writer, partitioned or not."""


def window_sessions(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """First and last session of the run's partition window (one day or a backfill range)."""
    tw = context.partition_time_window
    days = trading_days(tw.start.date(), tw.end.date() - dt.timedelta(days=1))
    if not days:
        raise dg.Failure(f"partition window {tw.start:%Y-%m-%d}..{tw.end:%Y-%m-%d} has no session")
    return days[0], days[-1]


# --------------------------------------------------------------------------------------------
# Specs and the writer factory
# --------------------------------------------------------------------------------------------


def table_key(table: str) -> dg.AssetKey:
    """``schema.table`` -> ``AssetKey([schema, table])``."""
    return dg.AssetKey(table.split("."))


def table_spec(
    table: str,
    description: str,
    grain: Sequence[str],
    group: str,
    owners: list[str],
    deps: Sequence[dg.AssetKey | str],
    kinds: Iterable[str] = ("polars", "duckdb"),
    note: str = "",
) -> dg.AssetSpec:
    """The spec of the table ``schema.table``: key ``[schema, table]``, its grain stated in
    the description (then ``note``) and in the metadata."""
    cols = ", ".join(grain)
    return dg.AssetSpec(
        table_key(table),
        description=f"{description}\n\nGrain: one row per ({cols}).{' ' + note if note else ''}",
        group_name=group,
        owners=owners,
        kinds=set(kinds),
        deps=list(deps),
        metadata={"grain": cols, "table": table},
    )


def table_specs(
    keys: Mapping[str, Sequence[str]],
    descriptions: Mapping[str, str],
    group: str,
    owners: list[str],
    deps: list[dg.AssetKey],
) -> list[dg.AssetSpec]:
    """One :func:`table_spec` per table of ``keys`` (table -> grain)."""
    return [
        table_spec(table, descriptions[table], cols, group, owners, deps)
        for table, cols in keys.items()
    ]


Window = tuple[dt.date, dt.date]


def window_label(window: Window | None) -> str:
    """``first..last`` of a window, ``whole table`` for an unpartitioned run."""
    return "whole table" if window is None else f"{window[0]}..{window[1]}"


def log_line(
    table: str,
    window: str,
    rows_in: int,
    loaded: int,
    quarantined: int,
    seconds: float,
    extra: str = "",
) -> str:
    """The structured line every writer logs per table."""
    line = (
        f"asset={table} window={window.replace(' ', '_')} rows_in={rows_in} loaded={loaded} "
        f"quarantined={quarantined} seconds={seconds:.2f}"
    )
    return f"{line} {extra}" if extra else line


@dataclass(frozen=True)
class WriterRun:
    """What a writer's function gets: the run's sessions (None when unpartitioned), the
    settings, the warehouse and the run's logger."""

    window: Window | None
    alvh: AlvhSettings
    warehouse: WarehouseResource
    log: Any


@dataclass(frozen=True)
class Written:
    """One table a writer wrote: rows it read (default: ``loaded``), loaded and quarantined,
    the window label when it is not the run's (``-``: nothing to run), extra metadata and
    extra ``key=value`` fields of the log line."""

    table: str
    loaded: int
    rows_in: int | None = None
    quarantined: int = 0
    window: str | None = None
    metadata: Mapping[str, object] = field(default_factory=dict)
    log: str = ""


def writer_asset(
    name: str,
    specs: Sequence[dg.AssetSpec],
    write: Callable[[WriterRun], Iterable[Written]],
    daily: bool = True,
) -> dg.AssetsDefinition:
    """The Dagster asset ``name`` writing ``specs``' tables with ``write``, under the house
    policies: trading-day partitions and a single-run backfill (``daily``), the
    ``duckdb_writer`` pool, timing, one :func:`log_line` and the row-count metadata per
    table written."""

    grains = {s.metadata["table"]: s.metadata["grain"].split(", ") for s in specs}

    @dg.multi_asset(
        name=name,
        specs=specs,
        **(WRITER_POLICIES if daily else {"pool": WRITER_POOL}),
    )
    def _writer(
        context: dg.AssetExecutionContext, alvh: AlvhSettings, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult]:
        t0 = time.perf_counter()
        window = window_sessions(context) if daily else None
        written = list(write(WriterRun(window, alvh, warehouse, context.log)))
        seconds = time.perf_counter() - t0
        facts = _table_facts(context, warehouse, [w.table for w in written], grains, window)
        for w in written:
            span = w.window or window_label(window)
            rows_in = w.loaded if w.rows_in is None else w.rows_in
            context.log.info(
                log_line(w.table, span, rows_in, w.loaded, w.quarantined, seconds, w.log)
            )
            # a date-keyed table's partitions carry their own row counts (_table_facts)
            count = "window_rows" if facts.get(w.table) else "dagster/row_count"
            yield dg.MaterializeResult(
                asset_key=table_key(w.table),
                metadata={
                    count: w.loaded,
                    "window": span,
                    **w.metadata,
                    "seconds": round(seconds, 2),
                },
            )

    return _writer


def column_schema(columns: Sequence[tuple[str, str, str]]) -> dg.TableSchema:
    """The ``dagster/column_schema`` of a table from :func:`metadata.table_columns`: name,
    DuckDB type and the column's comment as its description."""
    return dg.TableSchema(
        columns=[dg.TableColumn(n, t, description=c or None) for n, t, c in columns]
    )


def _table_facts(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    tables: Sequence[str],
    grains: Mapping[str, Sequence[str]],
    window: Window | None,
) -> dict[str, bool]:
    """Add each written table's :func:`table_metadata` to the run's materializations.
    Returns, per table, whether its partitions got their own row counts."""
    by_day: dict[str, bool] = {}
    keys = context.partition_keys if window is not None else []
    with warehouse.connect(read_only=True) as con:
        for table in tables:
            scoped = table_metadata(con, table, grains.get(table, ()), window, keys)
            add_asset_metadata(context, table_key(table), scoped)
            by_day[table] = any("dagster/row_count" in m for m in scoped.values())
    return by_day


def table_metadata(
    con: duckdb.DuckDBPyConnection,
    table: str,
    grain: Sequence[str],
    window: Window | None,
    keys: Sequence[str],
) -> dict[str | None, dict[str, Any]]:
    """Metadata of a table's materializations by partition key (None: the run's): its column
    schema (``dagster/column_schema``, from the table as the warehouse has it, comments as
    descriptions) and, when the run covers partitions ``keys`` of ``window`` and a DATE
    column is in ``grain``, each partition's own ``dagster/row_count`` (that day's rows, 0
    for a session without any), not the window's total. A table without a date in its grain
    (``attribution.performance``) gets no per-partition count.

    The schema goes on the window's last partition only (the asset's latest materialization;
    a 20-year backfill would otherwise store it 5,000 times)."""
    columns = table_columns(con, table)
    if not columns:
        return {}
    dates = {n for n, t, _ in columns if t == "DATE"}
    day_col = next((c for c in grain if c in dates), None)
    scoped: dict[str | None, dict[str, Any]] = {}
    if window is not None and keys and day_col is not None:
        counts = rows_per_day(con, table, day_col, *window)
        scoped = {k: {"dagster/row_count": counts.get(_day(k), 0)} for k in keys}
    scoped.setdefault(keys[-1] if keys else None, {})["dagster/column_schema"] = column_schema(
        columns
    )
    return scoped


def _day(key: str) -> dt.date:
    return dt.date.fromisoformat(key)


def add_asset_metadata(
    context: dg.AssetExecutionContext,
    key: dg.AssetKey,
    by_partition: Mapping[str | None, Mapping[str, Any]],
) -> None:
    """Metadata for asset ``key``'s materializations, per partition key (None: every
    materialization of the run), recorded at once. Partition-scoped entries override the
    run's (:func:`dagster._core.execution.plan.execute_step`), which is how a range run's
    partitions each get their own ``dagster/row_count``.

    What ``context.add_asset_metadata(md, asset_key=key, partition_key=pk)`` records, in one
    update: the public call lists the run's partitions and copies all metadata recorded so
    far on every call, quadratic over a 20-year backfill (5,000 partitions x 8 tables).
    This leans on Dagster internals (pinned in ``constraints.txt``; the integration test
    ``test_partition_metadata.py`` guards it)."""
    from dagster._core.execution.context.metadata_logging import (
        AssetMetadataHandle,
        OutputMetadataAccumulator,
    )

    step = context.op_execution_context._step_execution_context  # noqa: SLF001
    merged = dict(step._metadata_accumulator.per_output_metadata)  # noqa: SLF001
    for partition, metadata in by_partition.items():
        handle = AssetMetadataHandle(asset_key=key, partition_key=partition)
        merged[handle] = {**merged.get(handle, {}), **metadata}
    step._metadata_accumulator = OutputMetadataAccumulator(per_output_metadata=merged)  # noqa: SLF001


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SqlRule:
    """A rule on a table's asset: it fails when ``sql`` returns rows (the violations)."""

    key: dg.AssetKey
    name: str
    description: str
    sql: str
    params: list | None = None


def sql_rule(
    key: dg.AssetKey, name: str, description: str, sql: str, params: list | None = None
) -> SqlRule:
    """A rule of the blocking ``sql_rules`` check of asset ``key`` (see :func:`sql_checks`):
    it fails when ``sql`` returns rows (the violations, a sample of which is attached)."""
    return SqlRule(key, name, description, sql, params)


SQL_RULES_CHECK = "sql_rules"
"""The name of an asset's grouped SQL check (:func:`sql_checks`)."""


def sql_checks(rules: Sequence[SqlRule]) -> list[dg.AssetChecksDefinition]:
    """One blocking check ``sql_rules`` per asset holding every rule of ``rules`` on it (one
    check evaluation per asset and run instead of one per rule). It passes when no rule
    returns rows; its description names the failed rules, its metadata has a table of
    every rule (rule, passed, violations), ``failed_rules`` and a sample of each failed
    rule's violations. The spec's description lists the rules."""
    by_key: dict[dg.AssetKey, list[SqlRule]] = {}
    for rule in rules:
        by_key.setdefault(rule.key, []).append(rule)
    for key, members in by_key.items():
        names = [r.name for r in members]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate SQL rule names on {key.to_user_string()}: {names}")
    return [_sql_rules_check(key, members) for key, members in by_key.items()]


def _sql_rules_check(key: dg.AssetKey, rules: list[SqlRule]) -> dg.AssetChecksDefinition:
    listed = "\n".join(f"- {r.name}: {r.description}" for r in rules)

    @dg.asset_check(
        asset=key,
        name=SQL_RULES_CHECK,
        blocking=True,
        description=f"{len(rules)} SQL rules (each fails when its query returns rows):\n{listed}",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        found: list[tuple[str, Any]] = []
        with warehouse.connect(read_only=True) as con:
            for r in rules:
                found.append((r.name, wh.read_frame(con, r.sql, r.params)))
        failed = [name for name, bad in found if bad.height]
        table = ["| rule | passed | violations |", "|---|---|---|"]
        table += [f"| {name} | {not bad.height} | {bad.height} |" for name, bad in found]
        samples = {
            f"sample_{name}": dg.MetadataValue.md(markdown_table(bad, 10))
            for name, bad in found
            if bad.height
        }
        return dg.AssetCheckResult(
            passed=not failed,
            description=f"failed rules: {', '.join(failed)}"
            if failed
            else f"all {len(rules)} rules passed",
            metadata={
                "failed_rules": ", ".join(failed) or "none",
                "rules": len(rules),
                "failed": len(failed),
                "violations": sum(bad.height for _, bad in found),
                "results": dg.MetadataValue.md("\n".join(table)),
                **samples,
            },
        )

    return _check


def keys_unique_rules(keys: Mapping[str, Sequence[str]]) -> list[SqlRule]:
    """``keys_unique`` rules on every table: its key columns unique and not null."""
    checks = []
    for table, cols in keys.items():
        quoted = ", ".join(f'"{c}"' for c in cols)  # "window" is a reserved word
        nulls = " OR ".join(f'"{c}" IS NULL' for c in cols)
        checks.append(
            sql_rule(
                table_key(table),
                "keys_unique",
                f"({', '.join(cols)}) is unique and not null in {table}.",
                f"SELECT {quoted}, count(*) AS n FROM {table} GROUP BY ALL "
                f"HAVING n > 1 OR {nulls} LIMIT 50",
            )
        )
    return checks


FrameLoader = Callable[[duckdb.DuckDBPyConnection], dict[str, Frame]]


def _ge_group_names(name: str) -> tuple[str, str]:
    """The check names of suite ``name``'s two groups: (blocking, non-blocking)."""
    return f"{name}_blocking", f"{name}_nonblocking"


def ge_checks(
    name: str,
    key: dg.AssetKey,
    suite: Sequence[Expectation],
    load_frames: FrameLoader,
    skip_when_empty: tuple[str, ...] = (),
    nonblocking_severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetChecksDefinition:
    """One ``multi_asset_check`` per great_expectations suite with at most two checks on
    asset ``key``: ``<name>_blocking`` holds every blocking expectation of ``suite`` and
    ``<name>_nonblocking`` the rest (a group without expectations has no check). Grouping
    keeps a day's run to two check events per suite instead of one per expectation.

    Each result carries a Markdown table of its expectations (name, kind, passed, rows
    checked, unexpected, sample), the counts, and the failed expectations' names in
    ``failed_expectations`` and in its description, so the UI, ``alvh status`` and a
    failed run's message name the expectation that failed.

    The frames come from ``load_frames`` reading the warehouse read-only, and GE runs inside
    the check (see ``alvh_assets.quality``). Expectations on a frame listed in
    ``skip_when_empty`` (a DataFrame, not Pieces) pass with a 'skipped' note when that frame
    has no rows. A failing blocking group has severity ERROR, a failing non-blocking group
    ``nonblocking_severity``.
    """
    blocking_name, nonblocking_name = _ge_group_names(name)
    groups = {
        check: [e for e in suite if e.blocking is blocking]
        for check, blocking in ((blocking_name, True), (nonblocking_name, False))
    }
    groups = {check: members for check, members in groups.items() if members}

    def _spec(check: str, members: list[Expectation]) -> dg.AssetCheckSpec:
        kind = "blocking" if members[0].blocking else "non-blocking"
        listed = "\n".join(f"- {e.name}: {e.description}" for e in members)
        return dg.AssetCheckSpec(
            check,
            asset=key,
            blocking=members[0].blocking,
            description=f"great_expectations, {len(members)} {kind} expectations:\n{listed}",
        )

    @dg.multi_asset_check(
        name=name, specs=[_spec(check, members) for check, members in groups.items()]
    )
    def _checks(warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
        rows: dict[str, dict[str, Any]] = {}
        with warehouse.connect(read_only=True) as con:
            frames = load_frames(con)
            empty = {f for f in skip_when_empty if frames[f].is_empty()}  # type: ignore[union-attr]
            for e in suite:
                if e.frame in empty:
                    rows[e.name] = _ge_row(e, True, 0, 0, f"skipped: frame '{e.frame}' has no rows")
            # inside the connection: frames given as Pieces are read while validating
            for outcome in run_suite(frames, [e for e in suite if e.frame not in empty]):
                e = outcome.expectation
                rows[e.name] = _ge_row(
                    e,
                    outcome.passed,
                    outcome.element_count,
                    outcome.unexpected_count,
                    outcome.sample or "-",
                )
        for check, members in groups.items():
            yield _ge_result(key, check, [rows[e.name] for e in members], nonblocking_severity)

    return _checks


def _ge_row(
    e: Expectation, passed: bool, rows_checked: int, unexpected: int, sample: str
) -> dict[str, Any]:
    return {
        "expectation": e.name,
        "kind": e.kind,
        "passed": passed,
        "rows_checked": rows_checked,
        "unexpected": unexpected,
        "sample": sample,
        "blocking": e.blocking,
    }


def _md_cell(value: object) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")


def _ge_result(
    key: dg.AssetKey,
    check: str,
    rows: list[dict[str, Any]],
    nonblocking_severity: dg.AssetCheckSeverity,
) -> dg.AssetCheckResult:
    """The grouped result of one check: passed when every expectation passed."""
    failed = [r["expectation"] for r in rows if not r["passed"]]
    skipped = [r["expectation"] for r in rows if str(r["sample"]).startswith("skipped")]
    head = ["expectation", "kind", "passed", "rows_checked", "unexpected", "sample"]
    table = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    table += ["| " + " | ".join(_md_cell(r[h]) for h in head) + " |" for r in rows]
    description = (
        f"failed expectations: {', '.join(failed)}"
        if failed
        else f"all {len(rows)} expectations passed"
    )
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=check,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if rows[0]["blocking"] else nonblocking_severity,
        description=description,
        metadata={
            "failed_expectations": ", ".join(failed) or "none",
            "expectations": len(rows),
            "failed": len(failed),
            "skipped": len(skipped),
            "unexpected": sum(int(r["unexpected"]) for r in rows),
            "results": dg.MetadataValue.md("\n".join(table)),
        },
    )
