"""Automation of the daily pipeline: an after-close schedule, two landing-directory sensors
and partition freshness checks with a deadline.

* ``daily_after_close`` (schedule, 18:30 America/New_York, Monday-Friday): one ``daily_job``
  run for the day's partition when the day is an NYSE session, else a skip naming the
  holiday or closure.
* ``landing_day_sensor``: one ``daily_job`` run per trading day whose landing files are
  complete, in date order, never skipping over an incomplete day.
* ``macro_files_sensor``: one ``reference_job`` run whenever a monthly or calendar source
  file (FRED, release calendars, FOMC, valuation) appears or changes.
* freshness checks + ``freshness_checks_sensor``: every daily asset must hold the previous
  session's partition by 20:30 ET on weekdays (see :data:`DEADLINE_CRON` for why not the
  same day's).

Run **either** the schedule **or** the landing sensor: each deduplicates only its own run
keys, so with both on a day would run twice (harmless, a rerun replaces the partition, but
wasted). The sensors read the landing directory and the warehouse through the ``alvh`` and
``warehouse`` resources (by default ``$ALVH_LANDING_DIR`` / ``$ALVH_WAREHOUSE`` or the
defaults under ``$ALVH_HOME``); what a complete day is, and where the files land, is the
landing contract (:mod:`alvh_assets.landing`).
All are defined ``STOPPED``; start them in the UI or with ``dagster schedule start`` /
``dagster sensor start``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import exchange_calendars as xcals

from alvh_assets import paths
from alvh_assets.calendars import CALENDAR_START, is_trading_day, trading_days
from alvh_assets.dagster_support import AlvhSettings, WarehouseResource
from alvh_assets.landing import REFERENCE_PATTERNS, day_complete, index_tails, landed_days
from orchestration.runs import LAUNCHER_TAGS

TIMEZONE = "America/New_York"
NY = ZoneInfo(TIMEZONE)

# --------------------------------------------------------------------------------------------
# Schedule
# --------------------------------------------------------------------------------------------


def closure_reason(day: dt.date) -> str:
    """Why ``day`` has no NYSE session: weekend, a named holiday, or an ad-hoc closure."""
    if day.weekday() >= 5:
        return f"{day} is a {day:%A} (weekend)"
    cal = xcals.get_calendar("XNYS", start=CALENDAR_START)
    names = cal.regular_holidays.holidays(day, day, return_name=True)
    if len(names):
        return f"{day} is an NYSE holiday ({names.iloc[0]})"
    return f"{day}: NYSE closed (ad-hoc closure)"


def schedule_day(context: dg.ScheduleEvaluationContext) -> dt.date:
    """The New York calendar date of the tick (a naive time is read as New York time)."""
    when = context.scheduled_execution_time or dt.datetime.now(NY)
    when = when.replace(tzinfo=NY) if when.tzinfo is None else when.astimezone(NY)
    return when.date()


@dg.schedule(
    name="daily_after_close",
    cron_schedule="30 18 * * 1-5",
    execution_timezone=TIMEZONE,
    job_name="daily_job",
    description="18:30 ET, Monday-Friday: the day's partition when the day is an NYSE "
    "session, else a skip naming the holiday. run_key = the date.",
)
def daily_after_close(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """Rule: the tick's New York date D; a RunRequest for partition D (run_key D) when D is
    an XNYS session, else SkipReason naming the holiday or closure."""
    day = schedule_day(context)
    if not is_trading_day(day):
        return dg.SkipReason(closure_reason(day))
    return dg.RunRequest(run_key=day.isoformat(), partition_key=day.isoformat())


# --------------------------------------------------------------------------------------------
# Landing sensor (daily files)
# --------------------------------------------------------------------------------------------

MAX_DAYS_PER_TICK = 30


def days_to_request(
    landing: Path, cursor: dt.date | None, start: dt.date | None = None
) -> list[dt.date]:
    """The days one tick requests, in date order, at most :data:`MAX_DAYS_PER_TICK`.

    * With a cursor (the last day requested): every session after it, in order, up to the
      first incomplete one. A gap stops advancement: a later complete day is never
      requested before an earlier incomplete one, so no day is skipped silently. (A session
      the vendor never delivers stalls the sensor until its cursor is moved past it, e.g.
      ``dagster sensor cursor landing_day_sensor --set YYYY-MM-DD``.)
    * Without a cursor: from ``start`` (inclusive) when given, same rule; else only the
      newest complete day (the sensor does not backfill the whole history on its own).
    """
    candidates = landed_days(landing)
    if not candidates:
        return []
    tails = index_tails(landing)
    if cursor is None and start is None:
        newest = next((d for d in reversed(candidates) if day_complete(landing, d, tails)), None)
        return [newest] if newest else []
    first = start if cursor is None else cursor + dt.timedelta(days=1)
    out: list[dt.date] = []
    for day in trading_days(first, candidates[-1]):
        if len(out) == MAX_DAYS_PER_TICK or not day_complete(landing, day, tails):
            break
        out.append(day)
    return out


@dg.sensor(
    name="landing_day_sensor",
    job_name="daily_job",
    minimum_interval_seconds=60,
    description="One run per complete trading day of the landing directory, in date "
    "order, stopping at the first incomplete day. Cursor = the last day requested; "
    "run_key = the day.",
)
def landing_day_sensor(context: dg.SensorEvaluationContext, alvh: AlvhSettings) -> dg.SensorResult:
    """Rule: see :func:`days_to_request`; the cursor advances exactly over the days
    requested. First tick without a cursor: ``$ALVH_SENSOR_START``
    (:func:`alvh_assets.paths.sensor_start`) or the newest complete day."""
    cursor = dt.date.fromisoformat(context.cursor) if context.cursor else None
    landing = alvh.landing()
    days = days_to_request(landing, cursor, paths.sensor_start())
    if not days:
        after = f"after {cursor}" if cursor else "yet"
        return dg.SensorResult(
            skip_reason=f"no complete trading day {after} in {landing}",
            cursor=context.cursor,
        )
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=d.isoformat(), partition_key=d.isoformat()) for d in days
        ],
        cursor=days[-1].isoformat(),
    )


# --------------------------------------------------------------------------------------------
# Macro sensor (monthly and calendar files)
# --------------------------------------------------------------------------------------------


def macro_state(landing: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every monthly/calendar source file
    (:data:`alvh_assets.landing.REFERENCE_PATTERNS`)."""
    files = sorted({p for pattern in REFERENCE_PATTERNS for p in landing.glob(pattern)})
    return {
        p.relative_to(landing).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files
        if p.is_file()
    }


def transition_key(before: dict[str, str], state: dict[str, str]) -> str:
    """Run key of a change: a hash of the canonical JSON of the old and the new state."""
    text = json.dumps([before, state], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dg.sensor(
    name="macro_files_sensor",
    job_name="reference_job",
    minimum_interval_seconds=60,
    description=f"One reference_job run when a monthly or calendar source file "
    f"({', '.join(REFERENCE_PATTERNS)}) appears or changes (content hash). "
    "Cursor = JSON {path: sha256}.",
)
def macro_files_sensor(context: dg.SensorEvaluationContext, alvh: AlvhSettings) -> dg.SensorResult:
    """Rule: compare the files' sha256 with the cursor; any new or changed file -> one
    RunRequest. run_key = hash of (previous state, new state): a retried tick cannot launch
    twice, yet a file reverted to earlier content still runs. A removed file alone requests
    no run (the reference tables would lose its rows): the cursor just follows. No cursor
    (first tick): one run for the current state."""
    landing = alvh.landing()
    state = macro_state(landing)
    before: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    changed = sorted(p for p, h in state.items() if before.get(p) != h)
    cursor = json.dumps(state, sort_keys=True)
    if not state:
        return dg.SensorResult(skip_reason=f"no reference files in {landing}", cursor=cursor)
    if not changed:
        removed = sorted(set(before) - set(state))
        why = f"removed only: {', '.join(removed)}" if removed else "no reference file changed"
        return dg.SensorResult(skip_reason=why, cursor=cursor)
    request = dg.RunRequest(
        run_key=transition_key(before, state),
        tags={"alvh/changed_files": ",".join(changed)[:1000]},
    )
    return dg.SensorResult(run_requests=[request], cursor=cursor)


# --------------------------------------------------------------------------------------------
# Freshness checks
# --------------------------------------------------------------------------------------------

DEADLINE_CRON = "30 20 * * 1-5"
"""Deadline of the partition freshness checks (20:30 America/New_York, Monday-Friday).

Dagster expects, at each deadline, the partition of the last *completed* partition window.
A TRADING_DAYS window closes at the next weekday's midnight, so at 20:30 on session D the
check wants the previous session's partition (D-1; Friday's is due Monday 20:30): a day of
slack after the 18:30 schedule. Holidays are excluded by the partitions themselves."""


def build_freshness_checks(assets: list) -> list[dg.AssetChecksDefinition]:
    """``dg.build_time_partition_freshness_checks`` (one multi-check, WARN, non-blocking) on
    the daily partitioned assets. Dagster 1.13 marks the factory "superseded" by
    FreshnessPolicy, but the new policies are asset-level (not partition-aware: every
    holiday would be a false alarm) and need ``freshness: enabled`` in dagster.yaml."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*superseded.*")
        return list(
            dg.build_time_partition_freshness_checks(
                assets=assets,
                deadline_cron=DEADLINE_CRON,
                timezone=TIMEZONE,
                severity=dg.AssetCheckSeverity.WARN,
            )
        )


def freshness_sensor(checks: list[dg.AssetChecksDefinition]) -> dg.SensorDefinition:
    """Dagster's sensor that runs the freshness checks whenever they may have become overdue
    (every 5 minutes at most; superseded in 1.13 like the checks, for the same reason)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*superseded.*")
        return dg.build_sensor_for_freshness_checks(
            freshness_checks=checks, minimum_interval_seconds=300, name="freshness_checks_sensor"
        )


# --------------------------------------------------------------------------------------------
# Publishing after every successful run
# --------------------------------------------------------------------------------------------

PUBLISHED_JOBS = (
    "daily_job",
    "reference_job",
    "ingest_job",
    "views_job",
    "marts_job",
    "strategies_job",
    "attribution_job",
    "report_job",
)
"""The jobs whose runs change the warehouse or the report (every CLI step's job but the
landing files')."""


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="publish_after_success",
    description="After every successful run of a job that writes the warehouse (daily, "
    "reference, ingest, views, marts, strategies, attribution, report): publish the "
    "consistent read-only copy warehouse/published/alvh.duckdb and the Parquet exports "
    "(alvh_assets.publish), or, with ALVH_WAREHOUSE_BACKEND=ducklake, one snapshot of the "
    "DuckLake catalog (alvh_assets.lake).",
    minimum_interval_seconds=30,
)
def publish_after_success(
    context: dg.RunStatusSensorContext, warehouse: WarehouseResource, alvh: AlvhSettings
) -> dg.SkipReason | None:
    """Rule: a successful run of a job that writes the warehouse -> publish (the daemon runs
    one sensor tick at a time, so publishes never overlap; the CLI publishes itself). The
    copy's ``meta.publication.config_hash`` is the code location's configuration."""
    if context.dagster_run.job_name not in PUBLISHED_JOBS:
        return dg.SkipReason(f"{context.dagster_run.job_name} does not write the warehouse")
    if all(context.dagster_run.tags.get(k) == v for k, v in LAUNCHER_TAGS.items()):
        # the CLI's runs carry their step's job name; it publishes after its last step
        return dg.SkipReason("a run of the alvh CLI, which publishes itself")
    from alvh_assets.lake import publish_to_lake
    from alvh_assets.publish import publish

    run_id = context.dagster_run.run_id
    with warehouse.connect() as con:
        if paths.warehouse_backend() == "ducklake":
            done = publish_to_lake(con)
            where = f"publication {done.number} to DuckLake (snapshot {done.snapshot})"
        else:
            where = str(publish(con, config=alvh.load()).path)
    context.log.info(f"published {where} after run {run_id}")
    return None
