"""The dbt docs and freshness on a warehouse built through Dagster (October 2008): every
column of every built model is documented and carries its description as a DuckDB comment
(views, SQL tables and the Python models alike: ``+persist_docs``), the public marts have
the declared types (the contract, enforced by dbt for the SQL marts and checked here for the
Python ones), and ``dbt source freshness`` reports on every source table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from alvh_assets.marts.mart_expectations import MART_TABLES
from tests.integration.dbt_on_raw import dbt
from tests.unit.test_dbt_docs import _models, _sources

pytestmark = pytest.mark.slow

MODEL_SCHEMAS = ("staging", "intermediate", "marts")


def _comments(db: Path) -> tuple[dict, dict]:
    """(``schema.relation`` -> comment, ``(relation, column)`` -> (comment, type))."""
    with duckdb.connect(str(db), read_only=True) as con:
        schemas = ", ".join(f"'{s}'" for s in MODEL_SCHEMAS)
        relations = con.execute(
            f"SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() "
            f"WHERE schema_name IN ({schemas}) UNION ALL "
            f"SELECT schema_name || '.' || view_name, comment FROM duckdb_views() "
            f"WHERE schema_name IN ({schemas})"
        ).fetchall()
        columns = con.execute(
            "SELECT table_name, column_name, comment, lower(data_type) FROM duckdb_columns() "
            f"WHERE schema_name IN ({schemas})"
        ).fetchall()
    return dict(relations), {(t, c): (cm, ty) for t, c, cm, ty in columns}


def test_every_built_model_column_is_documented_and_commented(built: Path) -> None:
    relations, columns = _comments(built)
    models = _models()
    assert {r.split(".", 1)[1] for r in relations} == set(models)
    for relation, comment in relations.items():
        # a folded YAML description (>) keeps its final newline in the comment
        assert comment.strip() == models[relation.split(".", 1)[1]]["description"].strip(), relation
    described = {
        (name, c["name"]): c["description"].strip()
        for name, model in models.items()
        for c in model.get("columns", [])
    }
    undocumented = sorted(set(columns) - set(described))
    not_built = sorted(set(described) - set(columns))
    assert undocumented == [] and not_built == []
    # the Python models (fct_indicators_daily, fct_spx_vol_surface_daily,
    # int_calendar__nyse_sessions) included: the comment is the YAML description
    wrong = [k for k, (comment, _) in columns.items() if (comment or "").strip() != described[k]]
    assert wrong == []
    assert len(columns) == 271


def test_public_marts_have_the_declared_types(built: Path) -> None:
    _, columns = _comments(built)
    models = _models()
    for mart in MART_TABLES:
        declared = {c["name"]: c["data_type"].lower() for c in models[mart]["columns"]}
        assert declared == {c: ty for (t, c), (_, ty) in columns.items() if t == mart}, mart


def test_dbt_source_freshness_reports_on_every_source(built: Path, tmp_path: Path) -> None:
    db = tmp_path / "alvh.duckdb"  # the catalog name the dbt relations use
    shutil.copy(built, db)
    target = tmp_path / "target"
    out = dbt(db, target, "source", "freshness")
    assert out.returncode == 0, out.stdout[-3000:]
    results = json.loads((target / "sources.json").read_text())["results"]
    by_table = {r["unique_id"].split(".", 2)[2]: r for r in results}
    assert set(by_table) == set(_sources())  # raw.* and pricing.option_greeks
    for name, r in by_table.items():
        # just loaded: fresh, and the age is the load stamp's (seconds, not the 2008 dates)
        assert r["status"] == "pass", name
        assert 0 <= r["max_loaded_at_time_ago_in_s"] < 6 * 3600, name
