"""great_expectations suites for the raw tables, and the frames they run on.

Row-level expectations run on the rows written by the latest run (``frame="latest"``:
rows carrying the table's newest ``_ingested_at``); key uniqueness runs on the key columns
of the whole table (``"keys"``) or, for a daily source whose key holds the day, on the
latest run's rows (runs replace whole days, so no older row shares their days); day-to-day
plausibility runs on derived series.
"""

from __future__ import annotations

import duckdb

from alvh_assets import warehouse
from alvh_assets.ingest.readers.cboe_option_eod import (
    VENDOR_CALCS_FLAG_SEPARATOR,
    VENDOR_CALCS_FLAGS,
)
from alvh_assets.ingest.sources import SOURCES
from alvh_assets.landing import VX_SETTLE_RANGE
from alvh_assets.quality import Expectation, Frame, Pieces


def _not_null(cols: tuple[str, ...]) -> list[Expectation]:
    return [
        Expectation(
            f"{c}_not_null", "ExpectColumnValuesToNotBeNull", {"column": c}, f"{c} is never null"
        )
        for c in cols
    ]


def _unique(table: str) -> Expectation:
    """Key uniqueness over the whole table; for a daily source whose key holds the day, on
    the latest run's rows (a run replaces whole days, so no older row shares their days)."""
    source = SOURCES[table]
    key = list(source.key)
    frame = "latest" if source.key_holds_day else "keys"
    if len(key) == 1:
        return Expectation(
            "key_unique",
            "ExpectColumnValuesToBeUnique",
            {"column": key[0]},
            f"{key[0]} is unique over the whole table",
            frame=frame,
        )
    return Expectation(
        "key_unique",
        "ExpectCompoundColumnsToBeUnique",
        {"column_list": key},
        f"({', '.join(key)}) is unique over the whole table",
        frame=frame,
    )


def _between(
    name: str,
    col: str,
    lo: float | None,
    hi: float | None,
    desc: str,
    blocking: bool = True,
    frame: str = "latest",
    **kw: object,
) -> Expectation:
    return Expectation(
        name,
        "ExpectColumnValuesToBeBetween",
        {"column": col, "min_value": lo, "max_value": hi, **kw},
        desc,
        blocking,
        frame,
    )


def _a_ge_b(name: str, a: str, b: str, desc: str, or_equal: bool = True) -> Expectation:
    return Expectation(
        name,
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": a,
            "column_B": b,
            "or_equal": or_equal,
            "ignore_row_if": "either_value_is_missing",
        },
        desc,
    )


def _codes_regex(codes: tuple[str, ...]) -> str:
    """A regex matching one or more of ``codes`` joined by the flag separator."""
    one = "(?:" + "|".join(codes) + ")"
    return f"^{one}(?:{VENDOR_CALCS_FLAG_SEPARATOR}{one})*$"


SUITES: dict[str, list[Expectation]] = {
    "cboe_option_eod": [
        *_not_null(("quote_date", "root", "expiration", "strike", "option_type")),
        _unique("cboe_option_eod"),
        Expectation(
            "option_type_c_or_p",
            "ExpectColumnValuesToBeInSet",
            {"column": "option_type", "value_set": ["C", "P"]},
            "option_type is C or P",
        ),
        _between("strike_positive", "strike", 0, None, "strike > 0", strict_min=True),
        _a_ge_b("ask_eod_ge_bid_eod", "ask_eod", "bid_eod", "bid_eod <= ask_eod"),
        _a_ge_b("ask_1545_ge_bid_1545", "ask_1545", "bid_1545", "bid_1545 <= ask_1545"),
        _between("bid_eod_non_negative", "bid_eod", 0, None, "bid_eod >= 0"),
        _a_ge_b(
            "expiration_on_or_after_quote_date",
            "expiration",
            "quote_date",
            "expiration >= quote_date (0DTE series quote on their expiry day)",
        ),
        _between(
            "iv_in_0_5",
            "implied_volatility_1545",
            0,
            5,
            "implied_volatility_1545 in (0, 5] where present",
            strict_min=True,
        ),
        Expectation(
            "vendor_calcs_flag_known_codes",
            "ExpectColumnValuesToMatchRegex",
            {"column": "vendor_calcs_flag", "regex": _codes_regex(VENDOR_CALCS_FLAGS)},
            "vendor_calcs_flag holds only the reader's codes, "
            f"'{VENDOR_CALCS_FLAG_SEPARATOR}'-joined (null where every Calcs value is fine)",
            blocking=False,
        ),
        _between(
            "spx_daily_move_plausible",
            "abs_log_move",
            None,
            0.25,
            "SPX underlying moves less than 25% (log) between consecutive days",
            frame="underlying_moves",
        ),
    ],
    "cfe_vx_settlements": [
        *_not_null(("trade_date", "contract_expiration", "contract")),
        _unique("cfe_vx_settlements"),
        _between(
            "settle_plausible",
            "settle",
            *VX_SETTLE_RANGE,
            f"settle in {list(VX_SETTLE_RANGE)} index points after the x10 rule "
            "(nulls: not yet traded)",
        ),
        _a_ge_b(
            "expiration_on_or_after_trade_date",
            "contract_expiration",
            "trade_date",
            "a contract trades until its expiration",
        ),
        Expectation(
            "price_scale_1_or_10",
            "ExpectColumnValuesToBeInSet",
            {"column": "price_scale", "value_set": [1, 10]},
            "price_scale is 1 or 10",
        ),
    ],
    "cboe_index_daily": [
        *_not_null(("symbol", "date", "close")),
        _unique("cboe_index_daily"),
        _between("close_positive", "close", 0, None, "close > 0", strict_min=True),
        _a_ge_b("high_ge_low", "high", "low", "high >= low"),
        _between(
            "spx_daily_move_plausible",
            "abs_log_move",
            None,
            0.25,
            "SPX moves less than 25% (log) day to day",
            frame="spx_moves",
        ),
        _between(
            "vix_daily_move_plausible",
            "abs_log_move",
            None,
            1.0,
            "VIX moves less than 100% (log) day to day",
            frame="vix_moves",
        ),
    ],
    "nyse_breadth_daily": [
        *_not_null(("date", "advances", "declines")),
        _unique("nyse_breadth_daily"),
        _between("advances_non_negative", "advances", 0, None, "advances >= 0"),
        _between("declines_non_negative", "declines", 0, None, "declines >= 0"),
        _between(
            "total_issues_plausible",
            "total_issues",
            500,
            10_000,
            "NYSE lists between 500 and 10,000 issues",
        ),
    ],
    "fred_observations": [
        *_not_null(("series_id", "observation_date")),
        _unique("fred_observations"),
        _between("value_plausible", "value", -100, 10_000, "value within [-100, 10000]"),
    ],
    "macro_release_calendar": [
        *_not_null(("series_id", "reference_period", "release_date")),
        _unique("macro_release_calendar"),
        _a_ge_b(
            "release_after_reference_period",
            "release_date",
            "reference_period",
            "a print is released after its reference period starts",
            or_equal=False,
        ),
    ],
    "fomc_decisions": [
        *_not_null(("decision_date", "scheduled")),
        _unique("fomc_decisions"),
    ],
    "valuation_monthly": [
        *_not_null(("month", "publication_date")),
        _unique("valuation_monthly"),
        _between("pe_plausible", "pe", 1, 200, "P/E in [1, 200] where present"),
        _between(
            "dividend_yield_plausible",
            "dividend_yield",
            0,
            0.2,
            "dividend yield in [0, 20%] where present",
        ),
        _a_ge_b(
            "published_after_month",
            "publication_date",
            "month",
            "a month's values are published after it starts",
            or_equal=False,
        ),
    ],
}

_DERIVED = {
    "underlying_moves": """
        WITH d AS (
            SELECT quote_date, median(coalesce(active_underlying_price_1545,
                   (underlying_bid_eod + underlying_ask_eod) / 2)) AS level
            FROM raw.cboe_option_eod WHERE root IN ('SPX', 'SPXW') GROUP BY quote_date)
        SELECT quote_date, abs(ln(level / lag(level) OVER (ORDER BY quote_date))) AS abs_log_move
        FROM d QUALIFY abs_log_move IS NOT NULL""",
    **{
        f"{sym.lower()}_moves": f"""
        SELECT date, abs(ln(close / lag(close) OVER (ORDER BY date))) AS abs_log_move
        FROM raw.cboe_index_daily WHERE symbol = '{sym}' QUALIFY abs_log_move IS NOT NULL"""
        for sym in ("SPX", "VIX")
    },
}


def _columns(table: str, frame: str) -> str:
    """The columns the suite of ``raw.<table>`` reads from ``frame``, quoted."""
    used: list[str] = []
    for e in SUITES[table]:
        if e.frame == frame:
            for k in ("column", "column_A", "column_B"):
                if k in e.kwargs:
                    used.append(e.kwargs[k])
            used += e.kwargs.get("column_list", [])
    return ", ".join(f'"{c}"' for c in dict.fromkeys(used))


def frames_for(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Frame]:
    """The frames the suite of ``raw.<table>`` runs on, with only the columns it reads; a
    daily source's latest rows are read in pieces of whole days (its key holds the day, so
    no key spans two pieces)."""
    latest = (
        f"SELECT {_columns(table, 'latest')} FROM raw.{table} "
        f"WHERE _ingested_at = (SELECT max(_ingested_at) FROM raw.{table})"
    )
    source = SOURCES[table]
    frames: dict[str, Frame] = {
        "latest": Pieces(lambda: warehouse.read_by_date(con, latest, source.partition_column))
        if source.key_holds_day
        else con.execute(latest).pl()
    }
    for e in SUITES[table]:
        if e.frame == "keys" and "keys" not in frames:
            frames["keys"] = con.execute(f"SELECT {_columns(table, 'keys')} FROM raw.{table}").pl()
        elif e.frame not in frames:
            frames[e.frame] = con.execute(_DERIVED[e.frame]).pl()
    return frames
