"""great_expectations suite of ``pricing.option_greeks`` and the frames it runs on (the
Dagster checks are made from them in :mod:`alvh_assets.pricing.assets`)."""

import duckdb

from alvh_assets import warehouse as wh
from alvh_assets.pricing.option_greeks import FORWARD_SOURCES, IV_REASONS, KEY
from alvh_assets.pricing.run import KEY_SQL, TABLE
from alvh_assets.quality import Expectation, Frame, Pieces

MEDIAN_IV_DIFF_MAX = 0.01
"""Largest acceptable median |iv - vendor_iv| of a batch (1 vol point). On the sample the
median is ~2e-5 (SPX: the parity forward differs from the generator's carry forward by
tick noise; VIX: 6-decimal rounding of the vendor IV), so this holds by a factor of ~500,
while convention errors it guards against move the median by several points (T in trading
days: x1.20; a rate in percent; BSM on spot VIX instead of Black-76 on the future). Real
vendor IVs come from the vendor's own forward and rate, hence a non-blocking check."""
IV_SHARE_MIN = 0.9
"""Smallest acceptable share of rows with an IV in a batch (sample: 99.8%; the rest are
minimum-tick wings above 500% and deep in-the-money mids below the parity intrinsic)."""


def _between(
    name: str, col: str, lo: float | None, hi: float | None, desc: str, **kw: object
) -> Expectation:
    return Expectation(
        name,
        "ExpectColumnValuesToBeBetween",
        {"column": col, "min_value": lo, "max_value": hi, **kw},
        desc,
    )


SUITE: list[Expectation] = [
    Expectation(
        "key_unique",
        "ExpectCompoundColumnsToBeUnique",
        {"column_list": list(KEY)},
        f"({', '.join(KEY)}) is unique over the whole table (checked on the latest run's rows: "
        "runs replace whole quote dates)",
    ),
    *(
        Expectation(f"{c}_not_null", "ExpectColumnValuesToNotBeNull", {"column": c}, f"{c} set")
        for c in (*KEY, "iv_reason", "has_bid", "time_to_expiry")
    ),
    _between("iv_in_0_5", "iv", 0, 5, "iv in (0, 5] where present", strict_min=True),
    _between("delta_abs_le_1", "delta", -1, 1, "|delta| <= 1 (Black-76 delta, e^{-rT} N(.))"),
    _between("gamma_non_negative", "gamma", 0, None, "gamma >= 0"),
    _between("vega_non_negative", "vega", 0, None, "vega >= 0"),
    _between("forward_positive", "forward", 0, None, "forward > 0 where set", strict_min=True),
    _between("time_to_expiry_non_negative", "time_to_expiry", 0, None, "T >= 0"),
    Expectation(
        "iv_reason_known",
        "ExpectColumnValuesToBeInSet",
        {"column": "iv_reason", "value_set": list(IV_REASONS)},
        "iv_reason is an IVReason name or a documented extra reason",
    ),
    Expectation(
        "forward_source_known",
        "ExpectColumnValuesToBeInSet",
        {"column": "forward_source", "value_set": list(FORWARD_SOURCES)},
        "forward_source is put_call_parity, carry, vx_future or vx_interpolated where set",
    ),
    Expectation(
        "iv_set_exactly_when_reason_ok",
        "ExpectColumnValuesToBeInSet",
        {"column": "iv_consistent", "value_set": [True]},
        "iv is present exactly where iv_reason = 'OK'",
    ),
    Expectation(
        "median_abs_iv_diff_small",
        "ExpectColumnMedianToBeBetween",
        {"column": "abs_iv_diff", "min_value": 0, "max_value": MEDIAN_IV_DIFF_MAX},
        f"median |iv - vendor_iv| of the latest batch <= {MEDIAN_IV_DIFF_MAX} "
        "(the vendor's IV is a reference, not the truth: non-blocking)",
        blocking=False,
        frame="vendor_diff",
    ),
    Expectation(
        "share_with_iv_at_least_90pct",
        "ExpectColumnMeanToBeBetween",
        {"column": "has_iv", "min_value": IV_SHARE_MIN, "max_value": 1},
        f"at least {IV_SHARE_MIN:.0%} of the latest batch's rows have an IV",
        blocking=False,
        frame="iv_share",
    ),
]
"""great_expectations suite of ``pricing.option_greeks``: row rules on the latest batch
(``latest``: rows with the newest ``_computed_at``, read in pieces of whole quote dates), key
uniqueness on them too (runs replace whole quote dates, so no older row shares their dates),
the median IV difference and the IV share on one column each of the latest batch."""


def suite_frames(con: duckdb.DuckDBPyConnection) -> dict[str, Frame]:
    """The frames :data:`SUITE` runs on."""
    latest = f"FROM {TABLE} WHERE _computed_at = (SELECT max(_computed_at) FROM {TABLE})"
    rows = (
        f"SELECT {KEY_SQL}, iv_reason, has_bid, time_to_expiry, iv, delta, gamma, vega, "
        f"forward, forward_source, (iv IS NOT NULL) = (iv_reason = 'OK') AS iv_consistent {latest}"
    )
    return {
        "latest": Pieces(lambda: wh.read_by_date(con, rows, "quote_date")),
        "iv_share": wh.read_frame(con, f"SELECT (iv IS NOT NULL)::DOUBLE AS has_iv {latest}"),
        "vendor_diff": wh.read_frame(
            con, f"SELECT abs(iv_diff) AS abs_iv_diff {latest} AND iv_diff IS NOT NULL"
        ),
    }
