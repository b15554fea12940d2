"""Run the registered strategies (:data:`.registry.REGISTRY`) over a window of sessions and
replace it in the warehouse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import duckdb
import polars as pl

from alvh_assets import warehouse as wh
from alvh_assets.calendars import previous_trading_day
from alvh_assets.config import AlvhConfig
from alvh_assets.strategy.engine import StrategyState, run
from alvh_assets.strategy.market import MarketDay, load_market
from alvh_assets.strategy.store import Collector, load_states, replace_window


def strategy_window(
    start: dt.date, end: dt.date, cfg: AlvhConfig
) -> tuple[dt.date, dt.date] | None:
    """The part of ``[start, end]`` the backtest covers (from ``cfg.sample_start``; warm-up
    sessions before it carry no strategy rows), None when empty."""
    start = max(start, cfg.sample_start)
    return (start, end) if start <= end else None


def run_window(
    con: duckdb.DuckDBPyConnection,
    window: tuple[dt.date, dt.date],
    cfg: AlvhConfig,
    on_day: Callable[[dt.date], None] | None = None,
) -> dict[str, pl.DataFrame]:
    """Continue every strategy from the book persisted at the session before ``window`` (the
    initial account on ``cfg.sample_start`` or on the first session ever run), fold it over
    the window and replace the window's rows of the ``strategy`` tables in one transaction.
    Returns the written frames."""
    start, end = window
    prev = previous_trading_day(start) if start > cfg.sample_start else None
    states = load_states(con, prev, cfg)
    frames = fold(states, load_market(con, start, end), cfg, on_day)
    with wh.transaction(con):
        replace_window(con, window, frames)
    return frames


def fold(
    states: dict[str, StrategyState],
    days: Iterable[MarketDay],
    cfg: AlvhConfig,
    on_day: Callable[[dt.date], None] | None = None,
) -> dict[str, pl.DataFrame]:
    """Fold every strategy from ``states`` over ``days`` (the engine, :func:`.engine.run`)
    and return the five ``strategy`` frames, writing nothing (a research sweep runs it on
    market days read once, :mod:`alvh_assets.research.sweep`)."""
    collector = Collector()
    for day, out in run(states, days, cfg):
        for name, rows in out.items():
            collector.add(day.date, name, rows)
        if on_day is not None:
            on_day(day.date)
    return collector.frames()
