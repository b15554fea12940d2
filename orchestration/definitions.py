"""The Dagster code location: every asset, check, resource and job of the ALVH warehouse."""

from __future__ import annotations

import dagster as dg

from alvh_assets.sample import assets as sample_assets
from orchestration.resources import AlvhSettings

ALL_ASSETS = dg.AssetSelection.all()

demo_job = dg.define_asset_job(
    "demo_job",
    selection=ALL_ASSETS,
    description="Materialize every asset for the embedded default range (the README demo).",
)

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([sample_assets]),
    asset_checks=dg.load_asset_checks_from_modules([sample_assets]),
    jobs=[demo_job],
    resources={"alvh": AlvhSettings()},
)
