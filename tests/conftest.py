"""Shared fixtures: the default-range sample market is generated once per test session;
a headless Chromium for the report tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def default_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample market for the default range 2007-07-02 … 2009-06-30 (unzipped)."""
    from alvh_assets.sample.generate import (
        DEFAULT_END,
        DEFAULT_SEED,
        DEFAULT_START,
        generate_sample_market,
    )

    out = tmp_path_factory.mktemp("landing_default")
    generate_sample_market(DEFAULT_START, DEFAULT_END, out, seed=DEFAULT_SEED)
    return out


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, through Playwright (a real browser: missing is a fail)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), "
            "as .ci/run does; the report test needs a real browser"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
