"""The DuckLake settings of :mod:`alvh_assets.paths` and the extension wheels of
:mod:`alvh_assets.lake` (no PostgreSQL needed)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from alvh_assets import lake, paths


def test_backend_defaults_to_duckdb_and_rejects_other_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ALVH_WAREHOUSE_BACKEND", raising=False)
    assert paths.warehouse_backend() == "duckdb"
    monkeypatch.setenv("ALVH_WAREHOUSE_BACKEND", " DuckLake ")
    assert paths.warehouse_backend() == "ducklake"
    monkeypatch.setenv("ALVH_WAREHOUSE_BACKEND", "iceberg")
    with pytest.raises(ValueError, match="'iceberg' is not one of duckdb, ducklake"):
        paths.warehouse_backend()


def test_catalog_is_required_and_the_data_path_defaults_beside_the_publication(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ALVH_DUCKLAKE_CATALOG", raising=False)
    with pytest.raises(ValueError, match="ALVH_DUCKLAKE_CATALOG is not set"):
        paths.ducklake_catalog()
    monkeypatch.setenv("ALVH_DUCKLAKE_CATALOG", "dbname=lake host=db user=alvh")
    assert paths.ducklake_catalog() == "dbname=lake host=db user=alvh"

    monkeypatch.setenv("ALVH_PUBLISHED_DIR", str(tmp_path / "pub"))
    monkeypatch.delenv("ALVH_DUCKLAKE_DATA_PATH", raising=False)
    assert paths.ducklake_data_path() == f"{tmp_path}/pub/lake/"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALVH_DUCKLAKE_DATA_PATH", "files")
    assert paths.ducklake_data_path() == f"{tmp_path}/files/"
    monkeypatch.setenv("ALVH_DUCKLAKE_DATA_PATH", "s3://bucket/alvh/")
    assert paths.ducklake_data_path() == "s3://bucket/alvh/"


def test_extensions_load_from_their_wheels_without_download() -> None:
    """The pinned wheels carry the extensions for the running DuckDB; they install and load
    with automatic download off."""
    for name in ("ducklake", "postgres_scanner"):
        file = lake.extension_file(name)
        assert file.is_file() and f"v{duckdb.__version__}" in file.parts
    con = duckdb.connect()
    lake.load_extensions(con, ("ducklake", "postgres_scanner"))
    loaded = con.execute(
        "SELECT extension_name FROM duckdb_extensions() WHERE loaded "
        "AND extension_name IN ('ducklake', 'postgres_scanner') ORDER BY 1"
    ).fetchall()
    assert loaded == [("ducklake",), ("postgres_scanner",)]
    setting = con.execute("SELECT current_setting('autoinstall_known_extensions')").fetchone()
    assert setting == (False,)


def test_a_missing_extension_wheel_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(lake.EXTENSION_WHEELS, "httpfs", ("no_such_wheel_module", "httpfs"))
    with pytest.raises(FileNotFoundError, match=r"pip install no-such-wheel-module=="):
        lake.extension_file("httpfs")
