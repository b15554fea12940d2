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
from alvh_assets.attribution.schema import TABLES
from alvh_assets.attribution.views import create_views
from alvh_assets.config import AlvhConfig


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
            wh.ensure_table(con, table, schema)
        wh.delete_window(con, "attribution.daily_pnl", "date", window)
        wh.insert(con, "attribution.daily_pnl", pnl)
        everything = {  # in key order: sums are bit-equal however the rows were written
            name: wh.read_frame(con, f"SELECT * FROM {table} ORDER BY {order}")
            for name, table, order in (
                ("account", "strategy.account_daily", "strategy, date"),
                ("pnl", "attribution.daily_pnl", "strategy, date, component"),
                ("budget", "strategy.hedge_budget_daily", "strategy, date"),
                ("fills", "strategy.fills", "strategy, fill_id"),
            )
        }
        hedge_book = wh.read_frame(con, HEDGE_BOOK_SQL)
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
