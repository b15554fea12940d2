"""Dagster asset ``pricing/option_greeks``: IV and Greeks for every option row of a window.

The asset reads the window's rows of ``raw.cboe_option_eod`` (and the VX settlements of
the same days, all FEDFUNDS and valuation rows), prices them with
:func:`alvh_assets.pricing.option_greeks.option_greeks` in chunks of
:data:`CHUNK_SESSIONS` sessions (bounded memory on a multi-year backfill), and replaces the
window in ``pricing.option_greeks`` in one transaction, together with a one-row run log in
``pricing.option_greeks_log`` that the conservation check reads. Conventions:
``docs/pricing.md``.
"""

import datetime as dt
import time
import warnings
from dataclasses import dataclass

import dagster as dg
import duckdb
import polars as pl

from alvh_assets import warehouse as wh
from alvh_assets.metadata import markdown_table
from alvh_assets.pricing.option_greeks import (
    FORWARD_SOURCES,
    IV_REASONS,
    KEY,
    OPTION_COLUMNS,
    OUTPUT_SCHEMA,
    option_greeks,
)
from alvh_assets.quality import Expectation, Frame, Pieces
from orchestration.ge_checks import ge_checks
from orchestration.partitions import TRADING_DAYS, window_sessions
from orchestration.resources import WarehouseResource

# backfill_policy and pool are marked beta in Dagster 1.13; both are what design.md asks for.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

OWNERS = ["team:alvh-data"]
OPTION_GREEKS = dg.AssetKey(["pricing", "option_greeks"])
RAW_DEPS = [
    dg.AssetKey(["raw", name])
    for name in ("cboe_option_eod", "cfe_vx_settlements", "fred_observations", "valuation_monthly")
]
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
CHUNK_SESSIONS = 21
"""Sessions priced per pass (~90k rows on the default range): one pass per month keeps a
multi-year backfill's memory at one month of rows."""

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

_KEY_SQL = ", ".join(f'"{k}"' for k in KEY)


# --------------------------------------------------------------------------------------------
# Warehouse I/O (no Dagster)
# --------------------------------------------------------------------------------------------


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``pricing.option_greeks`` and its run log if missing."""
    wh.ensure_table(con, TABLE, TABLE_SCHEMA)
    wh.ensure_table(con, LOG_TABLE, LOG_SCHEMA)


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
        f"ORDER BY {_KEY_SQL}",
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


# --------------------------------------------------------------------------------------------
# The asset
# --------------------------------------------------------------------------------------------


@dg.asset(
    key=OPTION_GREEKS,
    group_name="pricing",
    owners=OWNERS,
    kinds={"numpy", "duckdb"},
    description=(
        "Implied volatility and Greeks of every option row of raw.cboe_option_eod, recomputed "
        "with one set of conventions: Black-76 on the forward for all rows (SPX/SPXW: "
        "put-call-parity forward from near-the-money mids, else carry S e^{(r-q)T}, which "
        "makes it BSM; VIX: the VX settle of the same expiry), rate = prior month's FEDFUNDS, "
        "dividend yield = latest published valuation row, T = calendar days / 365, IV of the "
        "15:45 mid. Greeks per unit (vega per 1.00 vol, theta per year). iv_reason says why "
        "an IV is missing; vendor_iv and iv_diff compare with the file's IV. Conventions: "
        "docs/pricing.md.\n\nGrain: one row per (quote_date, root, expiration, strike, "
        "option_type), exactly the rows of raw.cboe_option_eod."
    ),
    partitions_def=TRADING_DAYS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=RAW_DEPS,
    metadata={"grain": ", ".join(KEY), "table": TABLE},
    pool="duckdb_writer",
)
def option_greeks_asset(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Price the partition window and replace it in ``pricing.option_greeks``."""
    t0 = time.perf_counter()
    window = window_sessions(context)
    with warehouse.connect() as con:
        s = price_window(con, window, dt.datetime.now(dt.UTC))
    seconds = time.perf_counter() - t0
    median = s.median_abs_iv_diff
    context.log.info(
        f"asset={TABLE} window={window[0]}..{window[1]} rows_in={s.raw_rows} "
        f"loaded={s.priced_rows} quarantined=0 seconds={seconds:.2f} sessions={s.sessions} "
        f"iv_share={s.share_with_iv:.4f} median_abs_iv_diff={median}"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": s.priced_rows,
            "window": f"{window[0]}..{window[1]}",
            "sessions": s.sessions,
            "rows": s.priced_rows,
            "share_with_iv": round(s.share_with_iv, 6),
            "median_abs_iv_diff": dg.MetadataValue.float(
                float(median) if median is not None else float("nan")
            ),
            "rows_by_source_and_reason": dg.MetadataValue.md(markdown_table(s.breakdown, 60)),
            "preview": dg.MetadataValue.md(markdown_table(s.preview)),
            "seconds": round(seconds, 2),
        }
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
            FROM (SELECT {_KEY_SQL} FROM raw.cboe_option_eod
                  WHERE quote_date BETWEEN $1 AND $2) r
            FULL JOIN (SELECT {_KEY_SQL} FROM {TABLE} WHERE quote_date BETWEEN $1 AND $2) p
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
        "forward_source is put_call_parity, carry or vx_future where set",
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
        f"SELECT {_KEY_SQL}, iv_reason, has_bid, time_to_expiry, iv, delta, gamma, vega, "
        f"forward, forward_source, (iv IS NOT NULL) = (iv_reason = 'OK') AS iv_consistent {latest}"
    )
    return {
        "latest": Pieces(lambda: wh.read_by_date(con, rows, "quote_date")),
        "iv_share": wh.read_frame(con, f"SELECT (iv IS NOT NULL)::DOUBLE AS has_iv {latest}"),
        "vendor_diff": wh.read_frame(
            con, f"SELECT abs(iv_diff) AS abs_iv_diff {latest} AND iv_diff IS NOT NULL"
        ),
    }


ge_pricing_option_greeks = ge_checks(
    "ge_pricing_option_greeks",
    OPTION_GREEKS,
    SUITE,
    suite_frames,
    skip_when_empty=("vendor_diff",),  # no vendor IVs (files without the Calcs add-on)
)


PRICING_ASSETS = [option_greeks_asset]
PRICING_CHECKS = [rows_priced_equal_raw_option_rows, ge_pricing_option_greeks]
