"""What an ingest verifies before it touches a table ("check before delete").

Every refusal is one line naming the source, the file or the session, and what to do.
:class:`LandingError` (the landing folder, a file or the manifest is unfit) needs the landing
fixed; :class:`RefusedWindowError` (a window is incomplete, or would lose stored rows) can be
overridden with ``--force`` (``AlvhSettings.force_replace``), which replaces with what is
there. Either way a refused run writes nothing.

1. **Landing folder.** It must exist and be a folder.
2. **Hygiene**, under each source's folders (the fixed prefix of its glob patterns), walked
   without following symlinks:

   * a symlink whose target resolves outside the landing folder is refused, naming the
     link, and never read; a symlinked folder is never walked (refused too), a dangling
     link is refused;
   * a file that no source's pattern matches (``*.csv.gz``, ``notes.txt``, odd names) is
     refused as "not a delivery format this reader accepts" (a name dated
     ``_YYYY-MM-DD.`` only by the runs whose days include that date).
3. **Manifest** (``manifest.json`` at the landing root; optional). A malformed one refuses
   every ingest. A file it lists must have the listed ``size`` (when given), ``sha256`` and
   ``rows`` (data rows, as the reader counts them) before any of its rows loads.
4. **Days a window owns.** A daily window of sessions ``s0 .. s1`` owns the calendar days
   ``s0 .. (the session after s1) - 1``: a file or row dated on a weekend or holiday belongs
   to the window of the session before it, so it is read exactly once. Every row of a daily
   file dated on a non-session is quarantined ``file_dated_on_non_session`` (rows dated on a
   non-session inside history files: ``not_a_trading_day``, by the readers).
5. **Completeness.** A source's files fall into delivery groups (:meth:`Source.group_of`: the
   underlying of each day's option file, the symbol of an index history, the series of a
   FRED file; otherwise one group, the source). A group is *due* on every session from the
   first day it was delivered: the earliest of its dated files' days in the landing folder,
   of the rows read from its files, and of what the warehouse already holds of it (the
   ingest log's file names for dated files, the raw table otherwise).

   * A daily window is refused when a group due on one of its sessions has no row, loaded
     or quarantined, dated that session: for dated daily files, any such session (the
     day's VIX option file missing); for history files, a session after the group's last
     row read (the history does not reach the day yet, or the file is gone). A session
     inside a history's delivered span without a row is the vendor's gap and loads as it is
     (the real VIX history lacks 1991-03-01, 1997-01-31, 1997-11-26 and 1999-12-31; the
     landing sensor likewise checks only a history's growing end).
   * Any replacement is refused when it would leave a stored (session, group) - for a
     whole-table source a stored group - with no loaded row, or drop its rows by more than
     ``ingest.max_day_shrink`` (an option file cut to its header, a FRED file gone, every
     file of a calendar gone). A whole-table source with no file and an empty table is fine.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from alvh_assets.calendars import next_trading_day, trading_days
from alvh_assets.ingest.sources import SOURCES, Source

Window = tuple[dt.date, dt.date]
MANIFEST_NAME = "manifest.json"
_FILE_DAY = re.compile(r"_(\d{4}-\d{2}-\d{2})\.(?:csv|zip)$", re.IGNORECASE)
_ANY_DAY = re.compile(r"_(\d{4}-\d{2}-\d{2})\.")
_NOTHING = "nothing was loaded"


class LandingError(Exception):
    """The landing folder, one of its files or its manifest is unfit (one line: what and
    what to do)."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)

    def __reduce__(self) -> tuple:
        return (type(self), (self.problem,))


class RefusedWindowError(Exception):
    """A replacement would lose stored rows or lacks a due delivery (one line; ``--force``
    replaces anyway)."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)

    def __reduce__(self) -> tuple:
        return (type(self), (self.problem,))


def file_day(path: Path | str) -> dt.date | None:
    """The date ending a daily file's name (``…_YYYY-MM-DD.csv|zip``), else None."""
    m = _FILE_DAY.search(Path(path).name)
    if not m:
        return None
    try:
        return dt.date.fromisoformat(m.group(1))
    except ValueError:
        return None


def owned_days(window: Window) -> Window:
    """The calendar days a window of sessions owns: ``window[0]`` up to the day before the
    session after ``window[1]`` (rule 4)."""
    return window[0], next_trading_day(window[1]) - dt.timedelta(days=1)


def check_landing(landing: Path) -> None:
    """Rule 1: refuse a landing folder that does not exist or is not a folder."""
    if not landing.is_dir():
        what = "is not a folder" if landing.exists() else "does not exist"
        raise LandingError(
            f"landing folder {landing} {what}: set ALVH_LANDING_DIR to the folder holding the "
            f"vendor files (or write the sample with `alvh sample`); {_NOTHING}"
        )


# --------------------------------------------------------------------------------------------
# Hygiene (rule 2)
# --------------------------------------------------------------------------------------------


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A landing glob (``**/`` any folders, ``*`` and ``?`` within a name) as a regex on a
    POSIX path relative to the landing root."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:[^/]+/)*", i + 3
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def _folder(pattern: str) -> str:
    """The fixed folder prefix of a glob (``cboe/option_eod/**/*.csv`` -> ``cboe/option_eod``)."""
    fixed = []
    for part in pattern.split("/")[:-1]:
        if set(part) & set("*?["):
            break
        fixed.append(part)
    return "/".join(fixed)


_ALL_PATTERNS = [_glob_regex(p) for s in SOURCES.values() for p in s.patterns]


@dataclass(frozen=True)
class Listing:
    """A source's landing files: ``files`` match its patterns (every date; relative POSIX
    paths, sorted); ``refused`` are (path, problem) of rule 2."""

    files: list[str]
    refused: list[tuple[str, str]]
    dated: bool = True
    """The source's files are daily files (``Source.dated_files``): a name's date is the
    file's day. False for history files, whose names may hold another date (CFE's
    ``VX_2023-08-30.csv`` is named by its contract's expiry and holds months of rows)."""

    def files_in(self, days: Window | None) -> list[str]:
        """The files a run of ``days`` reads: undated files always, dated ones in ``days``."""
        if days is None or not self.dated:
            return self.files
        return [f for f in self.files if (d := file_day(f)) is None or days[0] <= d <= days[1]]

    def check(self, source: Source, days: Window | None) -> None:
        """Raise :class:`LandingError` for the first refused path concerning ``days`` (a dated
        name outside them is left to the runs that own its date)."""
        for rel, problem in self.refused:
            m = _ANY_DAY.search(rel.rsplit("/", 1)[-1])
            day = _iso(m.group(1)) if m else None
            if days is not None and day is not None and not days[0] <= day <= days[1]:
                continue
            raise LandingError(f"raw.{source.name}: {rel}: {problem}; {_NOTHING}")


def _iso(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _inside(path: Path, landing: Path) -> bool:
    try:
        return path.resolve().is_relative_to(landing.resolve())
    except OSError:
        return False


def scan(source: Source, landing: Path) -> Listing:
    """Walk the source's folders under ``landing`` (rule 2) without following symlinks."""
    own = [_glob_regex(p) for p in source.patterns]
    expected = " or ".join(source.patterns)
    files: set[str] = set()
    refused: list[tuple[str, str]] = []
    for folder in sorted({_folder(p) for p in source.patterns}):
        base = landing / folder
        if not base.exists() and not base.is_symlink():
            continue
        if not _inside(base, landing) or base.is_symlink():
            refused.append((folder, "a symlinked folder, never followed (move the files in)"))
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            here = Path(dirpath)
            for name in list(dirnames):
                if (here / name).is_symlink():
                    dirnames.remove(name)
                    rel = (here / name).relative_to(landing).as_posix()
                    refused.append((rel, "a symlinked folder, never followed (move the files in)"))
            for name in filenames:
                path = here / name
                rel = path.relative_to(landing).as_posix()
                if path.is_symlink():
                    if not _inside(path, landing):
                        refused.append((rel, "a symlink leaving the landing folder, never read"))
                        continue
                    if not path.resolve().is_file():
                        refused.append((rel, "a dangling symlink"))
                        continue
                if any(r.match(rel) for r in own):
                    files.add(rel)
                elif not any(r.match(rel) for r in _ALL_PATTERNS):
                    refused.append(
                        (
                            rel,
                            "not a delivery format this reader accepts (expected "
                            f"{expected}); remove or rename it",
                        )
                    )
    return Listing(sorted(files), sorted(refused), source.dated_files)


# --------------------------------------------------------------------------------------------
# Manifest (rule 3)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestEntry:
    """What the manifest says of one file."""

    sha256: str
    rows: int | None
    size: int | None


_HEX64 = re.compile(r"[0-9a-f]{64}\Z")


def read_manifest(landing: Path) -> dict[str, ManifestEntry]:
    """``manifest.json``'s entries by relative path ({} without a manifest); raises
    :class:`LandingError` for a malformed one."""
    path = landing / MANIFEST_NAME
    if not path.exists() and not path.is_symlink():
        return {}

    def bad(why: str) -> LandingError:
        return LandingError(
            f"landing manifest {path} is malformed ({why}): fix it or remove it; {_NOTHING}"
        )

    if not _inside(path, landing):
        raise bad("a symlink leaving the landing folder")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise bad(f"not JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise bad(f"unreadable: {type(e).__name__}") from None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, list):
        raise bad("no 'files' list")
    out: dict[str, ManifestEntry] = {}
    for i, e in enumerate(files):
        if not isinstance(e, dict) or not isinstance(e.get("path"), str):
            raise bad(f"files[{i}] has no 'path'")
        sha, rows, size = e.get("sha256"), e.get("rows"), e.get("size")
        if not isinstance(sha, str) or not _HEX64.match(sha.lower()):
            raise bad(f"files[{i}] ({e['path'][:80]}) has no valid 'sha256'")
        for name, value in (("rows", rows), ("size", size)):
            if value is not None and (type(value) is not int or value < 0):
                raise bad(f"files[{i}] ({e['path'][:80]}) has a bad '{name}'")
        out[e["path"]] = ManifestEntry(sha.lower(), rows, size)
    return out


def check_size(landing: Path, rel: str, entry: ManifestEntry | None) -> None:
    """Rule 3 before reading: the file's size, when the manifest lists one."""
    if entry is None or entry.size is None:
        return
    size = (landing / rel).stat().st_size
    if size != entry.size:
        raise LandingError(
            f"{rel}: does not match manifest.json ({size} bytes where it lists {entry.size}): "
            f"redeliver the file or update the manifest; {_NOTHING}"
        )


def check_read(rel: str, entry: ManifestEntry | None, sha256: str, rows_read: int) -> None:
    """Rule 3 after reading, before loading: checksum and row count."""
    if entry is None:
        return
    diffs = []
    if sha256 != entry.sha256:
        diffs.append(f"sha256 {sha256[:12]}... where it lists {entry.sha256[:12]}...")
    if entry.rows is not None and rows_read != entry.rows:
        diffs.append(f"{rows_read} rows where it lists {entry.rows}")
    if diffs:
        raise LandingError(
            f"{rel}: does not match manifest.json ({'; '.join(diffs)}): redeliver the file or "
            f"update the manifest; {_NOTHING}"
        )


# --------------------------------------------------------------------------------------------
# Completeness (rule 5)
# --------------------------------------------------------------------------------------------


def first_delivered(
    con: duckdb.DuckDBPyConnection, source: Source, listing: Listing, log_table: str
) -> dict[str, dt.date]:
    """Each group's first delivered day known before reading: its dated files' days in the
    landing folder and in the ingest log, or its earliest stored row."""
    first: dict[str, dt.date] = {}
    if source.dated_files:
        logged = con.execute(
            f"SELECT DISTINCT source_file FROM {log_table} WHERE source = ?", [source.name]
        ).fetchall()
        for f in [*listing.files, *(r[0] for r in logged)]:
            see(first, source.group_of(f), file_day(f))
    elif source.partition_column:
        stored = con.execute(
            f"SELECT _source_file, min({source.partition_column}) FROM raw.{source.name} GROUP BY 1"
        ).fetchall()
        for f, d in stored:
            see(first, source.group_of(f), d)
    return first


def see(first: dict[str, dt.date], group: str, day: dt.date | None) -> None:
    """Record ``day`` as delivered for ``group`` when it is the earliest so far."""
    if day is not None and (group not in first or day < first[group]):
        first[group] = day


def _days(days: list[dt.date]) -> str:
    shown = ", ".join(d.isoformat() for d in days[:3])
    return shown + (f" and {len(days) - 3} more" if len(days) > 3 else "")


def _group_counts(
    source: Source, frame: pl.DataFrame, file_col: str, day_col: str | None
) -> dict[tuple[str, dt.date | None], int]:
    """Rows per (group, day) of ``frame``."""
    if frame.is_empty():
        return {}
    keys = [file_col] + ([day_col] if day_col else [])
    out: dict[tuple[str, dt.date | None], int] = defaultdict(int)
    for row in frame.group_by(keys).len("n").iter_rows():
        out[(source.group_of(row[0]), row[1] if day_col else None)] += row[-1]
    return out


def check_complete(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    days: Window | None,
    raw: pl.DataFrame,
    quarantined: pl.DataFrame,
    first: dict[str, dt.date],
    max_day_shrink: float,
    read_until: dict[str, dt.date] | None = None,
) -> None:
    """Rule 5 for one piece about to replace ``days`` (None: the whole table) with ``raw``
    (rows to load) and ``quarantined``; ``first``: each group's first delivered day;
    ``read_until``: for history files, each group's last row read (None for dated daily
    files, where every session from the first is due). Raises :class:`RefusedWindowError`."""
    col = source.partition_column if days is not None else None
    loaded = _group_counts(source, raw, "_source_file", col)
    problems: list[str] = []
    if days is not None and col is not None:
        delivered: dict[str, set[dt.date]] = defaultdict(set)
        for g, d in loaded:
            delivered[g].add(d)  # type: ignore[arg-type]
        for g, d in _group_counts(source, quarantined, "source_file", "partition_date"):
            if d is not None:
                delivered[g].add(d)
        for g, since in sorted(first.items()):
            due = trading_days(max(days[0], since), days[1])
            until = (read_until or {}).get(g, dt.date.min)
            missing = [
                d for d in due if d not in delivered[g] and (read_until is None or d > until)
            ]
            if missing:
                problems.append(
                    f"no rows of {g} for session(s) {_days(missing)} (expected "
                    f"{source.delivery.format(group=g, day=missing[0])}); deliver them, or rerun "
                    "with --force to replace the window without them"
                )
        stored_rows = con.execute(
            f"SELECT _source_file, {col}, count(*) FROM raw.{source.name} "
            f"WHERE {col} BETWEEN ? AND ? GROUP BY ALL",
            list(days),
        ).fetchall()
    else:
        stored_rows = con.execute(
            f"SELECT _source_file, NULL, count(*) FROM raw.{source.name} GROUP BY 1"
        ).fetchall()
    stored: dict[tuple[str, dt.date | None], int] = defaultdict(int)
    for f, d, n in stored_rows:
        stored[(source.group_of(f), d)] += n
    if days is None and raw.is_empty() and quarantined.is_empty() and stored:
        total = sum(stored.values())
        problems.append(
            f"no rows in the landing folder ({' or '.join(source.patterns)}) while the table "
            f"holds {total:,}; deliver the files, or rerun with --force to empty it"
        )
    for (g, d), n in sorted(stored.items(), key=lambda kv: (str(kv[0][1]), kv[0][0])):
        new = loaded.get((g, d), 0)
        if new == 0 or new < n * (1 - max_day_shrink):
            where = f"{g} on {d}" if d is not None else g
            problems.append(
                f"replacing {where} would drop it from {n:,} stored rows to {new:,} "
                f"(ingest.max_day_shrink allows {max_day_shrink:.0%} less); check its files, "
                "or rerun with --force to accept"
            )
    if problems:
        more = f" (+{len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise RefusedWindowError(f"raw.{source.name}: refused: {problems[0]}{more}; {_NOTHING}")
