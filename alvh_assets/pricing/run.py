"""Price one window of ``raw.cboe_option_eod`` against the warehouse: IV and Greeks for
every option row, replaced in ``pricing.option_greeks`` in one transaction.

:func:`price_window` reads the window's option rows (and the VX settlements of the same
days, all FEDFUNDS and valuation rows), prices them with
:func:`alvh_assets.pricing.option_greeks.option_greeks` in chunks of
:data:`CHUNK_SESSIONS` sessions (bounded memory on a multi-year backfill), and replaces the
window together with a one-row run log in ``pricing.option_greeks_log`` that the
conservation check reads. Conventions: ``docs/pricing.md``.
"""

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from alvh_assets import warehouse as wh
from alvh_assets.pricing.option_greeks import (
    KEY,
    OPTION_COLUMNS,
    OUTPUT_SCHEMA,
    option_greeks,
)
from alvh_assets.source_docs import source_docs

TABLE = "pricing.option_greeks"
LOG_TABLE = "pricing.option_greeks_log"
TABLE_SCHEMA: dict[str, pl.DataType] = {
    **OUTPUT_SCHEMA,
    "_computed_at": pl.Datetime("us", "UTC"),
}
LOG_SCHEMA: dict[str, pl.DataType] = {
    "window_start": pl.Date(),
    "window_end": pl.Date(),
    "raw_rows": pl.Int64(),
    "priced_rows": pl.Int64(),
    "rows_with_iv": pl.Int64(),
    "median_abs_iv_diff": pl.Float64(),
    "_computed_at": pl.Datetime("us", "UTC"),
}
DOCS: dict[str, wh.TableDoc] = {
    TABLE: source_docs()[TABLE],  # a dbt source: described in _sources.yml
    LOG_TABLE: wh.TableDoc(
        "One row per pricing run and window: rows read and priced (the conservation check "
        "reads it). Grain: window_start, window_end, _computed_at.",
        {
            "window_start": "First quote date of the run's window.",
            "window_end": "Last quote date of the run's window.",
            "raw_rows": "Rows of raw.cboe_option_eod in the window.",
            "priced_rows": "Rows written to pricing.option_greeks (= raw_rows).",
            "rows_with_iv": "Priced rows with an IV (iv_reason 'OK').",
            "median_abs_iv_diff": "Median |iv − vendor_iv| over the rows with both (decimal).",
            "_computed_at": "When the run wrote the window (UTC).",
        },
    ),
}
"""The data dictionary of the ``pricing`` tables (table and column comments)."""
CHUNK_SESSIONS = 21
"""Sessions priced per pass (~90k rows on the default range): one pass per month keeps a
multi-year backfill's memory at one month of rows."""

KEY_SQL = ", ".join(f'"{k}"' for k in KEY)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``pricing.option_greeks`` and its run log if missing."""
    wh.ensure_table(con, TABLE, TABLE_SCHEMA, DOCS[TABLE])
    wh.ensure_table(con, LOG_TABLE, LOG_SCHEMA, DOCS[LOG_TABLE])


def window_days(con: duckdb.DuckDBPyConnection, window: tuple[dt.date, dt.date]) -> list[dt.date]:
    """Quote dates of ``raw.cboe_option_eod`` inside the window."""
    rows = con.execute(
        "SELECT DISTINCT quote_date FROM raw.cboe_option_eod WHERE quote_date BETWEEN ? AND ? "
        "ORDER BY 1",
        list(window),
    ).fetchall()
    return [r[0] for r in rows]


def read_carry_inputs(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All FEDFUNDS observations and valuation rows (small; point in time is applied by
    :func:`~alvh_assets.pricing.option_greeks.carry_asof`)."""
    fred = wh.read_frame(
        con,
        "SELECT series_id, observation_date, value, vintage FROM raw.fred_observations "
        "WHERE series_id = 'FEDFUNDS'",
    )
    valuation = wh.read_frame(
        con,
        "SELECT month, publication_date, sp500, dividend, dividend_yield "
        "FROM raw.valuation_monthly",
    )
    return fred, valuation


def read_chunk(
    con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Option rows (sorted by key) and VX settlements of the quote dates ``first..last``."""
    cols = ", ".join(f'"{c}"' for c in OPTION_COLUMNS)
    options = wh.read_frame(
        con,
        f"SELECT {cols} FROM raw.cboe_option_eod WHERE quote_date BETWEEN ? AND ? "
        f"ORDER BY {KEY_SQL}",
        [first, last],
    )
    vx = wh.read_frame(
        con,
        "SELECT trade_date, contract_expiration, settle FROM raw.cfe_vx_settlements "
        "WHERE trade_date BETWEEN ? AND ?",
        [first, last],
    )
    return options, vx


@dataclass(frozen=True)
class WindowSummary:
    """What :func:`price_window` wrote."""

    sessions: int
    raw_rows: int
    priced_rows: int
    rows_with_iv: int
    median_abs_iv_diff: float | None
    breakdown: pl.DataFrame
    preview: pl.DataFrame

    @property
    def share_with_iv(self) -> float:
        """Share of priced rows with an IV (0 for an empty window)."""
        return self.rows_with_iv / self.priced_rows if self.priced_rows else 0.0


def price_window(
    con: duckdb.DuckDBPyConnection,
    window: tuple[dt.date, dt.date],
    computed_at: dt.datetime,
    chunk_sessions: int = CHUNK_SESSIONS,
) -> WindowSummary:
    """Price every option row of ``window`` and replace the window in ``pricing.option_greeks``
    and the run log, in one transaction. Returns a summary (counts, median |iv diff|,
    breakdowns, a preview frame)."""
    ensure_tables(con)
    fred, valuation = read_carry_inputs(con)
    days = window_days(con, window)
    stamp = pl.lit(computed_at).cast(pl.Datetime("us", "UTC")).alias("_computed_at")
    raw_rows = priced = 0
    preview = pl.DataFrame(schema=OUTPUT_SCHEMA)
    with wh.transaction(con):
        wh.delete_window(con, TABLE, "quote_date", window)
        con.execute(
            f"DELETE FROM {LOG_TABLE} WHERE window_start <= ? AND window_end >= ?",
            [window[1], window[0]],
        )
        for i in range(0, len(days), chunk_sessions):
            part = days[i : i + chunk_sessions]
            options, vx = read_chunk(con, part[0], part[-1])
            out = option_greeks(options, fred, valuation, vx)
            raw_rows += options.height
            priced += wh.insert(con, TABLE, out.with_columns(stamp))
            preview = out
        stats = con.execute(
            f"SELECT count(iv), median(abs(iv_diff)) FROM {TABLE} WHERE quote_date BETWEEN ? AND ?",
            list(window),
        ).fetchone()
        rows_with_iv, median_diff = int(stats[0]), stats[1]
        wh.insert(
            con,
            LOG_TABLE,
            pl.DataFrame(
                {
                    "window_start": [window[0]],
                    "window_end": [window[1]],
                    "raw_rows": [raw_rows],
                    "priced_rows": [priced],
                    "rows_with_iv": [rows_with_iv],
                    "median_abs_iv_diff": [median_diff],
                    "_computed_at": [computed_at],
                },
                schema=LOG_SCHEMA,
            ),
        )
        breakdown = wh.read_frame(
            con,
            f"SELECT root, forward_source, iv_reason, count(*) AS rows FROM {TABLE} "
            "WHERE quote_date BETWEEN ? AND ? GROUP BY ALL ORDER BY ALL",
            list(window),
        )
    return WindowSummary(
        sessions=len(days),
        raw_rows=raw_rows,
        priced_rows=priced,
        rows_with_iv=rows_with_iv,
        median_abs_iv_diff=median_diff,
        breakdown=breakdown,
        preview=_near_the_money(preview),
    )


def _near_the_money(frame: pl.DataFrame, rows: int = 12) -> pl.DataFrame:
    """The last day's quoted rows closest to 50 delta, a readable preview."""
    if frame.is_empty():
        return frame
    last = frame.filter(
        (pl.col("quote_date") == pl.col("quote_date").max()) & pl.col("iv").is_not_null()
    )
    return (
        last.sort((pl.col("delta").abs() - 0.5).abs(), "root", "expiration")
        .head(rows)
        .select(
            "quote_date",
            "root",
            "expiration",
            "strike",
            "option_type",
            "forward",
            "forward_source",
            "mid",
            "iv",
            "vendor_iv",
            "delta",
            "gamma",
            "vega",
            "theta",
        )
    )
