"""The data dictionary (issue 20): every published table and column carries its description
as a DuckDB comment, and ``docs/data_dictionary.md`` is the published copy's own catalog.

The warehouse here is the October 2008 build (ingest, pricing, dbt marts: the session
fixture ``built``) plus every table the Python code declares (the strategy and attribution
tables, created empty as the pipeline creates them) and the analyst views; it is published,
and the copy is checked. ``COMMENTED`` names the schemas whose every column must carry a
comment: ``raw`` (the dbt sources yml) and ``marts`` (dbt ``persist_docs``) join it once the
dbt project describes every column (``COMMENTED = dd.SCHEMAS``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from alvh_assets import dictionary as dd
from alvh_assets.attribution.views import create_views
from alvh_assets.ingest.sources import SOURCES
from alvh_assets.publish import publish
from orchestration.cli import main

pytestmark = pytest.mark.slow

DOC = Path(__file__).resolve().parents[2] / "docs" / "data_dictionary.md"
COMMENTED = dd.SCHEMAS
"""Schemas whose every table, view and column must carry a comment in the published copy."""


@pytest.fixture(scope="module")
def published(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The published copy of the built warehouse with every declared table and the views."""
    root = tmp_path_factory.mktemp("dictionary")
    shutil.copy(built, root / "alvh.duckdb")
    with duckdb.connect(str(root / "alvh.duckdb")) as con:
        dd.create_declared_tables(con)
        create_views(con)
        yield publish(con, root / "published").release / "alvh.duckdb"


def _attach(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"ATTACH '{path}' AS copy (READ_ONLY)")
    return con


def _sections(text: str) -> dict[str, str]:
    """``## <schema>`` section of the dictionary -> its text."""
    parts = text.split("\n## ")[1:]
    return {p.split("\n", 1)[0]: p for p in parts}


def test_python_declarations_describe_every_column() -> None:
    assert dd.undeclared_columns() == []


def test_published_copy_has_no_column_without_a_comment(published: Path) -> None:
    con = _attach(published)
    listed = ", ".join(f"'{s}'" for s in COMMENTED)
    nulls = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = 'copy' "
        f"AND comment IS NULL AND schema_name IN ({listed})"
    ).fetchone()[0]
    columns = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = 'copy' "
        f"AND schema_name IN ({listed})"
    ).fetchone()[0]
    assert dd.uncommented(con, "copy", COMMENTED) == [] and nulls == 0 and columns > 300
    assert con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'copy' AND schema_name = "
        "'raw' AND comment IS NOT NULL"
    ).fetchone()[0] == len(SOURCES)  # the raw tables' own descriptions are all there


def test_docs_data_dictionary_is_the_copy_catalog(published: Path) -> None:
    """docs/data_dictionary.md says what the published copy says (regenerate it with
    ``alvh dictionary`` after changing a description)."""
    con = _attach(published)
    made = _sections(dd.markdown(con, "copy"))
    written = _sections(DOC.read_text())
    assert list(made) == list(dd.SCHEMAS)
    for schema in dd.SCHEMAS:
        assert written.get(schema) == made[schema], f"## {schema}: run alvh dictionary"
    assert DOC.read_text() == dd.markdown(con, "copy")


def test_dictionary_command_writes_and_checks(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALVH_PUBLISHED_DIR", str(published.parents[2]))
    out = tmp_path / "dictionary.md"
    runner = CliRunner()
    wrote = runner.invoke(main, ["dictionary", "--out", str(out)])
    assert wrote.exit_code == 0, wrote.output
    assert "tables, views or columns without a comment" in wrote.output
    assert "### strategy.account_daily" in out.read_text()
    assert runner.invoke(main, ["dictionary", "--out", str(out), "--check"]).exit_code == 0
    out.write_text(out.read_text().replace("NAV at mid", "NAV"))
    assert runner.invoke(main, ["dictionary", "--out", str(out), "--check"]).exit_code == 1
