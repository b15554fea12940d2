"""Dagster asset ``pricing/option_greeks``: IV and Greeks for every option row of a window
(the work is :func:`alvh_assets.pricing.run.price_window`), its conservation check and its
great_expectations suite (:mod:`alvh_assets.pricing.expectations`) as checks.
"""

import datetime as dt

import dagster as dg

from alvh_assets import warehouse as wh
from alvh_assets.dagster_support import (
    WarehouseResource,
    WriterRun,
    Written,
    ge_checks,
    table_key,
    table_spec,
    writer_asset,
)
from alvh_assets.metadata import markdown_table
from alvh_assets.pricing.expectations import SUITE, suite_frames
from alvh_assets.pricing.option_greeks import KEY
from alvh_assets.pricing.run import KEY_SQL, LOG_TABLE, TABLE, price_window

OWNERS = ["team:alvh-data"]
OPTION_GREEKS = table_key(TABLE)
RAW_DEPS = [
    dg.AssetKey(["raw", name])
    for name in ("cboe_option_eod", "cfe_vx_settlements", "fred_observations", "valuation_monthly")
]
DESCRIPTION = (
    "Implied volatility and Greeks of every option row of raw.cboe_option_eod, recomputed "
    "with one set of conventions: Black-76 on the forward for all rows (SPX/SPXW: "
    "put-call-parity forward from near-the-money mids, else carry S e^{(r-q)T}, which "
    "makes it BSM; VIX: the VX settle of the same expiry), rate = prior month's FEDFUNDS, "
    "dividend yield = latest published valuation row, T = minutes from the 15:45 ET quote "
    "to settlement (AM SPX/VIX/VIXW 09:30 ET, PM SPXW 16:00 ET) / 525,600 as in the Cboe VIX "
    "white paper, IV of the 15:45 mid (AT_OR_PAST_SETTLEMENT once settled). Greeks per unit "
    "(vega per 1.00 vol, theta per year). iv_reason says why "
    "an IV is missing; vendor_iv and iv_diff compare with the file's IV. Conventions: "
    "docs/pricing.md."
)


def _price(ctx: WriterRun) -> list[Written]:
    """Price the partition window and replace it in ``pricing.option_greeks``."""
    with ctx.warehouse.connect() as con:
        s = price_window(con, ctx.window, dt.datetime.now(dt.UTC))
    median = s.median_abs_iv_diff
    metadata = {
        "sessions": s.sessions,
        "rows": s.priced_rows,
        "share_with_iv": round(s.share_with_iv, 6),
        "median_abs_iv_diff": dg.MetadataValue.float(
            float(median) if median is not None else float("nan")
        ),
        "rows_by_source_and_reason": dg.MetadataValue.md(markdown_table(s.breakdown, 60)),
        "preview": dg.MetadataValue.md(markdown_table(s.preview)),
    }
    extra = f"sessions={s.sessions} iv_share={s.share_with_iv:.4f} median_abs_iv_diff={median}"
    return [Written(TABLE, s.priced_rows, s.raw_rows, metadata=metadata, log=extra)]


option_greeks_asset = writer_asset(
    "pricing__option_greeks",
    [
        table_spec(
            TABLE,
            DESCRIPTION,
            KEY,
            "pricing",
            OWNERS,
            RAW_DEPS,
            kinds=("numpy", "duckdb"),
            note="Exactly the rows of raw.cboe_option_eod.",
        )  # fmt: skip
    ],
    _price,
)


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


@dg.asset_check(
    asset=OPTION_GREEKS,
    name="rows_priced_equal_raw_option_rows",
    blocking=True,
    description="For the latest run's window: rows in pricing.option_greeks = option rows in "
    "raw.cboe_option_eod = the run's count, with the same keys both ways.",
)
def rows_priced_equal_raw_option_rows(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Conservation: one priced row per raw option row of the window, no more, no less."""
    with warehouse.connect(read_only=True) as con:
        log = wh.read_frame(
            con,
            f"SELECT * FROM {LOG_TABLE} WHERE _computed_at = "
            f"(SELECT max(_computed_at) FROM {LOG_TABLE})",
        )
        if log.is_empty():
            return dg.AssetCheckResult(passed=False, metadata={"problem": "no run logged"})
        run = log.row(0, named=True)
        window = [run["window_start"], run["window_end"]]
        # keys are unique on both sides (GE key_unique), so a full join on the key finds
        # every missing and extra row (10x faster than EXCEPT ALL on 20 M rows)
        in_raw, in_pricing, missing, extra = con.execute(
            f"""
            SELECT count(r.quote_date), count(p.quote_date),
                   count(*) FILTER (WHERE p.quote_date IS NULL),
                   count(*) FILTER (WHERE r.quote_date IS NULL)
            FROM (SELECT {KEY_SQL} FROM raw.cboe_option_eod
                  WHERE quote_date BETWEEN $1 AND $2) r
            FULL JOIN (SELECT {KEY_SQL} FROM {TABLE} WHERE quote_date BETWEEN $1 AND $2) p
                ON {" AND ".join(f'r."{k}" = p."{k}"' for k in KEY)}
            """,
            window,
        ).fetchone()
    passed = in_raw == in_pricing == run["priced_rows"] == run["raw_rows"] and missing == extra == 0
    return dg.AssetCheckResult(
        passed=bool(passed),
        metadata={
            "window": f"{window[0]}..{window[1]}",
            "raw_option_rows": int(in_raw),
            "priced_rows": int(in_pricing),
            "logged_raw_rows": int(run["raw_rows"]),
            "logged_priced_rows": int(run["priced_rows"]),
            "raw_keys_not_priced": int(missing),
            "priced_keys_not_in_raw": int(extra),
        },
    )


ge_pricing_option_greeks = ge_checks(
    "ge_pricing_option_greeks",
    OPTION_GREEKS,
    SUITE,
    suite_frames,
    skip_when_empty=("vendor_diff",),  # no vendor IVs (files without the Calcs add-on)
)


PRICING_ASSETS = [option_greeks_asset]
PRICING_CHECKS = [rows_priced_equal_raw_option_rows, ge_pricing_option_greeks]
