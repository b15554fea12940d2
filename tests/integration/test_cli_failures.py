"""Runtime failures through the real CLI (issue 13, defects 2 and 3): one line on standard
error naming a log file with the trace, exit 2 for what the user can fix; a writer waits
for a short-lived reader of the working file and names the PID of a long one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ALVH = str(Path(sys.executable).with_name("alvh"))


def _env(home: Path, db: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "ALVH_HOME": str(home),
        "ALVH_WAREHOUSE": str(db),
        "DAGSTER_HOME": str(home / "dagster_home"),
        **extra,
    }


def _one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert lines[0].endswith(")") and "(details: " in lines[0], lines[0]
    assert Path(lines[0].rsplit("(details: ", 1)[1][:-1]).exists()
    return lines[0]


def _reader(db: Path, seconds: float, every: float | None = None) -> subprocess.Popen:
    """An analyst on the working file: holds it read-only for ``seconds``, or (``every``)
    opens and closes it every ``every`` seconds for ``seconds``."""
    code = (
        "import duckdb, sys, time\n"
        f"end = time.monotonic() + {seconds}\n"
        f"con = duckdb.connect({str(db)!r}, read_only=True)\n"
        "print('open', flush=True)\n"
        + (
            f"while time.monotonic() < end:\n    con.close(); time.sleep({every})\n"
            f"    con = duckdb.connect({str(db)!r}, read_only=True); time.sleep(0.05)\n"
            if every
            else "time.sleep(max(0, end - time.monotonic()))\n"
        )
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "open"
    return proc


@pytest.fixture
def working(built: Path, tmp_path: Path) -> Path:
    db = tmp_path / "warehouse" / "alvh.duckdb"
    db.parent.mkdir()
    shutil.copy(built, db)
    return db


def test_publish_waits_for_a_reader_then_names_the_pid_of_one_that_stays(
    working: Path, tmp_path: Path
) -> None:
    env = _env(tmp_path, working, ALVH_LOCK_WAIT_SECONDS="1")
    stays = _reader(working, seconds=120)
    try:
        out = subprocess.run([ALVH, "publish"], env=env, capture_output=True, text=True)
        status = subprocess.run([ALVH, "status"], env=env, capture_output=True, text=True)
    finally:
        stays.kill()
        stays.wait()
    assert out.returncode == 2, out.stderr
    line = _one_line(out.stderr)
    assert f"locked by process {stays.pid}" in line and "alvh sql" in line
    assert status.returncode == 0 and "Traceback" not in status.stderr, status.stderr
    env = _env(tmp_path, working)
    for reader in (_reader(working, seconds=2), _reader(working, seconds=6, every=0.2)):
        try:
            started = time.monotonic()
            out = subprocess.run([ALVH, "publish"], env=env, capture_output=True, text=True)
        finally:
            reader.kill()
            reader.wait()
        assert out.returncode == 0, out.stderr
        assert "published" in out.stdout and time.monotonic() - started < 60


def test_an_unwritable_output_folder_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("")
    out = subprocess.run(
        [ALVH, "sample", "--start", "2008-10-06", "--end", "2008-10-08", "--out",
         str(tmp_path / "a_file" / "landing")],
        env=_env(tmp_path, tmp_path / "alvh.duckdb"), capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert str(tmp_path / "a_file") in _one_line(out.stderr)


def test_status_without_a_warehouse_is_one_line_exit_2(tmp_path: Path) -> None:
    out = subprocess.run(
        [ALVH, "status"], env=_env(tmp_path, tmp_path / "none.duckdb"), capture_output=True,
        text=True,
    )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "no warehouse at" in lines[0]
