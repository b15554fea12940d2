"""Attribute a window of sessions and refresh the whole-range tables, in one transaction.

``attribution.daily_pnl`` is replaced for the window (from the strategy tables of the
window and of the session before it); ``attribution.performance`` and
``attribution.stress_windows`` and ``attribution.contribution_daily`` are recomputed over
everything stored (small tables; the hedge book is aggregated from
``strategy.positions_daily`` in DuckDB, :data:`.hedge.HEDGE_BOOK_SQL`), and the analyst views
(:mod:`.views`) are recreated.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from alvh_assets import warehouse as wh
from alvh_assets.attribution.contribution import contribution_daily
from alvh_assets.attribution.daily_pnl import daily_pnl
from alvh_assets.attribution.hedge import HEDGE_BOOK_SQL
from alvh_assets.attribution.performance import performance_table, stress_windows_table
from alvh_assets.attribution.schema import DOCS, TABLES
from alvh_assets.attribution.views import create_views
from alvh_assets.config import AlvhConfig

EVERYTHING: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("account", "strategy.account_daily", ("strategy", "date")),
    ("pnl", "attribution.daily_pnl", ("strategy", "date", "component")),
    ("budget", "strategy.hedge_budget_daily", ("strategy", "date")),
    ("fills", "strategy.fills", ("strategy", "fill_id")),
)
"""The whole-range tables' inputs: (name, table, key order they are read in)."""


def attribute_window(
    con: duckdb.DuckDBPyConnection, window: tuple[dt.date, dt.date], cfg: AlvhConfig
) -> dict[str, pl.DataFrame]:
    """Write the attribution of ``window``; returns the window's daily P&L and the refreshed
    performance and stress-window tables."""
    start, end = window
    prev = con.execute(
        "SELECT max(date) FROM strategy.account_daily WHERE date < ?", [start]
    ).fetchone()[0]
    lo = prev or start
    account = wh.read_frame(
        con, "SELECT * FROM strategy.account_daily WHERE date BETWEEN ? AND ?", [lo, end]
    )
    positions = wh.read_frame(
        con, "SELECT * FROM strategy.positions_daily WHERE date BETWEEN ? AND ?", [lo, end]
    )
    fills = wh.read_frame(
        con, "SELECT * FROM strategy.fills WHERE date BETWEEN ? AND ?", [start, end]
    )
    pnl = daily_pnl(account, positions, fills, window, cfg.execution.initial_capital)
    with wh.transaction(con):
        for table, schema in TABLES.items():
            wh.ensure_table(con, table, schema, DOCS[table])
        wh.delete_window(con, "attribution.daily_pnl", "date", window)
        wh.insert(con, "attribution.daily_pnl", pnl)
        everything = {  # in key order: sums are bit-equal however the rows were written
            name: wh.read_frame(con, f"SELECT * FROM {table} ORDER BY {', '.join(order)}")
            for name, table, order in EVERYTHING
        }
        hedge_book = wh.read_frame(con, HEDGE_BOOK_SQL)
        performance, stress, contribution = whole_range_tables(everything, hedge_book, cfg)
        for table, frame in (
            ("attribution.performance", performance),
            ("attribution.stress_windows", stress),
            ("attribution.contribution_daily", contribution),
        ):
            wh.delete_window(con, table, None, None)
            wh.insert(con, table, frame)
        create_views(con)
    return {
        "attribution.daily_pnl": pnl,
        "attribution.performance": performance,
        "attribution.stress_windows": stress,
        "attribution.contribution_daily": contribution,
    }


def whole_range_tables(
    everything: dict[str, pl.DataFrame], hedge_book: pl.DataFrame, cfg: AlvhConfig
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """``attribution.performance``, ``attribution.stress_windows`` and
    ``attribution.contribution_daily`` from every stored row (``everything``: ``account``,
    ``pnl``, ``budget``, ``fills``, each in key order) and the hedge book
    (:data:`.hedge.HEDGE_BOOK_SQL`); writes nothing."""
    contribution = contribution_daily(everything["account"], cfg)
    performance = performance_table(
        everything["account"],
        everything["pnl"],
        everything["budget"],
        everything["fills"],
        cfg,
        hedge_book,
        contribution,
    )
    stress = stress_windows_table(
        everything["account"], everything["pnl"], cfg, everything["fills"]
    )
    return performance, stress, contribution


def attribute_frames(
    strategy: dict[str, pl.DataFrame], window: tuple[dt.date, dt.date], cfg: AlvhConfig
) -> dict[str, pl.DataFrame]:
    """The attribution tables of a strategy run held in memory (``strategy``: the frames of
    :func:`alvh_assets.strategy.run.fold` over ``window``, from the initial accounts), as
    :func:`attribute_window` computes them from the warehouse, writing nothing: the same
    daily P&L, the inputs in the same key order, the hedge book by the same SQL (an
    in-memory DuckDB)."""
    account = strategy["strategy.account_daily"]
    positions = strategy["strategy.positions_daily"]
    fills = strategy["strategy.fills"]
    pnl = daily_pnl(account, positions, fills, window, cfg.execution.initial_capital)
    frames = {**strategy, "attribution.daily_pnl": pnl}
    everything = {name: frames[table].sort(list(order)) for name, table, order in EVERYTHING}
    with duckdb.connect() as mem:
        mem.execute("CREATE SCHEMA strategy")
        wh.ensure_table(mem, "strategy.positions_daily", dict(positions.schema))
        wh.insert(mem, "strategy.positions_daily", positions)
        hedge_book = wh.read_frame(mem, HEDGE_BOOK_SQL)
    performance, stress, contribution = whole_range_tables(everything, hedge_book, cfg)
    return {
        "attribution.daily_pnl": pnl,
        "attribution.performance": performance,
        "attribution.stress_windows": stress,
        "attribution.contribution_daily": contribution,
    }
