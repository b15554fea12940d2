"""SPX implied-vol surface summary per trading day (grain: one row per ``date``).

Thin dbt wrapper: the rules live in ``alvh_assets.vol_surface`` (tested in tests/unit).
Option rows come from ``pricing.option_greeks`` (SPX and SPXW, our IV on the parity
forward) for ``LOOKBACK_DAYS`` calendar days before ``window_start`` up to ``window_end``,
enough for the 252-session IV rank, read a calendar year at a time (memory); SPX closes
from the index history. Only rows of the window are returned (incremental delete+insert on
``date``); every value is causal.
"""

from __future__ import annotations

import datetime

LOOKBACK_DAYS = 400


def _to_date(value) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value).strip()[:10])


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="date")

    import polars as pl

    from alvh_assets import vol_surface

    start = _to_date(dbt.config.get("window_start"))
    end = _to_date(dbt.config.get("window_end"))
    window = int(float(dbt.config.get("iv_rank_window")))
    first = (start - datetime.timedelta(days=LOOKBACK_DAYS)).isoformat()

    greeks = dbt.source("pricing", "option_greeks")
    by_expiry = []  # a year of quote dates at a time: per-expiry points need only their day
    for year in range(int(first[:4]), end.year + 1):
        lo, hi = max(first, f"{year}-01-01"), min(end.isoformat(), f"{year}-12-31")
        options = (
            greeks.filter(
                f"root IN ('SPX', 'SPXW') AND iv IS NOT NULL "
                f"AND quote_date BETWEEN DATE '{lo}' AND DATE '{hi}'"
            )
            .select(
                "quote_date, expiration, strike, option_type, forward, time_to_expiry, "
                "days_to_expiry, iv, delta"
            )
            .pl()
        )
        by_expiry.append(vol_surface.atm_by_expiry(options))
    days = (
        dbt.ref("int_index_levels__pivoted")
        .filter(f"date <= DATE '{end.isoformat()}'")
        .select("date, spx_close")
        .pl()
    )
    points = vol_surface.daily_points(pl.concat(by_expiry))
    surface = vol_surface.surface_daily(days, points, window)
    return surface.filter(pl.col("date").is_between(start, end)).drop("spx_close")
