"""What `alvh status` reports: the latest partition per asset, checks whose latest
evaluation failed, and quarantined rows by reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.definitions import defs


def asset_status(instance: dg.DagsterInstance) -> list[dict[str, str | None]]:
    """Per asset: the latest materialized partition (partitioned assets) or the time of the
    latest materialization."""
    rows = []
    graph = defs.resolve_asset_graph()
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        latest: str | None = None
        if node.partitions_def is not None:
            done = instance.get_materialized_partitions(key)
            latest = max(done) if done else None
        else:
            event = instance.get_latest_materialization_event(key)
            if event is not None:
                latest = dt.datetime.fromtimestamp(event.timestamp, dt.UTC).strftime(
                    "%Y-%m-%d %H:%M UTC"
                )
        rows.append({"asset": key.to_user_string(), "latest": latest})
    return rows


def check_status(instance: dg.DagsterInstance) -> list[dict[str, str]]:
    """The latest execution of every asset check that has one: "passed"/"failed" from its
    evaluation, else the execution's state ("planned" for a check whose run failed or was
    killed before it ran, "skipped", "in_progress"). A planned-but-unrun check's record
    carries an ``AssetCheckEvaluationPlanned`` (no ``passed``), never an evaluation.
    ``detail``: a failed evaluation's description on one line (a grouped check's names its
    failed expectations or SQL rules), else empty."""
    keys = list(defs.resolve_asset_graph().asset_check_keys)
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    rows = []
    for key, record in sorted(latest.items(), key=lambda kv: kv[0].to_user_string()):
        state = record.status.value.lower()
        passed = getattr(record.evaluation, "passed", None)  # None: planned, never evaluated
        detail = ""
        if isinstance(passed, bool):
            state = "passed" if passed else "failed"
            # a grouped check's description names its failed expectations / SQL rules
            detail = "" if passed else " ".join((record.evaluation.description or "").split())
        rows.append(
            {
                "asset": key.asset_key.to_user_string(),
                "check": key.name,
                "status": state,
                "detail": detail,
            }
        )
    return rows


def quarantine_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(source, reason_code, rows) of ``quarantine.rejected_rows``."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'quarantine' AND table_name = 'rejected_rows'"
    ).fetchone()[0]
    if not exists:
        return []
    return con.execute(
        "SELECT source, reason_code, count(*) FROM quarantine.rejected_rows "
        "GROUP BY ALL ORDER BY 1, 2"
    ).fetchall()


def publication_line(path: Path | None = None) -> str:
    """One line on the current publication (``meta.publication`` of the published copy):
    the day its data runs through, its first day, when it was published and by which code;
    or why there is none."""
    from alvh_assets.publication import read_publication

    try:
        found = read_publication(path)
    except duckdb.Error as e:
        return f"unreadable ({e.__class__.__name__}: {' '.join(str(e).split())})"
    if found is None:
        return "none (run alvh publish), or published before meta.publication existed"
    through = found.data_through.isoformat() if found.data_through else "no data"
    first = f" from {found.first_day.isoformat()}" if found.first_day else ""
    at = found.published_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"data through {through}{first} ({found.data_through_table or 'no table'}); "
        f"published at {at}; code {found.code_version}, config {found.config_hash}"
    )
