"""One unreadable file of every reader's corpus (``tests/data/bad_inputs/<reader>``) delivered
in place of the day's good file and run through ``alvh ingest``: refused in one line naming
the file (exit 2), the tables' data unchanged, the good day byte-identical. The landing
kinds are in ``test_cli_corpus.py``; the two files run side by side (``make test-slow``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.integration.cli_corpus import (
    BAD_INPUTS,
    assert_refused,
    chain,
)

pytestmark = pytest.mark.slow_cli

CORPUS_UNREADABLE = {  # reader corpus file -> where it lands (replacing the delivered file)
    "cboe_option_eod/unreadable_wrong_header.csv": chain(Path(), "SPX", "2008-10-10"),
    "cboe_index/unreadable_yahoo_layout_SPX_History.csv": Path("cboe/index/SPX_History.csv"),
    "cfe_vx/unreadable_wrong_header_CFE_K07_VX.csv": Path("cfe/vx/CFE_X08_VX.csv"),
    "nyse_breadth/unreadable_missing_column.csv": Path("nyse/breadth/NYSE_breadth_modelled.csv"),
    "fred/unreadable_wrong_header.csv": Path("fred/CPILFESL.csv"),
    "release_calendar/unreadable_missing_column.csv": Path(
        "calendars/cpi_ppi_release_calendar_modelled.csv"
    ),
    "fomc/unreadable_wrong_header.csv": Path("calendars/fomc_decisions.csv"),
    "valuation/unreadable_binary.csv": Path("valuation/valuation_monthly.csv"),
}


@pytest.mark.parametrize("case", CORPUS_UNREADABLE)
def test_refused_in_one_line_with_every_table_identical(
    case: str, corpus_home: Path, corpus_landing: Path, tmp_path: Path
) -> None:
    land = tmp_path / "landing"
    shutil.copytree(corpus_landing, land, symlinks=True)
    target = land / CORPUS_UNREADABLE[case]
    target.unlink()
    shutil.copy(BAD_INPUTS / case, target)
    assert_refused(corpus_home, land, "2008-10-10", target.name, False)
