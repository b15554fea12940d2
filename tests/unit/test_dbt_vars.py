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


def test_the_window_is_not_a_var_of_the_run(monkeypatch) -> None:
    """The window reaches dbt in the environment (constant --vars keep dbt's partial parse);
    a var given explicitly wins, neither means the whole history."""
    import datetime as dt

    from alvh_assets.marts import run_window

    monkeypatch.delenv("ALVH_WINDOW_START", raising=False)
    monkeypatch.delenv("ALVH_WINDOW_END", raising=False)
    assert run_window("None", None) == (dt.date(1900, 1, 1), dt.date(2999, 12, 31))
    monkeypatch.setenv("ALVH_WINDOW_START", "2009-06-30")
    monkeypatch.setenv("ALVH_WINDOW_END", "2009-06-30")
    assert run_window("None", "None") == (dt.date(2009, 6, 30), dt.date(2009, 6, 30))
    assert run_window(dt.date(2008, 3, 5), "2008-03-13") == (
        dt.date(2008, 3, 5),
        dt.date(2008, 3, 13),
    )
    declared = yaml.safe_load(DBT_PROJECT.read_text())["vars"]
    assert "window_start" not in declared and "window_end" not in declared


def test_a_cached_parse_serves_one_warehouse_and_one_set_of_vars(tmp_path: Path) -> None:
    """DuckDB names the catalog after the warehouse file: a parse cached for one file (or
    other vars) is never handed to a run on another."""
    from orchestration.dbt import parse_cache

    v = mart_vars(load_config())
    a, b = tmp_path / "a" / "alvh.duckdb", tmp_path / "b" / "alvh.duckdb"
    assert parse_cache(a, v) == parse_cache(tmp_path / "a" / ".." / "a" / "alvh.duckdb", v)
    assert parse_cache(a, v) != parse_cache(b, v)
    assert parse_cache(a, v) != parse_cache(tmp_path / "a" / "other.duckdb", v)
    assert parse_cache(a, v) != parse_cache(a, v | {"rsi_period": 10})


def test_the_dbt_resource_builds_no_adapter_in_the_dagster_process(tmp_path: Path) -> None:
    """dagster-dbt builds a dbt adapter in the calling process for every invocation (only for
    row counts and column metadata, unused here); the project's resource skips it."""
    from dagster_dbt import DbtCliResource

    from orchestration.dbt import DBT_RESOURCE

    args = ["debug", "--config-dir"]  # prints a path: no database, no artifacts
    invocation = DBT_RESOURCE.cli(args, target_path=tmp_path)
    assert invocation.wait().is_successful() and invocation.adapter is None
    # what the override replaces (the method dagster-dbt's cli() calls) builds one
    assert DbtCliResource._initialize_dbt_core_adapter(DBT_RESOURCE, args) is not None
