"""Cboe index history files of the sample market (``cboe/index/``).

Layout (Cboe's "index history" download): ``DATE,OPEN,HIGH,LOW,CLOSE``, one row per day,
each file holding the index's history up to ``end`` (what the download held at that close):

- ``SPX_History.csv`` — real_reformatted: the real S&P 500 daily file (Yahoo layout,
  1999-01-04 … 2018-12-31) rewritten in Cboe's layout and date style ``MM/DD/YYYY``; the
  OHLC values are the source's text unchanged (6 decimals); Adj Close and Volume dropped.
- ``VIX_History.csv`` — real: the packaged VIX file's bytes (ISO dates, CRLF, O=H=L=C before
  2004-06, a row on the 2004-06-11 closure, no 1999-12-31 row) up to its last row ``<= end``.
- ``VIX3M_History.csv`` — real: the packaged VIX3M file's bytes (``MM/DD/YYYY`` dates) up to
  ``end``; written only when ``end >= 2009-09-18`` (the index's first value).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from alvh_assets import landing
from alvh_assets.sample import real_data
from alvh_assets.sample.manifest import ManifestEntry, entry_for
from alvh_assets.sample.vx_futures import copy_real_prefix

KIND = "cboe_index_daily"
CBOE_HEADER = "DATE,OPEN,HIGH,LOW,CLOSE"


def _iso_date(line: bytes) -> dt.date | None:
    try:
        return dt.date.fromisoformat(line.split(b",", 1)[0].strip().decode())
    except ValueError:
        return None


def _us_date(line: bytes) -> dt.date | None:
    try:
        return dt.datetime.strptime(line.split(b",", 1)[0].strip().decode(), "%m/%d/%Y").date()
    except ValueError:
        return None


def spx_cboe_text(end: dt.date) -> tuple[str, int]:
    """SPX history up to ``end`` in Cboe layout (``MM/DD/YYYY``, source value text)."""
    src = pl.read_csv(
        real_data.real_data_dir() / "sp500_daily_1999_2018.csv", infer_schema=False
    ).filter(pl.col("Date") <= end.isoformat())  # ISO text compares like dates
    body = src.select(
        pl.concat_str(
            pl.col("Date").str.strptime(pl.Date, "%Y-%m-%d").dt.strftime("%m/%d/%Y"),
            "Open",
            "High",
            "Low",
            "Close",
            separator=",",
        )
    ).to_series()
    return CBOE_HEADER + "\n" + "".join(f"{line}\n" for line in body.to_list()), src.height


def write_index_files(start: dt.date, end: dt.date, out_dir: Path) -> list[ManifestEntry]:
    """Write SPX, VIX and (when it has rows by ``end``) VIX3M history files."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    (out_dir / landing.INDEX_DIR).mkdir(parents=True, exist_ok=True)
    src_dir = real_data.real_data_dir()
    entries = []

    spx = out_dir / landing.index_history_file("SPX")
    text, rows = spx_cboe_text(end)
    spx.write_text(text, newline="\n")
    entries.append(
        entry_for(
            out_dir,
            spx,
            KIND,
            "real_reformatted",
            "real/sp500_daily_1999_2018.csv (Yahoo layout -> Cboe layout, MM/DD/YYYY)",
            rows,
        )
    )
    vix = out_dir / landing.index_history_file("VIX")
    rows, _, _ = copy_real_prefix(src_dir / "cboe_vix_daily.csv", vix, end, _iso_date)
    entries.append(entry_for(out_dir, vix, KIND, "real", "real/cboe_vix_daily.csv", rows))

    if end >= real_data.vix3m_daily()["date"].min():
        v3 = out_dir / landing.index_history_file("VIX3M")
        rows, _, _ = copy_real_prefix(src_dir / "cboe_vix3m_daily.csv", v3, end, _us_date)
        entries.append(entry_for(out_dir, v3, KIND, "real", "real/cboe_vix3m_daily.csv", rows))
    return entries
