"""SPX implied-vol surface summary per trading day (grain: one row per ``date``).

The rules live in ``alvh_assets.marts.vol_surface`` (tested in tests/unit). Option rows come
from ``pricing.option_greeks`` (SPX and SPXW, our IV on the parity forward) for
``LOOKBACK_DAYS`` calendar days before ``window_start`` up to ``window_end``, enough for the
252-session IV rank, read a calendar year at a time (memory); SPX closes from the index
history. Only rows of the window are returned (incremental delete+insert on ``date``); every
value is causal.
"""

from __future__ import annotations

import datetime

LOOKBACK_DAYS = 400


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="date")

    import polars as pl

    from alvh_assets.marts import run_window, vol_surface_daily

    start, end = run_window(dbt.config.get("window_start"), dbt.config.get("window_end"))
    first = (start - datetime.timedelta(days=LOOKBACK_DAYS)).isoformat()
    greeks = dbt.source("pricing", "option_greeks")
    options_by_year = (  # lazily, a calendar year of quote dates at a time
        greeks.filter(
            f"root IN ('SPX', 'SPXW') AND iv IS NOT NULL AND quote_date BETWEEN "
            f"DATE '{max(first, f'{y}-01-01')}' AND DATE '{min(end.isoformat(), f'{y}-12-31')}'"
        )
        .select(
            "quote_date, expiration, strike, option_type, forward, time_to_expiry, "
            "days_to_expiry, iv, delta"
        )
        .pl()
        for y in range(int(first[:4]), end.year + 1)
    )
    days = dbt.ref("int_index_levels__pivoted").filter(f"date <= DATE '{end.isoformat()}'")
    surface = vol_surface_daily(
        options_by_year,
        days.select("date, spx_close").pl(),
        int(float(dbt.config.get("iv_rank_window"))),
    )
    return surface.filter(pl.col("date").is_between(start, end))
