"""The Dagster code location: every asset, check, resource and job of the ALVH warehouse."""

import dagster as dg

from alvh_assets.attribution import assets as attribution_assets
from alvh_assets.dagster_support import AlvhSettings, WarehouseResource
from alvh_assets.ingest import assets as ingest_assets
from alvh_assets.pricing import assets as pricing_assets
from alvh_assets.report import assets as report_assets
from alvh_assets.research import assets as research_assets
from alvh_assets.sample import assets as sample_assets
from alvh_assets.strategy import assets as strategy_assets
from orchestration.automation import (
    build_freshness_checks,
    daily_after_close,
    freshness_sensor,
    landing_day_sensor,
    macro_files_sensor,
    publish_after_success,
)
from orchestration.dbt import DBT_RESOURCE, dbt_marts, dbt_views, mart_ge_checks
from orchestration.sweep_workers import sweep_workers_job

LANDING = dg.AssetSelection.assets(sample_assets.SAMPLE_MARKET)
_DAILY_ASSETS = [
    a
    for a in [*ingest_assets.INGEST_ASSETS, *pricing_assets.PRICING_ASSETS]
    if a.partitions_def is not None
]
FRESHNESS_CHECKS = build_freshness_checks(
    [
        *_DAILY_ASSETS,
        dbt_marts,
        *strategy_assets.STRATEGY_ASSETS,
        *attribution_assets.ATTRIBUTION_ASSETS,
    ]
)
# Freshness checks judge "now", not a run's data: they stay out of the job/run selections
# (a 2008 backfill would always fail them) and run from freshness_checks_sensor.
FRESHNESS = dg.AssetSelection.checks(*FRESHNESS_CHECKS)
DAILY_INGEST = dg.AssetSelection.assets(*_DAILY_ASSETS) - FRESHNESS
REFERENCE = dg.AssetSelection.groups("ingest") - DAILY_INGEST - FRESHNESS
VIEWS = dg.AssetSelection.assets(dbt_views)
MARTS = dg.AssetSelection.assets(dbt_marts) - FRESHNESS
STRATEGY = dg.AssetSelection.assets(*strategy_assets.STRATEGY_ASSETS) - FRESHNESS
ATTRIBUTION = dg.AssetSelection.assets(*attribution_assets.ATTRIBUTION_ASSETS) - FRESHNESS
REPORT = dg.AssetSelection.assets(*report_assets.REPORT_ASSETS)
DAILY = DAILY_INGEST | MARTS | STRATEGY | ATTRIBUTION

STEPS: dict[str, tuple[dg.AssetSelection, str]] = {
    "landing": (LANDING, "Write the embedded sample market's landing files."),
    "reference": (
        REFERENCE,
        "Refresh the monthly and calendar sources (FRED, releases, FOMC, valuation).",
    ),
    "ingest": (
        DAILY_INGEST,
        "Ingest the daily sources (option chains, VX settlements, index history, breadth) and "
        "price every option row, for a trading day or a backfill range (one run).",
    ),
    "views": (VIEWS, "Build the dbt staging and intermediate views and run their tests."),
    "marts": (MARTS, "Build the dbt marts for a trading day or a backfill range (one run)."),
    "strategies": (
        STRATEGY,
        "Run the registered strategies over a trading day or a backfill range (one run), "
        "continuing from the book persisted at the session before it.",
    ),
    "attribution": (
        ATTRIBUTION,
        "Attribute the strategies' daily P&L by component over a trading day or a backfill "
        "range; recompute performance, stress windows and contribution.",
    ),
    "report": (
        REPORT,
        "Write the HTML report (charts, metrics, stress windows) from the warehouse.",
    ),
}
"""The CLI's steps (``orchestration.pipeline``), each a job of the same name (``<step>_job``)
that the UI, ``dagster job launch`` and the sensors run."""
STEP_JOBS = {
    step: dg.define_asset_job(f"{step}_job", selection=selection, description=description)
    for step, (selection, description) in STEPS.items()
}
landing_job, reference_job, report_job = (STEP_JOBS[s] for s in ("landing", "reference", "report"))
daily_job = dg.define_asset_job(
    "daily_job",
    selection=DAILY,
    description="Ingest, price, build the marts, run the strategies and attribute their P&L "
    "for one trading day (or a backfill range, as one run).",
)
research_sweep_job = dg.define_asset_job(
    "research_sweep_job",
    selection=dg.AssetSelection.assets(*research_assets.RESEARCH_ASSETS),
    description="Run (or resume) the sweep of the grid named by research.sweep_grid "
    "(docs/research.md); not part of the daily job.",
)

defs = dg.Definitions(
    assets=[
        sample_assets.sample_market,
        *ingest_assets.INGEST_ASSETS,
        *pricing_assets.PRICING_ASSETS,
        dbt_views,
        dbt_marts,
        *strategy_assets.STRATEGY_ASSETS,
        *attribution_assets.ATTRIBUTION_ASSETS,
        *report_assets.REPORT_ASSETS,
        *research_assets.RESEARCH_ASSETS,
    ],
    asset_checks=[
        sample_assets.sample_manifest_matches_files,
        sample_assets.sample_real_files_are_untouched,
        *ingest_assets.INGEST_CHECKS,
        *pricing_assets.PRICING_CHECKS,
        *mart_ge_checks(),
        *strategy_assets.STRATEGY_CHECKS,
        *attribution_assets.ATTRIBUTION_CHECKS,
        *report_assets.REPORT_CHECKS,
        *research_assets.RESEARCH_CHECKS,
        *FRESHNESS_CHECKS,
    ],
    jobs=[*STEP_JOBS.values(), daily_job, research_sweep_job, sweep_workers_job],
    schedules=[daily_after_close],
    sensors=[
        landing_day_sensor,
        macro_files_sensor,
        freshness_sensor(FRESHNESS_CHECKS),
        publish_after_success,
    ],
    resources={"alvh": AlvhSettings(), "warehouse": WarehouseResource(), "dbt": DBT_RESOURCE},
    executor=dg.in_process_executor,
)
