"""The Python half of the dbt marts (pure polars/numpy, no dbt, no Dagster).

Each dbt Python model reads its refs, calls one function of this face and keeps the rows of
its window: ``fct_indicators_daily`` → :func:`indicators_daily`, ``fct_spx_vol_surface_daily``
→ :func:`vol_surface_daily`, ``int_calendar__nyse_sessions`` → :func:`nyse_sessions`. The
indicator math is :mod:`alvh_assets.marts.indicators` (TA-Lib-exact, causal); the great
expectations suites of every mart are :mod:`alvh_assets.marts.mart_expectations`.
"""

from __future__ import annotations

import datetime as dt

from .indicators_daily import indicators_daily
from .sessions import nyse_sessions
from .vol_surface import vol_surface_daily


def as_date(value: object) -> dt.date:
    """A dbt var as a date: dbt hands YAML dates (``--vars '{window_end: 2009-06-30}'``) over
    as ``datetime.date`` and everything else as text."""
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


__all__ = ["as_date", "indicators_daily", "nyse_sessions", "vol_surface_daily"]
