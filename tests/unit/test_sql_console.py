"""`alvh sql` is a confined console (issue 13, defects 11 and 12): it reads the published
copy only, with no file or network access, no extension installs and a locked
configuration; refusals are one line with exit 2; statements are split by DuckDB's parser."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A published copy with one table, and a working directory with a second database."""
    folder = tmp_path / "published"
    folder.mkdir()
    with duckdb.connect(str(folder / "alvh.duckdb")) as con:
        con.execute("CREATE SCHEMA marts; CREATE TABLE marts.t AS SELECT 1 AS x")
    with duckdb.connect(str(tmp_path / "other.duckdb")) as con:
        con.execute("CREATE TABLE secret AS SELECT 42 AS v")
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    monkeypatch.setenv("ALVH_PUBLISHED_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


def _sql(*args: str, stdin: str | None = None):  # noqa: ANN202
    return CliRunner().invoke(main, ["sql", *args], input=stdin)


@pytest.mark.parametrize(
    "query",
    [
        "copy (select 1) to 'x.csv'",
        "attach 'other.duckdb' as o",
        "select * from read_csv('/etc/passwd')",
        "select * from read_csv('data.csv')",
        "export database 'dump'",
        "install httpfs",
        "load httpfs",
        "SET enable_external_access = true",
        "select * from 'https://example.com/x.csv'",
        "select 1; copy (select 1) to 'x.csv'",
    ],
)
def test_file_network_and_config_access_is_refused_in_one_line(
    published: Path, tmp_path: Path, query: str
) -> None:
    result = _sql(query)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "dump").exists()
    assert "root:" not in result.output  # nothing of /etc/passwd


def test_the_console_cannot_write_the_published_copy(published: Path) -> None:
    result = _sql("create table marts.evil as select 1")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    with duckdb.connect(str(published / "alvh.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from duckdb_tables()").fetchone()[0] == 1


def test_the_configuration_is_locked_and_external_access_off(published: Path) -> None:
    result = _sql(
        "select current_setting('enable_external_access') as ext, "
        "current_setting('lock_configuration') as locked",
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["ext,locked", "false,true"]


def test_a_semicolon_inside_a_string_does_not_split_the_statement(published: Path) -> None:
    result = _sql("select 'a;b' as s", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["s", "a;b"]


def test_statements_on_stdin_run_in_order(published: Path) -> None:
    text = "-- a comment; with a semicolon\nselect 'x;y' as s;\nselect x from marts.t;\n"
    result = _sql("--format", "csv", stdin=text)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["s", "x;y", "x", "1"]


def test_a_parse_error_and_an_unknown_table_are_one_line(published: Path) -> None:
    for query in ["select 'unterminated", "select * from nope"]:
        result = _sql(query)
        assert result.exit_code == 2, result.output
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "nope" in result.stderr
