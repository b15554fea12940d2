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


@main.command()
@click.option("--start", type=DATE, help="First day (default: config sample_start).")
@click.option("--end", type=DATE, help="Last day (default: config sample_end).")
@click.pass_context
def demo(ctx: click.Context, start: dt.datetime | None, end: dt.datetime | None) -> None:
    """Build the sample market and materialize every asset through Dagster.

    Runs in order: the landing files; the monthly/calendar sources; daily ingest and
    pricing for the trading days from ``warmup_days`` before the start to the end (one run);
    the dbt views; the dbt marts, the four strategies and their attribution for the
    start..end days (one run each); the HTML report, whose path it prints. A backfill's checks run
    once over the loaded tables right after it, not per partition (Dagster would plan every
    check for every partition: minutes of bookkeeping for a multi-year range); the demo
    stops at the first failing check.
    """
    import json

    cfg = _config(ctx.find_root())  # fail fast on a bad config, before Dagster starts
    from orchestration.runs import instance_home, materialize, partition_range_tags

    instance_home()
    import dagster as dg

    from orchestration.definitions import (
        ATTRIBUTION,
        DAILY_INGEST,
        LANDING,
        MARTS,
        REPORT,
        STRATEGY,
        VIEWS,
        WHOLE,
        defs,
    )

    first = start.date() if start else cfg.sample_start
    last = end.date() if end else cfg.sample_end
    root = ctx.find_root().obj
    overrides = dict(parse_override(o) for o in root["overrides"])
    resources = {
        **defs.resources,
        "alvh": defs.resources["alvh"].model_copy(
            update={"config_path": root["config"], "overrides_json": json.dumps(overrides)}
        ),
    }
    sample_config = {"start": first.isoformat(), "end": last.isoformat()}
    warm = partition_range_tags(first - dt.timedelta(days=cfg.warmup_days), last)
    days = partition_range_tags(first, last)
    runs = [
        (
            "landing files",
            LANDING,
            {"ops": {"landing__sample_market": {"config": sample_config}}},
            None,
        ),
        ("monthly and calendar sources", WHOLE, None, None),
        ("daily ingest and pricing", DAILY_INGEST.without_checks(), None, warm),
        (
            "checks of the daily ingest and pricing",
            DAILY_INGEST - DAILY_INGEST.without_checks(),
            None,
            None,
        ),
        ("dbt staging views", VIEWS, None, None),
        ("dbt marts", MARTS.without_checks(), None, days),
        (
            "checks of the marts (dbt tests, great_expectations)",
            MARTS - MARTS.without_checks(),
            None,
            None,
        ),
        (
            "strategies (unhedged, single layer, static, ALVH 4/4/2)",
            STRATEGY.without_checks(),
            None,
            days,
        ),
        ("checks of the strategy tables", STRATEGY - STRATEGY.without_checks(), None, None),
        ("attribution and performance", ATTRIBUTION.without_checks(), None, days),
        (
            "checks of the attribution (conservation to the cent)",
            ATTRIBUTION - ATTRIBUTION.without_checks(),
            None,
            None,
        ),
        ("HTML report", REPORT, None, None),
    ]
    with dg.DagsterInstance.get() as instance:
        for label, selection, run_config, tags in runs:
            click.echo(f"== {label} ==")
            result = materialize(defs, selection, instance, resources, run_config, tags)
            failed = [
                e.asset_check_key.name for e in result.get_asset_check_evaluations() if not e.passed
            ]
            if not result.success or failed:
                _fail(
                    f"{label}: run {result.run_id} failed"
                    + (f"; failed checks: {', '.join(failed)}" if failed else ""),
                    code=1,
                )
    from alvh_assets.report.build import REPORT_NAME, default_out_dir

    click.echo(f"landing files: {paths.landing_dir()}")
    click.echo(f"warehouse: {paths.warehouse_path()}")
    click.echo(f"report: {default_out_dir() / REPORT_NAME}")


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
