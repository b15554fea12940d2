"""The sweep grid (:mod:`alvh_assets.research.grid`): syntax, up-front validation, typed
columns, the combinations and their config hashes; and ``alvh sweep``'s refusals (one line,
exit 2, before the warehouse is touched)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from alvh_assets.config import ConfigError, load_config
from alvh_assets.research.grid import (
    Axis,
    column_dtype,
    combinations,
    config_hash,
    merge_axes,
    parse_axis,
    read_grid_file,
)
from orchestration.cli import main


def test_lists_and_inclusive_ranges() -> None:
    assert parse_axis("condor.pop_target=0.70,0.75,0.80") == Axis(
        "condor.pop_target", (0.70, 0.75, 0.80)
    )
    assert parse_axis("hedge.valuation_budget_max=0.12:0.28:0.04").values == (
        0.12,
        0.16,
        0.2,
        0.24,
        0.28,
    )
    assert parse_axis("hedge.beta_window=40:80:20").values == (40, 60, 80)
    assert parse_axis("condor.wing_mode=width,delta").values == ("width", "delta")
    assert parse_axis("condor.pop_target=0.70,0.75").column == "condor__pop_target"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("condor.nope=1,2", "unknown config field 'condor.nope'"),
        ("condor=1", "is a section"),
        ("hedge.short_term=1,2", "is a section"),
        ("hedge.erp_threshold=0.05,0.06", "read by the dbt marts"),
        ("signals.macd_fast=10,12", "read by the dbt marts"),
        ("sample_start=2008-01-01", "not a strategy or attribution parameter"),
        ("ingest.max_day_shrink=0.1,0.2", "not a strategy or attribution parameter"),
        ("condor.pop_target", "expected section.field="),
        ("condor.pop_target=0.7:0.6:0.05", "start <= stop"),
        ("condor.pop_target=0.7:x:0.05", "three numbers"),
        ("condor.pop_target=0.7,0.7", "repeated"),
    ],
)
def test_bad_axes_are_one_line_errors(text: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as e:
        parse_axis(text)
    assert "\n" not in str(e.value)


def test_every_combination_is_validated_by_the_config_model() -> None:
    axes = [parse_axis("condor.pop_target=0.75,0.85"), parse_axis("hedge.beta_window=40,60")]
    with pytest.raises(ConfigError, match=r"combination 2 \(condor.pop_target=0.85") as e:
        combinations(axes)
    assert "pop_min <= pop_target <= pop_max" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="beta_window"):
        combinations([parse_axis("hedge.beta_window=5,60")])
    # with the base raised by --set, the same point is valid
    assert len(combinations(axes, None, ["condor.pop_max=0.9"])) == 4


def test_combinations_are_the_product_in_axis_order_with_typed_params() -> None:
    axes = [parse_axis("condor.pop_target=0.72,0.75"), parse_axis("hedge.beta_window=40,60")]
    combos = combinations(axes, None, ["sample_start=2008-09-29"])
    assert [c.index for c in combos] == [0, 1, 2, 3]
    assert [c.params(axes) for c in combos] == [
        {"condor__pop_target": 0.72, "hedge__beta_window": 40},
        {"condor__pop_target": 0.72, "hedge__beta_window": 60},
        {"condor__pop_target": 0.75, "hedge__beta_window": 40},
        {"condor__pop_target": 0.75, "hedge__beta_window": 60},
    ]
    assert combos[3].cfg.condor.pop_target == 0.75 and combos[3].cfg.hedge.beta_window == 60
    assert str(combos[0].cfg.sample_start) == "2008-09-29"
    defaults = load_config(None, {"sample_start": "2008-09-29"})
    assert combos[3].config_hash == config_hash(defaults)  # the defaults' own hash
    assert len({c.config_hash for c in combos}) == 4
    assert column_dtype("hedge.beta_window") == pl.Int64()
    assert column_dtype("condor.pop_target") == pl.Float64()
    assert column_dtype("condor.wing_mode") == pl.Utf8()


def test_grid_file(tmp_path: Path) -> None:
    f = tmp_path / "grid.yaml"
    f.write_text('grid:\n  condor.pop_target: [0.72, 0.75]\n  hedge.ceiling_max: "0.2:0.3:0.05"\n')
    axes = read_grid_file(f)
    assert axes == [
        Axis("condor.pop_target", (0.72, 0.75)),
        Axis("hedge.ceiling_max", (0.2, 0.25, 0.3)),
    ]
    f.write_text("- 1\n")
    with pytest.raises(ConfigError, match="mapping"):
        read_grid_file(f)
    with pytest.raises(ConfigError, match="given twice"):
        merge_axes([*axes, axes[0]])
    with pytest.raises(ConfigError, match="no axis"):
        merge_axes([])


def test_cli_refuses_a_bad_grid_in_one_line_before_anything_runs(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"ALVH_WAREHOUSE": str(tmp_path / "none.duckdb")}
    for args, says in (
        (["--grid", "condor.pop_target=0.75,0.95"], "grid combination 1"),
        (["--grid", "hedge.rv20_threshold=0.1,0.2"], "dbt marts"),
        ([], "no axis given"),
    ):
        r = runner.invoke(main, ["sweep", *args], env=env)
        assert r.exit_code == 2, r.output
        lines = [ln for ln in r.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0]
    assert not (tmp_path / "none.duckdb").exists()
    r = runner.invoke(main, ["sweep", "--grid", "condor.pop_target=0.72,0.75"], env=env)
    assert r.exit_code == 2 and "no warehouse" in r.output
    help_text = runner.invoke(main, ["sweep", "--help"]).output
    assert "start:stop:step" in help_text and "--grid-file" in help_text
