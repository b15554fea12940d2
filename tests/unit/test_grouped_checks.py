"""``ge_checks``: a suite is at most two checks per asset (blocking, non-blocking), each
naming its failed expectations, with the severity of its group."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from alvh_assets.dagster_support import WarehouseResource, ge_checks, sql_checks, sql_rule
from alvh_assets.quality import Expectation
from orchestration.pipeline import step_failure
from tests.checks import outcomes

KEY = dg.AssetKey(["t", "table"])
X_LE_10 = Expectation(
    "x_le_10", "ExpectColumnValuesToBeBetween", {"column": "x", "max_value": 10}, "x <= 10"
)
K_UNIQUE = Expectation("k_unique", "ExpectColumnValuesToBeUnique", {"column": "k"}, "k unique")
X_GE_0 = Expectation(
    "x_ge_0", "ExpectColumnValuesToBeBetween", {"column": "x", "min_value": 0}, blocking=False
)
EXTRA = Expectation(
    "extra_not_null",
    "ExpectColumnValuesToNotBeNull",
    {"column": "k"},
    blocking=False,
    frame="extra",
)
SUITE = [X_LE_10, K_UNIQUE, X_GE_0, EXTRA]


def _run(
    tmp_path: Path, x: list[float], extra: list[int | None], suite: list[Expectation] = SUITE
) -> tuple[dg.AssetChecksDefinition, dg.ExecuteInProcessResult]:
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    checks = ge_checks(
        "ge_t",
        KEY,
        suite,
        lambda con: {
            "latest": pl.DataFrame({"x": x, "k": list(range(len(x)))}),
            "extra": pl.DataFrame({"k": extra}, schema={"k": pl.Int64}),
        },
        skip_when_empty=("extra",),
        nonblocking_severity=dg.AssetCheckSeverity.WARN,
    )
    result = dg.materialize(
        [checks, dg.AssetSpec(KEY)],
        resources={"warehouse": WarehouseResource(path=str(db))},
        selection=dg.AssetSelection.checks_for_assets(KEY),
        raise_on_error=False,
    )
    return checks, result


def test_a_suite_is_one_blocking_and_one_nonblocking_check(tmp_path: Path) -> None:
    checks, result = _run(tmp_path, [1.0, 2.0], [1])
    specs = {s.name: s for s in checks.check_specs}
    assert set(specs) == {"ge_t_blocking", "ge_t_nonblocking"}
    assert specs["ge_t_blocking"].blocking and not specs["ge_t_nonblocking"].blocking
    assert "x_le_10: x <= 10" in specs["ge_t_blocking"].description
    assert "k_unique" in specs["ge_t_blocking"].description
    assert "x_ge_0" in specs["ge_t_nonblocking"].description
    assert "x_le_10" not in specs["ge_t_nonblocking"].description
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evals) == {"ge_t_blocking", "ge_t_nonblocking"}
    assert all(e.passed for e in evals.values())
    assert outcomes(evals.values()) == {e.name: True for e in SUITE}
    meta = evals["ge_t_blocking"].metadata
    assert meta["expectations"].value == 2 and meta["failed"].value == 0
    assert "| x_le_10 | ExpectColumnValuesToBeBetween | True | 2 | 0 |" in meta["results"].value


def test_a_failure_names_its_expectation_and_has_its_groups_severity(tmp_path: Path) -> None:
    _, result = _run(tmp_path, [1.0, 20.0, -1.0], [1, None])
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    blocking, other = evals["ge_t_blocking"], evals["ge_t_nonblocking"]
    assert not blocking.passed and blocking.severity == dg.AssetCheckSeverity.ERROR
    assert blocking.metadata["failed_expectations"].value == "x_le_10"
    assert blocking.description == "failed expectations: x_le_10"
    assert blocking.metadata["unexpected"].value == 1
    assert not other.passed and other.severity == dg.AssetCheckSeverity.WARN
    assert other.metadata["failed_expectations"].value == "x_ge_0, extra_not_null"
    assert outcomes(evals.values()) == {
        "x_le_10": False,
        "k_unique": True,
        "x_ge_0": False,
        "extra_not_null": False,
    }
    error = step_failure("day", result)
    assert error is not None
    assert "check ge_t_blocking of asset t/table failed: failed expectations: x_le_10" in str(error)
    assert "x_ge_0" not in str(error)  # WARN: reported, not fatal


def test_an_empty_frame_is_skipped_and_passes(tmp_path: Path) -> None:
    _, result = _run(tmp_path, [1.0], [])
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    other = evals["ge_t_nonblocking"]
    assert other.passed and other.metadata["skipped"].value == 1
    assert "| extra_not_null | ExpectColumnValuesToNotBeNull | True | 0 | 0 | skipped" in (
        other.metadata["results"].value
    )


def test_an_empty_group_has_no_check(tmp_path: Path) -> None:
    checks, result = _run(tmp_path, [1.0], [1], suite=[X_LE_10, K_UNIQUE])
    assert [s.name for s in checks.check_specs] == ["ge_t_blocking"]
    assert [e.check_name for e in result.get_asset_check_evaluations()] == ["ge_t_blocking"]


def _sql_run(tmp_path: Path, values: list[int]) -> tuple[list, dg.ExecuteInProcessResult]:
    db = tmp_path / "s.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE t (k INTEGER, v INTEGER)")
        con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    rules = [
        sql_rule(KEY, "v_positive", "v > 0", "SELECT k, v FROM t WHERE v <= 0"),
        sql_rule(KEY, "v_small", "v < 100", "SELECT k, v FROM t WHERE v >= ?", [100]),
        sql_rule(OTHER, "t_not_empty", "t has rows", "SELECT 1 WHERE NOT EXISTS (FROM t)"),
    ]
    checks = sql_checks(rules)
    result = dg.materialize(
        [*checks, dg.AssetSpec(KEY), dg.AssetSpec(OTHER)],
        resources={"warehouse": WarehouseResource(path=str(db))},
        selection=dg.AssetSelection.checks_for_assets(KEY, OTHER),
        raise_on_error=False,
    )
    return checks, result


OTHER = dg.AssetKey(["t", "other"])


def test_sql_rules_are_one_check_per_asset(tmp_path: Path) -> None:
    checks, result = _sql_run(tmp_path, [1, 2])
    specs = [s for c in checks for s in c.check_specs]
    assert sorted((s.asset_key, s.name) for s in specs) == [
        (OTHER, "sql_rules"),
        (KEY, "sql_rules"),
    ]
    (spec,) = [s for s in specs if s.asset_key == KEY]
    assert spec.blocking and "- v_positive: v > 0" in spec.description
    assert "- v_small: v < 100" in spec.description
    evals = result.get_asset_check_evaluations()
    assert len(evals) == 2 and all(e.passed for e in evals)
    assert outcomes(evals) == {"v_positive": True, "v_small": True, "t_not_empty": True}


def test_a_failed_sql_rule_is_named(tmp_path: Path) -> None:
    _, result = _sql_run(tmp_path, [1, 200, 300])
    (check,) = [e for e in result.get_asset_check_evaluations() if e.asset_key == KEY]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.description == "failed rules: v_small"
    assert check.metadata["violations"].value == 2
    assert "| k | v |" in check.metadata["sample_v_small"].value
    assert "sample_v_positive" not in check.metadata
    assert outcomes([check]) == {"v_positive": True, "v_small": False}
    error = step_failure("day", result)
    assert error is not None
    assert "check sql_rules of asset t/table failed: failed rules: v_small" in str(error)
