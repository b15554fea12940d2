"""great_expectations suites for the marts (run on the whole mart: one row per day).

Blocking where a failure would feed wrong numbers to the strategy engine.
"""

from __future__ import annotations

from alvh_assets.quality import Expectation

MART_TABLES = (
    "fct_vix_term_structure_daily",
    "fct_spx_vol_surface_daily",
    "fct_indicators_daily",
    "fct_macro_events_daily",
    "fct_valuation_daily",
    "fct_regime_daily",
)


def _between(
    name: str, col: str, lo: float | None, hi: float | None, desc: str, blocking: bool = True
) -> Expectation:
    return Expectation(
        name,
        "ExpectColumnValuesToBeBetween",
        {"column": col, "min_value": lo, "max_value": hi},
        desc,
        blocking,
        "table",
    )


def _unique_date() -> Expectation:
    return Expectation(
        "date_unique",
        "ExpectColumnValuesToBeUnique",
        {"column": "date"},
        "one row per date",
        frame="table",
    )


MART_SUITES: dict[str, list[Expectation]] = {
    "fct_vix_term_structure_daily": [
        _unique_date(),
        _between("vx1_settle_plausible", "vx1_settle", 5, 100, "VX1 settle in [5, 100]"),
        _between("slope_plausible", "slope", -0.6, 0.6, "VX2/VX1 - 1 within ±60%"),
        _between(
            "vx1_dte_positive",
            "vx1_dte",
            1,
            70,
            "VX1 expires 1-70 days ahead (the expiring contract is rolled out; in 2004-05 CFE "
            "listed fewer months, so right after an expiry VX1 was up to 63 days out)",
        ),
    ],
    "fct_spx_vol_surface_daily": [
        _unique_date(),
        _between("atm_iv_30d_plausible", "atm_iv_30d", 0.03, 3.0, "30-day ATM IV in [3%, 300%]"),
        _between("iv_rank_in_0_1", "iv_rank_30d", 0, 1, "IV rank in [0, 1]"),
        _between("rv20_plausible", "rv_20d", 0, 3.0, "20-day realized vol in [0, 300%]"),
    ],
    "fct_indicators_daily": [
        _unique_date(),
        _between("spx_rsi_in_0_100", "spx_rsi", 0, 100, "SPX RSI in [0, 100]"),
        _between("vix_rsi_in_0_100", "vix_rsi", 0, 100, "VIX RSI in [0, 100]"),
        Expectation(
            "vix_macd_cross_values",
            "ExpectColumnValuesToBeInSet",
            {"column": "vix_macd_cross", "value_set": [-1, 0, 1]},
            "crossover flags are -1, 0 or +1",
            frame="table",
        ),
    ],
    "fct_macro_events_daily": [
        _unique_date(),
        Expectation(
            "event_window_not_null",
            "ExpectColumnValuesToNotBeNull",
            {"column": "event_window"},
            "every day is in or out of an event window",
            frame="table",
        ),
        _between(
            "days_to_next_fomc_non_negative",
            "trading_days_to_next_fomc",
            0,
            400,
            "next FOMC is today or later",
        ),
    ],
    "fct_valuation_daily": [
        _unique_date(),
        _between("pe_plausible", "pe", 1, 200, "P/E in [1, 200]"),
        _between(
            "dividend_yield_plausible", "dividend_yield", 0, 0.2, "dividend yield in [0, 20%]"
        ),
    ],
    "fct_regime_daily": [
        _unique_date(),
        Expectation(
            "regime_values",
            "ExpectColumnValuesToBeInSet",
            {
                "column": "regime",
                "value_set": ["calm", "neutral", "elevated", "stressed"],
            },
            "regime is one of the methodology's labels",
            frame="table",
        ),
        Expectation(
            "regime_mostly_classified",
            "ExpectColumnValuesToNotBeNull",
            {"column": "regime", "mostly": 0.95},
            "at least 95% of days have a regime (null = an input missing, see regime_rule)",
            blocking=False,
            frame="table",
        ),
    ],
}
