"""The config object: defaults from methodology.md, YAML loading, overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alvh_assets.config import AlvhConfig, ConfigError, dump_defaults, load_config, parse_override


def test_defaults_are_the_methodology_numbers() -> None:
    c = load_config()
    assert (c.condor.pop_min, c.condor.pop_target, c.condor.pop_max) == (0.70, 0.75, 0.80)
    assert (c.condor.entry_dte_min, c.condor.entry_dte_max) == (30, 45)
    assert c.condor.wing_width_points == 50 and c.condor.roll_delta_trigger == 0.30
    # exit_dte 0 (hold to settlement) and 5-delta wings: the house rules since 2026-12, from
    # the rule-by-rule evidence in docs/condor_rules_evidence.md (issue 14 item 6)
    assert (c.condor.profit_take_pct, c.condor.exit_dte, c.condor.stop_loss_multiple) == (
        0.5,
        0,
        2.0,
    )
    assert (c.condor.wing_mode, c.condor.wing_delta) == ("delta", 0.05)
    tranches = (
        c.hedge.short_term.tranches,
        c.hedge.medium_term.tranches,
        c.hedge.long_dated.tranches,
    )
    assert tranches == (4, 4, 2)
    assert c.hedge.calendar_front_dte == 30 and c.hedge.mid_layer_narrow_steps == 1
    assert c.baselines.vxth_levels == (15, 30, 50)
    assert c.baselines.vxth_monthly_pct == (0.0, 0.01, 0.005, 0.0)
    assert c.baselines.single_layer_delta == 0.30
    assert (c.hedge.valuation_budget_min, c.hedge.valuation_budget_max) == (0.12, 0.28)
    assert c.hedge.pcf_threshold == 11 and c.hedge.pe_block == 24
    assert c.hedge.gross_leverage_cap == 3.2 and c.hedge.beta_cap == 0.35
    assert (c.hedge.breakeven_shift_min, c.hedge.breakeven_shift_max) == (0.012, 0.018)
    assert c.hedge.liquidity_multiple == 1.8 and c.hedge.calendar_premium_ratio == 0.15
    assert c.hedge.erp_threshold == 0.065 and c.hedge.rv20_threshold == 0.18
    assert c.hedge.monetize_gain == 1.0
    assert (c.signals.macd_fast, c.signals.macd_slow, c.signals.macd_signal) == (12, 26, 9)
    assert c.signals.rsi_period == 14 and c.signals.rsi_overbought == 70
    assert (c.regimes.calm_vix, c.regimes.neutral_vix, c.regimes.stressed_vix) == (15, 20, 30)


def test_yaml_round_trip_and_override(tmp_path: Path) -> None:
    doc = yaml.safe_load(dump_defaults())
    doc["condor"]["pop_target"] = 0.72
    path = tmp_path / "alvh.yaml"
    path.write_text(yaml.safe_dump(doc))
    c = load_config(path, {"hedge.pe_block": 22})
    assert c.condor.pop_target == 0.72
    assert c.hedge.pe_block == 22
    assert c == load_config(path).model_copy(
        update={"hedge": load_config(path).hedge.model_copy(update={"pe_block": 22.0})}
    )


def test_partial_yaml_keeps_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "partial.yaml"
    path.write_text("signals:\n  rsi_period: 10\n")
    c = load_config(path)
    assert c.signals.rsi_period == 10
    assert c.signals.macd_slow == 26


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"condor.pop_target": 1.3}, "field 'condor.pop_target'"),
        ({"condor.pop_target": 1.3}, "allowed range [0.5, 0.99]"),
        ({"hedge.gross_leverage_cap": 0.5}, "allowed range [1.0, 20.0]"),
        ({"condor.pop_min": 0.9}, "pop_min <= pop_target <= pop_max"),
        ({"hedge.short_term.budget_share": 0.5}, "must sum to 1"),
        ({"condor.wing_mode": "diagonal"}, "field 'condor.wing_mode'"),
        ({"condor.no_such_field": 1}, "field 'condor.no_such_field'"),
        ({"signals.macd_fast": 30}, "macd_fast < macd_slow"),
    ],
)
def test_invalid_values_name_the_field_and_range(override: dict, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(overrides=override)
    assert needle in str(err.value)


def test_bad_yaml_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("condor:\n  exit_dte: -3\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: field 'condor\.exit_dte'"):
        load_config(path)


def test_parse_override_types_values() -> None:
    assert parse_override("condor.exit_dte=14") == ("condor.exit_dte", 14)
    assert parse_override("condor.wing_mode=delta") == ("condor.wing_mode", "delta")
    with pytest.raises(ConfigError):
        parse_override("condor.exit_dte")


def test_config_is_immutable() -> None:
    c = AlvhConfig()
    with pytest.raises(Exception, match="frozen"):
        c.condor.exit_dte = 3  # type: ignore[misc]
