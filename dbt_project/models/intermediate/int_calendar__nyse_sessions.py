"""Every NYSE (XNYS) session with a running index, from ``alvh_assets.calendars``.

The trading-day ruler of the marts: "N trading days" between two dates is the difference
of their ``session_index``. Future sessions are included (the exchange calendar is
published in advance), so trading days to a scheduled event after the last data day are
countable without looking at future market data.
"""


def model(dbt, session):
    dbt.config(materialized="table")

    import polars as pl

    from alvh_assets.calendars import sessions_series

    sessions = sessions_series().sort()
    return pl.DataFrame(
        {
            "session_date": sessions,
            "session_index": pl.int_range(0, len(sessions), dtype=pl.Int64, eager=True),
        }
    )
