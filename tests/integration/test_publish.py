"""Publishing for BI readers: a read-only copy and Parquet files, swapped in atomically
(the publication as one unit, its layout and the sweep of stale temporaries:
``test_publish_unit.py``).

Each test builds its own small warehouse ``alvh.duckdb`` (tables in ``marts``, ``strategy``,
``attribution``, a reader view in ``attribution``, a catalog-qualified dbt-style view in
``staging`` and a dbt scratch table in ``main``, neither of which is published).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from alvh_assets import paths
from alvh_assets import publish as pub
from alvh_assets.publication import read_publication

pytestmark = pytest.mark.slow

TABLES = ("marts.fct_regime_daily", "strategy.account_daily", "attribution.daily_pnl")
VIEW = "attribution.v_regime_high"
DBT_VIEW = "staging.stg_regime"
SCRATCH = "main.fct_regime_daily__dbt_tmp20261207"


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to a small ``alvh.duckdb``."""
    (tmp_path / "warehouse").mkdir()
    con = duckdb.connect(str(tmp_path / "warehouse" / "alvh.duckdb"))
    for schema in ("marts", "strategy", "attribution", "staging"):
        con.execute(f"CREATE SCHEMA {schema}")
    for i, table in enumerate(TABLES):
        con.execute(
            f"CREATE TABLE {table} AS SELECT DATE '2008-10-01' + range::INT AS date, "
            f"range * {i + 1.5} AS value FROM range({10 * (i + 1)})"
        )
    con.execute(
        f"CREATE VIEW {DBT_VIEW} AS SELECT date, value FROM alvh.marts.fct_regime_daily "
        "WHERE value > 3"
    )
    con.execute(
        f"CREATE VIEW {VIEW} AS SELECT date, value FROM marts.fct_regime_daily WHERE value > 3"
    )
    con.execute(f"COMMENT ON VIEW {VIEW} IS 'days with a high value'")
    con.execute(f"CREATE TABLE {SCRATCH} AS SELECT * FROM marts.fct_regime_daily")
    yield con
    con.close()


def _add_rows(con: duckdb.DuckDBPyConnection, n: int) -> None:
    con.execute(
        "INSERT INTO strategy.account_daily SELECT DATE '2009-01-01' + range::INT, -range "
        f"FROM range({n})"
    )


def _temps(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if ".tmp-" in p.name]


def test_publish_copy_views_and_parquet(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALVH_WAREHOUSE", str(tmp_path / "warehouse" / "alvh.duckdb"))
    monkeypatch.delenv("ALVH_PUBLISHED_DIR", raising=False)
    assert paths.published_dir() == tmp_path / "warehouse" / "published"
    result = pub.publish(warehouse)

    assert result.path == tmp_path / "warehouse" / "published" / "alvh.duckdb"
    assert result.tables == tuple(sorted(TABLES)) and result.views == (VIEW,)
    expected = {t: warehouse.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    reader = duckdb.connect(str(result.path), read_only=True)
    try:
        tags = reader.execute(
            "SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = 'alvh'"
        ).fetchone()[0]
        assert tags == "v1.4.0+"
        for table, rows in expected.items():
            assert reader.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() == rows
        assert reader.execute(f"SELECT count(*) FROM {VIEW}").fetchone()[0] == 7
        for table, rows in expected.items():
            schema, name = table.split(".")
            file = result.path.parent / "parquet" / schema / f"{name}.parquet"
            assert file in result.parquet
            assert reader.execute(f"SELECT count(*) FROM '{file}'").fetchone()[0] == len(rows)
    finally:
        reader.close()
    assert result.bytes > 0 and not _temps(result.path.parent)


def _objects(con: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    """Every user schema, table and view of catalog ``db``."""
    return [
        r[0]
        for r in con.execute(
            "SELECT 'schema ' || schema_name FROM duckdb_schemas() WHERE database_name = ? "
            "AND NOT internal UNION ALL SELECT 'table ' || schema_name || '.' || table_name "
            "FROM duckdb_tables() WHERE database_name = ? UNION ALL "
            "SELECT 'view ' || schema_name || '.' || view_name FROM duckdb_views() "
            "WHERE database_name = ? AND NOT internal ORDER BY 1",
            [db, db, db],
        ).fetchall()
    ]


def test_copy_holds_reader_schemas_and_opens_under_any_name(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Issue 20: the copy holds the reader schemas and ``meta`` only (no dbt view naming the
    catalog ``alvh``, no scratch table), keeps the comments, and every table and view of it
    answers when the file is attached under another name, and when it is copied to another
    file name (the catalog is then the new stem)."""
    result = pub.publish(warehouse, tmp_path / "published")
    renamed = tmp_path / "elsewhere" / "snapshot_2008.duckdb"
    renamed.parent.mkdir()
    renamed.write_bytes(result.path.read_bytes())
    objects = [
        "schema attribution",
        "schema marts",
        "schema meta",
        "schema strategy",
        "table attribution.daily_pnl",
        "table marts.fct_regime_daily",
        "table meta.publication",
        "table meta.publication_tables",
        "table strategy.account_daily",
        f"view {VIEW}",
    ]
    for path, attach in ((result.path, " AS bi_copy"), (renamed, "")):
        con = duckdb.connect()
        con.execute(f"ATTACH '{path}'{attach} (READ_ONLY)")
        db = "bi_copy" if attach else "snapshot_2008"
        assert _objects(con, db) == objects
        for name in [o.split(" ", 1)[1] for o in objects if not o.startswith("schema")]:
            con.execute(f"SELECT * FROM {db}.{name}").fetchall()
        con.execute(f"USE {db}")
        assert con.execute(f"SELECT count(*) FROM {VIEW}").fetchone() == (7,)
        assert con.execute(
            "SELECT comment FROM duckdb_views() WHERE view_name = 'v_regime_high'"
        ).fetchone() == ("days with a high value",)
        meta = con.execute(
            "SELECT data_through, first_day, data_through_table, tables, total_rows, release "
            "FROM meta.publication"
        ).fetchall()
        assert meta == [
            (
                date(2008, 10, 20),
                date(2008, 10, 1),
                "strategy.account_daily",
                3,
                60,
                result.release.name,
            )
        ]
        assert con.execute(
            "SELECT schema_name || '.' || table_name, row_count, last_date "
            "FROM meta.publication_tables ORDER BY 1"
        ).fetchall() == [
            ("attribution.daily_pnl", 30, date(2008, 10, 30)),
            ("marts.fct_regime_daily", 10, date(2008, 10, 10)),
            ("strategy.account_daily", 20, date(2008, 10, 20)),
        ]
        con.close()
    assert result.publication is not None and result.publication.data_through == date(2008, 10, 20)
    assert read_publication(result.path) == result.publication


ANALYST = """
import json, sys, duckdb
path, queries = sys.argv[1], json.loads(sys.argv[2])
def say(tag, con, n=len(queries)):
    print(json.dumps([tag, [list(con.execute(q).fetchone()) for q in queries[:n]]]), flush=True)
old = duckdb.connect(path, read_only=True)
say("before", old, 1)
assert sys.stdin.readline().strip() == "published"
say("old_connection", old)  # the second query reads blocks this connection never loaded
fresh = duckdb.connect()  # same-process connect(path) would reuse the cached old instance
fresh.execute(f"ATTACH '{path}' AS alvh (READ_ONLY)")
fresh.execute("USE alvh")
say("new_connection", fresh)
old.close()
say("reopened", duckdb.connect(path, read_only=True))
"""
QUERIES = [
    "SELECT count(*), sum(hash(t))::VARCHAR FROM strategy.account_daily t",
    "SELECT count(*), sum(hash(t))::VARCHAR FROM attribution.daily_pnl t",
]


def test_reader_keeps_snapshot_across_republish(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    target = tmp_path / "published"
    path = pub.publish(warehouse, target).path

    def snapshot() -> list[list]:
        return [list(warehouse.execute(q).fetchone()) for q in QUERIES]

    before = snapshot()
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(path), json.dumps(QUERIES)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert json.loads(analyst.stdout.readline()) == ["before", before[:1]]
        _add_rows(warehouse, 5)
        warehouse.execute("UPDATE attribution.daily_pnl SET value = value + 1")
        after = snapshot()
        assert after[0][0] == before[0][0] + 5 and after[1] != before[1]
        pub.publish(warehouse, target)  # replaces the file the analyst holds open
        analyst.stdin.write("published\n")
        analyst.stdin.flush()
        out, _ = analyst.communicate(timeout=60)
    finally:
        if analyst.poll() is None:
            analyst.kill()
    assert analyst.returncode == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        ["old_connection", before],
        ["new_connection", after],
        ["reopened", after],
    ]


@pytest.mark.parametrize("step", ["rename", "replace"])
def test_failed_publish_keeps_previous(
    warehouse: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    """A publish failing once its release is sealed (``rename``: the staging folder, read-only,
    is not renamed) or at the pointer swap (``replace``) leaves the previous publication as
    it was: same files, same ``current``, no new release, no temporaries."""
    target = tmp_path / "published"
    first = pub.publish(warehouse, target)
    files = (first.path, *first.parquet)
    contents = {p: p.read_bytes() for p in files}
    _add_rows(warehouse, 3)

    def boom(src: object, dst: object) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(os, step, boom)
    with pytest.raises(OSError, match="disk went away"):
        pub.publish(warehouse, target)
    monkeypatch.undo()

    assert {p: p.read_bytes() for p in files} == contents
    assert not _temps(target)
    assert os.readlink(target / "current") == f"releases/{first.release.name}"
    assert [p.name for p in (target / "releases").iterdir()] == [first.release.name]
    assert warehouse.execute("SELECT count(*) FROM duckdb_databases()").fetchone()[0] == 3
    reader = duckdb.connect(str(first.path), read_only=True)
    assert reader.execute("SELECT count(*) FROM strategy.account_daily").fetchone()[0] == 20
    reader.close()


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list:
    return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def test_incremental_publish_rewrites_only_what_changed(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: the second publish starts from the current release. A large stamped table
    (split by day) has one day replaced, one small table gains rows: the copy equals the
    warehouse, the unchanged tables' Parquet files are hard links to the previous release's,
    the changed one is new, the previous release is untouched; a schema change, or
    ``full=True``, copies everything."""
    monkeypatch.setattr(pub, "PARTITION_MIN_ROWS", 100)
    warehouse.execute("CREATE SCHEMA raw")
    warehouse.execute(
        "CREATE TABLE raw.quotes AS SELECT DATE '2009-06-01' + (range % 20)::INT AS quote_date, "
        "range AS x, TIMESTAMPTZ '2009-07-01 00:00:00+00' AS _ingested_at FROM range(2000)"
    )
    target = tmp_path / "published"
    first = pub.publish(warehouse, target)
    assert not first.incremental and first.reused == ()
    before = {
        p: p.read_bytes()
        for p in [first.release / "alvh.duckdb", *(first.release / "parquet").rglob("*.parquet")]
    }

    warehouse.execute("DELETE FROM raw.quotes WHERE quote_date = DATE '2009-06-05'")
    warehouse.execute(
        "INSERT INTO raw.quotes SELECT DATE '2009-06-05', -range, now() FROM range(7)"
    )
    _add_rows(warehouse, 4)
    second = pub.publish(warehouse, target)

    assert second.incremental
    assert set(second.tables) - set(second.reused) == {"raw.quotes", "strategy.account_daily"}
    assert {p.relative_to(target) for p in second.linked} == {
        Path("parquet/marts/fct_regime_daily.parquet"),
        Path("parquet/attribution/daily_pnl.parquet"),
    }
    rel = Path("parquet") / "marts" / "fct_regime_daily.parquet"
    assert (second.release / rel).stat().st_ino == (first.release / rel).stat().st_ino
    rel = Path("parquet") / "strategy" / "account_daily.parquet"
    assert (second.release / rel).stat().st_ino != (first.release / rel).stat().st_ino
    assert {p: p.read_bytes() for p in before} == before  # the old release as it was
    with duckdb.connect(str(second.path), read_only=True) as reader:
        for table in (*TABLES, "raw.quotes", VIEW):
            assert _rows(reader, table) == _rows(warehouse, table), table
        assert reader.execute(f"SELECT count(*) FROM '{second.release / rel}'").fetchone() == (24,)
        tags = reader.execute(
            "SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = 'alvh'"
        ).fetchone()[0]
        assert tags == "v1.4.0+"

    unchanged = pub.publish(warehouse, target)
    assert unchanged.incremental and unchanged.reused == unchanged.tables
    assert len(unchanged.linked) == len(unchanged.parquet)

    warehouse.execute("COMMENT ON COLUMN strategy.account_daily.value IS 'USD, whole book'")
    commented = pub.publish(warehouse, target)
    assert not commented.incremental  # a comment is catalog: the copy is made in full
    with duckdb.connect(str(commented.path), read_only=True) as reader:
        assert reader.execute(
            "SELECT comment FROM duckdb_columns() WHERE table_name = 'account_daily' "
            "AND column_name = 'value'"
        ).fetchone() == ("USD, whole book",)
    assert pub.publish(warehouse, target).incremental

    warehouse.execute("ALTER TABLE strategy.account_daily ADD COLUMN note VARCHAR")
    changed = pub.publish(warehouse, target)
    assert not changed.incremental and changed.linked == ()
    forced = pub.publish(warehouse, target, full=True)
    assert not forced.incremental
    with duckdb.connect(str(forced.path), read_only=True) as reader:
        assert "note" in [
            r[0] for r in reader.execute("DESCRIBE strategy.account_daily").fetchall()
        ]
        for table in (*TABLES, "raw.quotes"):
            assert _rows(reader, table) == _rows(warehouse, table), table
    assert not _temps(target)


def test_a_release_with_dbt_views_is_no_base_for_an_incremental_publish(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A current release made before issue 20 (it holds dbt's ``staging`` views) is copied
    over in full once, never patched: the new copy has no ``staging`` schema."""
    target = tmp_path / "published"
    monkeypatch.setattr(pub, "READER_SCHEMAS", (*pub.READER_SCHEMAS, "staging"))
    old = pub.publish(warehouse, target)
    assert DBT_VIEW in old.views
    monkeypatch.undo()
    new = pub.publish(warehouse, target)
    assert not new.incremental and new.views == (VIEW,)
    assert pub.publish(warehouse, target).incremental
