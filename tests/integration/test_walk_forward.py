"""``alvh sweep --walk-forward`` on the October 2008 warehouse (15 sessions): with
in-sample and out-of-sample windows of 5 sessions, the combination chosen per window is the
argmax of ALVH's in-sample criterion computed here by hand from each combination's own
pipeline run (``strategy.account_daily`` of :func:`run_window`), and the out-of-sample
metrics are those of that run's sessions."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from alvh_assets.config import load_config
from alvh_assets.research.grid import combinations, parse_axis
from alvh_assets.research.significance import ALVH
from alvh_assets.strategy.registry import REGISTRY
from alvh_assets.strategy.run import run_window
from orchestration.cli import main
from tests.integration.oct08 import END, START

pytestmark = pytest.mark.slow

OVERRIDES = {"sample_start": START.isoformat(), "sample_end": END.isoformat()}
BASE = [f"{k}={v}" for k, v in OVERRIDES.items()]
GRID = ["condor.pop_target=0.70,0.80", "hedge.valuation_budget_max=0.28,0.16"]
N = load_config(None, OVERRIDES).attribution.trading_days_per_year


def _by_hand(account: pl.DataFrame, i0: int, i1: int, capital: float) -> dict[str, float]:
    """Sharpe, CAGR, Calmar and total return of sessions i0..i1 of one strategy's NAV,
    written out without the package's metric functions."""
    a = account.sort("date")
    nav = a["nav"].to_numpy().astype(float)
    rate = a["rate"].fill_null(0.0).to_numpy()
    dates = a["date"].to_list()
    prev = np.concatenate(([capital], nav[:-1]))
    r = nav / prev - 1.0
    gaps = np.array([0] + [(dates[t] - dates[t - 1]).days for t in range(1, len(dates))])
    rf = np.concatenate(([0.0], np.expm1(rate[:-1] * gaps[1:] / 365.0)))  # exp(x) - 1
    x = (r - rf)[i0 : i1 + 1]
    sd = x.std(ddof=1)
    sharpe = x.mean() / sd * math.sqrt(N) if sd > 0 else None  # undefined: not eligible
    start_nav = nav[i0 - 1] if i0 else capital
    base = dates[i0 - 1]  # every window used here starts after the first session
    cagr = (nav[i1] / start_nav) ** (365.0 / (dates[i1] - base).days) - 1.0
    path = np.concatenate(([start_nav], nav[i0 : i1 + 1]))
    mdd = float(np.min(path / np.maximum.accumulate(path) - 1.0))
    calmar = cagr / abs(mdd) if mdd < 0 else None
    return {
        "sharpe": sharpe,
        "cagr": cagr,
        "calmar": calmar,
        "total_return": nav[i1] / start_nav - 1,
    }


@pytest.fixture(scope="module")
def accounts(built: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[int, pl.DataFrame]:
    """Each combination run by the pipeline's strategy step, on its own warehouse copy."""
    axes = [parse_axis(g) for g in GRID]
    out = {}
    for c in combinations(axes, None, BASE):
        db = tmp_path_factory.mktemp(f"wf{c.index}") / "alvh.duckdb"
        shutil.copy(built, db)
        with duckdb.connect(str(db)) as con:
            out[c.index] = run_window(con, (START, END), c.cfg)["strategy.account_daily"]
    return out


@pytest.mark.parametrize("criterion", ["sharpe", "calmar"])
def test_walk_forward_chooses_the_in_sample_argmax(
    built: Path, tmp_path: Path, accounts: dict[int, pl.DataFrame], criterion: str
) -> None:
    db = tmp_path / "alvh.duckdb"
    shutil.copy(built, db)
    args = [a for kv in BASE for a in ("--set", kv)]
    args += ["sweep", "--walk-forward", "--criterion", criterion, "--workers", "1"]
    args += ["--in-sample-sessions", "5", "--out-of-sample-sessions", "5"]
    args += ["--start", START.isoformat(), "--end", END.isoformat()]
    for g in GRID:
        args += ["--grid", g]
    r = CliRunner().invoke(main, args, env={"ALVH_WAREHOUSE": str(db)})
    assert r.exit_code == 0, r.output
    assert "2 windows" in r.output and "out of sample" in r.output
    with duckdb.connect(str(db), read_only=True) as con:
        wf = con.execute(
            "SELECT * FROM research.walk_forward ORDER BY window_number, strategy"
        ).pl()
    # a window where no combination has a defined criterion is left out (Calmar: ALVH holds
    # only cash in the first five sessions, so it has no drawdown there)
    assert wf.height == wf["window_number"].n_unique() * len(REGISTRY)
    assert set(wf["window_number"]) <= {0, 1} and 1 in set(wf["window_number"])
    if criterion == "sharpe":
        assert wf.height == 2 * len(REGISTRY)
    assert set(wf["strategy"]) == set(REGISTRY)
    capital = load_config(None, OVERRIDES).execution.initial_capital
    sessions = sorted(accounts[0]["date"].unique().to_list())
    assert len(sessions) == 15
    for k, (i0, i1, o0, o1) in enumerate([(0, 4, 5, 9), (5, 9, 10, 14)]):
        rows = wf.filter(pl.col("window_number") == k)
        if rows.is_empty():
            assert criterion == "calmar" and k == 0
            continue
        first = rows.row(0, named=True)
        assert (first["in_start"], first["in_end"]) == (sessions[i0], sessions[i1])
        assert (first["out_start"], first["out_end"]) == (sessions[o0], sessions[o1])
        values = {}
        for c, acc in accounts.items():
            if i0 == 0 and criterion != "sharpe":
                continue  # the hand formula's base date needs a session before i0
            values[c] = _by_hand(acc.filter(pl.col("strategy") == ALVH), i0, i1, capital)[criterion]
        if i0 == 0 and criterion != "sharpe":
            continue
        ok = {c: v for c, v in values.items() if v is not None and math.isfinite(v)}
        if not ok:  # no eligible combination: the window is left out
            assert rows.is_empty()
            continue
        best = max(sorted(ok), key=lambda c: ok[c])  # ties: the lowest number
        assert set(rows["chosen_combination"]) == {best}, (k, values)
        assert first["in_sample_value"] == pytest.approx(ok[best], rel=1e-9)
        for row in rows.iter_rows(named=True):
            acc = accounts[best].filter(pl.col("strategy") == row["strategy"])
            hand = _by_hand(acc, o0, o1, capital)
            assert row["sessions"] == 5
            assert row["total_return"] == pytest.approx(hand["total_return"], rel=1e-9)
            assert row["sharpe"] == pytest.approx(hand["sharpe"], rel=1e-9)
            assert row["cagr"] == pytest.approx(hand["cagr"], rel=1e-9)
