"""Session fixtures of the integration tests: the October 2008 market built once, its
strategies and attribution, and a 2×2 sweep over it; the bad-input corpus's home (one per
test file)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from alvh_assets.attribution.run import attribute_window
from alvh_assets.config import load_config
from alvh_assets.research.grid import combinations, parse_axis
from alvh_assets.research.sweep import run_sweep, sweep_window
from alvh_assets.sample.generate import generate_sample_market
from alvh_assets.strategy.run import run_window
from tests.integration.cli_corpus import LOADED, alvh
from tests.integration.oct08 import BASE, END, OVERRIDES, START, SWEEP_GRID, build


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


@pytest.fixture(scope="session")
def attributed(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The October 2008 warehouse with the strategies and attribution of the defaults."""
    db = tmp_path_factory.mktemp("sweep") / "alvh.duckdb"
    shutil.copy(built, db)
    cfg = load_config(None, OVERRIDES)
    with duckdb.connect(str(db)) as con:
        run_window(con, (START, END), cfg)
        attribute_window(con, (START, END), cfg)
    return db


@pytest.fixture(scope="session")
def swept(attributed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:data:`SWEEP_GRID` (2×2) run in two worker processes as sweep ``grid``."""
    db = tmp_path_factory.mktemp("swept") / "alvh.duckdb"
    shutil.copy(attributed, db)
    axes = [parse_axis(g) for g in SWEEP_GRID]
    combos = combinations(axes, None, BASE)
    with duckdb.connect(str(db)) as con:
        window = sweep_window(con, load_config(None, OVERRIDES))
        assert window == (START, END)
        result = run_sweep(con, "grid", axes, combos, window, workers=2, reps=200)
    assert (result.total, result.ran, result.skipped) == (4, 4, 0)
    return db


@pytest.fixture(scope="module")
def corpus_landing(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bad-input corpus tests' October 2008 landing without its manifest (the cases
    change files after it)."""
    out = tmp_path_factory.mktemp("corpus_landing") / "landing"
    shutil.copytree(landing, out)
    (out / "manifest.json").unlink()
    return out


@pytest.fixture(scope="module")
def corpus_home(corpus_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project home whose warehouse holds the good days 2008-10-06 .. 2008-10-10, ingested
    by the CLI from :func:`corpus_landing` (built once per corpus test file)."""
    home = tmp_path_factory.mktemp("corpus_home")
    done = alvh(home, corpus_landing, "ingest", "--start", LOADED[0], "--end", LOADED[1])
    assert done.returncode == 0, done.stderr[-3000:]
    return home
