"""The sources the ingest reads: the reader of each raw table and where its files land
(the landing contract of :mod:`alvh_assets.landing`)."""

from __future__ import annotations

import re
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
from alvh_assets.landing import DROPS


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
    group_pattern: str | None = None
    """Regex on a file's name whose ``group`` names its delivery group (one file or series of
    files delivered together, e.g. the VIX option chain of each day); None: one group, the
    source. See :mod:`alvh_assets.ingest.landing_checks`."""
    delivery: str = ""
    """Where a group's rows for a session are expected (``{group}``, ``{day}`` filled in), for
    the one-line refusal of a window that lacks them."""
    dated_files: bool = False
    """One file per session, its date ending the name (``…_YYYY-MM-DD.csv|zip``)."""
    rank_column: str | None = None
    """A column ranking copies of a row across files (the richer delivery is greater, e.g.
    ``has_calcs``); not compared as a value."""

    @property
    def daily(self) -> bool:
        """Partitioned by NYSE trading day."""
        return self.partition_column is not None

    @property
    def key_holds_day(self) -> bool:
        """The partition day is part of the key: runs replace whole days, so the latest run's
        rows share no key with older rows (uniqueness over them is over the whole table)."""
        return self.partition_column is not None and self.partition_column in self.key

    def group_of(self, file: str) -> str:
        """The delivery group of a file (path or name): ``group_pattern``'s ``group``, else the
        name without its date; the source's name when the source has no pattern."""
        if self.group_pattern is None:
            return self.name
        name = file.rsplit("/", 1)[-1]
        m = re.search(self.group_pattern, name, re.IGNORECASE)
        return m.group("group") if m else re.sub(r"_\d{4}-\d{2}-\d{2}(?=\.)", "", name)


def _source(
    module: ModuleType, reader: Callable[[Path], ReadResult], description: str, **extra: object
) -> Source:
    """A reader module's raw table and where its files land (:data:`~alvh_assets.landing.DROPS`)."""
    drop = DROPS[module.SOURCE]
    return Source(
        module.SOURCE,
        reader,
        drop.patterns,
        dict(module.SCHEMA),
        tuple(module.KEY),
        module.PARTITION_COLUMN,
        description,
        group_pattern=drop.group_pattern,
        delivery=drop.delivery,
        dated_files=drop.dated_files,
        **extra,  # type: ignore[arg-type]
    )


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        _source(
            cboe_option_eod,
            cboe_option_eod.read_cboe_option_eod,
            "Cboe DataShop Option EOD Summary rows (SPX, SPXW, VIX), one file per day.",
            rank_column="has_calcs",
        ),
        _source(
            cfe_vx,
            cfe_vx.read_cfe_vx,
            "CFE VX futures daily settlements, monthly and weekly contracts (archive and "
            "current per-contract files); pre-2007-03-26 prices divided by 10.",
        ),
        _source(
            cboe_index,
            cboe_index.read_cboe_index,
            "Cboe index history (SPX, VIX, VIX3M) daily OHLC.",
        ),
        _source(
            nyse_breadth,
            nyse_breadth.read_nyse_breadth,
            "NYSE daily advances, declines, unchanged and volumes.",
        ),
        _source(
            fred,
            fred.read_fred,
            "FRED observations (CPI, PPI, fed funds) by reference period.",
        ),
        _source(
            release_calendar,
            release_calendar.read_release_calendar,
            "CPI/PPI release dates by reference month (point-in-time key).",
        ),
        _source(
            fomc,
            fomc.read_fomc,
            "FOMC policy decision dates, scheduled and unscheduled.",
        ),
        _source(
            valuation,
            valuation.read_valuation,
            "Monthly valuation (price, earnings, P/E, yields, 10-year yield, CPI, CAPE, P/CF) "
            "with publication dates.",
        ),
    )
}
if set(SOURCES) != set(DROPS):  # a reader without a landing contract, or the reverse
    raise AssertionError(f"readers {sorted(SOURCES)} vs landing drops {sorted(DROPS)}")
