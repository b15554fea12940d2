"""The dbt project's default vars are the config's defaults (one source of truth)."""

from __future__ import annotations

from pathlib import Path

import yaml

from alvh_assets.config import load_config, mart_vars

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml"


def test_dbt_project_defaults_equal_config_defaults() -> None:
    declared = yaml.safe_load(DBT_PROJECT.read_text())["vars"]
    passed = mart_vars(load_config())
    assert set(declared) - {"window_start", "window_end"} == set(passed)
    for name, value in passed.items():
        assert declared[name] == value, name


def test_overrides_reach_the_mart_vars() -> None:
    cfg = load_config(overrides={"regimes.stressed_vix": 35, "signals.rsi_period": 10})
    v = mart_vars(cfg)
    assert v["stressed_vix"] == 35 and v["rsi_period"] == 10
