"""The Python half of the dbt marts (pure polars/numpy, no dbt, no Dagster).

Each dbt Python model reads its refs, calls one function of this face and keeps the rows of
its window: ``fct_indicators_daily`` → :func:`indicators_daily`, ``fct_spx_vol_surface_daily``
→ :func:`vol_surface_daily`, ``int_calendar__nyse_sessions`` → :func:`nyse_sessions`. The
indicator math is :mod:`alvh_assets.marts.indicators` (TA-Lib-exact, causal); the great
expectations suites of every mart are :mod:`alvh_assets.marts.mart_expectations`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from alvh_assets.paths import mart_window

from .indicators_daily import indicators_daily
from .vol_surface import vol_surface_daily

if TYPE_CHECKING:
    from .sessions import nyse_sessions


def __getattr__(name: str) -> Any:
    """``nyse_sessions``, imported on first use: the session calendar pulls in
    exchange_calendars and pandas (seconds), which the dbt Python marts do not need."""
    if name == "nyse_sessions":
        from .sessions import nyse_sessions

        return nyse_sessions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def as_date(value: object) -> dt.date:
    """A dbt var as a date: dbt hands YAML dates (``--vars '{window_end: 2009-06-30}'``) over
    as ``datetime.date`` and everything else as text."""
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


WHOLE_HISTORY = {"window_start": "1900-01-01", "window_end": "2999-12-31"}


def run_window(start: object = None, end: object = None) -> tuple[dt.date, dt.date]:
    """The window a Python mart rebuilds: the model's ``window_start``/``window_end`` config
    when a var set it (dbt renders an unset var as ``None``), else the environment Dagster
    set for the run, else the whole history. Read when the model runs, so a new window never
    invalidates dbt's cached parse (the SQL marts do the same, macros/window.sql)."""
    out = []
    for name, given in (("window_start", start), ("window_end", end)):
        if given is None or str(given).strip() in ("", "None"):
            given = mart_window(name) or WHOLE_HISTORY[name]
        out.append(as_date(given))
    return out[0], out[1]


__all__ = ["as_date", "indicators_daily", "nyse_sessions", "run_window", "vol_surface_daily"]
