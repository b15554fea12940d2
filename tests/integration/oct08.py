"""The October 2008 test market shared by the integration tests: the sample for
2008-09-29 .. 2008-10-17 ingested with a warm-up from 2007-09-04, priced, and built into
the marts through Dagster."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

from alvh_assets.dagster_support import AlvhSettings, WarehouseResource
from orchestration.definitions import DAILY_INGEST, MARTS, REFERENCE, VIEWS, defs
from orchestration.runs import materialize, partition_range_tags
from tests.checks import failed as failed_names

START, END = dt.date(2008, 9, 29), dt.date(2008, 10, 17)
WARMUP = dt.date(2007, 9, 4)
OVERRIDES = {"sample_start": START.isoformat(), "sample_end": END.isoformat()}
"""The config overrides of this range (``--set`` texts: :data:`BASE`)."""
BASE = [f"{k}={v}" for k, v in OVERRIDES.items()]
SWEEP_GRID = ["condor.pop_target=0.72,0.75", "hedge.valuation_budget_max=0.28,0.24"]
"""The 2×2 grid of the shared sweep (``swept``): the defaults (pop_target 0.75,
valuation_budget_max 0.28) are combination 2."""


def resources(landing: Path, db: Path, overrides: str = "{}") -> dict:
    return {
        **defs.resources,
        "alvh": AlvhSettings(landing_dir=str(landing), overrides_json=overrides),
        "warehouse": WarehouseResource(path=str(db)),
    }


def run_steps(
    landing: Path,
    db: Path,
    steps: list[tuple[dg.AssetSelection, dict | None]],
    overrides: str = "{}",
) -> list:
    """Materialize each (selection, partition tags) in order; the names of failed
    ERROR-severity checks (of a grouped GE check: its failed expectations)."""
    failed = []
    with dg.DagsterInstance.ephemeral() as instance:
        for selection, tags in steps:
            r = materialize(defs, selection, instance, resources(landing, db, overrides), tags=tags)
            assert r.success, selection
            failed += failed_names(r.get_asset_check_evaluations(), dg.AssetCheckSeverity.ERROR)
    return failed


def build(landing: Path, db: Path, start: dt.date, end: dt.date) -> list:
    return run_steps(
        landing,
        db,
        [
            (REFERENCE, None),
            (DAILY_INGEST, partition_range_tags(WARMUP, end)),
            (VIEWS, None),
            (MARTS, partition_range_tags(start, end)),
        ],
    )
