"""The data dictionary of the tables dbt reads as sources, read from the dbt sources: one home.

The ``raw`` tables (the ingest's) and ``pricing.option_greeks`` (the pricing's) are dbt
sources, so their table and column descriptions are written once, in
``dbt_project/models/staging/_sources.yml`` (dbt docs shows them), and this module turns them
into the DuckDB comments the ingest and the pricing store on the tables
(:func:`alvh_assets.warehouse.ensure_table`). A column the yml does not describe gets no
comment: :func:`missing_descriptions` names it (``alvh dictionary`` prints the list, a test
holds it empty once the yml is complete); nothing here invents a text.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import polars as pl
import yaml

from alvh_assets.warehouse import TableDoc

SOURCES_YML = Path(__file__).resolve().parents[1] / "dbt_project/models/staging/_sources.yml"
"""The dbt sources file holding the ``raw`` tables' descriptions."""


@cache
def source_docs(path: Path = SOURCES_YML) -> dict[str, TableDoc]:
    """``<source>.<table>`` -> its description and the columns the yml describes (empty or
    missing descriptions left out), for every table of every dbt source (a source's name is
    its warehouse schema: ``raw``, ``pricing``)."""
    loaded = yaml.safe_load(Path(path).read_text()) or {}
    docs: dict[str, TableDoc] = {}
    for source in loaded.get("sources", []):
        for table in source.get("tables", []):
            columns = {
                c["name"]: str(c["description"]).strip()
                for c in table.get("columns", []) or []
                if str(c.get("description") or "").strip()
            }
            description = str(table.get("description") or "").strip()
            docs[f"{source['name']}.{table['name']}"] = TableDoc(description, columns)
    return docs


def missing_descriptions(
    tables: Mapping[str, Mapping[str, pl.DataType]], path: Path = SOURCES_YML
) -> list[str]:
    """What the yml leaves undescribed among ``tables`` (``<schema>.<table>`` -> its columns,
    as the code creates them): a table without a description, and ``<table>.<column>``
    without a column description; also a described column the table does not have
    (``… (not a column)``). Sorted."""
    docs = source_docs(path)
    missing: list[str] = []
    for table, columns in tables.items():
        doc = docs.get(table, TableDoc(""))
        if not doc.description:
            missing.append(table)
        missing += [f"{table}.{c}" for c in columns if c not in doc.columns]
        missing += [f"{table}.{c} (not a column)" for c in doc.columns if c not in columns]
    return sorted(missing)
