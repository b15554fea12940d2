"""Partitions: one per NYSE trading day (exchange_calendars XNYS), weekends and exchange
holidays excluded, so the partition keys are exactly the sessions."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import numpy as np

from alvh_assets.calendars import CALENDAR_START, sessions_series, trading_days

PARTITIONS_START = "1990-01-02"


def _holidays() -> list[dt.datetime]:
    """Weekdays that are not XNYS sessions (holidays, closures), as naive datetimes."""
    sessions = sessions_series().to_numpy().astype("datetime64[D]")
    weekdays = np.arange(np.datetime64(CALENDAR_START), sessions[-1] + 1, dtype="datetime64[D]")
    weekdays = weekdays[np.is_busday(weekdays)]
    closed = np.setdiff1d(weekdays, sessions)
    return [dt.datetime.combine(d, dt.time()) for d in closed.astype(object)]


TRADING_DAYS = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 * * 1-5",
    start=PARTITIONS_START,
    fmt="%Y-%m-%d",
    timezone="America/New_York",
    exclusions=_holidays(),
)


def window_sessions(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """First and last session of the run's partition window (one day or a backfill range)."""
    tw = context.partition_time_window
    days = trading_days(tw.start.date(), tw.end.date() - dt.timedelta(days=1))
    if not days:
        raise dg.Failure(f"partition window {tw.start:%Y-%m-%d}..{tw.end:%Y-%m-%d} has no session")
    return days[0], days[-1]
