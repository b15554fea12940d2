"""The ``alvh`` CLI: help everywhere, config commands, clear errors with exit codes."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner

from alvh_assets.dagster_support import AlvhSettings
from orchestration.cli import main


@pytest.mark.parametrize(
    "args", [[], ["config"], ["config", "show"], ["sample"], ["demo"], ["report"]]
)
def test_help_everywhere(args: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_config_show_applies_overrides() -> None:
    result = CliRunner().invoke(main, ["--set", "condor.exit_dte=14", "config", "show"])
    assert result.exit_code == 0, result.output
    assert "exit_dte: 14" in result.output


def test_invalid_override_exits_2_naming_the_field() -> None:
    result = CliRunner().invoke(main, ["--set", "hedge.beta_cap=5", "config", "show"])
    assert result.exit_code == 2
    assert "field 'hedge.beta_cap'" in result.output
    assert "allowed range [0.0, 2.0]" in result.output


def test_config_validate_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("regimes:\n  calm_vix: 25\n")
    result = CliRunner().invoke(main, ["config", "validate", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "calm_vix <= neutral_vix" in result.output


def test_sample_rejects_a_range_without_real_spx(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["sample", "--start", "1995-01-03", "--end", "1995-02-01", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "error:" in result.output and "1999-01-04" in result.output


def test_overrides_reach_the_dagster_runs_the_cli_launches() -> None:
    import click

    from orchestration.cli import _resources

    seen: list[int] = []

    @dg.asset
    def probe(alvh: AlvhSettings) -> None:
        seen.append(alvh.load().condor.exit_dte)

    ctx = click.Context(main, obj={"overrides": ["condor.exit_dte=14"], "config": None})
    resources = _resources(ctx)
    assert dg.materialize([probe], resources={"alvh": resources["alvh"]}).success
    assert seen == [14]  # a pydantic model_copy of the resource would arrive as the default


def test_a_date_override_reaches_the_runs() -> None:
    """``--set sample_start=2006-02-24`` is a date once YAML-typed; it crashed the JSON
    handoff to the Dagster resource ("date is not JSON serializable")."""
    import datetime as dt

    import click

    from orchestration.cli import _resources

    ctx = click.Context(main, obj={"overrides": ["sample_start=2006-02-24"], "config": None})
    assert _resources(ctx)["alvh"].load().sample_start == dt.date(2006, 2, 24)


# --- issue 13: one-line failures, status, locks, process hygiene, the manifest ----------------


def _one_error_line(stderr: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and "Traceback" not in stderr
    return lines[0]


def _details(line: str) -> Path:
    assert line.endswith(")") and "(details: " in line, line
    log = Path(line.rsplit("(details: ", 1)[1][:-1])
    assert log.exists()
    return log


def test_status_shows_checks_planned_by_a_failed_run_as_planned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run that fails before its check leaves an AssetCheckEvaluationPlanned record:
    status lists it as planned (it crashed on ``.passed``)."""
    from orchestration import status

    @dg.asset
    def boom() -> None:
        raise RuntimeError("killed part-way")

    @dg.asset_check(asset=boom, blocking=True)
    def boom_ok() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    @dg.asset
    def fine() -> None:
        pass

    @dg.asset_check(asset=fine)
    def fine_bad() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, description="failed expectations: a_le_b")

    monkeypatch.setattr(
        status, "defs", dg.Definitions(assets=[boom, fine], asset_checks=[boom_ok, fine_bad])
    )
    with dg.DagsterInstance.ephemeral() as instance:
        assert not dg.materialize([boom, boom_ok], instance=instance, raise_on_error=False).success
        dg.materialize([fine, fine_bad], instance=instance, raise_on_error=False)
        rows = status.check_status(instance)
    assert {(r["check"], r["status"], r["detail"]) for r in rows} == {
        ("boom_ok", "planned", ""),
        ("fine_bad", "failed", "failed expectations: a_le_b"),
    }


def test_status_without_a_warehouse_exits_2_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALVH_HOME", str(tmp_path))
    monkeypatch.setenv("ALVH_WAREHOUSE", str(tmp_path / "none" / "alvh.duckdb"))
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 2
    assert "no warehouse at" in _one_error_line(result.stderr)


def _hold(path: Path, read_only: bool, seconds: float):  # noqa: ANN202
    """A process holding ``path`` open for ``seconds``; returns once the file is open."""
    import subprocess
    import sys

    code = (
        "import duckdb, sys, time\n"
        f"c = duckdb.connect({str(path)!r}, read_only={read_only})\n"
        "print('open', flush=True)\n"
        f"time.sleep({seconds})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "open"
    return proc


def test_a_writer_waits_for_a_short_lived_reader(tmp_path: Path) -> None:
    import time

    import duckdb

    from alvh_assets import warehouse

    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    reader = _hold(db, read_only=True, seconds=1.0)
    try:
        started = time.monotonic()
        with warehouse.connect(db, wait=20) as con:
            con.execute("CREATE TABLE t AS SELECT 1")
        assert time.monotonic() - started >= 0.3  # it did wait, then wrote
    finally:
        reader.kill()
        reader.wait()


def test_a_lock_held_too_long_fails_in_one_line_naming_the_pid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    from alvh_assets import warehouse

    db = tmp_path / "alvh.duckdb"
    duckdb.connect(str(db)).close()
    reader = _hold(db, read_only=True, seconds=60)
    try:
        with pytest.raises(warehouse.WarehouseLockedError) as e, warehouse.connect(db, wait=0.5):
            pass
        assert e.value.pid == reader.pid and f"process {reader.pid}" in str(e.value)
        assert "published" in str(e.value) and "\n" not in str(e.value)
        monkeypatch.setenv("ALVH_HOME", str(tmp_path))
        monkeypatch.setenv("ALVH_WAREHOUSE", str(db))
        monkeypatch.setenv("ALVH_LOCK_WAIT_SECONDS", "0.5")
        result = CliRunner().invoke(main, ["publish"])
        assert result.exit_code == 2
        line = _one_error_line(result.stderr)
        assert f"process {reader.pid}" in line and "alvh sql" in line
        assert "Traceback" in _details(line).read_text()
    finally:
        reader.kill()
        reader.wait()


def test_status_reads_the_published_copy_while_a_writer_holds_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    db = tmp_path / "alvh.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA quarantine")
        con.execute(
            "CREATE TABLE quarantine.rejected_rows AS SELECT 'x' AS source, 'bad' AS reason_code"
        )
    (tmp_path / "published").mkdir()
    import shutil

    shutil.copy(db, tmp_path / "published" / "alvh.duckdb")
    monkeypatch.setenv("ALVH_HOME", str(tmp_path))
    monkeypatch.setenv("ALVH_WAREHOUSE", str(db))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    writer = _hold(db, read_only=False, seconds=60)
    try:
        result = CliRunner().invoke(main, ["status"])
    finally:
        writer.kill()
        writer.wait()
    assert result.exit_code == 0, result.output
    assert f"the warehouse is busy by process {writer.pid}" in result.stdout
    assert "bad" in result.stdout


def test_a_user_fixable_failure_of_a_run_exits_2_in_one_line_with_a_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's one line is the failed step's ``dg.Failure`` description; the log file
    named by the line holds the trace; Dagster's error records stay off the console."""
    import orchestration.pipeline as pipeline

    @dg.asset
    def landing_check() -> None:
        raise dg.Failure(
            description="landing folder /nonexistent does not exist",
            metadata={"alvh/user_fixable": True},
        )

    def fake_run_steps(steps, instance, resources, on_step=None) -> None:  # noqa: ANN001
        result = dg.materialize(
            [landing_check], instance=instance, run_config=pipeline.QUIET, raise_on_error=False
        )
        failure = pipeline.step_failure("daily ingest", result)
        assert failure is not None
        raise failure

    monkeypatch.setattr(pipeline, "run_steps", fake_run_steps)
    monkeypatch.setenv("ALVH_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    result = CliRunner().invoke(main, ["ingest", "--date", "2008-10-08"])
    assert result.exit_code == 2, result.output
    line = _one_error_line(result.stderr)
    assert "daily ingest: landing_check: landing folder /nonexistent does not exist" in line
    log = _details(line)
    assert log.parent == tmp_path / ".alvh" / "logs"
    assert "Failure" in log.read_text()


def test_step_failure_names_the_failed_check_and_its_asset() -> None:
    from orchestration.pipeline import step_failure

    @dg.asset
    def prices() -> None:
        pass

    @dg.asset_check(asset=prices, blocking=True)
    def no_negative_prices() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, description="3 negative prices\nmore")

    @dg.asset
    def crashes() -> None:
        raise ZeroDivisionError("division by zero")

    checked = dg.materialize([prices, no_negative_prices], raise_on_error=False)
    failure = step_failure("marts", checked)
    assert failure is not None and not failure.user_fixable
    assert "check no_negative_prices of asset prices failed: 3 negative prices" in str(failure)
    crashed = step_failure("strategies", dg.materialize([crashes], raise_on_error=False))
    assert "ZeroDivisionError: division by zero" in str(crashed) and not crashed.user_fixable
    assert "Traceback" in crashed.detail or "Stack Trace" in crashed.detail
    assert "\n" not in str(failure) + str(crashed)


def test_an_unexpected_error_is_one_line_exit_1_and_an_unwritable_output_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import alvh_assets.report.build as build

    monkeypatch.setenv("ALVH_HOME", str(tmp_path))
    monkeypatch.setenv("ALVH_WAREHOUSE", str(tmp_path / "alvh.duckdb"))
    import duckdb

    duckdb.connect(str(tmp_path / "alvh.duckdb")).close()

    def crash(*args, **kwargs) -> None:  # noqa: ANN002, ANN003
        raise KeyError("surprise")

    monkeypatch.setattr(build, "write_report", crash)
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert "unexpected KeyError" in line and "surprise" in _details(line).read_text()
    monkeypatch.undo()
    monkeypatch.setenv("ALVH_HOME", str(tmp_path))
    monkeypatch.setenv("ALVH_WAREHOUSE", str(tmp_path / "alvh.duckdb"))

    def unwritable(*args, **kwargs) -> None:  # noqa: ANN002, ANN003
        (tmp_path / "file").write_text("")
        (tmp_path / "file" / "png").mkdir(parents=True)

    monkeypatch.setattr(build, "write_report", unwritable)
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "file")])
    assert result.exit_code == 2
    assert str(tmp_path / "file" / "png") in _one_error_line(result.stderr)


def test_force_reaches_the_resource_when_it_has_the_setting() -> None:
    import click

    from orchestration.cli import _resources

    ctx = click.Context(main, obj={"overrides": [], "config": None})
    settings = _resources(ctx, force=True)["alvh"]
    if "force_replace" in AlvhSettings.model_fields:
        assert settings.force_replace is True
    for command in ("ingest", "run", "backfill", "demo"):
        assert "--force" in CliRunner().invoke(main, [command, "--help"]).output


@pytest.mark.parametrize(
    "text",
    ["{not json", '["a list"]', '{"files": [{"source": "x.csv"}]}', '{"files": "x"}'],
)
def test_a_malformed_manifest_gives_the_generic_note_and_a_warning(
    tmp_path: Path, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    from alvh_assets.report.build import landing_provenance, provenance_section
    from alvh_assets.sample.manifest import MANIFEST_NAME

    (tmp_path / MANIFEST_NAME).write_text(text)
    with caplog.at_level("WARNING", logger="alvh.report"):
        provenance = landing_provenance(tmp_path)
    assert provenance is None
    assert "No landing manifest was given" in provenance_section(provenance)
    assert any("malformed" in r.getMessage() for r in caplog.records)


_CHILD = """
import subprocess, sys, time
sys.argv[0] = "alvh"  # the console script
from orchestration.cli import _contain_children
assert _contain_children()
grandchild = subprocess.Popen(["sleep", "60"])  # as dagster-dbt starts dbt: no preexec_fn
print(grandchild.pid, flush=True)
if sys.argv[1] == "wait":
    time.sleep(60)
"""


def _alive(pid: int) -> bool:
    import os

    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False
    return os.path.exists(f"/proc/{pid}")


def test_the_cli_subprocess_tree_dies_when_the_cli_is_killed() -> None:
    """``kill -9`` of the CLI process alone (not its group): its subprocess (dbt, started
    by dagster-dbt without any hook) is killed within a short bounded wait."""
    import os
    import signal
    import subprocess
    import sys
    import time

    cli = subprocess.Popen(
        [sys.executable, "-c", _CHILD, "wait"], stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    grandchild = int(cli.stdout.readline())
    try:
        assert _alive(grandchild)
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait()
        deadline = time.monotonic() + 5
        while _alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(grandchild)
    finally:
        if _alive(grandchild):
            os.kill(grandchild, signal.SIGKILL)


def test_a_normal_exit_of_the_cli_kills_nothing() -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    cli = subprocess.Popen(
        [sys.executable, "-c", _CHILD, "exit"], stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    grandchild = int(cli.stdout.readline())
    try:
        assert cli.wait(timeout=30) == 0
        time.sleep(0.5)
        assert _alive(grandchild)
    finally:
        os.kill(grandchild, signal.SIGKILL)


def test_dbt_parse_dies_with_its_parent() -> None:
    """``die_with_parent`` (the ``preexec_fn`` of ``dbt parse``): SIGKILL on parent death."""
    import os
    import signal
    import subprocess
    import sys
    import time

    code = (
        "import subprocess, time\n"
        "from orchestration.dbt import die_with_parent\n"
        "p = subprocess.Popen(['sleep', '60'], preexec_fn=die_with_parent)\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    try:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)


def test_a_run_before_the_first_partition_exits_2_naming_data_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The partitions begin at the config's first day of data: a window before it is
    refused before any run starts, and the message says which setting moves it."""
    import orchestration.pipeline as pipeline

    def no_runs(*args: object, **kwargs: object) -> None:
        raise AssertionError("no run may start")

    monkeypatch.setattr(pipeline, "run_steps", no_runs)
    monkeypatch.setenv("ALVH_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    result = CliRunner().invoke(main, ["ingest", "--start", "2001-03-01", "--end", "2001-03-02"])
    assert result.exit_code == 2, result.output
    assert "before the first partition 2006-05-30" in result.output
    assert "data_start" in result.output
