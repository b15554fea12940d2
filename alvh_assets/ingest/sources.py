"""The sources the ingest reads: landing-file patterns and the reader for each raw table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import polars as pl

from alvh_assets.ingest.quarantine import ReadResult
from alvh_assets.ingest.readers import (
    cboe_index,
    cboe_option_eod,
    cfe_vx,
    fomc,
    fred,
    nyse_breadth,
    release_calendar,
    valuation,
)


@dataclass(frozen=True)
class Source:
    """A raw table, its reader, and where its files land (globs under the landing root)."""

    name: str
    reader: Callable[[Path], ReadResult]
    patterns: tuple[str, ...]
    schema: dict[str, pl.DataType]
    key: tuple[str, ...]
    partition_column: str | None
    description: str

    @property
    def daily(self) -> bool:
        """Partitioned by NYSE trading day."""
        return self.partition_column is not None

    @property
    def key_holds_day(self) -> bool:
        """The partition day is part of the key: runs replace whole days, so the latest run's
        rows share no key with older rows (uniqueness over them is over the whole table)."""
        return self.partition_column is not None and self.partition_column in self.key


def _source(
    module: ModuleType,
    reader: Callable[[Path], ReadResult],
    patterns: tuple[str, ...],
    description: str,
) -> Source:
    return Source(
        module.SOURCE,
        reader,
        patterns,
        dict(module.SCHEMA),
        tuple(module.KEY),
        module.PARTITION_COLUMN,
        description,
    )


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        _source(
            cboe_option_eod,
            cboe_option_eod.read_cboe_option_eod,
            ("cboe/option_eod/**/*.csv", "cboe/option_eod/**/*.zip"),
            "Cboe DataShop Option EOD Summary rows (SPX, SPXW, VIX), one file per day.",
        ),
        _source(
            cfe_vx,
            cfe_vx.read_cfe_vx,
            ("cfe/vx/*.csv",),
            "CFE VX futures daily settlements; pre-2007-03-26 prices divided by 10.",
        ),
        _source(
            cboe_index,
            cboe_index.read_cboe_index,
            ("cboe/index/*_History.csv",),
            "Cboe index history (SPX, VIX, VIX3M) daily OHLC.",
        ),
        _source(
            nyse_breadth,
            nyse_breadth.read_nyse_breadth,
            ("nyse/breadth/*.csv",),
            "NYSE daily advances, declines, unchanged and volumes.",
        ),
        _source(
            fred,
            fred.read_fred,
            ("fred/*.csv",),
            "FRED observations (CPI, PPI, fed funds) by reference period.",
        ),
        _source(
            release_calendar,
            release_calendar.read_release_calendar,
            ("calendars/*release_calendar*.csv",),
            "CPI/PPI release dates by reference month (point-in-time key).",
        ),
        _source(
            fomc,
            fomc.read_fomc,
            ("calendars/fomc_decisions*.csv",),
            "FOMC policy decision dates, scheduled and unscheduled.",
        ),
        _source(
            valuation,
            valuation.read_valuation,
            ("valuation/*.csv",),
            "Monthly valuation (P/E, dividend yield, ERP proxy, P/CF) with publication dates.",
        ),
    )
}
