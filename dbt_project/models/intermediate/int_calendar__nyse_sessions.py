"""Every NYSE (XNYS) session with a running index (``alvh_assets.marts.nyse_sessions``).

The trading-day ruler of the marts: "N trading days" between two dates is the difference
of their ``session_index``. Future sessions are included (the exchange calendar is
published in advance).
"""


def model(dbt, session):
    dbt.config(materialized="table")

    from alvh_assets.marts import nyse_sessions

    return nyse_sessions()
