"""Macro landing files of the sample market: FRED series, CPI/PPI release calendar, FOMC
decisions and the monthly valuation file. Everything is point in time at the close of
``end``: a row is written only if it was published by then.

- ``fred/CPILFESL.csv``, ``fred/PPIACO.csv`` — real: the packaged FRED files' bytes (each
  keeps its header style, ``observation_date,…`` resp. ``DATE,…``) up to the last reference
  month whose (modelled) release date is ``<= end``. Values are FRED's latest vintage
  (revisions are not modelled).
- ``fred/FEDFUNDS.csv`` — real: bytes up to the last month whose average FRED had posted by
  ``end``; a month counts as posted from the first day of the next month (the rule of
  :mod:`alvh_assets.sample.carry`).
- ``calendars/cpi_ppi_release_calendar_modelled.csv`` — modelled,
  ``series_id,reference_period,release_date`` (ISO dates; reference_period = first day of
  the month, as FRED's observation_date) for reference months from 1990-01, releases
  ``<= end``. Rule: CPI (``CPILFESL``) on the k-th NYSE business day of the following
  month, k uniform in {10, 11, 12, 13} (BLS released 2007–2009 CPI on the 10th–13th
  business day); PPI (``PPIACO``) j ∈ {1, 2, 3} business days before that CPI release.
  Seeded per reference month from a fixed origin. (Real PPI sometimes came after CPI.)
- ``calendars/fomc_decisions.csv`` — real_reformatted (the packaged file's lines, filtered):
  scheduled meetings of every year up to ``end``'s year, plus the next year's when ``end``
  is on or after 1 August (the Fed publishes the next year's schedule in the summer); an
  unscheduled action only once it has happened (``decision_date <= end``).
- ``valuation/valuation_monthly.csv`` — real_reformatted, derived from Shiller's monthly
  file: ``month,publication_date,sp500,earnings,dividend,long_rate_pct,pe,dividend_yield,
  earnings_yield,erp_proxy,pcf,cpi,cape``. P/E = price / trailing-12-month earnings,
  dividend yield = D/P, earnings yield = E/P, ``erp_proxy`` = E/P − long rate/100 (the
  earnings-yield gap, fractions; kept for the file's readers, the marts compute the ERP
  proxy of methodology §3 themselves); pcf is 0.0 (no real P/CF source); ``cpi`` = Shiller's
  "Consumer Price Index" (CPI-U level) and ``cape`` = his "PE10" (price / 10-year average
  of real earnings) of the month, copied: the inputs of the excess CAPE yield
  1/CAPE − (10-year yield − trailing 12-month CPI inflation) and, with ``earnings``, of the
  P/E on peak earnings (methodology §3, "Hedge budget"). 0.0 = missing, as in the source. A
  month is published on the first NYSE session on or after its first day + 3 months
  (carry's dividend lag; before 1990, the first weekday), the whole row at once (its CPI,
  10-year yield and earnings are all known by then); rows published after ``end`` are
  left out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from alvh_assets import landing
from alvh_assets.calendars import trading_days
from alvh_assets.sample import real_data
from alvh_assets.sample.carry import DIVIDEND_LAG_MONTHS
from alvh_assets.sample.manifest import ManifestEntry, entry_for
from alvh_assets.sample.vx_futures import copy_real_prefix

CALENDAR_PATH = landing.RELEASE_CALENDAR_SAMPLE_FILE
FOMC_PATH = landing.FOMC_FILE
VALUATION_PATH = landing.VALUATION_FILE
CALENDAR_FIRST_MONTH = dt.date(1990, 1, 1)
CALENDAR_LAST_MONTH = dt.date(2018, 12, 1)
CPI_BUSINESS_DAYS = (10, 11, 12, 13)
PPI_DAYS_BEFORE_CPI = (1, 2, 3)
FOMC_SCHEDULE_PUBLISHED = (8, 1)
"""(month, day) from which next year's FOMC schedule counts as published [choice]."""
LONG_RATE = "Long Interest Rate"
CPI = "Consumer Price Index"
CAPE = "PE10"
VALUATION_HEADER = (
    "month,publication_date,sp500,earnings,dividend,long_rate_pct,pe,dividend_yield,"
    "earnings_yield,erp_proxy,pcf,cpi,cape"
)


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + y, m + 1, 1)


def release_calendar(seed: int) -> pl.DataFrame:
    """Modelled CPI/PPI release dates for reference months 1990-01 … 2018-12 (see module
    docstring): series_id, reference_period, release_date."""
    months = []
    m = CALENDAR_FIRST_MONTH
    while m <= CALENDAR_LAST_MONTH:
        months.append(m)
        m = _add_months(m, 1)
    rng = np.random.default_rng([seed, 0x4350])  # 0x4350 = "CP"
    k = rng.choice(CPI_BUSINESS_DAYS, size=len(months))
    j = rng.choice(PPI_DAYS_BEFORE_CPI, size=len(months))
    sessions = trading_days(_add_months(CALENDAR_FIRST_MONTH, 1), dt.date(2019, 2, 28))
    by_month: dict[tuple[int, int], list[dt.date]] = {}
    for s in sessions:
        by_month.setdefault((s.year, s.month), []).append(s)
    rows = []
    for i, ref in enumerate(months):
        nxt = _add_months(ref, 1)
        days = by_month[(nxt.year, nxt.month)]
        cpi_idx = int(k[i]) - 1
        rows.append(("CPILFESL", ref, days[cpi_idx]))
        rows.append(("PPIACO", ref, days[cpi_idx - int(j[i])]))
    return pl.DataFrame(
        rows,
        schema={"series_id": pl.Utf8, "reference_period": pl.Date, "release_date": pl.Date},
        orient="row",
    ).sort("release_date", "series_id")


def _fred_date(line: bytes) -> dt.date | None:
    try:
        return dt.date.fromisoformat(line.split(b",", 1)[0].strip().decode())
    except ValueError:
        return None


def _write_fred(out_dir: Path, series_id: str, last_month: dt.date | None) -> ManifestEntry | None:
    """Copy FRED bytes up to reference month ``last_month`` (inclusive)."""
    if last_month is None:
        return None
    src = real_data.real_data_dir() / f"fred_{series_id}.csv"
    dst = out_dir / landing.fred_file(series_id)
    rows, _, _ = copy_real_prefix(src, dst, last_month, _fred_date)
    return entry_for(out_dir, dst, "fred_observations", "real", f"real/fred_{series_id}.csv", rows)


def fomc_known(end: dt.date) -> pl.DataFrame:
    """FOMC rows known at the close of ``end`` (rule in the module docstring)."""
    horizon_year = end.year + (1 if (end.month, end.day) >= FOMC_SCHEDULE_PUBLISHED else 0)
    return real_data.fomc_decisions().filter(
        (pl.col("scheduled") & (pl.col("decision_date").dt.year() <= horizon_year))
        | (~pl.col("scheduled") & (pl.col("decision_date") <= end))
    )


def _publication_date(month: dt.date) -> dt.date:
    d = _add_months(month, DIVIDEND_LAG_MONTHS)
    if d >= dt.date(1990, 1, 2):
        return trading_days(d, d + dt.timedelta(days=10))[0]
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return d


def _f(x: float, nd: int) -> str:
    return f"{x:.{nd}f}"


def valuation_text(end: dt.date) -> tuple[str, int]:
    """The valuation CSV (rows published by ``end``) and its row count."""
    src = pl.read_csv(real_data.real_data_dir() / "shiller_sp500_monthly.csv", infer_schema=False)
    lines = [VALUATION_HEADER]
    for row in src.iter_rows(named=True):
        month = dt.date.fromisoformat(row["Date"])
        pub = _publication_date(month)
        if pub > end:
            break
        p, d, e, r = (float(row[c]) for c in ("SP500", "Dividend", "Earnings", LONG_RATE))
        pe = p / e if p and e else 0.0
        dy = d / p if p and d else 0.0
        ey = e / p if p and e else 0.0
        erp = ey - r / 100.0 if ey and r else 0.0
        lines.append(
            ",".join(
                [
                    month.isoformat(),
                    pub.isoformat(),
                    row["SP500"],
                    row["Earnings"],
                    row["Dividend"],
                    row[LONG_RATE],
                    _f(pe, 4),
                    _f(dy, 6),
                    _f(ey, 6),
                    _f(erp, 6),
                    "0.0",
                    row[CPI],
                    row[CAPE],
                ]
            )
        )
    return "\n".join(lines) + "\n", len(lines) - 1


def write_macro(start: dt.date, end: dt.date, out_dir: Path, seed: int) -> list[ManifestEntry]:
    """Write FRED files, the CPI/PPI release calendar, FOMC decisions and valuation."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    entries: list[ManifestEntry] = []
    cal = release_calendar(seed).filter(pl.col("release_date") <= end)

    for sid in ("CPILFESL", "PPIACO"):
        released = cal.filter(pl.col("series_id") == sid)["reference_period"]
        last = released.max() if released.len() else _add_months(CALENDAR_FIRST_MONTH, -1)
        entry = _write_fred(out_dir, sid, last)
        if entry:
            entries.append(entry)
    ff_last = _add_months(dt.date(end.year, end.month, 1), -1)
    entry = _write_fred(out_dir, "FEDFUNDS", ff_last)
    if entry:
        entries.append(entry)

    dst = out_dir / CALENDAR_PATH
    dst.parent.mkdir(parents=True, exist_ok=True)
    text = "series_id,reference_period,release_date\n" + "".join(
        f"{s},{r.isoformat()},{d.isoformat()}\n" for s, r, d in cal.iter_rows()
    )
    dst.write_text(text, newline="\n")
    entries.append(
        entry_for(
            out_dir,
            dst,
            "macro_release_calendar",
            "modelled",
            "model: CPI k-th business day (k in 10..13) of next month, PPI 1-3 days before",
            cal.height,
        )
    )

    known = set(fomc_known(end)["decision_date"].to_list())
    src_lines = (
        (real_data.real_data_dir() / "fomc_decisions.csv").read_bytes().splitlines(keepends=True)
    )
    keep = [src_lines[0]] + [line for line in src_lines[1:] if _fred_date(line) in known]
    dst = out_dir / FOMC_PATH
    dst.write_bytes(b"".join(keep))
    entries.append(
        entry_for(
            out_dir,
            dst,
            "fomc_decisions",
            "real_reformatted",
            "real/fomc_decisions.csv (rows known by end: schedule published, actions taken)",
            len(keep) - 1,
        )
    )

    dst = out_dir / VALUATION_PATH
    dst.parent.mkdir(parents=True, exist_ok=True)
    text, rows = valuation_text(end)
    dst.write_text(text, newline="\n")
    entries.append(
        entry_for(
            out_dir,
            dst,
            "valuation_monthly",
            "real_reformatted",
            "real/shiller_sp500_monthly.csv (derived P/E, yields; CPI, CAPE; 3-month lag)",
            rows,
        )
    )
    return entries
