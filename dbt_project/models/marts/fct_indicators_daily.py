"""Daily technical indicators of methodology §3 (grain: one row per trading day, ``date``).

The rules live in ``alvh_assets.marts.indicators_daily`` (TA-Lib-exact, causal; tested in
tests/unit). Inputs are read up to ``window_end`` from the start of the stored history (so
recursive indicators are warm and seeded on the same first day in every run); only the rows
of ``window_start <= date <= window_end`` are returned (incremental delete+insert on
``date``), so a full-range run and a day-by-day sequence of runs give identical rows.
"""

from __future__ import annotations

# dbt appends the rendered config to this module; vars given as YAML dates (e.g.
# --vars '{window_end: 2009-06-30}') arrive as ``datetime.date`` objects and need the import.
import datetime  # noqa: F401


def model(dbt, session):
    # Python models default to "table": restate the marts' incremental contract explicitly.
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="date")

    import polars as pl

    from alvh_assets.marts import indicators_daily, run_window

    start, end = run_window(dbt.config.get("window_start"), dbt.config.get("window_end"))
    upto = f"<= DATE '{end.isoformat()}'"
    rows = indicators_daily(
        days=dbt.ref("int_index_levels__pivoted").filter(f"date {upto}").pl(),
        front=dbt.ref("int_vx__curve_ranked").filter(f"vx_rank = 1 AND trade_date {upto}").pl(),
        cm30=dbt.ref("int_vx__constant_maturity").filter(f"trade_date {upto}").pl(),
        breadth=dbt.ref("stg_nyse__breadth_daily").filter(f"date {upto}").pl(),
        params={  # dbt passes a config key to the model only where dbt.config.get names it
            "rsi_period": dbt.config.get("rsi_period"),
            "macd_fast": dbt.config.get("macd_fast"),
            "macd_slow": dbt.config.get("macd_slow"),
            "macd_signal": dbt.config.get("macd_signal"),
            "ad_high_lookback": dbt.config.get("ad_high_lookback"),
            "ad_divergence_pct": dbt.config.get("ad_divergence_pct"),
            "ad_divergence_sessions": dbt.config.get("ad_divergence_sessions"),
            "trend_sma_days": dbt.config.get("trend_sma_days"),
        },
    )
    return rows.filter(pl.col("date").is_between(start, end))
