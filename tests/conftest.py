"""Shared fixtures: the default-range sample market is generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest


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
