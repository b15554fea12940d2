"""Dagster resources: the validated ALVH config and the project's paths."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from alvh_assets import paths
from alvh_assets.config import AlvhConfig, load_config


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
        from alvh_assets import warehouse

        return warehouse.connect(self.location(), read_only=read_only)
