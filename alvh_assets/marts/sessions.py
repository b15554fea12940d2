"""The rows of ``int_calendar__nyse_sessions``: every NYSE (XNYS) session with a running
index, from :mod:`alvh_assets.calendars`.

The trading-day ruler of the marts: "N trading days" between two dates is the difference
of their ``session_index``. Future sessions are included (the exchange calendar is
published in advance), so trading days to a scheduled event after the last data day are
countable without looking at future market data.
"""

from __future__ import annotations

import polars as pl

from alvh_assets.calendars import sessions_series


def nyse_sessions() -> pl.DataFrame:
    """``session_date`` (every XNYS session from 1990, ascending) and ``session_index``
    (0 for the first, +1 per session)."""
    sessions = sessions_series().sort()
    return pl.DataFrame(
        {
            "session_date": sessions,
            "session_index": pl.int_range(0, len(sessions), dtype=pl.Int64, eager=True),
        }
    )
