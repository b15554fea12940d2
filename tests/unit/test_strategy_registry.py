"""One home for strategies (issue 14 item 4): the registry drives the engine, the store, the
strategy tables' descriptions and checks, the attribution and the report, and adding a
strategy is one entry plus its rules."""

from __future__ import annotations

import inspect
from dataclasses import replace

import pytest

from alvh_assets.attribution import assets as attribution_assets
from alvh_assets.attribution.daily_pnl import hedge_buckets
from alvh_assets.config import AlvhConfig
from alvh_assets.report import build, charts
from alvh_assets.strategy import assets as strategy_assets
from alvh_assets.strategy import engine, hedges, registry
from alvh_assets.strategy.registry import REGISTRY, STRATEGIES
from alvh_assets.strategy.store import load_states
from tests.unit.test_cndr_rules import entry_day

CFG = AlvhConfig()
NAMES = {"unhedged", "single_layer_vix_call", "static_permanent", "alvh_442", "cboe_cndr"}


def _check_sql(name: str) -> str:
    """The SQL text and description of a strategy/attribution SQL rule, after checking that
    the asset's grouped ``sql_rules`` check holds it (its spec lists the rule)."""
    for rule in [*strategy_assets.STRATEGY_RULES, *attribution_assets.ATTRIBUTION_RULES]:
        if rule.name == name:
            checks = [*strategy_assets.STRATEGY_CHECKS, *attribution_assets.ATTRIBUTION_CHECKS]
            (spec,) = [
                s
                for c in checks
                for s in c.check_specs
                if s.asset_key == rule.key and s.name == "sql_rules"
            ]
            assert f"- {name}: " in (spec.description or "")
            return rule.sql + rule.description
    raise KeyError(name)


def test_the_registry_has_the_five_strategies_in_report_order() -> None:
    assert set(REGISTRY) == NAMES and tuple(REGISTRY) == STRATEGIES
    assert list(REGISTRY)[-1] == "cboe_cndr"
    for s in REGISTRY.values():
        assert s.name and s.label and s.color.startswith("#") and s.description
        assert callable(s.condor) and callable(s.hedge)


def test_engine_store_attribution_and_report_read_the_registry() -> None:
    assert engine.STRATEGIES == STRATEGIES
    assert set(load_states(None, None, CFG)) == set(REGISTRY)  # type: ignore[arg-type]
    assert {s: hedge_buckets(s) for s in REGISTRY} == {
        "unhedged": (),
        "single_layer_vix_call": ("single_layer",),
        "static_permanent": ("static",),
        "alvh_442": (*hedges.BUCKETS, hedges.CALENDAR[0]),
        "cboe_cndr": (),
    }
    assert [charts.label(s) for s in REGISTRY] == [s.label for s in REGISTRY.values()]
    assert list(charts.STRATEGY_LABELS) == list(REGISTRY)
    subtitle = build._subtitle()
    assert all(s.label in subtitle for s in REGISTRY.values())
    for name in REGISTRY:
        assert name in strategy_assets.DESCRIPTIONS["strategy.fills"]
        assert name in strategy_assets.DESCRIPTIONS["strategy.account_daily"]


def test_the_checks_hold_every_registered_strategy() -> None:
    every_day = _check_sql("every_registered_strategy_every_session")
    performance = _check_sql("every_registered_strategy_has_its_performance")
    for name in REGISTRY:
        assert f"'{name}'" in every_day and name in performance
    assert "cboe_cndr" in _check_sql("cndr_condors_held_to_settlement")


def test_initial_states_take_their_tranches_from_the_entry() -> None:
    states = {s: engine.initial_state(s, CFG) for s in REGISTRY}
    assert len(states["alvh_442"].tranches) == 11  # 4/4/2 and the VIX call calendar
    assert all(not states[s].tranches for s in REGISTRY if s != "alvh_442")


def test_adding_a_strategy_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    # a sixth strategy: the CNDR rules under another name and colour, nothing else changed
    extra = replace(REGISTRY["cboe_cndr"], name="cndr_copy", label="CNDR copy", color="#000000")
    monkeypatch.setitem(registry.REGISTRY, "cndr_copy", extra)
    states = load_states(None, None, CFG)  # type: ignore[arg-type]
    assert "cndr_copy" in states
    [(_, rows)] = list(engine.run(states, [entry_day()], CFG))
    assert set(rows) == set(REGISTRY)
    copy, original = rows["cndr_copy"], rows["cboe_cndr"]
    assert [f.strike for f in copy.fills] == [f.strike for f in original.fills]
    assert copy.account["nav"] == original.account["nav"]
    assert hedge_buckets("cndr_copy") == ()
    assert charts.label("cndr_copy") == "CNDR copy" and charts.color("cndr_copy") == "#000000"


def test_the_registry_module_lists_its_readers() -> None:
    doc = inspect.getdoc(registry) or ""
    for reader in ("engine", "store", "assets", "attribution", "report"):
        assert reader in doc
