"""Loaders for the real market series shipped inside the package (``alvh_assets/data/real``).

The files are the vendors' originals, quirks included; provenance is in
``alvh_assets/data/real/README.md``. Each loader returns a tidy polars frame with the
quirks resolved and documented, so modelled data can be anchored to real data.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import polars as pl

from alvh_assets.landing import (
    CFE_VX_FILE_GLOB,
    VX_PRICE_SCALE_CHANGE,
    VX_SETTLE_RANGE,
    vx_label_expiration,
)


def real_data_dir() -> Path:
    """Folder holding the real vendor files."""
    return Path(str(resources.files("alvh_assets") / "data" / "real"))


def _ohlc(path: Path, date_format: str) -> pl.DataFrame:
    return pl.read_csv(path).select(
        pl.col("DATE").str.strptime(pl.Date, date_format).alias("date"),
        *(pl.col(c).cast(pl.Float64).alias(c.lower()) for c in ("OPEN", "HIGH", "LOW", "CLOSE")),
    )


@cache
def vix_daily() -> pl.DataFrame:
    """Cboe VIX daily OHLC since 1990 (ISO dates; before 2004-06 O=H=L=C)."""
    return _ohlc(real_data_dir() / "cboe_vix_daily.csv", "%Y-%m-%d")


@cache
def vix3m_daily() -> pl.DataFrame:
    """Cboe VIX3M daily OHLC since 2009-09-18 (source uses MM/DD/YYYY dates)."""
    return _ohlc(real_data_dir() / "cboe_vix3m_daily.csv", "%m/%d/%Y")


@cache
def sp500_daily() -> pl.DataFrame:
    """S&P 500 index daily OHLC and volume, 1999-01-04 … 2018-12-31."""
    return pl.read_csv(real_data_dir() / "sp500_daily_1999_2018.csv").select(
        pl.col("Date").str.strptime(pl.Date, "%Y-%m-%d").alias("date"),
        pl.col("Open").alias("open"),
        pl.col("High").alias("high"),
        pl.col("Low").alias("low"),
        pl.col("Close").alias("close"),
        pl.col("Volume").cast(pl.Int64).alias("volume"),
    )


@cache
def fred_series(series_id: str) -> pl.DataFrame:
    """A FRED series as (observation_date = reference period start, value); '.' -> null.

    Accepts both FRED header styles (``DATE`` and ``observation_date``).
    """
    df = pl.read_csv(real_data_dir() / f"fred_{series_id}.csv", infer_schema=False)
    date_col = df.columns[0]
    return df.select(
        pl.col(date_col).str.strptime(pl.Date, "%Y-%m-%d").alias("observation_date"),
        pl.col(series_id).replace(".", None).cast(pl.Float64).alias("value"),
    )


@cache
def shiller_monthly() -> pl.DataFrame:
    """Shiller S&P 500 monthly data; 0.0 means 'not yet published' and becomes null."""
    df = pl.read_csv(real_data_dir() / "shiller_sp500_monthly.csv")
    names = {
        "Date": "month",
        "SP500": "price",
        "Dividend": "dividend",
        "Earnings": "earnings",
        "Consumer Price Index": "cpi",
        "Long Interest Rate": "long_rate",
        "PE10": "pe10",
    }
    return df.select(
        pl.col("Date").str.strptime(pl.Date, "%Y-%m-%d").alias("month"),
        *(
            pl.when(pl.col(src) == 0.0).then(None).otherwise(pl.col(src)).alias(dst)
            for src, dst in names.items()
            if src != "Date"
        ),
    )


@cache
def fomc_decisions() -> pl.DataFrame:
    """FOMC policy decision dates with ``scheduled`` (False = unscheduled action)."""
    return pl.read_csv(real_data_dir() / "fomc_decisions.csv").select(
        pl.col("decision_date").str.strptime(pl.Date, "%Y-%m-%d"),
        pl.col("scheduled").cast(pl.Utf8).str.to_lowercase().eq("true").alias("scheduled"),
    )


def cfe_vx_files() -> list[Path]:
    """The real CFE VX contract files, one per contract, sorted by name."""
    return sorted((real_data_dir() / "cfe_vx").glob(CFE_VX_FILE_GLOB))


def _read_cfe(path: Path) -> pl.DataFrame:
    lines = path.read_text().splitlines()
    skip = 0 if lines[0].startswith("Trade Date") else 1  # optional disclaimer line
    # some 2004-05 rows end with a trailing comma (an empty 12th field)
    return pl.read_csv(path, skip_rows=skip, infer_schema=False, truncate_ragged_lines=True)


@cache
def vx_settlements() -> pl.DataFrame:
    """All real VX daily settlements: trade_date, contract, expiration, settle (index points).

    Quirks resolved: the disclaimer line, MM/DD/YYYY dates, ×10 quoting before
    2007-03-26 (divided by 10 here), zero settles before a contract trades and settles
    outside :data:`VX_SETTLE_RANGE` (two erroneous 1.00 rows) dropped.
    """
    frames = []
    for path in cfe_vx_files():
        raw = _read_cfe(path)
        frames.append(
            raw.select(
                pl.col("Trade Date").str.strptime(pl.Date, "%m/%d/%Y").alias("trade_date"),
                pl.col("Futures").str.strip_chars().alias("contract"),
                pl.col("Settle").cast(pl.Float64).alias("settle"),
                pl.col("Open Interest").cast(pl.Float64).cast(pl.Int64).alias("open_interest"),
                pl.col("Total Volume").cast(pl.Float64).cast(pl.Int64).alias("volume"),
            )
        )
    df = pl.concat(frames).filter(pl.col("settle") > 0)
    expirations = {c: vx_label_expiration(c) for c in df["contract"].unique().to_list()}
    return (
        df.with_columns(
            pl.col("contract")
            .replace_strict(expirations, return_dtype=pl.Date)
            .alias("expiration"),
            pl.when(pl.col("trade_date") < VX_PRICE_SCALE_CHANGE)
            .then((pl.col("settle") / 10.0).round(4))
            .otherwise(pl.col("settle"))
            .alias("settle"),
        )
        .filter(
            pl.col("trade_date") <= pl.col("expiration"),
            pl.col("settle").is_between(*VX_SETTLE_RANGE),
        )
        .sort("trade_date", "expiration")
    )
