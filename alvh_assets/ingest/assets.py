"""Dagster assets for ingestion: one per raw table, plus its conservation and GE checks.

Daily sources are partitioned by NYSE trading day and backfill as a single run; monthly
and calendar sources are refreshed whole. The work is in :mod:`alvh_assets.ingest.run`.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
import polars as pl

from alvh_assets.config import ConfigError
from alvh_assets.dagster_support import (
    WarehouseResource,
    WriterRun,
    Written,
    ge_checks,
    table_key,
    table_spec,
    writer_asset,
)
from alvh_assets.ingest import expectations, run
from alvh_assets.ingest.quarantine import UnreadableFileError
from alvh_assets.ingest.sources import SOURCES, Source
from alvh_assets.metadata import markdown_table
from alvh_assets.sample.assets import SAMPLE_MARKET

OWNERS = ["team:alvh-data"]
USER_FIXABLE = "alvh/user_fixable"
"""Failure metadata key: True when the user can fix the cause (a landing file, folder or
manifest, an incomplete window); the CLI exits 2 for these, 1 for other failures."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def raw_key(source: Source) -> dg.AssetKey:
    """``raw/<table>``."""
    return table_key(f"raw.{source.name}")


@contextmanager
def _as_failures(source: Source, forced: bool) -> Iterator[None]:
    """The ingest's refusals as ``dg.Failure``s: one line, user-fixable where the user can
    fix the cause (the CLI exits 2), the conservation violations attached."""
    try:
        yield
    except UnreadableFileError as e:
        raise dg.Failure(
            description=_one_line(
                f"raw.{source.name}: cannot read {e.path}: {e.problem}. Nothing was loaded."
            ),
            metadata={"file": e.path, "problem": e.problem, USER_FIXABLE: True},
        ) from None
    except ConfigError as e:
        raise dg.Failure(
            description=_one_line(f"raw.{source.name}: {e}"), metadata={USER_FIXABLE: True}
        ) from None
    except (run.LandingError, run.RefusedWindowError) as e:
        raise dg.Failure(
            description=_one_line(e.problem),
            metadata={USER_FIXABLE: True, "refusal": type(e).__name__, "forced": forced},
        ) from None
    except run.ConservationError as e:
        raise dg.Failure(
            description=f"raw.{source.name}: conservation broken for {e.log.height} file(s), "
            "nothing was loaded (see the violations)",
            metadata={"violations": dg.MetadataValue.md(markdown_table(e.log))},
        ) from None


def _ingest_asset(source: Source) -> dg.AssetsDefinition:
    def write(ctx: WriterRun) -> list[Written]:
        with _as_failures(source, ctx.alvh.force_replace):
            max_day_shrink = ctx.alvh.load().ingest.max_day_shrink
            with ctx.warehouse.connect() as con:
                done = run.ingest(
                    con, source, ctx.alvh.landing(), ctx.window, dt.datetime.now(dt.UTC),
                    force=ctx.alvh.force_replace, max_day_shrink=max_day_shrink,
                )  # fmt: skip
        files = done.log.height
        metadata = {
            "files": files,
            "rows_read": done.rows_read,
            "rows_loaded": done.rows_loaded,
            "rows_quarantined": done.rows_quarantined,
            "quarantine_by_reason": dg.MetadataValue.md(markdown_table(done.reasons, 50)),
            "preview": dg.MetadataValue.md(markdown_table(done.preview.drop("_source_sha256"))),
        }
        counts = (done.rows_loaded, done.rows_read, done.rows_quarantined)
        return [Written(f"raw.{source.name}", *counts, metadata=metadata, log=f"files={files}")]

    spec = table_spec(
        f"raw.{source.name}",
        source.description,
        source.key,
        "ingest",
        OWNERS,
        [SAMPLE_MARKET],
        note="Lineage columns _source_file, _source_sha256, _source_row, _ingested_at. Bad "
        "rows go to quarantine.rejected_rows with a reason code.",
    )
    return writer_asset(f"raw__{source.name}", [spec], write, daily=source.daily)


def _conservation_check(source: Source) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_key(source),
        name="rows_read_equal_loaded_plus_quarantined",
        blocking=True,
        description="Per file of the latest run: rows read = rows loaded + rows quarantined "
        "(+ rows dated outside the run's window), and the raw table holds exactly the loaded "
        "rows of each file.",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            log, bad = conservation_violations(con, source)
        return dg.AssetCheckResult(
            passed=bad.height == 0,
            metadata={
                "files": log.height,
                "rows_read": int(log["rows_read"].sum() or 0),
                "rows_loaded": int(log["rows_loaded"].sum() or 0),
                "rows_quarantined": int(log["rows_quarantined"].sum() or 0),
                "violations": dg.MetadataValue.md(markdown_table(bad)) if bad.height else "none",
            },
        )

    return _check


def conservation_violations(
    con: duckdb.DuckDBPyConnection, source: Source
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the latest run's log rows of ``source``, its violations): log rows where rows read !=
    loaded + quarantined + outside, or where the raw table does not hold exactly the rows
    logged as loaded. The latest run is the log's newest ``_ingested_at``, and the raw rows
    counted are the ones carrying that same stamp (a run that loaded nothing has none)."""
    log = con.execute(
        f"SELECT * FROM {run.LOG_TABLE} WHERE source = ? AND _ingested_at = "
        f"(SELECT max(_ingested_at) FROM {run.LOG_TABLE} WHERE source = ?)",
        [source.name, source.name],
    ).pl()
    stamp = log["_ingested_at"].max() if log.height else None
    in_raw = con.execute(
        f"SELECT _source_file AS source_file, count(*) AS in_raw FROM raw.{source.name} "
        "WHERE _ingested_at = ? GROUP BY 1",
        [stamp],
    ).pl()
    joined = log.join(in_raw, on="source_file", how="left").with_columns(
        pl.col("in_raw").fill_null(0)
    )
    bad = pl.concat(
        [
            run.conservation_errors(joined),
            joined.filter(pl.col("in_raw") != pl.col("rows_loaded")),
        ]
    ).unique()
    return log, bad


def _ge_checks(source: Source) -> dg.AssetChecksDefinition:
    return ge_checks(
        f"ge_raw_{source.name}",
        raw_key(source),
        expectations.SUITES[source.name],
        lambda con: expectations.frames_for(con, source.name),
    )


INGEST_ASSETS = [_ingest_asset(s) for s in SOURCES.values()]
INGEST_CHECKS = [c for s in SOURCES.values() for c in (_conservation_check(s), _ge_checks(s))]
