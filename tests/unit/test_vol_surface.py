"""Vol-surface rules on hand-built inputs: ATM pick, variance interpolation, skew, rank."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from alvh_assets.marts import vol_surface

D = dt.date(2008, 10, 10)


def _rows(expiry_days: int, atm: float, put25: float, call25: float) -> list[dict]:
    exp = D + dt.timedelta(days=expiry_days)
    T = expiry_days / 365
    base = {
        "quote_date": D,
        "expiration": exp,
        "forward": 1000.0,
        "time_to_expiry": T,
        "days_to_expiry": expiry_days,
    }
    return [
        {**base, "strike": 1000.0, "option_type": "C", "iv": atm + 0.002, "delta": 0.52},
        {**base, "strike": 1000.0, "option_type": "P", "iv": atm - 0.002, "delta": -0.48},
        {**base, "strike": 1005.0, "option_type": "C", "iv": 9.9, "delta": 0.49},  # not nearest
        {**base, "strike": 900.0, "option_type": "P", "iv": put25, "delta": -0.26},
        {**base, "strike": 880.0, "option_type": "P", "iv": 9.9, "delta": -0.20},
        {**base, "strike": 1080.0, "option_type": "C", "iv": call25, "delta": 0.24},
        {**base, "strike": 1100.0, "option_type": "C", "iv": 9.9, "delta": 0.15},
    ]


@pytest.fixture()
def options() -> pl.DataFrame:
    return pl.DataFrame(
        _rows(20, 0.60, 0.75, 0.50) + _rows(50, 0.50, 0.62, 0.45) + _rows(200, 0.40, 0.47, 0.37)
    )


def test_atm_is_the_mean_of_call_and_put_at_the_forward_strike(options: pl.DataFrame) -> None:
    e = vol_surface.atm_by_expiry(options)
    assert e["atm_iv"].to_list() == pytest.approx([0.60, 0.50, 0.40])
    assert e["put25_iv"].to_list() == [0.75, 0.62, 0.47]
    assert e["call25_iv"].to_list() == [0.50, 0.45, 0.37]


def test_tenors_interpolate_total_variance(options: pl.DataFrame) -> None:
    p = vol_surface.daily_points(vol_surface.atm_by_expiry(options)).row(0, named=True)
    t1, t2, t = 20 / 365, 50 / 365, 30 / 365
    w = 0.60**2 * t1 + (0.50**2 * t2 - 0.60**2 * t1) * (t - t1) / (t2 - t1)
    assert p["atm_iv_30d"] == pytest.approx(math.sqrt(w / t), abs=1e-12)
    assert p["atm_iv_180d"] is not None and p["atm_iv_180d"] < 0.5
    skew30 = (0.75 - 0.50) + ((0.62 - 0.45) - (0.75 - 0.50)) * (10 / 30)
    assert p["skew_25d_30d"] == pytest.approx(skew30, abs=1e-12)
    assert p["expiries"] == 3


def test_tenor_outside_the_listed_expiries_is_null() -> None:
    one = pl.DataFrame(_rows(45, 0.3, 0.35, 0.28))
    p = vol_surface.daily_points(vol_surface.atm_by_expiry(one)).row(0, named=True)
    assert p["atm_iv_30d"] is None and p["atm_iv_90d"] is None


def test_surface_daily_is_causal_and_ranks_over_the_window() -> None:
    days = pl.DataFrame(
        {
            "date": [D + dt.timedelta(days=i) for i in range(30)],
            "spx_close": 1000 * np.exp(np.cumsum(np.full(30, 0.01))),
        }
    )
    points = pl.DataFrame(
        {
            "date": days["date"],
            "expiries": 3,
            "atm_iv_30d": np.linspace(0.2, 0.5, 30),
            "atm_iv_60d": None,
            "atm_iv_90d": None,
            "atm_iv_180d": None,
            "skew_25d_30d": None,
        },
        schema_overrides={
            c: pl.Float64 for c in ("atm_iv_60d", "atm_iv_90d", "atm_iv_180d", "skew_25d_30d")
        },
    )
    full = vol_surface.surface_daily(days, points, window=10)
    assert full["iv_rank_30d"][9] == pytest.approx(1.0)  # rising series: today is the max
    assert full["iv_percentile_30d"][9] == pytest.approx(0.9)
    assert full["rv_10d"][10] == pytest.approx(0.0, abs=1e-12)  # constant log returns
    cut = vol_surface.surface_daily(days.head(20), points.head(20), window=10)
    assert cut.equals(full.head(20))
