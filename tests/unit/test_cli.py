"""The ``alvh`` CLI: help everywhere, config commands, clear errors with exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from alvh_assets.cli import main
from orchestration.resources import AlvhSettings


@pytest.mark.parametrize(
    "args", [[], ["config"], ["config", "show"], ["sample"], ["demo"], ["report"]]
)
def test_help_everywhere(args: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_config_show_applies_overrides() -> None:
    result = CliRunner().invoke(main, ["--set", "condor.exit_dte=14", "config", "show"])
    assert result.exit_code == 0, result.output
    assert "exit_dte: 14" in result.output


def test_invalid_override_exits_2_naming_the_field() -> None:
    result = CliRunner().invoke(main, ["--set", "hedge.beta_cap=5", "config", "show"])
    assert result.exit_code == 2
    assert "field 'hedge.beta_cap'" in result.output
    assert "allowed range [0.0, 2.0]" in result.output


def test_config_validate_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("regimes:\n  calm_vix: 25\n")
    result = CliRunner().invoke(main, ["config", "validate", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "calm_vix <= neutral_vix" in result.output


def test_sample_rejects_a_range_without_real_spx(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["sample", "--start", "1995-01-03", "--end", "1995-02-01", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "error:" in result.output and "1999-01-04" in result.output


def test_overrides_reach_the_dagster_runs_the_cli_launches() -> None:
    import click
    import dagster as dg

    from alvh_assets.cli import _resources

    seen: list[int] = []

    @dg.asset
    def probe(alvh: AlvhSettings) -> None:
        seen.append(alvh.load().condor.exit_dte)

    ctx = click.Context(main, obj={"overrides": ["condor.exit_dte=14"], "config": None})
    resources = _resources(ctx)
    assert dg.materialize([probe], resources={"alvh": resources["alvh"]}).success
    assert seen == [14]  # a pydantic model_copy of the resource would arrive as the default
