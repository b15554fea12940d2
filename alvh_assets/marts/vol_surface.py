"""Daily SPX implied-vol surface summary from priced option rows (pure polars/numpy).

* ATM IV per expiry: the mean IV of the call and the put at the listed strike nearest the
  expiry's forward (both sides carry the same IV by parity; averaging damps tick noise).
* Constant-maturity ATM IV at ``TENORS`` days: linear interpolation of ATM *total variance*
  ``σ²T`` in ``T`` between the two expiries that bracket the tenor (null if not bracketed),
  so the interpolated term structure has no calendar arbitrage when the inputs have none.
* 25-delta skew at 30 days: per expiry, IV of the put with forward delta nearest −0.25 minus
  IV of the call nearest +0.25, interpolated linearly in ``T`` to 30 days.
* IV rank / percentile of the 30-day ATM IV over ``window`` days, realized vol 10/20/60 of
  SPX closes, and vol-cone percentiles (today's realized vol of each horizon within its
  own trailing ``window``): :mod:`alvh_assets.marts.indicators`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl

from alvh_assets.marts import indicators as ind

TENORS = (30, 60, 90, 180)
RV_HORIZONS = (10, 20, 60)


def atm_by_expiry(options: pl.DataFrame) -> pl.DataFrame:
    """Per (quote_date, expiration): ``days_to_expiry``, ``T``, ``atm_iv``, ``put25_iv``,
    ``call25_iv`` from rows with columns quote_date, expiration, strike, option_type,
    forward, time_to_expiry, days_to_expiry, iv, delta (SPX/SPXW, iv not null)."""
    rows = options.filter(pl.col("iv").is_not_null(), pl.col("time_to_expiry") > 0)
    keys = ["quote_date", "expiration"]
    dist = (pl.col("strike") - pl.col("forward")).abs()
    nearest = rows.filter(dist == dist.min().over(keys))
    atm = nearest.group_by(keys).agg(
        pl.col("iv").mean().alias("atm_iv"),
        pl.col("time_to_expiry").first().alias("T"),
        pl.col("days_to_expiry").first(),
    )

    def wing(kind: str, target: float, name: str) -> pl.DataFrame:
        side = rows.filter(pl.col("option_type") == kind)
        gap = (pl.col("delta") - target).abs()
        return (
            side.filter(gap == gap.min().over(keys))
            .group_by(keys)
            .agg(pl.col("iv").mean().alias(name))
        )

    return (
        atm.join(wing("P", -0.25, "put25_iv"), on=keys, how="left")
        .join(wing("C", 0.25, "call25_iv"), on=keys, how="left")
        .sort(keys)
    )


def _interpolate(t: np.ndarray, y: np.ndarray, target: float) -> float:
    """Linear interpolation of ``y`` at ``target`` between the bracketing points of ``t``
    (sorted); NaN when ``target`` is outside ``[t[0], t[-1]]``."""
    ok = np.isfinite(y)
    t, y = t[ok], y[ok]
    if t.size == 0 or target < t[0] or target > t[-1]:
        return float("nan")
    return float(np.interp(target, t, y))


def daily_points(by_expiry: pl.DataFrame) -> pl.DataFrame:
    """Per quote_date: ``atm_iv_<n>d`` for ``TENORS`` (variance-interpolated), ``skew_25d_30d``
    (put25 − call25 IV at 30 days) and ``expiries`` (count used)."""
    out: dict[str, list] = {"date": [], "expiries": []}
    for n in TENORS:
        out[f"atm_iv_{n}d"] = []
    out["skew_25d_30d"] = []
    for (day,), g in by_expiry.sort("quote_date", "T").group_by("quote_date", maintain_order=True):
        t = g["T"].to_numpy()
        var = g["atm_iv"].to_numpy() ** 2 * t
        out["date"].append(day)
        out["expiries"].append(g.height)
        for n in TENORS:
            target = n / 365.0
            w = _interpolate(t, var, target)
            out[f"atm_iv_{n}d"].append(float(np.sqrt(w / target)) if w == w and w > 0 else None)
        skew = g["put25_iv"].to_numpy(allow_copy=True) - g["call25_iv"].to_numpy(allow_copy=True)
        s = _interpolate(t, skew.astype(float), 30 / 365.0)
        out["skew_25d_30d"].append(s if s == s else None)
    schema = {
        "date": pl.Date,
        "expiries": pl.Int64,
        **{k: pl.Float64 for k in out if k not in ("date", "expiries")},
    }
    return pl.DataFrame(out, schema=schema)


def surface_daily(days: pl.DataFrame, points: pl.DataFrame, window: int = 252) -> pl.DataFrame:
    """Join the day spine (``date``, ``spx_close``, sorted) with the surface points and add
    IV rank/percentile, realized vols and vol-cone percentiles (NaN -> null)."""
    frame = days.sort("date").join(points, on="date", how="left")

    def causal(values: np.ndarray, fn) -> np.ndarray:
        """Apply ``fn`` on the days that have a value, map back (NaN elsewhere)."""
        ok = np.isfinite(values)
        out = np.full(values.shape, np.nan)
        out[ok] = fn(values[ok])
        return out

    atm30 = frame["atm_iv_30d"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    spx = frame["spx_close"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    cols = {
        "iv_rank_30d": causal(atm30, lambda x: ind.iv_rank(x, window)),
        "iv_percentile_30d": causal(atm30, lambda x: ind.iv_percentile(x, window)),
    }
    for h in RV_HORIZONS:
        rv = causal(spx, lambda x, h=h: ind.realized_vol(x, h))
        cols[f"rv_{h}d"] = rv
        cols[f"rv_{h}d_cone_percentile"] = causal(rv, lambda x: ind.iv_percentile(x, window))
    cols["iv_rv20_spread"] = atm30 - cols["rv_20d"]
    return frame.with_columns(
        pl.Series(k, v, dtype=pl.Float64).fill_nan(None) for k, v in cols.items()
    )


def vol_surface_daily(
    options_chunks: Iterable[pl.DataFrame], days: pl.DataFrame, window: int = 252
) -> pl.DataFrame:
    """The ``fct_spx_vol_surface_daily`` rows from priced SPX/SPXW option rows (any number of
    chunks, e.g. a calendar year of quote dates at a time: the per-expiry points of a day need
    only that day's rows) and the day spine (``date``, ``spx_close``); ``spx_close`` dropped."""
    by_expiry = [atm_by_expiry(options) for options in options_chunks]
    points = daily_points(pl.concat(by_expiry))
    return surface_daily(days, points, window).drop("spx_close")
