"""The ``alvh`` command line: ``alvh --help`` lists every command.

Failures are one line on standard error, ``error: <what> (details: <log file>)``, the full
trace in the log file (``.alvh/logs/alvh-<time>-<pid>.log`` under the project root). Exit
codes: 2 for what the user can fix (a bad option or config, a missing folder or file, a
warehouse locked by another process, an unwritable output folder, a corrupt archive, input
an asset refused), 1 for a failed run or check and for unexpected errors.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from alvh_assets import paths
from alvh_assets.config import AlvhConfig, ConfigError, dump_defaults, load_config, parse_override

DATE = click.DateTime(formats=["%Y-%m-%d"])


class _DetailLog:
    """The log file of one invocation, created at its first write: under
    ``<project root>/.alvh/logs/`` (else the temp folder when that is not writable)."""

    def __init__(self) -> None:
        self.path: Path | None = None

    def reset(self) -> None:
        self.path = None

    def _open(self) -> Path:
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        folders = [paths.project_root() / ".alvh" / "logs", Path(tempfile.gettempdir())]
        for folder in folders:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"alvh-{stamp}-{os.getpid()}.log"
                with path.open("a") as f:
                    f.write(f"alvh {' '.join(sys.argv[1:])}\n")
                return path
            except OSError:
                continue
        raise OSError("no writable folder for the log file")

    def write(self, text: str) -> Path | None:
        """Append ``text``; the file's path (None when no folder is writable)."""
        try:
            if self.path is None:
                self.path = self._open()
            with self.path.open("a") as f:
                f.write(text if text.endswith("\n") else text + "\n")
        except OSError:
            return None
        return self.path


_LOG = _DetailLog()


def _fail(message: str, code: int = 2, detail: str | None = None) -> None:
    """Print ``error: message`` and exit with ``code``; with ``detail`` (a trace), write it to
    the log file and end the line with ``(details: <log file>)``."""
    if detail:
        log = _LOG.write(detail)
        if log is not None:
            message = f"{message} (details: {log})"
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def _one_line(text: object, limit: int = 400) -> str:
    line = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    line = " ".join(line.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _classify(error: BaseException) -> tuple[int, str]:
    """(exit code, one line) of an exception that reached the top of a command: 2 for what
    the user can fix, 1 for a failed run or check and anything unexpected."""
    import gzip
    import zipfile
    import zlib

    from alvh_assets.warehouse import WarehouseLockedError, is_lock_error, lock_holder

    if isinstance(error, WarehouseLockedError):
        return 2, str(error)
    if hasattr(error, "user_fixable"):  # orchestration.pipeline.StepFailedError
        return (2 if error.user_fixable else 1), _one_line(error)
    if is_lock_error(error):
        pid = lock_holder(str(error))
        held = f" by process {pid}" if pid else ""
        return 2, f"the warehouse is locked{held}: {_one_line(error, 200)}"
    if isinstance(error, ConfigError):
        return 2, _one_line(error)
    if isinstance(error, (zipfile.BadZipFile, zlib.error, gzip.BadGzipFile)):
        return 2, f"corrupt archive: {_one_line(error)}"
    if isinstance(error, PermissionError):
        return 2, f"permission denied: {error.filename or _one_line(error)} (make it writable)"
    if isinstance(error, (FileNotFoundError, NotADirectoryError)):
        return 2, f"{error.strerror or 'not found'}: {error.filename or _one_line(error)}"
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return 2, f"{error.strerror or _one_line(error)}{where}"
    return 1, f"unexpected {type(error).__name__}: {_one_line(error)}"


class AlvhGroup(click.Group):
    """The top-level group: an exception escaping any command becomes one line on standard
    error naming a log file that holds the full trace (exit code by :func:`_classify`)."""

    def invoke(self, ctx: click.Context) -> Any:
        _LOG.reset()
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as e:  # noqa: BLE001 - every runtime failure ends in one line
            code, message = _classify(e)
            detail = getattr(e, "detail", "") or ""
            _fail(message, code, detail=f"{detail}\n{traceback.format_exc()}".strip())


class _ConsoleFilter:
    """Standard error during a run: Dagster's ERROR records (a step's failure with its stack
    trace) go to the log file only, every other record to the console as written; the CLI
    prints the failure itself in one line."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        import re

        plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
        head = plain.split("\n", 1)[0]
        if " - dagster - ERROR - " in head or " - dagster - CRITICAL - " in head:
            _LOG.write(plain)
            return len(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextmanager
def _errors_to_log() -> Iterator[None]:
    """Route standard error through :class:`_ConsoleFilter` for the duration."""
    saved = sys.stderr
    sys.stderr = _ConsoleFilter(saved)
    try:
        yield
    finally:
        sys.stderr = saved


WATCHDOG = """\
import os, select, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
parent, group = int(sys.argv[1]), int(sys.argv[2])
while True:
    ready = select.select([0], [], [], 0.1)[0]
    said = os.read(0, 64) if ready else None
    if said:  # the CLI ends normally
        sys.exit(0)
    if said == b"" or os.getppid() != parent:  # the CLI is gone without saying so
        try:
            os.killpg(group, 9)
        except OSError:
            pass
        sys.exit(0)
"""
"""The watchdog of :func:`_contain_children`: kills the CLI's process group when the CLI
dies without saying "done" (its end of the pipe closes, or the watchdog is re-parented)."""


def _is_cli_process() -> bool:
    """True in the ``alvh`` console script (not when a test invokes the group in-process)."""
    return Path(sys.argv[0]).name == "alvh"


def _foreground_on_terminal() -> bool:
    try:
        fd = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def _contain_children() -> bool:
    """Make the subprocesses of this CLI (dbt, ingest workers) die with it, even on
    ``kill -9``: the CLI leads its own process group (a shell already makes each job one;
    otherwise ``setpgid`` — except when the CLI shares the terminal's foreground group,
    which it must not leave, or Ctrl-C would no longer reach it) and a small watchdog
    process, in a session of its own, kills that group with SIGKILL the moment the CLI
    dies without having said "done" at a normal exit. True when the watchdog runs."""
    if not _is_cli_process() or not hasattr(os, "setpgid"):
        return False
    if os.getpgrp() != os.getpid():
        if _foreground_on_terminal():
            return False
        os.setpgid(0, 0)
    watchdog = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", WATCHDOG, str(os.getpid()), str(os.getpgrp())],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )

    def done() -> None:
        try:
            watchdog.stdin.write(b"done")
            watchdog.stdin.close()
        except OSError:
            pass

    atexit.register(done)
    return True


def _config(ctx: click.Context) -> AlvhConfig:
    try:
        overrides = dict(parse_override(o) for o in ctx.obj["overrides"])
        return load_config(ctx.obj["config"], overrides)
    except ConfigError as e:
        _fail(str(e))
        raise  # unreachable


@contextmanager
def _progress(eta: bool = False) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress display with one bar per stage; yields the ``on_progress`` callback.
    ``eta``: also the estimated time remaining."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[Any] = ["[bold]{task.description}", BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    if eta:
        columns += ["eta", TimeRemainingColumn()]
    with Progress(*columns, transient=False) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


@click.group(cls=AlvhGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False),
    envvar="ALVH_CONFIG",
    help="YAML config file (see `alvh config show`).",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="SECTION.FIELD=VALUE",
    help="Override one config value for this run; repeatable.",
)
@click.pass_context
def main(ctx: click.Context, config_path: str | None, overrides: tuple[str, ...]) -> None:
    """ALVH warehouse: SPX iron condors with an adaptive layered VIX hedge."""
    ctx.obj = {"config": config_path, "overrides": overrides}


@main.group()
def config() -> None:
    """Show or validate the methodology configuration."""


@config.command("show")
@click.option("--defaults", is_flag=True, help="Print the built-in defaults only.")
@click.pass_context
def config_show(ctx: click.Context, defaults: bool) -> None:
    """Print the effective configuration as YAML."""
    import yaml

    if defaults:
        click.echo(dump_defaults(), nl=False)
    else:
        cfg = _config(ctx.find_root())
        click.echo(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False), nl=False)


@config.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def config_validate(path: str) -> None:
    """Validate a YAML config file; exit 2 with the bad fields named."""
    try:
        load_config(path)
    except ConfigError as e:
        _fail(str(e))
    click.echo(f"{path}: valid")


@main.command()
@click.option("--start", type=DATE, help="First day (default: config sample_start).")
@click.option("--end", type=DATE, help="Last day (default: config sample_end).")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Landing directory to write (default: $ALVH_LANDING_DIR or landing/sample).",
)
@click.option("--seed", type=int, help="Random seed of the modelled parts (default: config).")
@click.option("--zip", "zip_chains", is_flag=True, help="Zip each option EOD file as Cboe ships.")
@click.pass_context
def sample(
    ctx: click.Context,
    start: dt.datetime | None,
    end: dt.datetime | None,
    out: str | None,
    seed: int | None,
    zip_chains: bool,
) -> None:
    """Write the embedded sample market (vendor-format landing files + manifest.json)."""
    from alvh_assets.sample.generate import generate_sample_market

    cfg = _config(ctx.find_root())
    first = start.date() if start else cfg.sample_start
    last = end.date() if end else cfg.sample_end
    target = Path(out) if out else paths.landing_dir()
    try:
        with _progress() as progress:
            manifest = generate_sample_market(
                first,
                last,
                target,
                seed=cfg.sample_seed if seed is None else seed,
                zip_chains=zip_chains,
                on_progress=progress,
            )
    except ValueError as e:
        _fail(str(e))
    click.echo(f"sample market {first} .. {last} written to {target} (manifest: {manifest})")


@main.group()
def landing() -> None:
    """Inspect a landing directory (vendor files) before a run."""


@landing.command("check")
@click.argument("directory", type=click.Path(file_okay=False), required=False)
def landing_check(directory: str | None) -> None:
    """List, per source, the files and days found in DIRECTORY (default: the configured
    landing directory), the rows and files that would be quarantined or refused and why,
    what a run would miss and which rules that skips, and which files are modelled."""
    from alvh_assets.ingest.inventory import report, take_stock

    root = Path(directory) if directory else paths.landing_dir()
    if not root.is_dir():
        _fail(f"landing directory {root} does not exist or is not a folder")
    with _progress() as progress:
        inventory = take_stock(root, lambda _f, i, n: progress("reading landing files", i, n))
    click.echo(report(inventory))


def _resources(ctx: click.Context, force: bool = False) -> dict[str, object]:
    """The code location's resources with this invocation's config file and overrides;
    ``force``: replacements that would drop much of a stored day go ahead (``--force``)."""
    import json

    from alvh_assets.dagster_support import AlvhSettings
    from orchestration.definitions import defs

    root = ctx.find_root().obj
    overrides = dict(parse_override(o) for o in root["overrides"])
    extra = {}
    if force and "force_replace" in AlvhSettings.model_fields:
        extra["force_replace"] = True
    # a new resource: Dagster runs ignore values set by pydantic's model_copy
    settings = AlvhSettings(
        config_path=root["config"],
        overrides_json=json.dumps(overrides, default=str),  # YAML dates: ISO text again
        landing_dir=defs.resources["alvh"].landing_dir,
        **extra,
    )
    return {**defs.resources, "alvh": settings}


def _run_pipeline(
    ctx: click.Context, steps: list, publish: bool = True, force: bool = False
) -> None:
    """Run the steps in the project's Dagster instance with a progress bar, then publish.

    A failed step ends the command in one line (:class:`StepFailedError`, exit 2 when the
    user can fix the cause, else 1); Dagster's error records and traces go to the log file.
    The CLI's subprocesses die with it (:func:`_contain_children`)."""
    from orchestration.pipeline import StepFailedError, run_steps
    from orchestration.runs import instance_home, release_stale_runs

    _contain_children()
    instance_home()
    config = ctx.find_root().obj["config"]
    if config:  # the code location reads the partitions' first day from the same file
        paths.use_config_file(config)
    import dagster as dg

    from alvh_assets.dagster_support import PARTITIONS_START

    starts = [s.tags["dagster/asset_partition_range_start"] for s in steps if s.tags]
    if starts and min(starts) < PARTITIONS_START:
        _fail(
            f"the run starts on {min(starts)}, before the first partition {PARTITIONS_START}: "
            "set data_start in the config file (the first day of your landing files)"
        )
    resources = _resources(ctx, force)
    with dg.DagsterInstance.get() as instance:
        released = release_stale_runs(instance)
        if released:
            click.echo(f"marked {len(released)} interrupted run(s) failed: {', '.join(released)}")
        try:
            with _progress() as progress, _errors_to_log():
                run_steps(steps, instance, resources, lambda i, n, label: progress(label, i, n))
        except StepFailedError as e:
            _fail(str(e), code=2 if e.user_fixable else 1, detail=e.detail or str(e))
    if publish:
        _publish(ctx)


def _window(
    cfg: AlvhConfig, date: dt.datetime | None, start: dt.datetime | None, end: dt.datetime | None
) -> tuple[dt.date, dt.date]:
    from alvh_assets.calendars import trading_days

    if date and (start or end):
        _fail("give --date or --start/--end, not both")
    first = (date or start).date() if (date or start) else cfg.sample_start
    last = (date or end).date() if (date or end) else cfg.sample_end
    if first > last:
        _fail(f"--start {first} is after --end {last}")
    if not trading_days(first, last):
        _fail(f"no NYSE trading day in {first} .. {last}: nothing to run")
    return first, last


def _window_options(f: Callable) -> Callable:
    f = click.option(
        "--force",
        is_flag=True,
        help="Let a replacement drop more of a stored day than the configured share.",
    )(f)
    f = click.option("--end", type=DATE, help="Last day (default: config sample_end).")(f)
    f = click.option("--start", type=DATE, help="First day (default: config sample_start).")(f)
    return f


@main.command()
@_window_options
@click.pass_context
def demo(
    ctx: click.Context, start: dt.datetime | None, end: dt.datetime | None, force: bool
) -> None:
    """Build the sample market and materialize every asset through Dagster.

    Runs in order: the landing files; the monthly/calendar sources; daily ingest and
    pricing for the trading days from ``warmup_days`` before the start to the end (one run);
    the dbt views; the dbt marts, the four strategies and their attribution for the
    start..end days (one run each); the HTML report, whose path it prints; then publishes
    the read-only copy. A backfill's checks run once over the loaded tables right after it,
    not per partition (Dagster would plan every check for every partition: minutes of
    bookkeeping for a multi-year range); the demo stops at the first failing check.
    """
    from orchestration.pipeline import pipeline_steps

    cfg = _config(ctx.find_root())  # fail fast on a bad config, before Dagster starts
    first, last = _window(cfg, None, start, end)
    warm = first - dt.timedelta(days=cfg.warmup_days)
    sample = {"start": first.isoformat(), "end": last.isoformat()}
    _run_pipeline(ctx, pipeline_steps(first, last, warm, sample=sample), force=force)
    from alvh_assets.report.build import REPORT_NAME, default_out_dir

    click.echo(f"landing files: {paths.landing_dir()}")
    click.echo(f"warehouse: {paths.warehouse_path()}")
    click.echo(f"report: {default_out_dir() / REPORT_NAME}")


@main.command()
@click.option("--date", type=DATE, help="One trading day.")
@_window_options
@click.pass_context
def run(
    ctx: click.Context,
    date: dt.datetime | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    force: bool,
) -> None:
    """Run the pipeline for one day (--date) or a range (--start/--end) as one run per step.

    Monthly/calendar sources, daily ingest and pricing, dbt views and marts, the four
    strategies and their attribution, the report; then publish. The strategies continue
    from the book persisted at the session before the first day.
    """
    from orchestration.pipeline import pipeline_steps

    cfg = _config(ctx.find_root())
    first, last = _window(cfg, date, start, end)
    fresh = not paths.warehouse_path().exists()
    _run_pipeline(ctx, pipeline_steps(first, last, first, fresh=fresh), force=force)
    click.echo(f"ran {first} .. {last}; warehouse: {paths.warehouse_path()}")


@main.command()
@_window_options
@click.pass_context
def backfill(
    ctx: click.Context, start: dt.datetime | None, end: dt.datetime | None, force: bool
) -> None:
    """Load history: like `run` over --start..--end, with daily ingest from ``warmup_days``
    before the start so indicators are warm; one run per step, resumable (rerun the same
    command after an interruption)."""
    from orchestration.pipeline import pipeline_steps

    cfg = _config(ctx.find_root())
    first, last = _window(cfg, None, start, end)
    warm = first - dt.timedelta(days=cfg.warmup_days)
    _run_pipeline(ctx, pipeline_steps(first, last, warm), force=force)
    click.echo(f"backfilled {first} .. {last}; warehouse: {paths.warehouse_path()}")


@main.command()
@click.option("--date", type=DATE, help="One trading day.")
@_window_options
@click.pass_context
def ingest(
    ctx: click.Context,
    date: dt.datetime | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    force: bool,
) -> None:
    """Ingest the landing files of a day or range into `raw` (bad rows to `quarantine`),
    with the monthly/calendar sources, and price the options."""
    from orchestration.pipeline import pipeline_steps

    cfg = _config(ctx.find_root())
    first, last = _window(cfg, date, start, end)
    steps = pipeline_steps(first, last, first, stages=("sources", "ingest"))
    _run_pipeline(ctx, steps, publish=False, force=force)
    click.echo(f"ingested {first} .. {last}; warehouse: {paths.warehouse_path()}")


def _publish(ctx: click.Context, full: bool = False) -> None:
    """Publish the warehouse; ``meta.publication.config_hash`` is this invocation's config
    (``--config``, ``--set``)."""
    from alvh_assets import warehouse
    from alvh_assets.publish import publish as publish_copy

    source = paths.warehouse_path()
    if not source.exists():
        _fail(f"no warehouse at {source}: build it first (alvh demo)")
    try:
        backend = paths.warehouse_backend()
        if backend == "ducklake":
            paths.ducklake_catalog()  # unset: said before the warehouse is opened
    except ValueError as e:
        _fail(str(e))
    # a lock another process holds is waited for, then one line naming its PID (AlvhGroup)
    with warehouse.connect(source) as con:
        if backend == "ducklake":
            _publish_lake(con, full)
            return
        result = publish_copy(con, full=full, config=_config(ctx))
    how = (
        f"incremental: {len(result.tables) - len(result.reused)} of {len(result.tables)} "
        "tables rewritten"
        if result.incremental
        else "full copy"
    )
    meta = result.publication
    through = meta.data_through.isoformat() if meta and meta.data_through else "no data"
    click.echo(
        f"published {result.path} ({len(result.parquet)} Parquet files; {how}; "
        f"{result.seconds:.1f} s); data through {through}"
    )


def _publish_lake(con: Any, full: bool) -> None:
    """Publish to the DuckLake catalog (``ALVH_WAREHOUSE_BACKEND=ducklake``), one line."""
    from alvh_assets.lake import publish_to_lake

    result = publish_to_lake(con, full=full)
    click.echo(
        f"published publication {result.number} to DuckLake (snapshot {result.snapshot}; "
        f"{len(result.rewritten)} of {len(result.tables)} tables rewritten; "
        f"{result.seconds:.1f} s)"
    )


@main.command()
@click.option(
    "--full",
    is_flag=True,
    help="Copy every table (not only what changed since the current publication): after "
    "editing stamped rows (_ingested_at, _computed_at) by hand.",
)
@click.pass_context
def publish(ctx: click.Context, full: bool) -> None:
    """Publish the read-only copy for analysts and BI tools (and Parquet exports): only what
    changed since the current publication is rewritten. With ALVH_WAREHOUSE_BACKEND=ducklake,
    publish to the DuckLake catalog instead (one snapshot per publication)."""
    _publish(ctx, full)


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Directory to write alvh_report.html and png/ into (default: <project root>/reports).",
)
@click.option("--sweep-id", help="The sweep of the robustness section (default: the latest).")
@click.option(
    "--heatmap",
    "heatmaps",
    multiple=True,
    metavar="METRIC",
    help="A metric of research.sweep_runs to map over the grid; repeatable "
    "(default: sharpe and max_drawdown).",
)
@click.option(
    "--heatmap-params",
    metavar="FIELD,FIELD",
    help="The two swept fields of the heatmaps (default: the first two swept).",
)
@click.pass_context
def report(
    ctx: click.Context,
    out: str | None,
    sweep_id: str | None,
    heatmaps: tuple[str, ...],
    heatmap_params: str | None,
) -> None:
    """Write the HTML report of the backtest from the warehouse (read-only).

    Reads the strategy, marts and attribution tables of the warehouse, the latest (or
    --sweep-id) parameter sweep for the robustness section (docs/research.md, "Reading the
    robustness section"; the default combination is the --config/--set values) and the
    landing manifest (for which inputs are real and which modelled); prints the HTML path.
    """
    import duckdb

    from alvh_assets import warehouse
    from alvh_assets.report.build import (
        ReportError,
        default_out_dir,
        landing_provenance,
        write_report,
    )
    from alvh_assets.report.robustness import SweepChoice

    cfg = _config(ctx.find_root())
    params = tuple(p.strip() for p in heatmap_params.split(",")) if heatmap_params else None
    if params is not None and len(params) != 2:
        _fail(f"--heatmap-params {heatmap_params}: give two swept fields, FIELD,FIELD")
    choice = SweepChoice(sweep_id, heatmaps or SweepChoice.metrics, params, cfg)

    source = paths.warehouse_path()
    if not source.exists():
        _fail(f"no warehouse at {source}: build it first (alvh demo)")
    target = Path(out) if out else default_out_dir()
    try:
        with warehouse.connect(source, read_only=True) as con:
            provenance = landing_provenance(paths.landing_dir())
            page = write_report(con, target, provenance, cfg.attribution, choice)
    except ReportError as e:
        _fail(str(e))
    except duckdb.Error as e:
        _fail(f"cannot read the warehouse {source}: {e}")
    click.echo(str(page))


GRID_HELP = """\b
Grid syntax (--grid, repeatable; one axis each):
  section.field=v1,v2,v3        a list (each value YAML-typed, as --set)
  section.field=start:stop:step an inclusive range (0.12:0.28:0.04 ->
                                0.12, 0.16, 0.20, 0.24, 0.28)
or --grid-file FILE, YAML: {section.field: [v1, v2] or "start:stop:step"}
(at the top level or under `grid:`). The combinations are the product of
the axes on top of --config/--set; every one is validated before anything
runs. Fields read by the dbt marts, the ingest guards and the sample range
cannot be swept (a sweep never re-runs dbt, ingest or pricing)."""


@main.command(epilog=GRID_HELP)
@click.option(
    "--grid",
    "grid",
    multiple=True,
    metavar="SECTION.FIELD=VALUES",
    help="One axis: v1,v2,… or start:stop:step (see below); repeatable.",
)
@click.option(
    "--grid-file",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML file of axes (see below).",
)
@click.option(
    "--sweep-id",
    help="Name of the sweep (default: a digest of the grid, config and window); a rerun of "
    "the same sweep skips the finished combinations.",
)
@click.option("--start", type=DATE, help="First day (default: the stored strategy range).")
@click.option("--end", type=DATE, help="Last day (default: the stored strategy range).")
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    help="Worker processes (default: one per core; 1 runs in this process).",
)
@click.option(
    "--reps",
    type=click.IntRange(10, 1_000_000),
    default=1000,
    show_default=True,
    help="Bootstrap resamples per combination.",
)
@click.option(
    "--block-size",
    type=click.FloatRange(1.0, None),
    help="Expected block length of the stationary bootstrap, sessions (default: the "
    "Politis-White optimal length of ALVH's excess returns).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed offset.")
@click.option(
    "--walk-forward",
    is_flag=True,
    help="Walk-forward instead: per rolling window, the combination best in-sample by "
    "--criterion and its out-of-sample results (research.walk_forward).",
)
@click.option(
    "--criterion",
    type=click.Choice(["sharpe", "cagr", "calmar"]),
    default="sharpe",
    show_default=True,
    help="Walk-forward: ALVH's in-sample metric to maximize (as attribution.performance).",
)
@click.option("--in-sample-years", type=click.FloatRange(0.0, None, min_open=True))
@click.option("--out-of-sample-years", type=click.FloatRange(0.0, None, min_open=True))
@click.option(
    "--in-sample-sessions",
    type=click.IntRange(2, None),
    help="Walk-forward windows in sessions instead of years (default: 3 years in, 1 out).",
)
@click.option("--out-of-sample-sessions", type=click.IntRange(2, None))
@click.pass_context
def sweep(
    ctx: click.Context,
    grid: tuple[str, ...],
    grid_file: str | None,
    sweep_id: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    workers: int | None,
    reps: int,
    block_size: float | None,
    seed: int,
    walk_forward: bool,
    criterion: str,
    in_sample_years: float | None,
    out_of_sample_years: float | None,
    in_sample_sessions: int | None,
    out_of_sample_sessions: int | None,
) -> None:
    """Run the strategies and their attribution over a grid of config values, in-process on
    the warehouse's marts and pricing (never re-ingesting, re-pricing or re-running dbt),
    one worker per core; with ALVH's significance against each other strategy (bootstrap
    CIs, PSR) and the deflated Sharpe ratio of the best combination.

    Results: research.sweep_runs, research.sweep_significance, research.sweep_deflated
    (docs/research.md). Resumable: rerun the same command after an interruption.

    With --walk-forward: every combination runs once over the range, the range is cut into
    rolling in-sample/out-of-sample windows, and per window the combination with ALVH's
    best in-sample --criterion is reported with every strategy's out-of-sample metrics
    (research.walk_forward; no significance, nothing in research.sweep_runs).
    """
    from alvh_assets import warehouse
    from alvh_assets.research.grid import (
        combinations,
        merge_axes,
        parse_axis,
        read_grid_file,
        sweep_id_of,
    )

    root = ctx.find_root().obj
    try:
        axes = [parse_axis(g) for g in grid]
        axes += read_grid_file(grid_file) if grid_file else []
        axes = merge_axes(axes)
        combos = combinations(axes, root["config"], list(root["overrides"]))
    except ConfigError as e:
        _fail(_one_line(e))
    base = _config(ctx.find_root())
    source = paths.warehouse_path()
    if not source.exists():
        _fail(f"no warehouse at {source}: build it first (alvh demo, or alvh backfill)")
    from alvh_assets.research.sweep import SweepError, run_sweep, summary, sweep_window

    _contain_children()
    with warehouse.connect(source) as con:
        try:
            window = sweep_window(
                con, base, start.date() if start else None, end.date() if end else None
            )
        except SweepError as e:
            _fail(str(e))
        sid = sweep_id or sweep_id_of(axes, base, window)
        if walk_forward:
            _walk_forward(
                con,
                sid,
                axes,
                combos,
                window,
                base,
                workers=workers,
                criterion=criterion,
                sizes=(in_sample_years, out_of_sample_years),
                counts=(in_sample_sessions, out_of_sample_sessions),
            )
            return
        click.echo(
            f"sweep {sid}: {len(combos)} combinations of {', '.join(a.key for a in axes)} "
            f"over {window[0]} .. {window[1]}"
        )
        try:
            with _progress(eta=True) as progress:
                result = run_sweep(
                    con,
                    sid,
                    axes,
                    combos,
                    window,
                    workers=workers,
                    reps=reps,
                    block_size=block_size,
                    seed=seed,
                    on_progress=lambda d, t: progress("combinations", d, t),
                )
        except SweepError as e:
            _fail(str(e))
        text = summary(con, sid, axes, combos)
    per = result.seconds_per_combination
    timing = f", {per:.2f} s per combination" if per is not None else ""
    click.echo(f"ran {result.ran}, skipped {result.skipped} already finished{timing}")
    click.echo(text)


def _walk_forward(
    con: Any,
    sid: str,
    axes: list,
    combos: list,
    window: tuple[dt.date, dt.date],
    base: Any,
    *,
    workers: int | None,
    criterion: str,
    sizes: tuple[float | None, float | None],
    counts: tuple[int | None, int | None],
) -> None:
    """``alvh sweep --walk-forward``: run, choose per window, write, print."""
    from alvh_assets.calendars import trading_days
    from alvh_assets.research import walkforward as wf

    if any(c is not None for c in counts):
        if any(v is not None for v in sizes):
            _fail("give the walk-forward windows in years or in sessions, not both")
        spec = {"in_sessions": counts[0], "out_sessions": counts[1]}
        if None in counts:
            _fail("give both --in-sample-sessions and --out-of-sample-sessions")
    else:
        spec = {"in_years": sizes[0] or 3.0, "out_years": sizes[1] or 1.0}
    try:
        wins = wf.windows(trading_days(*window), **spec)
    except wf.WalkForwardError as e:
        _fail(str(e))
    wid = wf.walk_forward_id_of(sid, criterion, wins)
    click.echo(
        f"walk-forward {wid}: {len(combos)} combinations of {', '.join(a.key for a in axes)}, "
        f"{len(wins)} windows over {window[0]} .. {window[1]}, criterion {criterion}"
    )
    try:
        with _progress(eta=True) as progress:
            accounts = wf.run_accounts(
                con,
                combos,
                window,
                workers=workers,
                on_progress=lambda d, t: progress("combinations", d, t),
            )
    except wf.sw.SweepError as e:
        _fail(str(e))
    table = wf.walk_forward_table(
        wid, axes, combos, accounts, wins, criterion, base.attribution.trading_days_per_year
    )
    wf.write(con, table, wid)
    click.echo(wf.summary(table, axes))


def _quarantine_counts(source: Path) -> tuple[list[tuple[str, str, int]], str]:
    """Quarantine counts from the working warehouse, read-only and without waiting; while
    another process writes it, from the published copy instead. (rows, where from)."""
    from alvh_assets import warehouse
    from alvh_assets.publish import published_database
    from orchestration.status import quarantine_counts

    try:
        with warehouse.connect(source, read_only=True, wait=0) as con:
            return quarantine_counts(con), str(source)
    except warehouse.WarehouseLockedError as e:
        copy = published_database()
        if not copy.exists():
            raise
        import duckdb

        with duckdb.connect(str(copy), read_only=True) as con:
            held = f" by process {e.pid}" if e.pid else ""
            return quarantine_counts(con), f"{copy} (the warehouse is busy{held})"


@main.command()
@click.option("--all-checks", is_flag=True, help="List every check, not only failed ones.")
def status(all_checks: bool) -> None:
    """Latest partition per asset, failed checks (and checks planned but not run, after a
    failed or killed run), and quarantined rows by reason. Exits 2 without a warehouse."""
    from orchestration.runs import instance_home
    from orchestration.status import asset_status, check_status, publication_line

    source = paths.warehouse_path()
    if not source.exists():
        _fail(f"no warehouse at {source}: build it first (alvh demo, or alvh backfill)")
    instance_home()
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        assets = asset_status(instance)
        checks = check_status(instance)
    click.secho("assets (latest materialized partition or time)", bold=True)
    for row in assets:
        click.echo(f"  {row['asset']:<45} {row['latest'] or 'never'}")
    shown = checks if all_checks else [c for c in checks if c["status"] != "passed"]
    click.secho(f"checks ({len(checks)} with results, {len(shown)} shown)", bold=True)
    for row in shown:
        detail = f" - {row['detail']}" if row.get("detail") else ""
        click.echo(f"  {row['status']:<8} {row['asset']} :: {row['check']}{detail}")
    click.secho("published copy", bold=True)
    click.echo(f"  {publication_line()}")
    counts, origin = _quarantine_counts(source)
    click.secho(f"quarantined rows by source and reason (from {origin})", bold=True)
    for source_name, reason, rows in counts:
        click.echo(f"  {source_name:<28} {reason:<32} {rows:>8}")
    if not counts:
        click.echo("  none")


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the Markdown (default docs/data_dictionary.md of the project).",
)
@click.option(
    "--check", is_flag=True, help="Write nothing: exit 1 when the file differs from the copy."
)
def dictionary(out: Path | None, check: bool) -> None:
    """Write the data dictionary (docs/data_dictionary.md) from the published copy itself:
    every table, view and column of the reader schemas with its comment. Lists what has no
    comment, and the raw columns the dbt sources yml leaves undescribed."""
    import duckdb

    from alvh_assets import dictionary as dd
    from alvh_assets.publish import published_database
    from alvh_assets.source_docs import SOURCES_YML

    target = published_database()
    if not target.exists():
        _fail(f"no published warehouse at {target}: run `alvh publish` (or `alvh demo`)")
    out = out or Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{target}' AS published (READ_ONLY)")
        text = dd.markdown(con, "published")
        missing = dd.uncommented(con, "published")
    finally:
        con.close()
    if check:
        if not out.exists() or out.read_text() != text:
            _fail(f"{out} differs from the published copy: run `alvh dictionary`", code=1)
        click.echo(f"{out} matches the published copy")
    else:
        out.write_text(text)
        click.echo(f"wrote {out} from {target}")
    click.echo(f"{len(missing)} tables, views or columns without a comment")
    for name in missing[:20]:
        click.echo(f"  {name}")
    undescribed = dd.missing_source_descriptions()
    if undescribed:
        click.echo(f"{len(undescribed)} source tables or columns undescribed in {SOURCES_YML}:")
        for name in undescribed[:20]:
            click.echo(f"  {name}")


CONSOLE_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}
"""DuckDB settings of the ``alvh sql`` connection: no file or network access beyond the
database opened (no ATTACH, COPY … TO, read_csv of local files, INSTALL), no extension
loading, and no ``SET`` that could undo any of it (the configuration is locked)."""
REFUSED_STATEMENTS = frozenset(
    {"ATTACH", "DETACH", "COPY", "COPY_DATABASE", "EXPORT", "LOAD", "EXTENSION"}
)
"""Statement types ``alvh sql`` refuses before DuckDB sees them (DuckDB's configuration
refuses them too; this names the reason)."""


class ConsoleRefusedError(Exception):
    """A statement ``alvh sql`` will not run, or SQL it cannot parse; one line."""


def open_console(database: Path) -> Any:
    """A read-only DuckDB connection to ``database`` confined by :data:`CONSOLE_CONFIG`."""
    import duckdb

    from alvh_assets.paths import duckdb_memory_limit

    config = {**CONSOLE_CONFIG, "memory_limit": duckdb_memory_limit()}
    return duckdb.connect(str(database), read_only=True, config=config)


def console_statements(con: Any, text: str) -> list[str]:
    """The statements of ``text``, split by DuckDB's own parser (a ``;`` inside a string
    or a comment does not split); :class:`ConsoleRefusedError` for a parse error or a statement
    of a type in :data:`REFUSED_STATEMENTS`."""
    import duckdb

    try:
        parsed = con.extract_statements(text)
    except duckdb.Error as e:
        raise ConsoleRefusedError(_one_line(e)) from e
    for statement in parsed:
        kind = statement.type.name
        if kind in REFUSED_STATEMENTS:
            words = " ".join(statement.query.split()[:4])
            raise ConsoleRefusedError(
                f"refused: {kind.replace('_', ' ')} statements are not allowed in alvh sql "
                f"(it reads the published copy only, without file access): {words} …"
            )
    return [s.query.strip() for s in parsed]


@main.command()
@click.argument("query", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", help="Output."
)
def sql(query: str | None, fmt: str) -> None:
    """Query the published copy read-only: QUERY, or statements from standard input, split
    by DuckDB's parser. Open while the pipeline runs: it never locks the working warehouse.

    The console is confined: no access to files or the network (ATTACH, COPY … TO,
    EXPORT, read_csv of a local file, INSTALL/LOAD are refused in one line, exit 2), and its
    configuration is locked."""
    import duckdb

    from alvh_assets.publish import published_database

    target = published_database()
    if not target.exists():
        _fail(f"no published warehouse at {target}: run `alvh publish` (or `alvh demo`)")
    text = query if query is not None else sys.stdin.read()
    with open_console(target) as con:
        try:
            statements = console_statements(con, text)
        except ConsoleRefusedError as e:
            _fail(str(e))
        if not statements:
            _fail("no SQL given: pass a query or pipe statements on standard input")
        for statement in statements:
            try:
                rel = con.sql(statement)
                if rel is None:
                    continue
                out = rel.pl().write_csv() if fmt == "csv" else str(rel)
            except duckdb.PermissionException as e:
                _fail(f"refused: {_one_line(e)}")
            except duckdb.Error as e:
                _fail(f"{e.__class__.__name__}: {_one_line(e)}")
            click.echo(out, nl=fmt != "csv")
