"""The dbt project documents what it reads and promises what it publishes, checked on the YAML
(no dbt run): every source column of the raw and pricing DDL described, freshness on every
source, owners, contracts and data types on the public marts, exposures for the report and
the published copy. The built-warehouse side (comments, types, ``dbt source freshness``) is
in tests/integration/test_dbt_docs.py."""

from __future__ import annotations

from pathlib import Path

import yaml

from alvh_assets.ingest.run import LINEAGE
from alvh_assets.ingest.sources import SOURCES
from alvh_assets.marts.mart_expectations import MART_TABLES
from alvh_assets.pricing.run import TABLE_SCHEMA as GREEKS_SCHEMA

DBT = Path(__file__).resolve().parents[2] / "dbt_project"
MODELS = DBT / "models"
PYTHON_MARTS = {p.stem for p in (MODELS / "marts").glob("*.py")}


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def _sources() -> dict[str, dict]:
    """``schema.table`` -> the table's entry in _sources.yml, with its source's config."""
    out = {}
    for src in _yaml(MODELS / "staging" / "_sources.yml")["sources"]:
        for table in src["tables"]:
            out[f"{src['schema']}.{table['name']}"] = {**table, "source": src}
    return out


def _models() -> dict[str, dict]:
    out = {}
    for f in MODELS.rglob("*.yml"):
        for model in _yaml(f).get("models", []):
            out[model["name"]] = model
    return out


def ddl() -> dict[str, list[str]]:
    """Columns of every table the dbt sources read, from the code that creates them: the
    readers' schema plus the ingest lineage (raw), the pricing asset's table schema."""
    tables = {f"raw.{s.name}": [*s.schema, *LINEAGE] for s in SOURCES.values()}
    tables["pricing.option_greeks"] = list(GREEKS_SCHEMA)
    return tables


def test_every_source_column_of_the_ddl_is_described_and_nothing_else() -> None:
    sources, tables = _sources(), ddl()
    assert set(sources) == set(tables)
    undocumented, unknown = [], []
    for name, columns in tables.items():
        described = {
            c["name"]: (c.get("description") or "").strip() for c in sources[name]["columns"]
        }
        undocumented += [f"{name}.{c}" for c in columns if not described.get(c)]
        unknown += [f"{name}.{c}" for c in described if c not in columns]
        assert [c for c in described if c in columns] == columns, f"{name}: DDL column order"
    assert undocumented == [] and unknown == []
    assert sum(len(c) for c in tables.values()) == 147  # 120 raw + 27 pricing


def test_every_source_has_freshness_on_its_load_stamp() -> None:
    for name, table in _sources().items():
        config = {**table["source"].get("config", {}), **table.get("config", {})}
        stamp = "_computed_at" if name.startswith("pricing.") else "_ingested_at"
        assert config["loaded_at_field"] == stamp, name
        assert stamp in ddl()[name], name
        warn, error = config["freshness"]["warn_after"], config["freshness"]["error_after"]
        assert warn["period"] == error["period"] == "day", name
        assert 0 < warn["count"] < error["count"], name
    # the daily sources go stale within a week, the monthly ones within two months
    daily = {f"raw.{s.name}" for s in SOURCES.values() if s.daily} | {"pricing.option_greeks"}
    for name, table in _sources().items():
        config = {**table["source"]["config"], **table.get("config", {})}
        limit = 7 if name in daily else 800
        assert config["freshness"]["error_after"]["count"] <= limit, name


def test_every_model_column_described_and_public_marts_typed() -> None:
    models = _models()
    sql = {p.stem for p in MODELS.rglob("*.sql")}
    assert set(models) == sql | {p.stem for p in MODELS.rglob("*.py")}
    for name, model in models.items():
        assert (model.get("description") or "").strip(), name
        for column in model.get("columns", []):
            assert (column.get("description") or "").strip(), f"{name}.{column['name']}"
    for mart in MART_TABLES:
        for column in models[mart]["columns"]:
            assert column.get("data_type"), f"{mart}.{column['name']}"


def test_public_marts_are_owned_grouped_and_contracted() -> None:
    project = _yaml(DBT / "dbt_project.yml")
    marts = project["models"]["alvh"]["marts"]
    assert project["models"]["alvh"]["+persist_docs"] == {"relation": True, "columns": True}
    assert marts["+group"] == "marts" and marts["+access"] == "public"
    assert marts["+meta"]["owner"] == "team:alvh-analytics"
    assert marts["+contract"] == {"enforced": True}
    groups = {g["name"]: g for g in _yaml(MODELS / "_groups.yml")["groups"]}
    assert groups["marts"]["owner"]["name"] == "team:alvh-analytics"
    # dbt-core 1.11 refuses contracts on Python models: the two Python marts opt out
    models = _models()
    assert {"fct_indicators_daily", "fct_spx_vol_surface_daily"} == PYTHON_MARTS
    for mart in MART_TABLES:
        enforced = models[mart].get("config", {}).get("contract", {}).get("enforced", True)
        assert enforced is (mart not in PYTHON_MARTS), mart


def test_exposures_cover_the_report_and_the_published_copy() -> None:
    exposures = {e["name"]: e for e in _yaml(MODELS / "exposures.yml")["exposures"]}
    assert {"alvh_report", "alvh_published_warehouse"} <= set(exposures)
    published = exposures["alvh_published_warehouse"]["depends_on"]
    assert {f"ref('{m}')" for m in MART_TABLES} <= set(published)
    assert {f"source('{t.split('.')[0]}', '{t.split('.')[1]}')" for t in ddl()} <= set(published)
    for name, exposure in exposures.items():
        assert exposure["owner"]["name"] and exposure["description"].strip(), name
        refs = [d for d in exposure["depends_on"] if d.startswith("ref(")]
        assert all(r[5:-2] in MART_TABLES for r in refs), name  # exposures read marts only
