"""From landing files to the rows written in one run: check, read, combine, window, count.

:func:`collect` is pure apart from reading files (files in, frames out); :func:`ingest`
checks the landing (:mod:`alvh_assets.ingest.landing_checks`: folder, hygiene, manifest,
completeness) and reads a run's window piece by piece, replacing it in the raw table, its
quarantined rows and its per-file log in a single transaction: every check runs before the
piece's delete, and any refusal or failure writes nothing at all.

A daily window of sessions owns the calendar days up to the next session (weekend and
holiday files and rows belong to the session before them; see ``landing_checks`` rule 4).
Every row of a daily file dated on a non-session is quarantined ``file_dated_on_non_session``.

Rules across files (within one run), for the copies of one key in several files:

* copies *agree* when every value column non-null in two of them is equal (a column one
  file lacks, e.g. the Calcs columns of a file delivered without the add-on, is not
  compared); they *conflict* otherwise;
* agreeing copies: the richest copy loads (highest ``Source.rank_column``, e.g. ``has_calcs``,
  then most non-null values, then the first file by name); a copy carrying less is
  quarantined ``superseded_by_richer_file``, one carrying as much
  ``identical_duplicate_across_files``;
* conflicting copies: every copy is quarantined ``conflicting_duplicate_across_files``
  (which file is right is not guessed).

Conservation, per file and run: ``rows_read = rows_loaded + rows_quarantined +
rows_outside_window`` (rows of a history file dated outside the run's window belong to
other windows; unparseable rows count in every window that reads the file).

The ingest log (``quarantine.ingest_log``) is rewritten only for what a run re-read: a run
deletes the log rows of the files it read that are dated daily files (their whole content is
re-read) or whose logged window lies inside the run's window, and appends its own. Other
days' and windows' rows stay (re-running one day of a backfill keeps the backfill's log of
every other day; the history files read by both keep both rows). A whole-table source's log
is replaced with its table.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import duckdb
import polars as pl

from alvh_assets import warehouse
from alvh_assets.calendars import is_trading_day, trading_days
from alvh_assets.ingest import landing_checks
from alvh_assets.ingest.csv_lines import physical_lines
from alvh_assets.ingest.landing_checks import (
    LandingError,
    Listing,
    ManifestEntry,
    RefusedWindowError,
    file_day,
)
from alvh_assets.ingest.quarantine import REJECTED_SCHEMA, ReadResult, Reason
from alvh_assets.ingest.sources import Source
from alvh_assets.source_docs import source_docs

__all__ = ["LandingError", "RefusedWindowError", "ConservationError", "ingest", "collect"]

Window = tuple[dt.date, dt.date]

LINEAGE: dict[str, pl.DataType] = {
    "_source_file": pl.Utf8(),
    "_source_sha256": pl.Utf8(),
    "_source_row": pl.Int64(),
    "_ingested_at": pl.Datetime("us", "UTC"),
}
QUARANTINE_TABLE = "quarantine.rejected_rows"
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.Utf8(),
    "source_file": pl.Utf8(),
    "source_sha256": pl.Utf8(),
    **REJECTED_SCHEMA,
    "_ingested_at": pl.Datetime("us", "UTC"),
}
LOG_TABLE = "quarantine.ingest_log"
LOG_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.Utf8(),
    "source_file": pl.Utf8(),
    "source_sha256": pl.Utf8(),
    "window_start": pl.Date(),
    "window_end": pl.Date(),
    "rows_read": pl.Int64(),
    "rows_loaded": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    "rows_outside_window": pl.Int64(),
    "_ingested_at": pl.Datetime("us", "UTC"),
}

_LINEAGE_DOCS = {
    "source": "Raw table the row was meant for (raw.<source>).",
    "source_file": "Landing file the row came from (path under the landing root).",
    "source_sha256": "SHA-256 of that file.",
    "_ingested_at": "When the ingest run wrote the row (UTC).",
}
QUARANTINE_DOCS: dict[str, warehouse.TableDoc] = {
    QUARANTINE_TABLE: warehouse.TableDoc(
        "Every row an ingest rejected, with the reason and the raw line; the rest of its file "
        "still loaded (raw rows = accepted + quarantined). Grain: source, source_file, "
        "source_row.",
        {
            **_LINEAGE_DOCS,
            "source_row": "Physical line number in the file (1-based, the header counted).",
            "reason_code": "Machine reason: "
            + ", ".join(r.value for r in Reason)
            + " (alvh_assets/ingest/quarantine.py).",
            "reason": "The reason in words, naming the field and value.",
            "raw_line": "The rejected line as read from the file.",
            "partition_date": "The row's parsed partition date where it has one (daily "
            "sources), so re-ingesting a window replaces exactly its quarantined rows.",
        },
    ),
    LOG_TABLE: warehouse.TableDoc(
        "One row per ingested file and window: rows read, loaded, quarantined and outside the "
        "window (the blocking conservation check: read = loaded + quarantined + outside). "
        "Grain: source, source_file, window_start, window_end.",
        {
            **_LINEAGE_DOCS,
            "window_start": "First day of the window the run replaced (null: whole table).",
            "window_end": "Last day of the window the run replaced (null: whole table).",
            "rows_read": "Data rows read from the file.",
            "rows_loaded": "Rows written to the raw table.",
            "rows_quarantined": "Rows written to quarantine.rejected_rows.",
            "rows_outside_window": "Rows dated outside the run's window (left as they were).",
        },
    ),
}
"""The data dictionary of the ``quarantine`` tables (table and column comments)."""


@dataclass(frozen=True)
class Batch:
    """What one run of one source writes (``window``: the calendar days it replaces)."""

    source: Source
    window: Window | None
    raw: pl.DataFrame
    rejected: pl.DataFrame
    log: pl.DataFrame
    spans: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)
    """Per file read, the first and last partition date of its rows (in the window or not)."""


def files_for(
    source: Source, landing: Path, window: Window | None, listing: Listing | None = None
) -> list[Path]:
    """Landing files of ``source`` (:func:`~alvh_assets.ingest.landing_checks.scan`); daily
    files (``…_YYYY-MM-DD.csv|zip``) only in the window."""
    listing = listing if listing is not None else landing_checks.scan(source, landing)
    return [landing / f for f in listing.files_in(window)]


def _with_lineage(
    frame: pl.DataFrame, result: ReadResult, rel: str, dated: bool = True
) -> pl.DataFrame:
    """Add file lineage; a daily file's quarantined rows belong to the file's own day (a row
    dated otherwise is filed where the run that reads the file will replace it). ``dated``:
    the source's files are daily files (``Source.dated_files``); a history file's name date
    (CFE's ``VX_<expiry>.csv``) is not its rows' day."""
    frame = frame.with_columns(
        pl.lit(rel).alias("_source_file"), pl.lit(result.sha256).alias("_source_sha256")
    )
    day = file_day(rel) if dated else None
    if day is not None and "partition_date" in frame.columns:
        frame = frame.with_columns(pl.lit(day).alias("partition_date"))
    return frame


def _dated_on_non_session(result: ReadResult, day: dt.date) -> ReadResult:
    """Every row of a daily file dated on a non-session, quarantined
    ``file_dated_on_non_session`` (a row the reader rejected keeps its reason in the text)."""
    why = f"file dated {day.isoformat()} ({day:%A}), not an NYSE session"
    code = pl.lit(Reason.FILE_DATED_ON_NON_SESSION.value).alias("reason_code")
    parts = [
        result.rejected.with_columns(
            code, pl.concat_str([pl.lit(why + "; row: "), pl.col("reason")]).alias("reason")
        )
    ]
    if result.accepted.height:
        lines = physical_lines(result.path)
        rows = result.accepted["_source_row"]
        parts.append(
            pl.DataFrame(
                {
                    "source_row": rows,
                    "reason_code": Reason.FILE_DATED_ON_NON_SESSION.value,
                    "reason": why,
                    "raw_line": [lines[r - 1] for r in rows],
                    "partition_date": day,
                },
                schema=REJECTED_SCHEMA,
            )
        )
    return ReadResult(
        result.source,
        result.path,
        result.sha256,
        result.rows_read,
        result.accepted.clear(),
        pl.concat(parts).sort("source_row"),
    )


def _empty_rejected() -> pl.DataFrame:
    return pl.DataFrame(
        schema={**REJECTED_SCHEMA, "_source_file": pl.Utf8(), "_source_sha256": pl.Utf8()}
    )


def _cross_file_duplicates(
    source: Source, accepted: pl.DataFrame, landing: Path
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split rows whose key occurs in more than one file (see module docstring). Linear in
    rows: each file with a quarantined copy is read once for its raw lines."""
    key = list(source.key)
    multi = accepted.filter(pl.col("_source_file").n_unique().over(key) > 1)
    if multi.is_empty():
        return accepted, _empty_rejected()
    rank = source.rank_column
    values = [c for c in source.schema if c not in key and c != rank]
    differs = [
        (pl.col(c).max().over(key) != pl.col(c).min().over(key)).fill_null(False) for c in values
    ]
    tagged = (
        multi.with_columns(
            pl.any_horizontal(differs).alias("_conflict"),
            (pl.col(rank).cast(pl.Int64).fill_null(0) if rank else pl.lit(0)).alias("_rank"),
            pl.sum_horizontal([pl.col(c).is_not_null().cast(pl.Int64) for c in values]).alias(
                "_rich"
            ),
        )
        .sort(
            [*key, "_rank", "_rich", "_source_file"],
            descending=[*(False for _ in key), True, True, False],
            nulls_last=True,
        )
        .with_columns(
            pl.col(c).first().over(key).alias(f"_best{c}")
            for c in ("_source_file", "_rank", "_rich")
        )
    )
    best = pl.col("_best_source_file")
    drop = tagged.filter(pl.col("_conflict") | (pl.col("_source_file") != best))
    superseded = (pl.col("_rank") < pl.col("_best_rank")) | (
        (pl.col("_rank") == pl.col("_best_rank")) & (pl.col("_rich") < pl.col("_best_rich"))
    )
    lines = {f: physical_lines(landing / f) for f in drop["_source_file"].unique().to_list()}
    raw_line = [
        lines[f][r - 1] for f, r in zip(drop["_source_file"], drop["_source_row"], strict=True)
    ]
    rejected = drop.select(
        pl.col("_source_row").alias("source_row"),
        pl.when(pl.col("_conflict"))
        .then(pl.lit(Reason.CONFLICTING_DUPLICATE.value))
        .when(superseded)
        .then(pl.lit(Reason.SUPERSEDED_BY_RICHER_FILE.value))
        .otherwise(pl.lit(Reason.DUPLICATE_ACROSS_FILES.value))
        .alias("reason_code"),
        pl.when(pl.col("_conflict"))
        .then(pl.lit("same key with different values in another file"))
        .when(superseded)
        .then(
            pl.concat_str(
                [pl.lit("same values, more columns loaded from "), pl.col("_best_source_file")]
            )
        )
        .otherwise(
            pl.concat_str(
                [pl.lit("identical row already loaded from "), pl.col("_best_source_file")]
            )
        )
        .alias("reason"),
        pl.Series("raw_line", raw_line, dtype=pl.Utf8),
        (
            pl.col(source.partition_column).cast(pl.Date)
            if source.partition_column
            else pl.lit(None, pl.Date)
        ).alias("partition_date"),
        "_source_file",
        "_source_sha256",
    )
    kept = accepted.join(
        drop.select(key + ["_source_file"]),
        on=key + ["_source_file"],
        how="anti",
        nulls_equal=True,
    )
    return kept, rejected


def collect(
    source: Source,
    landing: Path,
    window: Window | None,
    ingested_at: dt.datetime,
    pool: Executor | None = None,
    manifest: dict[str, ManifestEntry] | None = None,
    listing: Listing | None = None,
) -> Batch:
    """Read every landing file of ``source`` for ``window`` (calendar days) into one
    :class:`Batch` (the files read by ``pool``'s worker processes when given), checked
    against the landing ``manifest``.

    Raises :class:`~alvh_assets.ingest.quarantine.UnreadableFileError` for a file that
    cannot be read at all and :class:`LandingError` for a refused file (the run writes
    nothing).
    """
    window = window if source.partition_column else None
    manifest = manifest or {}
    listing = listing if listing is not None else landing_checks.scan(source, landing)
    listing.check(source, window)
    files = files_for(source, landing, window, listing)
    rels = [p.relative_to(landing).as_posix() for p in files]
    for rel in rels:
        landing_checks.check_size(landing, rel, manifest.get(rel))
    read = pool.map(source.reader, files, chunksize=4) if pool else map(source.reader, files)
    results = list(read)
    for rel, r in zip(rels, results, strict=True):
        landing_checks.check_read(rel, manifest.get(rel), r.sha256, r.rows_read)
    if source.dated_files:
        results = [
            _dated_on_non_session(r, d)
            if (d := file_day(rel)) is not None and not is_trading_day(d)
            else r
            for r, rel in zip(results, rels, strict=True)
        ]
    accepted = pl.concat(
        [
            _with_lineage(r.accepted, r, rel, source.dated_files)
            for r, rel in zip(results, rels, strict=True)
        ]
        or [
            pl.DataFrame(
                schema={
                    **source.schema,
                    "_source_row": pl.Int64(),
                    "_source_file": pl.Utf8(),
                    "_source_sha256": pl.Utf8(),
                }
            )
        ],
        how="vertical_relaxed",
    )
    rejected = pl.concat(
        [
            _with_lineage(r.rejected, r, rel, source.dated_files)
            for r, rel in zip(results, rels, strict=True)
        ]
        or [_empty_rejected()],
    )
    spans = _spans(source, accepted, rejected)
    accepted, dups = _cross_file_duplicates(source, accepted, landing)
    rejected = pl.concat([rejected, dups])
    if window is not None:
        col = source.partition_column
        in_acc = pl.col(col).is_between(*window)
        in_rej = pl.col("partition_date").is_null() | pl.col("partition_date").is_between(*window)
    else:
        in_acc = in_rej = pl.lit(True)
    stamp = pl.lit(ingested_at).cast(pl.Datetime("us", "UTC")).alias("_ingested_at")
    raw = accepted.filter(in_acc).with_columns(stamp).select(*source.schema, *LINEAGE)
    quarantined = (
        rejected.filter(in_rej)
        .with_columns(stamp)
        .select(
            pl.lit(source.name).alias("source"),
            pl.col("_source_file").alias("source_file"),
            pl.col("_source_sha256").alias("source_sha256"),
            *REJECTED_SCHEMA,
            "_ingested_at",
        )
    )
    outside = pl.concat(
        [
            accepted.filter(~in_acc).select("_source_file"),
            rejected.filter(~in_rej).select("_source_file"),
        ]
    )
    log = pl.DataFrame(
        {
            "source": source.name,
            "source_file": rels,
            "source_sha256": [r.sha256 for r in results],
            "window_start": window[0] if window else None,
            "window_end": window[1] if window else None,
            "rows_read": [r.rows_read for r in results],
            "rows_loaded": _counts(raw["_source_file"], rels),
            "rows_quarantined": _counts(quarantined["source_file"], rels),
            "rows_outside_window": _counts(outside["_source_file"], rels),
            "_ingested_at": ingested_at,
        },
        schema=LOG_SCHEMA,
    )
    return Batch(source, window, raw, quarantined, log, spans)


def _spans(
    source: Source, accepted: pl.DataFrame, rejected: pl.DataFrame
) -> dict[str, tuple[dt.date, dt.date]]:
    """Per file, the first and last partition date of its rows (loaded or not)."""
    col = source.partition_column
    if col is None:
        return {}
    dates = pl.concat(
        [
            accepted.select("_source_file", pl.col(col).cast(pl.Date).alias("d")),
            rejected.select("_source_file", pl.col("partition_date").alias("d")),
        ]
    )
    spans = (
        dates.drop_nulls()
        .group_by("_source_file")
        .agg(pl.col("d").min().alias("lo"), pl.col("d").max().alias("hi"))
    )
    return {f: (lo, hi) for f, lo, hi in spans.iter_rows()}


def _counts(files: pl.Series, order: list[str]) -> list[int]:
    counts = dict(files.value_counts(name="n").iter_rows())
    return [counts.get(f, 0) for f in order]


def conservation_errors(log: pl.DataFrame) -> pl.DataFrame:
    """Log rows where ``rows_read != loaded + quarantined + outside_window`` (should be none)."""
    return log.filter(
        pl.col("rows_read")
        != pl.col("rows_loaded") + pl.col("rows_quarantined") + pl.col("rows_outside_window")
    )


def ensure_tables(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Create the raw table of ``source`` and the quarantine tables if missing."""
    table = f"raw.{source.name}"
    warehouse.ensure_table(con, table, {**source.schema, **LINEAGE}, source_docs().get(table))
    warehouse.ensure_table(
        con, QUARANTINE_TABLE, QUARANTINE_SCHEMA, QUARANTINE_DOCS[QUARANTINE_TABLE]
    )
    warehouse.ensure_table(con, LOG_TABLE, LOG_SCHEMA, QUARANTINE_DOCS[LOG_TABLE])


def upgrade_raw_tables(con: duckdb.DuckDBPyConnection, sources: Iterable[Source]) -> list[str]:
    """Add the columns a source's schema has gained (e.g. ``vendor_calcs_flag`` of
    ``raw.cboe_option_eod``) to its raw table where the table exists, null in its rows, so
    that what reads ``raw`` before the next ingest (the dbt staging views, built first by a
    one-day run) works on a warehouse made by an older version. Tables that do not exist
    are left to the ingest. Returns the columns added, as ``raw.<table>.<column>``."""
    have: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'raw'"
    ).fetchall():
        have.setdefault(table, set()).add(column)
    added: list[str] = []
    for source in sources:
        if source.name not in have:
            continue
        schema = {**source.schema, **LINEAGE}
        missing = [c for c in schema if c not in have[source.name]]
        if missing:
            table = f"raw.{source.name}"
            warehouse.ensure_table(con, table, schema, source_docs().get(table))
            added += [f"raw.{source.name}.{c}" for c in missing]
    return added


def _replace(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    """Replace the batch's window (or whole table) in raw and quarantine; rewrite the log
    rows of what the batch re-read (module docstring)."""
    source, window = batch.source, batch.window
    files = batch.log["source_file"].to_list()
    warehouse.delete_window(con, f"raw.{source.name}", source.partition_column, window)
    if window is None:
        con.execute(f"DELETE FROM {QUARANTINE_TABLE} WHERE source = ?", [source.name])
        con.execute(f"DELETE FROM {LOG_TABLE} WHERE source = ?", [source.name])
    else:
        con.execute(
            f"DELETE FROM {QUARANTINE_TABLE} WHERE source = ? AND (partition_date BETWEEN ? "
            "AND ? OR (partition_date IS NULL AND list_contains(?::VARCHAR[], source_file)))",
            [source.name, window[0], window[1], files],
        )
        dated = [f for f in files if file_day(f) is not None] if source.dated_files else []
        con.execute(
            f"DELETE FROM {LOG_TABLE} WHERE source = ? AND (list_contains(?::VARCHAR[], "
            "source_file) OR (list_contains(?::VARCHAR[], source_file) AND window_start >= ? "
            "AND window_end <= ?))",
            [source.name, dated, files, window[0], window[1]],
        )
    warehouse.insert(con, f"raw.{source.name}", batch.raw)
    warehouse.insert(con, QUARANTINE_TABLE, batch.rejected)
    warehouse.insert(con, LOG_TABLE, batch.log)


CHUNK_SESSIONS = 63
"""Trading days read and written at a time by :func:`ingest` (a quarter: ~0.5 M option rows
in the densest years), which bounds memory on long backfills."""


def pieces(
    source: Source, landing: Path, window: Window | None, listing: Listing | None = None
) -> list[Window | None]:
    """``window`` cut into contiguous pieces of :data:`CHUNK_SESSIONS` trading days when every
    file of ``source`` in it is a daily file; otherwise (history files hold every day, and
    would be re-read per piece) the window whole. Pieces cover every calendar day of the
    window, so a file dated on a non-trading day still falls in one."""
    if window is None:
        return [None]
    files = files_for(source, landing, window, listing)
    days = trading_days(*window)
    if (
        not files
        or not source.dated_files
        or any(file_day(p) is None for p in files)
        or len(days) <= CHUNK_SESSIONS
    ):
        return [window]
    starts = [window[0], *days[CHUNK_SESSIONS::CHUNK_SESSIONS]]
    ends = [s - dt.timedelta(days=1) for s in starts[1:]] + [window[1]]
    return list(zip(starts, ends, strict=True))


PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: the signal a process gets when its parent dies."""


def _die_with_parent(parent: int) -> None:
    """Reader worker initializer: the worker dies with the process that started it, even
    when that one is killed with SIGKILL (no chance to shut its pool down). Linux's
    parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), and, wherever that is not
    available, a watchdog thread that kills the worker once its parent pid changes."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="alvh-parent-watch", daemon=True).start()


def reader_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for the readers; each dies with this process (:func:`_die_with_parent`).
    Spawned, not forked: polars' thread pool does not survive a fork."""
    return ProcessPoolExecutor(
        workers,
        mp_context=get_context("spawn"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )


@contextmanager
def reader_workers(n_pieces: int) -> Iterator[Executor | None]:
    """Worker processes reading files (one per core) when there is more than one piece of
    work; none for a day or a short window, where starting them costs more than it saves."""
    if n_pieces < 2 or (os.cpu_count() or 1) < 2:
        yield None
        return
    with reader_pool(os.cpu_count() or 2) as pool:
        yield pool


@dataclass(frozen=True)
class Summary:
    """What :func:`ingest` wrote: the per-file log, counts by quarantine reason, a preview."""

    log: pl.DataFrame
    reasons: pl.DataFrame
    preview: pl.DataFrame

    @property
    def rows_read(self) -> int:
        return int(self.log["rows_read"].sum() or 0)

    @property
    def rows_loaded(self) -> int:
        return int(self.log["rows_loaded"].sum() or 0)

    @property
    def rows_quarantined(self) -> int:
        return int(self.log["rows_quarantined"].sum() or 0)


class ConservationError(RuntimeError):
    """Rows read != loaded + quarantined + outside the window, for the files in ``log``."""

    def __init__(self, log: pl.DataFrame):
        super().__init__(f"conservation broken for {log.height} file(s)")
        self.log = log


def ingest(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    landing: Path,
    window: Window | None,
    ingested_at: dt.datetime,
    *,
    force: bool = False,
    max_day_shrink: float = 0.5,
) -> Summary:
    """Check the landing, then read and write ``window`` (sessions; the calendar days it owns,
    :func:`~alvh_assets.ingest.landing_checks.owned_days`) of ``source`` piece by piece
    (:func:`pieces`), in one transaction: each piece is checked before its delete, and a
    failure anywhere writes nothing. ``force`` skips the completeness rules (a window
    missing deliveries, or shrinking a stored day by more than ``max_day_shrink``), never
    the landing's own checks.

    Raises :class:`LandingError`, :class:`RefusedWindowError`,
    :class:`~alvh_assets.ingest.quarantine.UnreadableFileError` or :class:`ConservationError`.
    """
    landing_checks.check_landing(landing)
    days = landing_checks.owned_days(window) if window is not None and source.daily else window
    listing = landing_checks.scan(source, landing)
    listing.check(source, days if source.daily else None)
    manifest = landing_checks.read_manifest(landing)
    logs, reasons, preview = [], [], None
    todo = pieces(source, landing, days, listing)
    with reader_workers(len(todo)) as pool, warehouse.transaction(con):
        ensure_tables(con, source)
        first = landing_checks.first_delivered(con, source, listing, LOG_TABLE)
        for piece in todo:
            batch = collect(source, landing, piece, ingested_at, pool, manifest, listing)
            broken = conservation_errors(batch.log)
            if broken.height:
                raise ConservationError(broken)
            read_until: dict[str, dt.date] = {}
            for f, (lo, hi) in batch.spans.items():
                g = source.group_of(f)
                landing_checks.see(first, g, lo)
                read_until[g] = max(hi, read_until.get(g, hi))
            if not force:
                landing_checks.check_complete(
                    con,
                    source,
                    batch.window,
                    batch.raw,
                    batch.rejected,
                    first,
                    max_day_shrink,
                    None if source.dated_files else read_until,
                )
            _replace(con, batch)
            logs.append(batch.log)
            reasons.append(batch.rejected.group_by("reason_code").len("rows"))
            if preview is None or preview.is_empty():
                preview = batch.raw.head(20)
    by_reason = (
        pl.concat(reasons).group_by("reason_code").agg(pl.col("rows").sum()).sort("reason_code")
    )
    return Summary(pl.concat(logs), by_reason, preview)
