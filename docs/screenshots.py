"""Screenshots of the Dagster UI for the README (``docs/img/*.png``): the asset graph, one
asset with its checks, its partitions, and the runs page.

    python docs/screenshots.py                  # a small demo in a temporary project first
    python docs/screenshots.py --project DIR    # the runs already in DIR/.dagster_home

Without ``--project`` it runs ``alvh demo`` for 2008-09-29 .. 2008-10-17 (config
``sample_start``/``sample_end``, so the partitions begin at the demo's first day of data) in
a temporary folder. Then it starts ``dg dev`` (the code location of ``[tool.dg]`` in
``pyproject.toml``) on that project's instance, opens each page in Debian's headless chromium
(``/usr/bin/chromium``, as the report's test does) through Playwright, waits for it to
render and saves it. Run from the checkout with its environment:
``PYTHONPATH=. .venv/bin/python docs/screenshots.py``.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
DEMO_LAST_DAY = "2008-10-17"
DEMO_CONFIG = f"sample_start: 2008-09-29\nsample_end: {DEMO_LAST_DAY}\n"
PAGES = {
    "asset_graph": "/asset-groups",
    "asset_checks": "/assets/raw/cboe_option_eod?view=checks",
    "asset_partitions": "/assets/raw/cboe_option_eod?view=partitions",
    "runs": "/runs",
}
"""File name (``docs/img/<name>.png``) -> the UI path it shows."""


def _prepare(page: Page, name: str) -> None:
    """Make page ``name`` show what the README points at: the community pop-up dismissed,
    the graph's side panels closed, one great_expectations check of the asset opened
    (clicks at positions of a 1600x1000 page of Dagster 1.13's UI)."""
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.first.click()
        page.wait_for_timeout(500)
    if name == "asset_graph":  # the groups' graph, the side panels closed, zoomed in
        page.get_by_role("button", name="Hide navigation").click()
        page.locator('input[placeholder^="Jump to"]').locator("xpath=following::button[1]").click()
        page.wait_for_timeout(1500)
        for _ in range(2):
            page.mouse.click(1572, 680)  # the zoom-in button of a 1600x1000 page
            page.wait_for_timeout(400)
        page.mouse.move(800, 800)
        page.mouse.down()
        page.mouse.move(1000, 700, steps=10)  # landing back in view
        page.mouse.up()
    if name == "asset_partitions":  # the last day of the demo: its own row count
        page.get_by_placeholder("Filter by name").fill(DEMO_LAST_DAY)
        page.wait_for_timeout(1000)
        page.get_by_text(DEMO_LAST_DAY, exact=True).first.click()
    if name == "asset_checks":
        page.get_by_text("ge_raw_cboe_o", exact=False).first.click()
    page.wait_for_timeout(2000)


def _env(project: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ALVH_HOME": str(project),
        "DAGSTER_HOME": str(project / ".dagster_home"),
    }
    if (project / "config.yaml").exists():
        env["ALVH_CONFIG"] = str(project / "config.yaml")
    return env


def run_demo(project: Path) -> None:
    """``alvh demo`` over the demo config's range in ``project``."""
    (project / "config.yaml").write_text(DEMO_CONFIG)
    cli = "from orchestration.cli import main; main()"
    subprocess.run([sys.executable, "-c", cli, "demo"], cwd=project, env=_env(project), check=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_ui(project: Path, port: int, log: Path) -> subprocess.Popen:
    """``dg dev`` (the webserver, the daemon and the code location of ``[tool.dg]``) on
    ``project``'s instance, in a process group of its own, ready to serve."""
    dg = Path(sys.executable).with_name("dg")
    proc = subprocess.Popen(
        [str(dg), "dev", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=_env(project),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dg dev exited; see {log}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
            return proc
        except OSError:
            time.sleep(1)
    stop(proc)
    raise RuntimeError(f"dg dev did not start in 300 s; see {log}")


def stop(proc: subprocess.Popen) -> None:
    """End ``dg dev`` and the webserver, daemon and code server it started (its group)."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def capture(port: int, out: Path, settle_ms: int = 8000) -> list[Path]:
    """Each page of :data:`PAGES` as ``out/<name>.png`` (1600x1000)."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        for name, path in PAGES.items():
            page.goto(f"http://127.0.0.1:{port}{path}", wait_until="load")
            page.wait_for_timeout(settle_ms)  # the UI fills in over GraphQL after load
            _prepare(page, name)
            target = out / f"{name}.png"
            page.screenshot(path=str(target))
            saved.append(target)
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, help="a project folder with a demo's runs")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    project = args.project.resolve() if args.project else Path(tempfile.mkdtemp(prefix="alvh_"))
    if args.project is None:
        run_demo(project)
    port = _free_port()
    proc = start_ui(project, port, project / "dg_dev.log")
    try:
        for path in capture(port, args.out):
            print(path)
    finally:
        stop(proc)


if __name__ == "__main__":
    main()
