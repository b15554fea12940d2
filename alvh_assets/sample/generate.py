"""Write the embedded sample market: every landing file for the NYSE trading days of
``[start, end]`` plus ``manifest.json`` (layout and rules: ``docs/sample_market.md``).

Landing layout under ``out_dir``::

    cfe/vx/CFE_<code><yy>_VX.csv             real CFE files (bytes, cut after end)
    cfe/vx/CFE_<code><yy>_VX_modelled.csv    modelled VX contracts (before 2004-03-26,
                                             after 2014-08-14)
    cboe/index/{SPX,VIX,VIX3M}_History.csv   Cboe index history
    nyse/breadth/NYSE_breadth_modelled.csv   modelled NYSE advances/declines
    fred/{CPILFESL,PPIACO,FEDFUNDS}.csv      real FRED files, observations released by end
    calendars/cpi_ppi_release_calendar_modelled.csv, calendars/fomc_decisions.csv
    valuation/valuation_monthly.csv          Shiller-derived P/E, yields, ERP proxy
    cboe/option_eod/{SPX,VIX}/...            option chains (``sample.option_chains``)
    manifest.json                            seed, range, version, every file's provenance

Determinism: the same seed and range give a byte-identical directory (no timestamps).
Every modelled series is drawn for the fixed universe 1999-01-04 … 2018-12-31 and then
cut, so data for day t never depends on the requested start or end, and nothing dated or
published after ``end`` is written.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from alvh_assets.calendars import trading_days
from alvh_assets.sample.breadth import write_breadth
from alvh_assets.sample.index_files import write_index_files
from alvh_assets.sample.macro import write_macro
from alvh_assets.sample.manifest import MANIFEST_NAME, ManifestEntry, write_manifest
from alvh_assets.sample.vx_futures import UNIVERSE_END, UNIVERSE_START, vx_curve, write_vx_futures

DEFAULT_START = dt.date(2007, 7, 2)
DEFAULT_END = dt.date(2009, 6, 30)
DEFAULT_SEED = 20080915
GENERATOR_VERSION = "1.1.0"
"""Bump when any rule changes the bytes written for a given seed and range."""

Progress = Callable[[str, int, int], None]


def validate_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """The NYSE trading days of ``[start, end]``; ValueError when the range is reversed,
    outside the real S&P 500 series (1999-01-04 … 2018-12-31) or holds no session."""
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        raise ValueError("start and end must be dates")
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    if start < UNIVERSE_START or end > UNIVERSE_END:
        raise ValueError(
            f"range {start}..{end} is outside {UNIVERSE_START}..{UNIVERSE_END}, the span of "
            "the real S&P 500 series the sample market is built on"
        )
    days = trading_days(start, end)
    if not days:
        raise ValueError(f"no NYSE trading day in {start}..{end}")
    return days


def _remove_previous(out_dir: Path) -> None:
    """Delete the files listed by a previous run's manifest (others are left alone), so a
    re-run into the same folder leaves exactly the new run's files."""
    from alvh_assets.sample.manifest import read_manifest

    if not (out_dir / MANIFEST_NAME).is_file():
        return
    for f in read_manifest(out_dir).get("files", []):
        p = out_dir / f["path"]
        if p.is_file():
            p.unlink()
    (out_dir / MANIFEST_NAME).unlink()
    for d in sorted((p for p in out_dir.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(d.iterdir()):
            os.rmdir(d)


def generate_sample_market(
    start: dt.date,
    end: dt.date,
    out_dir: Path,
    seed: int = DEFAULT_SEED,
    zip_chains: bool = False,
    include_chains: bool = True,
    on_progress: Progress | None = None,
) -> Path:
    """Write the sample market for ``[start, end]`` into ``out_dir``; return the manifest path.

    ``include_chains=False`` skips the option chains (fast runs and tests);
    ``zip_chains`` zips each daily chain file. ``on_progress(stage, done, total)`` is
    called after each stage, and as ``("option_chains", days_done, days_total)`` while the
    chain writer (``sample.option_chains.write_option_chains``) progresses.
    """
    days = validate_range(start, end)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_previous(out_dir)

    stages: list[tuple[str, Callable[[], list[ManifestEntry]]]] = [
        ("vx_futures", lambda: write_vx_futures(start, end, out_dir, seed)),
        ("index_history", lambda: write_index_files(start, end, out_dir)),
        ("nyse_breadth", lambda: write_breadth(start, end, out_dir, seed)),
        ("macro", lambda: write_macro(start, end, out_dir, seed)),
    ]
    entries: list[ManifestEntry] = []
    for name, run in stages:
        entries.extend(run())
        if on_progress:
            on_progress(name, 1, 1)  # one bar per stage, complete when written
    if include_chains:
        from alvh_assets.sample.option_chains import write_option_chains

        def chain_progress(done: int, total: int) -> None:
            if on_progress:
                on_progress("option_chains", done, total)

        entries.extend(
            write_option_chains(
                days,
                out_dir,
                seed,
                vx_curve(start, end, seed),
                zip_files=zip_chains,
                on_progress=chain_progress,
            )
        )
    header = {
        "generator": "alvh_assets.sample.generate",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "trading_days": len(days),
        "universe": [UNIVERSE_START.isoformat(), UNIVERSE_END.isoformat()],
        "option_chains": include_chains,
        "zip_chains": bool(zip_chains and include_chains),
        "docs": "docs/sample_market.md",
    }
    return write_manifest(out_dir, header, entries)
