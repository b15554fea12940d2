"""What a landing directory holds, before anything is ingested (``alvh landing check DIR``).

Per raw source: the files found under its folders (:mod:`alvh_assets.landing`), the rows
each reader would load or quarantine (by reason), the days covered, the files that would
be refused and why (a name no reader accepts, a symlink leaving the folder, a file a reader
cannot read), and how many files are modelled (the sample market's, by ``manifest.json``'s
``provenance`` or a ``_modelled`` name) rather than vendor data. Then what a run would miss:
each source or delivery group without a row, with the rules that are skipped (and recorded
in ``strategy.budget_daily.skipped_rules`` or as null signals) because of it, and the days
that are not complete by the landing sensor's rule (:func:`alvh_assets.landing.day_complete`).

Nothing here writes: the readers run on the files exactly as the ingest would, so a file
refused here is refused by the ingest with the same reason.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from alvh_assets import landing
from alvh_assets.ingest.landing_checks import MANIFEST_NAME, Listing, scan
from alvh_assets.ingest.quarantine import UnreadableFileError
from alvh_assets.ingest.run import reader_workers
from alvh_assets.ingest.sources import SOURCES, Source

IF_MISSING: dict[str, str] = {
    "cboe_option_eod": "no option chains: nothing is priced; the condors and every hedge stay flat",
    "cfe_vx_settlements": "no VX curve: VIX options get no forward (NO_VX_SETTLE, never spot "
    "VIX), the VX term-structure signals and the VIX hedge layers are skipped",
    "cboe_index_daily": "no index levels: the MACD/RSI signals on SPX and VIX, the regimes "
    "and the VIX3M ratio are null; the rules that read them are skipped",
    "nyse_breadth_daily": "no breadth: the A/D divergence signal is null, its tranche rule "
    "is skipped",
    "fred_observations": "no FRED series: without FEDFUNDS options get no discount rate "
    "(NO_RATE) and are not priced; without CPI/PPI the range-bound rule is skipped",
    "macro_release_calendar": "no CPI/PPI release calendar: the CPI/PPI event windows are skipped",
    "fomc_decisions": "no FOMC calendar: the FOMC event windows are skipped",
    "valuation_monthly": "no valuation: the P/CF budget scale, the P/E block and the ERP "
    "rule are skipped (budget base = hedge.first_layer_min), named in skipped_rules",
}
"""What a run does without a source (the rules of docs/strategy.md that read it)."""

EXPECTED_GROUPS: dict[str, dict[str, str]] = {
    "cboe_option_eod": {
        "^SPX": "SPX/SPXW chain: the condors",
        "^VIX": "VIX chain: the VIX hedge layers",
    },
    "cboe_index_daily": {
        "SPX": "SPX history: SPX signals, regimes",
        "VIX": "VIX history: VIX signals, regimes",
        "VIX3M": "VIX3M history: the VIX/VIX3M ratio",
    },
    "fred_observations": {
        "FEDFUNDS": "FEDFUNDS: the discount rate of every option",
        "CPILFESL": "core CPI: the range-bound rule",
        "PPIACO": "PPI: the range-bound rule",
    },
}
"""Delivery groups a run expects within a source (:meth:`Source.group_of`), and why."""


@dataclass
class SourceInventory:
    """One source's landing files, as its reader sees them."""

    source: Source
    files: list[str] = field(default_factory=list)
    modelled: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    quarantined: Counter = field(default_factory=Counter)
    days: set[dt.date] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    refused: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class LandingInventory:
    """Every source's inventory plus the day-completeness of the landing directory."""

    root: Path
    sources: list[SourceInventory]
    landed_days: list[dt.date]
    incomplete_days: list[dt.date]

    def missing(self) -> list[str]:
        """One line per source or expected group without a loaded row: what a run loses."""
        out = []
        for inv in self.sources:
            name = inv.source.name
            if inv.rows_loaded == 0:
                out.append(f"{name}: {IF_MISSING[name]}")
                continue
            for group, why in EXPECTED_GROUPS.get(name, {}).items():
                if group not in inv.groups:
                    out.append(f"{name}: no {group} files ({why})")
        return out


def _provenance(root: Path) -> dict[str, str]:
    """``{relative path: provenance}`` from ``manifest.json`` (empty without one)."""
    try:
        doc = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
        return {f["path"]: str(f.get("provenance", "")) for f in doc.get("files", [])}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


@dataclass(frozen=True)
class FileStock:
    """What a reader made of one file (small, so worker processes return it cheaply)."""

    rows_read: int = 0
    rows_loaded: int = 0
    reasons: tuple[str, ...] = ()
    days: frozenset[dt.date] = frozenset()
    unreadable: str | None = None
    groups: frozenset[str] = frozenset()
    """Delivery groups found in the rows (the underlyings of an option file), if any."""


def read_file(source_name: str, path: Path) -> FileStock:
    """Run the source's reader on one file, as the ingest would."""
    source = SOURCES[source_name]
    try:
        result = source.reader(path)
    except UnreadableFileError as e:
        return FileStock(unreadable=e.problem)
    days: frozenset[dt.date] = frozenset()
    if source.daily and result.accepted.height:
        days = frozenset(result.accepted[source.partition_column].drop_nulls().unique().to_list())
    groups: frozenset[str] = frozenset()
    if "underlying_symbol" in result.accepted.columns:  # a multi-underlying DataShop order
        groups = frozenset(result.accepted["underlying_symbol"].drop_nulls().unique().to_list())
    return FileStock(
        result.rows_read,
        result.accepted.height,
        tuple(result.rejected["reason_code"].to_list()),
        days,
        groups=groups,
    )


def _take_stock(
    source: Source, listing: Listing, stocks: list[FileStock], provenance: dict
) -> SourceInventory:
    inv = SourceInventory(source, files=listing.files, refused=list(listing.refused))
    for rel, stock in zip(listing.files, stocks, strict=True):
        if "modelled" in provenance.get(rel, "") or "_modelled" in rel:
            inv.modelled += 1
        if stock.unreadable is not None:
            inv.refused.append((rel, stock.unreadable))
            continue
        inv.rows_read += stock.rows_read
        inv.rows_loaded += stock.rows_loaded
        inv.quarantined.update(stock.reasons)
        inv.days |= stock.days
        if stock.rows_loaded:
            inv.groups |= stock.groups or {source.group_of(rel)}
    return inv


def take_stock(
    root: Path, on_progress: Callable[[str, int, int], None] | None = None
) -> LandingInventory:
    """Read every landing file of every source under ``root`` (a folder), one worker process
    per core as the ingest does."""
    provenance = _provenance(root)
    listings = {name: scan(s, root) for name, s in SOURCES.items()}
    work = [(name, rel) for name, listing in listings.items() for rel in listing.files]
    stocks: list[FileStock] = []
    with reader_workers(len(work)) as pool:
        args = ([name for name, _ in work], [root / rel for _, rel in work])
        read = pool.map(read_file, *args, chunksize=4) if pool else map(read_file, *args)
        for i, stock in enumerate(read, 1):
            stocks.append(stock)
            if on_progress:
                on_progress(work[i - 1][1], i, len(work))
    read_in_order = iter(stocks)  # work lists each source's files in turn
    sources = [
        _take_stock(
            SOURCES[name], listing, [next(read_in_order) for _ in listing.files], provenance
        )
        for name, listing in listings.items()
    ]
    days = landing.landed_days(root)
    tails = landing.index_tails(root)
    incomplete = [d for d in days if not landing.day_complete(root, d, tails)]
    return LandingInventory(root, sources, days, incomplete)


def _span(days: set[dt.date]) -> str:
    return f"{min(days)} .. {max(days)} ({len(days)} days)" if days else "-"


def report(inv: LandingInventory, limit: int = 5) -> str:
    """The inventory as text: a table per source, then what a run would miss."""
    rows = [
        {
            "source": f"raw.{s.source.name}",
            "files": len(s.files),
            "modelled": s.modelled,
            "rows": s.rows_read,
            "loaded": s.rows_loaded,
            "quarantined": sum(s.quarantined.values()),
            "days": _span(s.days) if s.source.daily else "(reference)",
            "groups": ", ".join(sorted(s.groups)) or "-",
        }
        for s in inv.sources
    ]
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, fmt_str_lengths=60) as cfg:
        cfg.set_tbl_hide_dataframe_shape(True).set_tbl_hide_column_data_types(True)
        table = str(pl.DataFrame(rows))
    lines = [f"landing directory {inv.root}", table]
    for s in inv.sources:
        for code, n in s.quarantined.most_common(limit):
            lines.append(f"  raw.{s.source.name}: {n} row(s) would be quarantined: {code}")
    refused = [(s.source.name, rel, why) for s in inv.sources for rel, why in s.refused]
    lines.append(f"files that would be refused: {len(refused)}")
    lines += [f"  raw.{name}: {rel}: {why}" for name, rel, why in refused[: limit * 4]]
    modelled = [f"raw.{s.source.name} ({s.modelled})" for s in inv.sources if s.modelled]
    lines.append("modelled (sample-market) files: " + (", ".join(modelled) if modelled else "none"))
    missing = inv.missing()
    lines.append(f"missing for a run: {len(missing) or 'nothing'}")
    lines += [f"  {m}" for m in missing]
    shown = ", ".join(str(d) for d in inv.incomplete_days[:limit])
    more = " ..." if len(inv.incomplete_days) > limit else ""
    lines.append(
        f"option-chain days: {len(inv.landed_days)}, incomplete by the landing sensor's rule: "
        f"{len(inv.incomplete_days)}" + (f" ({shown}{more})" if shown else "")
    )
    return "\n".join(lines)
