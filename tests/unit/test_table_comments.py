"""Table and column comments (issue 20): stored from a TableDoc where they differ, carried
by ``COPY FROM DATABASE``, read back by the status line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import yaml

from alvh_assets import warehouse as wh
from alvh_assets.publication import DOCS, Publication, write_meta
from alvh_assets.source_docs import missing_descriptions, source_docs
from orchestration.status import publication_line

DOC = wh.TableDoc("Daily NAV. Grain: date.", {"date": "Session.", "nav": "NAV, USD."})
SCHEMA = {"date": pl.Date(), "nav": pl.Float64(), "note": pl.Utf8()}


def _comments(con: duckdb.DuckDBPyConnection, db: str = "memory") -> dict[str, str | None]:
    table = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = ? AND table_name = 't'", [db]
    ).fetchone()[0]
    columns = con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = ? "
        "AND table_name = 't' ORDER BY column_index",
        [db],
    ).fetchall()
    return {"": table, **dict(columns)}


def test_ensure_table_stores_the_doc_once_and_keeps_undescribed_columns_bare() -> None:
    con = duckdb.connect()
    wh.ensure_table(con, "s.t", SCHEMA, DOC)
    assert _comments(con) == {
        "": DOC.description,
        "date": "Session.",
        "nav": "NAV, USD.",
        "note": None,
    }
    assert wh.set_comments(con, "s.t", DOC) == 0  # unchanged: the catalog is left alone
    changed = wh.TableDoc(DOC.description, {**DOC.columns, "nav": "NAV at mid, USD; it's exact."})
    assert wh.set_comments(con, "s.t", changed) == 1
    assert _comments(con)["nav"] == "NAV at mid, USD; it's exact."


def test_comments_travel_with_copy_from_database(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "a.duckdb"))
    wh.ensure_table(con, "s.t", SCHEMA, DOC)
    con.execute(f"ATTACH '{tmp_path / 'b.duckdb'}' AS b")
    con.execute("COPY FROM DATABASE a TO b")
    assert _comments(con, "b") == _comments(con, "a")


def test_meta_tables_and_the_status_line(tmp_path: Path) -> None:
    path = tmp_path / "copy.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA strategy")
    con.execute(
        "CREATE TABLE strategy.account_daily AS SELECT DATE '2008-10-01' + range::INT AS date "
        "FROM range(3)"
    )
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.fct_regime_daily (date DATE)")
    at = dt.datetime(2026, 12, 7, 13, 0, tzinfo=dt.UTC)
    made = write_meta(
        con,
        "copy",
        release="r1",
        incremental=False,
        config_hash="abc",
        version="v1",
        published_at=at,
    )
    assert made == Publication(
        at,
        dt.date(2008, 10, 1),
        dt.date(2008, 10, 3),
        "strategy.account_daily",
        "v1",
        "abc",
        "r1",
        False,
        2,
        3,
    )
    assert con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'meta' AND comment IS NULL"
    ).fetchone() == (0,)
    assert {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'meta'"
        ).fetchall()
    } == {t.split(".")[1] for t in DOCS}
    con.close()
    line = publication_line(path)
    assert line.startswith("data through 2008-10-03 from 2008-10-01 (strategy.account_daily); ")
    assert "published at 2026-12-07 13:00 UTC; code v1, config abc" in line
    assert publication_line(tmp_path / "none.duckdb").startswith("none")


def test_an_undescribed_raw_column_is_reported_not_invented(tmp_path: Path) -> None:
    yml = tmp_path / "_sources.yml"
    yml.write_text(
        yaml.safe_dump(
            {
                "version": 2,
                "sources": [
                    {
                        "name": "raw",
                        "tables": [
                            {
                                "name": "fomc_decisions",
                                "description": "FOMC decisions.",
                                "columns": [
                                    {"name": "decision_date", "description": "Decision day."},
                                    {"name": "scheduled"},
                                    {"name": "gone", "description": "Not a column."},
                                ],
                            }
                        ],
                    }
                ],
            }
        )
    )
    columns = {"decision_date": None, "scheduled": None, "_ingested_at": None}
    assert source_docs(yml)["raw.fomc_decisions"].columns == {
        "decision_date": "Decision day.",
        "gone": "Not a column.",
    }
    assert missing_descriptions({"raw.fomc_decisions": columns}, yml) == [
        "raw.fomc_decisions._ingested_at",
        "raw.fomc_decisions.gone (not a column)",
        "raw.fomc_decisions.scheduled",
    ]
    assert missing_descriptions({"raw.nyse_breadth_daily": {"date": None}}, yml) == [
        "raw.nyse_breadth_daily",
        "raw.nyse_breadth_daily.date",
    ]
