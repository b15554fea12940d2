"""The Dagster code location: every asset, check, resource and job of the ALVH warehouse."""

import dagster as dg

from alvh_assets.attribution import assets as attribution_assets
from alvh_assets.ingest import assets as ingest_assets
from alvh_assets.pricing import assets as pricing_assets
from alvh_assets.report import assets as report_assets
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
from orchestration.resources import AlvhSettings, WarehouseResource

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
WHOLE = dg.AssetSelection.groups("ingest") - DAILY_INGEST - FRESHNESS
VIEWS = dg.AssetSelection.assets(dbt_views)
MARTS = dg.AssetSelection.assets(dbt_marts) - FRESHNESS
STRATEGY = dg.AssetSelection.assets(*strategy_assets.STRATEGY_ASSETS) - FRESHNESS
ATTRIBUTION = dg.AssetSelection.assets(*attribution_assets.ATTRIBUTION_ASSETS) - FRESHNESS
REPORT = dg.AssetSelection.assets(*report_assets.REPORT_ASSETS)
DAILY = DAILY_INGEST | MARTS | STRATEGY | ATTRIBUTION

landing_job = dg.define_asset_job(
    "landing_job",
    selection=LANDING,
    description="Write the embedded sample market's landing files.",
)
daily_job = dg.define_asset_job(
    "daily_job",
    selection=DAILY,
    description="Ingest, price, build the marts, run the strategies and attribute their P&L "
    "for one trading day (or a backfill range, as one run).",
)
report_job = dg.define_asset_job(
    "report_job",
    selection=REPORT,
    description="Write the HTML report (charts, metrics, stress windows) from the warehouse.",
)
reference_job = dg.define_asset_job(
    "reference_job",
    selection=WHOLE,
    description="Refresh the monthly and calendar sources (FRED, releases, FOMC, valuation).",
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
        *FRESHNESS_CHECKS,
    ],
    jobs=[landing_job, daily_job, reference_job, report_job],
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
