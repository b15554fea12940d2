"""The data dictionary: every published table, view and column with its description.

Where each description lives (one home per table):

=====================  ==================================================================
schema                 declared in
=====================  ==================================================================
``raw``                ``dbt_project/models/staging/_sources.yml`` (the dbt source ``raw``;
                       :mod:`alvh_assets.source_docs`)
``quarantine``         :data:`alvh_assets.ingest.run.QUARANTINE_DOCS`
``pricing``            ``option_greeks``: ``_sources.yml`` (a dbt source too); its log:
                       :data:`alvh_assets.pricing.run.DOCS`
``marts``              the models' yml (dbt ``persist_docs`` writes the comments)
``strategy``           :data:`alvh_assets.strategy.store.DOCS`
``attribution``        :data:`alvh_assets.attribution.schema.DOCS`, the views'
                       :data:`alvh_assets.attribution.views.VIEWS`
``meta``               :data:`alvh_assets.publication.DOCS` (the published copy only)
=====================  ==================================================================

The Python-declared tables get their comments when they are created
(:func:`alvh_assets.warehouse.ensure_table`), so the warehouse and every published copy
carry them (``COPY FROM DATABASE`` copies comments). :func:`markdown` renders the dictionary
from a database's catalog itself (``alvh dictionary`` writes ``docs/data_dictionary.md`` from
the published copy); :func:`uncommented` lists what has no comment.
"""

from __future__ import annotations

import duckdb
import polars as pl

from alvh_assets.attribution import schema as attribution
from alvh_assets.ingest import run as ingest
from alvh_assets.ingest.sources import SOURCES
from alvh_assets.pricing import run as pricing
from alvh_assets.publication import DOCS as META_DOCS
from alvh_assets.source_docs import missing_descriptions, source_docs
from alvh_assets.strategy import store
from alvh_assets.warehouse import TableDoc, ensure_table, sql_text

SCHEMAS = ("raw", "quarantine", "pricing", "marts", "strategy", "attribution", "meta")
"""The schemas of the dictionary, in the order of the data flow (``docs/design.md``)."""

MISSING = "*(no description)*"
"""What the dictionary shows where the catalog has no comment."""

Declared = dict[str, tuple[dict[str, pl.DataType], TableDoc | None]]


def declared_tables() -> Declared:
    """Every table the Python code creates: ``schema.table`` -> (columns, its
    :class:`~alvh_assets.warehouse.TableDoc`; for ``raw`` the yml's, ``None`` when the yml
    has no entry)."""
    raw = {f"raw.{s.name}": {**s.schema, **ingest.LINEAGE} for s in SOURCES.values()}
    docs = source_docs()
    tables: Declared = {t: (columns, docs.get(t)) for t, columns in raw.items()}
    tables[ingest.QUARANTINE_TABLE] = (
        ingest.QUARANTINE_SCHEMA,
        ingest.QUARANTINE_DOCS[ingest.QUARANTINE_TABLE],
    )
    tables[ingest.LOG_TABLE] = (ingest.LOG_SCHEMA, ingest.QUARANTINE_DOCS[ingest.LOG_TABLE])
    tables[pricing.TABLE] = (pricing.TABLE_SCHEMA, pricing.DOCS[pricing.TABLE])
    tables[pricing.LOG_TABLE] = (pricing.LOG_SCHEMA, pricing.DOCS[pricing.LOG_TABLE])
    tables |= {t: (columns, store.DOCS[t]) for t, columns in store.TABLES.items()}
    tables |= {t: (columns, attribution.DOCS[t]) for t, columns in attribution.TABLES.items()}
    return tables


def missing_source_descriptions() -> list[str]:
    """The dbt-source tables (``raw.*``, ``pricing.option_greeks``) and columns
    ``_sources.yml`` leaves undescribed (see
    :func:`alvh_assets.source_docs.missing_descriptions`): the dbt project's to fill."""
    sources = source_docs()
    declared = declared_tables().items()
    return missing_descriptions(
        {t: columns for t, (columns, _) in declared if t.startswith("raw.") or t in sources}
    )


def undeclared_columns() -> list[str]:
    """Python-declared tables whose description misses a column or describes one the table
    does not have (``schema.table.column``), and tables without a description; should be
    empty (a test holds it so)."""
    found: list[str] = []
    docs = {**{t: (None, d) for t, d in META_DOCS.items()}, **declared_tables()}
    for table, (columns, doc) in docs.items():
        if table.startswith("raw."):
            continue
        if doc is None or not doc.description:
            found.append(table)
            continue
        if columns is not None:
            found += [f"{table}.{c}" for c in set(columns) ^ set(doc.columns)]
    return sorted(found)


def create_declared_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create (empty, with their comments) every table :func:`declared_tables` lists, as the
    pipeline would: a warehouse to check the dictionary on without running it."""
    for table, (columns, doc) in declared_tables().items():
        ensure_table(con, table, columns, doc)
    return list(declared_tables())


def uncommented(
    con: duckdb.DuckDBPyConnection, database: str, schemas: tuple[str, ...] = SCHEMAS
) -> list[str]:
    """Tables and views (``schema.name``) and columns (``schema.name.column``) of ``schemas``
    in catalog ``database`` without a comment (null or blank), sorted."""
    listed = ", ".join(sql_text(s) for s in schemas)
    where = f"database_name = {sql_text(database)} AND schema_name IN ({listed})"
    rows = con.execute(
        f"SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE {where} "
        "AND coalesce(trim(comment), '') = '' "
        f"UNION ALL SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE {where} "
        "AND NOT internal AND coalesce(trim(comment), '') = '' "
        "UNION ALL SELECT schema_name || '.' || table_name || '.' || column_name "
        f"FROM duckdb_columns() WHERE {where} AND coalesce(trim(comment), '') = '' ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def markdown(
    con: duckdb.DuckDBPyConnection, database: str, schemas: tuple[str, ...] = SCHEMAS
) -> str:
    """The data dictionary of catalog ``database`` as Markdown: per schema (in ``schemas``
    order), each table and view with its comment and a table of its columns (name, DuckDB
    type, comment). Only the catalog is read: the same database gives the same text."""
    listed = ", ".join(sql_text(s) for s in schemas)
    db = sql_text(database)
    objects = con.execute(
        "SELECT schema_name, table_name, 'table', comment FROM duckdb_tables() "
        f"WHERE database_name = {db} AND schema_name IN ({listed}) UNION ALL "
        "SELECT schema_name, view_name, 'view', comment FROM duckdb_views() "
        f"WHERE database_name = {db} AND schema_name IN ({listed}) AND NOT internal"
    ).fetchall()
    columns: dict[tuple[str, str], list[tuple[str, str, str | None]]] = {}
    for schema, table, column, dtype, comment in con.execute(
        "SELECT schema_name, table_name, column_name, data_type, comment FROM duckdb_columns() "
        f"WHERE database_name = {db} AND schema_name IN ({listed}) "
        "ORDER BY schema_name, table_name, column_index"
    ).fetchall():
        columns.setdefault((schema, table), []).append((column, dtype, comment))
    order = {s: i for i, s in enumerate(schemas)}
    lines = [
        "# Data dictionary",
        "",
        "Every table, view and column of the published copy (`published/alvh.duckdb`) with its",
        "description, as stored in the file (`duckdb_tables()`, `duckdb_views()`,",
        "`duckdb_columns()`: the `comment` column). Generated by `alvh dictionary`; do not edit",
        "by hand (where each text is declared: `alvh_assets/dictionary.py`). Money in tables is",
        "exact DOUBLE USD for the whole book; the `attribution.v_*` views show it as",
        "DECIMAL(18,2), in cents.",
    ]
    current = None
    for schema, name, kind, comment in sorted(objects, key=lambda o: (order[o[0]], o[1])):
        if schema != current:
            lines += ["", f"## {schema}"]
            current = schema
        lines += ["", f"### {schema}.{name}" + (" (view)" if kind == "view" else ""), ""]
        lines += [_cell(comment) or MISSING, "", "| column | type | description |"]
        lines.append("|---|---|---|")
        lines += [
            f"| `{c}` | {dtype} | {_cell(text) or MISSING} |"
            for c, dtype, text in columns[schema, name]
        ]
    return "\n".join(lines) + "\n"


def _cell(text: str | None) -> str:
    """A comment as one Markdown table cell (pipes escaped, one line)."""
    return " ".join((text or "").split()).replace("|", "\\|")
