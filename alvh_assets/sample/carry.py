"""Carry inputs for option pricing: the short-rate proxy and the S&P 500 dividend yield.

Short rate [choice, documented]: the effective fed funds rate (FRED ``FEDFUNDS``, monthly
average, percent) of the latest month whose value was published by day *t* (FRED posts a
month's average on the first business day of the next month, so day *t* uses the month
before *t*'s month), converted to a continuously compounded rate ``ln(1 + ff/100)``.

Dividend yield [choice, documented]: Shiller's trailing-twelve-month dividend divided by
the monthly average price, as published with a lag of ``DIVIDEND_LAG_MONTHS`` months,
converted to continuous ``ln(1 + d/P)``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from alvh_assets.sample import real_data

DIVIDEND_LAG_MONTHS = 3
"""Shiller's dividend series is compiled from S&P's quarterly reports: months are
available about one quarter after their end."""


def _month_start_plus(col: str, months: int) -> pl.Expr:
    return pl.col(col).dt.offset_by(f"{months}mo")


def daily_carry(days: list[dt.date]) -> pl.DataFrame:
    """Per trading day: ``rate`` and ``dividend_yield``, continuously compounded, as known
    at the close of that day (point in time, see module docstring)."""
    frame = pl.DataFrame({"date": days}, schema={"date": pl.Date}).sort("date")
    ff = (
        real_data.fred_series("FEDFUNDS")
        .drop_nulls("value")
        .with_columns(_month_start_plus("observation_date", 1).alias("known_from"))
        .select("known_from", np.log1p(pl.col("value") / 100.0).alias("rate"))
        .sort("known_from")
    )
    div = (
        real_data.shiller_monthly()
        .drop_nulls(["dividend", "price"])
        .with_columns(_month_start_plus("month", DIVIDEND_LAG_MONTHS).alias("known_from"))
        .select(
            "known_from", np.log1p(pl.col("dividend") / pl.col("price")).alias("dividend_yield")
        )
        .sort("known_from")
    )
    out = frame.join_asof(ff, left_on="date", right_on="known_from", strategy="backward").drop(
        "known_from"
    )
    return out.join_asof(div, left_on="date", right_on="known_from", strategy="backward").drop(
        "known_from"
    )
