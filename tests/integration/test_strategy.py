"""The strategy engine on the October 2008 warehouse: Dagster run and checks, the named
day, a range run = day-by-day runs, reruns replace, and no look-ahead."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from alvh_assets.calendars import trading_days
from alvh_assets.config import load_config
from alvh_assets.strategy.run import run_window
from alvh_assets.strategy.store import KEYS, TABLES
from orchestration.definitions import STRATEGY
from orchestration.runs import partition_range_tags
from tests.integration.oct08 import END, START, run_steps

pytestmark = pytest.mark.slow

T = dt.date(2008, 10, 10)
OVERRIDES = {"sample_start": START.isoformat(), "sample_end": END.isoformat()}
CFG = load_config(None, OVERRIDES)


def _copy(built: Path, tmp: Path, name: str) -> Path:
    target = tmp / name / "alvh.duckdb"
    target.parent.mkdir()
    shutil.copy(built, target)
    return target


def _tables(db: Path, upto: dt.date | None = None) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: con.execute(
                f"SELECT * FROM {t} WHERE date <= ? ORDER BY {', '.join(KEYS[t])}",
                [upto or dt.date(2100, 1, 1)],
            ).pl()
            for t in TABLES
        }


def _assert_equal(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    for t in TABLES:
        assert a[t].height > 0 or t == "strategy.fills", t
        assert a[t].equals(b[t]), t


@pytest.fixture(scope="module")
def ranged(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = _copy(built, tmp_path_factory.mktemp("strategy"), "range")
    with duckdb.connect(str(db)) as con:
        run_window(con, (START, END), CFG)
    return db


def test_dagster_run_and_every_check_pass(landing: Path, built: Path, tmp_path: Path) -> None:
    db = _copy(built, tmp_path, "dagster")
    steps = [
        (STRATEGY.without_checks(), partition_range_tags(START, END)),
        (STRATEGY - STRATEGY.without_checks(), None),
    ]
    assert run_steps(landing, db, steps, json.dumps(OVERRIDES)) == []
    frames = _tables(db)
    assert frames["strategy.account_daily"].height == 4 * len(trading_days(START, END))


def test_named_day_shows_ten_tranches_with_their_rules(ranged: Path) -> None:
    with duckdb.connect(str(ranged), read_only=True) as con:
        rows = con.execute(
            "SELECT bucket, tranche, active, rule FROM strategy.layer_allocations_daily "
            "WHERE strategy = 'alvh_442' AND date = ? ORDER BY bucket, tranche",
            [T],
        ).fetchall()
        budget = con.execute(
            "SELECT regime, pe_blocked, binding_rule FROM strategy.hedge_budget_daily "
            "WHERE strategy = 'alvh_442' AND date = ?",
            [T],
        ).fetchone()
    assert [(b, k) for b, k, _, _ in rows] == [
        *((("long_dated", k)) for k in (1, 2)),
        *((("medium_term", k)) for k in (1, 2, 3, 4)),
        *((("short_term", k)) for k in (1, 2, 3, 4)),
    ]
    assert all(rule for *_, rule in rows)
    # the real trailing P/E of 2008-10 (Shiller) is above 24: new layers are blocked
    assert budget[0] == "stressed" and budget[1] is True


def test_range_run_equals_day_by_day_runs_and_reruns_replace(
    built: Path, ranged: Path, tmp_path: Path
) -> None:
    db = _copy(built, tmp_path, "daily")
    with duckdb.connect(str(db)) as con:
        for day in trading_days(START, END):
            run_window(con, (day, day), CFG)
        run_window(con, (T, T), CFG)  # a rerun replaces the day
    _assert_equal(_tables(ranged), _tables(db))


def test_no_look_ahead_changing_data_after_t_changes_nothing_up_to_t(
    built: Path, ranged: Path, tmp_path: Path
) -> None:
    db = _copy(built, tmp_path, "perturbed")
    with duckdb.connect(str(db)) as con:
        con.execute(
            "UPDATE raw.cboe_option_eod SET bid_1545 = bid_1545 * 1.7, ask_1545 = ask_1545 * 1.9 "
            "WHERE quote_date > ?",
            [T],
        )
        con.execute("UPDATE pricing.option_greeks SET delta = -delta WHERE quote_date > ?", [T])
        con.execute(
            "UPDATE raw.cboe_index_daily SET open = open * 0.5, close = close * 0.5 WHERE date > ?",
            [T],
        )
        con.execute("UPDATE marts.fct_indicators_daily SET vix_macd_cross = 1 WHERE date > ?", [T])
        con.execute(
            "UPDATE marts.fct_regime_daily SET event_window = NOT event_window, pe = 10 "
            "WHERE date > ?",
            [T],
        )
        run_window(con, (START, END), CFG)
    before, after = _tables(ranged, T), _tables(db, T)
    _assert_equal(before, after)
    assert not _tables(ranged)["strategy.account_daily"].equals(
        _tables(db)["strategy.account_daily"]
    )
