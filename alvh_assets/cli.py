"""The ``alvh`` command line: ``alvh --help`` lists every command."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from alvh_assets import paths
from alvh_assets.config import AlvhConfig, ConfigError, dump_defaults, load_config, parse_override

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _fail(message: str, code: int = 2) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def _config(ctx: click.Context) -> AlvhConfig:
    try:
        overrides = dict(parse_override(o) for o in ctx.obj["overrides"])
        return load_config(ctx.obj["config"], overrides)
    except ConfigError as e:
        _fail(str(e))
        raise  # unreachable


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress display with one bar per stage; yields the ``on_progress`` callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[bold]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


def _resources(ctx: click.Context) -> dict[str, object]:
    """The code location's resources with this invocation's config file and overrides."""
    import json

    from orchestration.definitions import defs
    from orchestration.resources import AlvhSettings

    root = ctx.find_root().obj
    overrides = dict(parse_override(o) for o in root["overrides"])
    # a new resource: Dagster runs ignore values set by pydantic's model_copy
    settings = AlvhSettings(
        config_path=root["config"],
        overrides_json=json.dumps(overrides),
        landing_dir=defs.resources["alvh"].landing_dir,
    )
    return {**defs.resources, "alvh": settings}


def _run_pipeline(ctx: click.Context, steps: list, publish: bool = True) -> None:
    """Run the steps in the project's Dagster instance with a progress bar, then publish."""
    from orchestration.pipeline import StepFailedError, run_steps
    from orchestration.runs import instance_home, release_stale_runs

    instance_home()
    import dagster as dg

    resources = _resources(ctx)
    with dg.DagsterInstance.get() as instance:
        released = release_stale_runs(instance)
        if released:
            click.echo(f"marked {len(released)} interrupted run(s) failed: {', '.join(released)}")
        try:
            with _progress() as progress:
                run_steps(steps, instance, resources, lambda i, n, label: progress(label, i, n))
        except StepFailedError as e:
            _fail(str(e), code=1)
    if publish:
        _publish()


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
    f = click.option("--end", type=DATE, help="Last day (default: config sample_end).")(f)
    f = click.option("--start", type=DATE, help="First day (default: config sample_start).")(f)
    return f


@main.command()
@_window_options
@click.pass_context
def demo(ctx: click.Context, start: dt.datetime | None, end: dt.datetime | None) -> None:
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
    _run_pipeline(ctx, pipeline_steps(first, last, warm, sample=sample))
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
) -> None:
    """Run the pipeline for one day (--date) or a range (--start/--end) as one run per step.

    Monthly/calendar sources, daily ingest and pricing, dbt views and marts, the four
    strategies and their attribution, the report; then publish. The strategies continue
    from the book persisted at the session before the first day.
    """
    from orchestration.pipeline import pipeline_steps

    cfg = _config(ctx.find_root())
    first, last = _window(cfg, date, start, end)
    _run_pipeline(ctx, pipeline_steps(first, last, first))
    click.echo(f"ran {first} .. {last}; warehouse: {paths.warehouse_path()}")


@main.command()
@_window_options
@click.pass_context
def backfill(ctx: click.Context, start: dt.datetime | None, end: dt.datetime | None) -> None:
    """Load history: like `run` over --start..--end, with daily ingest from ``warmup_days``
    before the start so indicators are warm; one run per step, resumable (rerun the same
    command after an interruption)."""
    from orchestration.pipeline import pipeline_steps

    cfg = _config(ctx.find_root())
    first, last = _window(cfg, None, start, end)
    warm = first - dt.timedelta(days=cfg.warmup_days)
    _run_pipeline(ctx, pipeline_steps(first, last, warm))
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
) -> None:
    """Ingest the landing files of a day or range into `raw` (bad rows to `quarantine`),
    with the monthly/calendar sources, and price the options."""
    from orchestration.pipeline import pipeline_steps

    cfg = _config(ctx.find_root())
    first, last = _window(cfg, date, start, end)
    _run_pipeline(ctx, pipeline_steps(first, last, first, stages=("sources", "ingest")), False)
    click.echo(f"ingested {first} .. {last}; warehouse: {paths.warehouse_path()}")


def _publish() -> None:
    from alvh_assets import warehouse
    from alvh_assets.publish import publish as publish_copy

    source = paths.warehouse_path()
    if not source.exists():
        _fail(f"no warehouse at {source}: build it first (alvh demo)")
    with warehouse.connect(source) as con:
        result = publish_copy(con)
    click.echo(f"published {result.path} ({len(result.parquet)} Parquet files)")


@main.command()
def publish() -> None:
    """Publish the read-only copy for analysts and BI tools (and Parquet exports)."""
    _publish()


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Directory to write alvh_report.html and png/ into (default: <project root>/reports).",
)
def report(out: str | None) -> None:
    """Write the HTML report of the backtest from the warehouse (read-only).

    Reads the strategy, marts and attribution tables of the warehouse and the landing
    manifest (for which inputs are real and which modelled); prints the HTML path.
    """
    import duckdb

    from alvh_assets import warehouse
    from alvh_assets.report.build import (
        ReportError,
        default_out_dir,
        landing_provenance,
        write_report,
    )

    source = paths.warehouse_path()
    if not source.exists():
        _fail(f"no warehouse at {source}: build it first (alvh demo)")
    target = Path(out) if out else default_out_dir()
    try:
        with warehouse.connect(source, read_only=True) as con:
            page = write_report(con, target, landing_provenance(paths.landing_dir()))
    except ReportError as e:
        _fail(str(e))
    except duckdb.Error as e:
        _fail(f"cannot read the warehouse {source}: {e}")
    click.echo(str(page))


@main.command()
@click.option("--all-checks", is_flag=True, help="List every check, not only failed ones.")
def status(all_checks: bool) -> None:
    """Latest partition per asset, failed checks, and quarantined rows by reason."""
    from orchestration.runs import instance_home
    from orchestration.status import asset_status, check_status, quarantine_counts

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
        click.echo(f"  {row['status']:<8} {row['asset']} :: {row['check']}")
    source = paths.warehouse_path()
    if not source.exists():
        click.echo(f"no warehouse at {source}")
        return
    from alvh_assets import warehouse

    with warehouse.connect(source, read_only=True) as con:
        counts = quarantine_counts(con)
    click.secho("quarantined rows by source and reason", bold=True)
    for source_name, reason, rows in counts:
        click.echo(f"  {source_name:<28} {reason:<32} {rows:>8}")
    if not counts:
        click.echo("  none")


@main.command()
@click.argument("query", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", help="Output."
)
def sql(query: str | None, fmt: str) -> None:
    """Query the published warehouse read-only: QUERY, or statements from standard input
    (one per ';'). Open while the pipeline runs: it never locks the working warehouse."""
    import duckdb

    from alvh_assets.publish import published_dir

    target = published_dir() / "alvh.duckdb"
    if not target.exists():
        _fail(f"no published warehouse at {target}: run `alvh publish` (or `alvh demo`)")
    text = query if query is not None else click.get_text_stream("stdin").read()
    statements = [s.strip() for s in text.split(";") if s.strip()]
    if not statements:
        _fail("no SQL given: pass a query or pipe statements on standard input")
    with duckdb.connect(str(target), read_only=True) as con:
        for statement in statements:
            try:
                rel = con.sql(statement)
            except duckdb.Error as e:
                _fail(f"{e.__class__.__name__}: {e}")
            if rel is None:
                continue
            if fmt == "csv":
                click.echo(rel.pl().write_csv(), nl=False)
            else:
                click.echo(str(rel))
