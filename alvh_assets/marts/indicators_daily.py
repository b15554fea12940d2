"""The rows of ``fct_indicators_daily`` (methodology §3): the day spine's inputs aligned, every
indicator of :mod:`alvh_assets.marts.indicators` computed (pure polars/numpy, no dbt).

* Each series is computed on the days where it has a value (SPX closes, VIX closes, front
  VX settles, breadth days) and mapped back onto the day spine; a missing day therefore
  neither poisons the TA-Lib recursions nor shifts the look-backs.
* Front VX series: the VX1 settle of the term structure each day, i.e. the nearest contract
  with ``contract_expiration > date`` (the contract expiring on the day is already rolled
  out). The series is spliced, not back-adjusted: the jump between the old and the new
  front contract on a roll day is part of the series (``vx1_rolled`` marks those days).
* 30-day constant-maturity VX (``vx30``, ``int_vx__constant_maturity``): the settles of the
  two live contracts bracketing 30 calendar days, linear in days to expiry (the nearest
  contract beyond the curve). Its MACD (``vx30_macd*``) is the series the tranche rules use
  (methodology §3: MACD "on the 30-day constant-maturity VX (not the raw front contract,
  whose roll jumps fake crosses)"); ``vx1_macd*`` stay as display columns.
* The A/D line is cumulated from the first breadth day given, based at ``AD_LINE_BASE``
  (the convention of the Cboe-style sample files). The divergence does not depend on that
  base (methodology §3, "Signals that move tranches", seeds 002, 004): SPX at its
  ``ad_high_lookback``-day closing high while the A/D line is below its own
  ``ad_high_lookback``-day high by at least ``ad_divergence_pct`` of the
  ``ad_high_lookback``-day sum of issues traded (advances + declines)
  (``indicators.ad_divergence``, the day's condition ``ad_divergence_today``); a divergence
  counts for ``ad_divergence_sessions`` (5) sessions: ``ad_divergence`` is true on the day it
  fires and the 4 sessions after (``indicators.persist``).
* NaN (warm-up) becomes null. Every indicator is causal: the rows of a day depend only on
  the inputs up to that day.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from alvh_assets.marts import indicators as ind

AD_LINE_BASE = 100_000.0

PARAMS = (
    "rsi_period",
    "macd_fast",
    "macd_slow",
    "macd_signal",
    "ad_high_lookback",
    "ad_divergence_pct",
    "ad_divergence_sessions",
    "trend_sma_days",
)
"""The parameters :func:`indicators_daily` reads (dbt vars of the model's config)."""

COLUMNS = (
    "date",
    "spx_close",
    "vix_close",
    "vx1_settle",
    "vx1_expiration",
    "vx1_rolled",
    "spx_rsi",
    "vix_rsi",
    "vix_macd",
    "vix_macd_signal",
    "vix_macd_hist",
    "vix_macd_cross",
    "vx1_macd",
    "vx1_macd_signal",
    "vx1_macd_hist",
    "vx1_macd_cross",
    "vx30",
    "vx30_macd",
    "vx30_macd_signal",
    "vx30_macd_hist",
    "vx30_macd_cross",
    "advances",
    "declines",
    "ad_line",
    "ad_line_high",
    "spx_close_high",
    "issues_traded_sum",
    "ad_divergence_today",
    "ad_divergence",
    "spx_sma_20",
    "spx_sma_50",
    "spx_sma_200",
    "spx_sma_trend",
    "rv10",
    "rv20",
    "rv60",
)
"""The mart's columns, in order."""


def align_inputs(
    days: pl.DataFrame, front: pl.DataFrame, cm30: pl.DataFrame, breadth: pl.DataFrame
) -> pl.DataFrame:
    """The day spine (``int_index_levels__pivoted``: date, spx_close, vix_close) with the
    front VX contract (``int_vx__curve_ranked`` rows of ``vx_rank = 1``: trade_date, settle,
    contract_expiration), the 30-day constant-maturity VX (``int_vx__constant_maturity``:
    trade_date, vx30) and breadth (``stg_nyse__breadth_daily``: date, advances, declines)
    left-joined on the date, sorted by date."""
    days = days.select("date", "spx_close", "vix_close").sort("date")
    front = front.select(
        pl.col("trade_date").alias("date"),
        pl.col("settle").alias("vx1_settle"),
        pl.col("contract_expiration").alias("vx1_expiration"),
    )
    cm30 = cm30.select(pl.col("trade_date").alias("date"), "vx30")
    breadth = breadth.select("date", "advances", "declines")
    frame = (
        days.join(front, on="date", how="left")
        .join(cm30, on="date", how="left")
        .join(breadth, on="date", how="left")
    )
    return frame.sort("date")


def indicators_daily(
    days: pl.DataFrame,
    front: pl.DataFrame,
    cm30: pl.DataFrame,
    breadth: pl.DataFrame,
    params: Mapping[str, Any],
) -> pl.DataFrame:
    """Every row of ``fct_indicators_daily`` for the days of ``days`` (inputs as in
    :func:`align_inputs`; ``params`` maps each name of ``PARAMS`` to its value, numbers or
    their text as dbt vars deliver them)."""
    rsi_period = int(float(params["rsi_period"]))
    macd_fast = int(float(params["macd_fast"]))
    macd_slow = int(float(params["macd_slow"]))
    macd_signal = int(float(params["macd_signal"]))
    ad_lookback = int(float(params["ad_high_lookback"]))
    ad_pct = float(params["ad_divergence_pct"])
    ad_sessions = int(float(params["ad_divergence_sessions"]))
    trend_days = int(float(params["trend_sma_days"]))

    frame = align_inputs(days, front, cm30, breadth)

    def on_valid(cols, fn):
        """Apply ``fn`` to the rows where every column in ``cols`` has a value; return
        full-length float arrays (NaN elsewhere), one per output of ``fn``."""
        mask = np.ones(frame.height, dtype=bool)
        for c in cols:
            mask &= frame[c].is_not_null().to_numpy()
        sub = [frame[c].filter(pl.Series(mask)).cast(pl.Float64).to_numpy() for c in cols]
        res = fn(*sub)
        outs = res if isinstance(res, tuple) else (res,)
        full = []
        for r in outs:
            arr = np.full(frame.height, np.nan)
            arr[mask] = np.asarray(r, dtype=np.float64)
            full.append(arr)
        return full if isinstance(res, tuple) else full[0]

    def col(name, values, dtype=pl.Float64):
        s = pl.Series(name, values, dtype=pl.Float64)
        s = s.fill_nan(None)
        return s.cast(dtype)

    def cross(line, signal):
        flags = ind.crossovers(line, signal).astype(np.float64)
        flags[np.isnan(line) | np.isnan(signal)] = np.nan
        return flags

    out = {}
    out["spx_rsi"] = on_valid(["spx_close"], lambda x: ind.rsi_wilder(x, rsi_period))
    out["vix_rsi"] = on_valid(["vix_close"], lambda x: ind.rsi_wilder(x, rsi_period))

    int_cols = []
    for prefix, source in (("vix", "vix_close"), ("vx1", "vx1_settle"), ("vx30", "vx30")):
        line, sig, hist = on_valid(
            [source], lambda x: ind.macd(x, macd_fast, macd_slow, macd_signal)
        )
        crosses = on_valid(
            [source],
            lambda x: cross(*ind.macd(x, macd_fast, macd_slow, macd_signal)[:2]),
        )
        out[f"{prefix}_macd"] = line
        out[f"{prefix}_macd_signal"] = sig
        out[f"{prefix}_macd_hist"] = hist
        out[f"{prefix}_macd_cross"] = crosses
        int_cols.append(f"{prefix}_macd_cross")

    ad = on_valid(["advances", "declines"], lambda a, d: ind.ad_line(a, d, base=AD_LINE_BASE))
    frame = frame.with_columns(col("ad_line", ad))
    out["ad_line"] = ad
    out["spx_close_high"] = on_valid(
        ["spx_close", "ad_line"], lambda s, a: ind.rolling_max(s, ad_lookback)
    )
    out["ad_line_high"] = on_valid(
        ["spx_close", "ad_line"], lambda s, a: ind.rolling_max(a, ad_lookback)
    )
    out["issues_traded_sum"] = on_valid(
        ["spx_close", "advances", "declines"],
        lambda s, a, d: ind.rolling_sum(a + d, ad_lookback),
    )
    today = on_valid(
        ["spx_close", "advances", "declines"],
        lambda s, a, d: ind.ad_divergence(s, a, d, ad_lookback, ad_pct).astype(np.float64),
    )
    out["ad_divergence_today"] = today
    held = on_valid(
        ["spx_close", "advances", "declines"],
        lambda s, a, d: ind.persist(
            ind.ad_divergence(s, a, d, ad_lookback, ad_pct), ad_sessions
        ).astype(np.float64),
    )
    out["ad_divergence"] = held

    for n in (20, 50, 200):
        out[f"spx_sma_{n}"] = on_valid(["spx_close"], lambda x, n=n: ind.sma(x, n))
    out["spx_sma_trend"] = on_valid(["spx_close"], lambda x: ind.sma(x, trend_days))
    for n in (10, 20, 60):
        out[f"rv{n}"] = on_valid(["spx_close"], lambda x, n=n: ind.realized_vol(x, n))

    prev_exp = pl.col("vx1_expiration").shift(1)
    rolled = (
        pl.when(pl.col("vx1_expiration").is_null() | prev_exp.is_null())
        .then(None)
        .otherwise(pl.col("vx1_expiration") != prev_exp)
    )

    result = frame.select(
        "date",
        "spx_close",
        "vix_close",
        "vx1_settle",
        "vx1_expiration",
        "vx30",
        "advances",
        "declines",
    ).with_columns(
        rolled.alias("vx1_rolled"),
        *[
            col(name, values, pl.Int8 if name in int_cols else pl.Float64)
            for name, values in out.items()
            if name not in ("ad_divergence_today", "ad_divergence")
        ],
        col("ad_divergence_today", out["ad_divergence_today"]).cast(pl.Boolean),
        col("ad_divergence", out["ad_divergence"]).cast(pl.Boolean),
    )
    return result.select(*COLUMNS)
