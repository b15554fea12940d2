"""Session fixtures of the integration tests: the October 2008 market, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from alvh_assets.sample.generate import generate_sample_market
from tests.integration.oct08 import END, START, build


@pytest.fixture(scope="session")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing_oct08")
    generate_sample_market(START, END, out)
    return out


@pytest.fixture(scope="session")
def built(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("wh") / "alvh.duckdb"
    assert build(landing, db, START, END) == []
    return db
