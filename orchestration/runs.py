"""Launching runs in-process against the project's Dagster instance (used by the CLI)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from alvh_assets import paths
from alvh_assets.calendars import trading_days


def instance_home() -> Path:
    """Create the project-local ``DAGSTER_HOME`` (SQLite storage, no telemetry) and use it."""
    home = paths.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    return home


def partition_range_tags(start: dt.date, end: dt.date) -> dict[str, str]:
    """Run tags that make one run cover every trading-day partition in ``[start, end]``."""
    days = trading_days(start, end)
    if not days:
        raise ValueError(f"no NYSE trading day in {start} .. {end}")
    return {
        "dagster/asset_partition_range_start": days[0].isoformat(),
        "dagster/asset_partition_range_end": days[-1].isoformat(),
    }


def materialize(
    defs: dg.Definitions,
    selection: dg.AssetSelection,
    instance: dg.DagsterInstance,
    resources: dict[str, object],
    run_config: dict | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize ``selection`` (with its checks) of ``defs`` in one in-process run."""
    return dg.materialize(
        [*(defs.assets or []), *(defs.asset_checks or [])],
        selection=selection,
        instance=instance,
        resources=resources,
        run_config=run_config,
        tags=tags,
        raise_on_error=False,
    )
