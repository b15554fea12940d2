"""From landing files to the rows written in one run: read, combine, window, count.

:func:`collect` is pure (files in, frames out); :func:`ingest` reads a run's window piece by
piece and replaces it in the raw table, its quarantined rows and its per-file log in a
single transaction.

Rules across files (within one run):
* the same key in two files with identical values: the first file's row loads, the other
  is quarantined ``identical_duplicate_across_files``;
* the same key with different values: every copy is quarantined
  ``conflicting_duplicate_across_files`` (which file is right is not guessed).

Conservation, per file and run: ``rows_read = rows_loaded + rows_quarantined +
rows_outside_window`` (rows of a history file dated outside the run's partition window
belong to other partitions; unparseable rows count in every window that reads the file).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import duckdb
import polars as pl

from alvh_assets import warehouse
from alvh_assets.calendars import trading_days
from alvh_assets.ingest.csv_lines import physical_lines
from alvh_assets.ingest.quarantine import REJECTED_SCHEMA, ReadResult, Reason
from alvh_assets.ingest.sources import Source

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
_FILE_DAY = re.compile(r"_(\d{4}-\d{2}-\d{2})\.(?:csv|zip)$", re.IGNORECASE)


@dataclass(frozen=True)
class Batch:
    """What one run of one source writes."""

    source: Source
    window: Window | None
    raw: pl.DataFrame
    rejected: pl.DataFrame
    log: pl.DataFrame


def files_for(source: Source, landing: Path, window: Window | None) -> list[Path]:
    """Landing files of ``source``; daily files (``…_YYYY-MM-DD.csv|zip``) only in the window."""
    found = sorted({p for pattern in source.patterns for p in landing.glob(pattern) if p.is_file()})
    if window is None:
        return found
    return [p for p in found if (d := _file_day(p)) is None or window[0] <= d <= window[1]]


def _file_day(path: Path | str) -> dt.date | None:
    m = _FILE_DAY.search(Path(path).name)
    return dt.date.fromisoformat(m.group(1)) if m else None


def _with_lineage(frame: pl.DataFrame, result: ReadResult, rel: str) -> pl.DataFrame:
    """Add file lineage; a daily file's quarantined rows belong to the file's own day (a row
    dated otherwise is filed where the run that reads the file will replace it)."""
    frame = frame.with_columns(
        pl.lit(rel).alias("_source_file"), pl.lit(result.sha256).alias("_source_sha256")
    )
    day = _file_day(rel)
    if day is not None and "partition_date" in frame.columns:
        frame = frame.with_columns(pl.lit(day).alias("partition_date"))
    return frame


def _cross_file_duplicates(
    source: Source, accepted: pl.DataFrame, landing: Path
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split rows whose key occurs in more than one file (see module docstring)."""
    key = list(source.key)
    n_files = pl.col("_source_file").n_unique().over(key)
    multi = accepted.filter(n_files > 1)
    if multi.is_empty():
        return accepted, pl.DataFrame(
            schema={**REJECTED_SCHEMA, "_source_file": pl.Utf8(), "_source_sha256": pl.Utf8()}
        )
    values = [c for c in source.schema if c not in key]
    tagged = multi.with_columns(
        (pl.struct(values).n_unique().over(key) > 1).alias("_conflict"),
        pl.col("_source_file").min().over(key).alias("_first_file"),
    )
    drop = tagged.filter(pl.col("_conflict") | (pl.col("_source_file") != pl.col("_first_file")))
    lines: dict[str, list[str]] = {}
    raw_line = [
        lines.setdefault(f, physical_lines(landing / f))[r - 1]
        for f, r in zip(drop["_source_file"], drop["_source_row"], strict=True)
    ]
    rejected = drop.select(
        pl.col("_source_row").alias("source_row"),
        pl.when(pl.col("_conflict"))
        .then(pl.lit(Reason.CONFLICTING_DUPLICATE.value))
        .otherwise(pl.lit(Reason.DUPLICATE_ACROSS_FILES.value))
        .alias("reason_code"),
        pl.when(pl.col("_conflict"))
        .then(pl.lit("same key with different values in another file"))
        .otherwise(
            pl.concat_str([pl.lit("identical row already loaded from "), pl.col("_first_file")])
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
) -> Batch:
    """Read every landing file of ``source`` for ``window`` into one :class:`Batch` (the
    files read by ``pool``'s worker processes when given).

    Raises :class:`~alvh_assets.ingest.quarantine.UnreadableFileError` for a file that
    cannot be read at all (the run writes nothing).
    """
    window = window if source.partition_column else None
    files = files_for(source, landing, window)
    read = pool.map(source.reader, files, chunksize=4) if pool else map(source.reader, files)
    results = list(zip(files, read, strict=True))
    rels = [p.relative_to(landing).as_posix() for p, _ in results]
    accepted = pl.concat(
        [_with_lineage(r.accepted, r, rel) for (_, r), rel in zip(results, rels, strict=True)]
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
        [_with_lineage(r.rejected, r, rel) for (_, r), rel in zip(results, rels, strict=True)]
        or [
            pl.DataFrame(
                schema={**REJECTED_SCHEMA, "_source_file": pl.Utf8(), "_source_sha256": pl.Utf8()}
            )
        ],
    )
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
            "source_sha256": [r.sha256 for _, r in results],
            "window_start": window[0] if window else None,
            "window_end": window[1] if window else None,
            "rows_read": [r.rows_read for _, r in results],
            "rows_loaded": _counts(raw["_source_file"], rels),
            "rows_quarantined": _counts(quarantined["source_file"], rels),
            "rows_outside_window": _counts(outside["_source_file"], rels),
            "_ingested_at": ingested_at,
        },
        schema=LOG_SCHEMA,
    )
    return Batch(source, window, raw, quarantined, log)


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
    warehouse.ensure_table(con, f"raw.{source.name}", {**source.schema, **LINEAGE})
    warehouse.ensure_table(con, QUARANTINE_TABLE, QUARANTINE_SCHEMA)
    warehouse.ensure_table(con, LOG_TABLE, LOG_SCHEMA)


def _replace(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    """Replace the batch's window (or whole table) in raw, quarantine and the log."""
    source, window = batch.source, batch.window
    files = batch.log["source_file"].to_list()
    warehouse.delete_window(con, f"raw.{source.name}", source.partition_column, window)
    if window is None:
        con.execute(f"DELETE FROM {QUARANTINE_TABLE} WHERE source = ?", [source.name])
        con.execute(f"DELETE FROM {LOG_TABLE} WHERE source = ?", [source.name])
    else:
        con.execute(
            f"DELETE FROM {QUARANTINE_TABLE} WHERE source = ? AND (partition_date BETWEEN ? "
            "AND ? OR (partition_date IS NULL AND list_contains(?, source_file)))",
            [source.name, window[0], window[1], files],
        )
        con.execute(
            f"DELETE FROM {LOG_TABLE} WHERE source = ? AND window_start <= ? AND window_end >= ?",
            [source.name, window[1], window[0]],
        )
    warehouse.insert(con, f"raw.{source.name}", batch.raw)
    warehouse.insert(con, QUARANTINE_TABLE, batch.rejected)
    warehouse.insert(con, LOG_TABLE, batch.log)


CHUNK_SESSIONS = 63
"""Trading days read and written at a time by :func:`ingest` (a quarter: ~0.5 M option rows
in the densest years), which bounds memory on long backfills."""


def pieces(source: Source, landing: Path, window: Window | None) -> list[Window | None]:
    """``window`` cut into contiguous pieces of :data:`CHUNK_SESSIONS` trading days when every
    file of ``source`` in it is a daily file; otherwise (history files hold every day, and
    would be re-read per piece) the window whole. Pieces cover every calendar day of the
    window, so a file dated on a non-trading day still falls in one."""
    if window is None:
        return [None]
    files = files_for(source, landing, window)
    days = trading_days(*window)
    if not files or any(_file_day(p) is None for p in files) or len(days) <= CHUNK_SESSIONS:
        return [window]
    starts = [window[0], *days[CHUNK_SESSIONS::CHUNK_SESSIONS]]
    ends = [s - dt.timedelta(days=1) for s in starts[1:]] + [window[1]]
    return list(zip(starts, ends, strict=True))


@contextmanager
def _readers(n_pieces: int) -> Iterator[Executor | None]:
    """Worker processes reading files (one per core) when there is more than one piece of
    work; none for a day or a short window, where starting them costs more than it saves."""
    if n_pieces < 2 or (os.cpu_count() or 1) < 2:
        yield None
        return
    # spawn, not fork: polars' thread pool does not survive a fork
    with ProcessPoolExecutor(os.cpu_count(), mp_context=get_context("spawn")) as pool:
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
) -> Summary:
    """Read and write ``window`` of ``source`` piece by piece (:func:`pieces`), in one
    transaction: a failure anywhere (an unreadable file, broken conservation) writes nothing.

    Raises :class:`~alvh_assets.ingest.quarantine.UnreadableFileError` or
    :class:`ConservationError`.
    """
    ensure_tables(con, source)
    logs, reasons, preview = [], [], None
    todo = pieces(source, landing, window)
    with _readers(len(todo)) as pool, warehouse.transaction(con):
        for piece in todo:
            batch = collect(source, landing, piece, ingested_at, pool)
            broken = conservation_errors(batch.log)
            if broken.height:
                raise ConservationError(broken)
            _replace(con, batch)
            logs.append(batch.log)
            reasons.append(batch.rejected.group_by("reason_code").len("rows"))
            if preview is None or preview.is_empty():
                preview = batch.raw.head(20)
    by_reason = (
        pl.concat(reasons).group_by("reason_code").agg(pl.col("rows").sum()).sort("reason_code")
    )
    return Summary(pl.concat(logs), by_reason, preview)
