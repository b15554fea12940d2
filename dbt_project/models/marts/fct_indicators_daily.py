"""Daily technical indicators of methodology §3 (grain: one row per trading day, ``date``).

All math comes from ``alvh_assets.indicators`` (TA-Lib-exact, causal); this model only
aligns the inputs, calls it and writes the partition window.

* Inputs are read up to ``window_end`` from the start of the stored history (so recursive
  indicators are warm and seeded on the same first day in every run); only rows with
  ``window_start <= date <= window_end`` are returned, and the mart is incremental
  (delete+insert on ``date``). Every indicator is causal, so a full-range run and a
  day-by-day sequence of runs give identical rows.
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
* The A/D line is cumulated from the first breadth day in the warehouse, based at
  ``AD_LINE_BASE`` (the convention of the Cboe-style sample files). The divergence does not
  depend on that base (methodology §3, "Signals that move tranches", seeds 002, 004): SPX at
  its ``ad_high_lookback``-day closing high while the A/D line is below its own
  ``ad_high_lookback``-day high by at least ``ad_divergence_pct`` of the
  ``ad_high_lookback``-day sum of issues traded (advances + declines)
  (``indicators.ad_divergence``, the day's condition ``ad_divergence_today``); a divergence
  counts for ``ad_divergence_sessions`` (5) sessions: ``ad_divergence`` is true on the day it
  fires and the 4 sessions after (``indicators.persist``).
* NaN (warm-up) becomes null.
"""

from __future__ import annotations

# dbt appends the rendered config to this module; vars given as YAML dates (e.g.
# --vars '{window_end: 2009-06-30}') arrive as ``datetime.date`` objects and need the import.
import datetime

AD_LINE_BASE = 100_000.0


def _to_date(value) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value).strip()[:10])


def model(dbt, session):
    # Python models default to "table": restate the marts' incremental contract explicitly.
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="date")

    import numpy as np
    import polars as pl

    from alvh_assets import indicators as ind

    window_start = _to_date(dbt.config.get("window_start"))
    window_end = _to_date(dbt.config.get("window_end"))
    rsi_period = int(float(dbt.config.get("rsi_period")))
    macd_fast = int(float(dbt.config.get("macd_fast")))
    macd_slow = int(float(dbt.config.get("macd_slow")))
    macd_signal = int(float(dbt.config.get("macd_signal")))
    ad_lookback = int(float(dbt.config.get("ad_high_lookback")))
    ad_pct = float(dbt.config.get("ad_divergence_pct"))
    ad_sessions = int(float(dbt.config.get("ad_divergence_sessions")))
    trend_days = int(float(dbt.config.get("trend_sma_days")))

    end = window_end.isoformat()
    days = (
        dbt.ref("int_index_levels__pivoted")
        .filter(f"date <= DATE '{end}'")
        .pl()
        .select("date", "spx_close", "vix_close")
        .sort("date")
    )
    front = (
        dbt.ref("int_vx__curve_ranked")
        .filter(f"vx_rank = 1 AND trade_date <= DATE '{end}'")
        .pl()
        .select(
            pl.col("trade_date").alias("date"),
            pl.col("settle").alias("vx1_settle"),
            pl.col("contract_expiration").alias("vx1_expiration"),
        )
    )
    cm30 = (
        dbt.ref("int_vx__constant_maturity")
        .filter(f"trade_date <= DATE '{end}'")
        .pl()
        .select(pl.col("trade_date").alias("date"), "vx30")
    )
    breadth = (
        dbt.ref("stg_nyse__breadth_daily")
        .filter(f"date <= DATE '{end}'")
        .pl()
        .select("date", "advances", "declines")
    )
    frame = (
        days.join(front, on="date", how="left")
        .join(cm30, on="date", how="left")
        .join(breadth, on="date", how="left")
    )
    frame = frame.sort("date")

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
    result = result.select(
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
    return result.filter(pl.col("date").is_between(window_start, window_end))
