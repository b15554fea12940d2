"""A real-only landing directory of one recent day, in today's vendor layouts
(``tests/data/real_layouts``: hand-made DataShop chains of 2023-08-18 with SPXW dailies incl.
0DTE and VIXW weeklies, CFE's current per-contract VX files incl. weeklies, Cboe index
histories, FRED FEDFUNDS): it loads with no quote lost to a vendor-computed column, prices
with the minute clock and a VX forward for every VIX expiry, ``alvh landing check`` says
what is missing, and ``alvh run --date`` completes with the skipped rules recorded."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from alvh_assets.ingest.readers import valuation as valuation_reader
from alvh_assets.ingest.readers.cboe_option_eod import read_cboe_option_eod
from alvh_assets.ingest.readers.cfe_vx import read_cfe_vx
from alvh_assets.ingest.readers.fred import read_fred
from alvh_assets.pricing.option_greeks import option_greeks
from orchestration.cli import main

LAYOUTS = Path(__file__).parents[1] / "data" / "real_layouts"
DAY = dt.date(2023, 8, 18)
ALVH = str(Path(sys.executable).with_name("alvh"))


def real_landing(dst: Path) -> Path:
    """The landing directory of 2023-08-18: ``landing_2023-08-18/`` plus the CFE files of
    ``cfe_vx/`` (the weekly VX35 08/30/2023 and the Aug/Sep monthlies)."""
    root = dst / "landing"
    shutil.copytree(LAYOUTS / "landing_2023-08-18", root)
    for p in (LAYOUTS / "cfe_vx").glob("*.csv"):
        shutil.copy(p, root / "cfe" / "vx" / p.name)
    return root


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_landing(tmp_path_factory.mktemp("real"))


@pytest.fixture(scope="module")
def priced(landing: Path) -> pl.DataFrame:
    chains = [read_cboe_option_eod(p) for p in sorted(landing.glob("cboe/option_eod/*/*.csv"))]
    assert [c.rejected.height for c in chains] == [0, 0]
    options = pl.concat([c.accepted for c in chains])
    vx = pl.concat([read_cfe_vx(p).accepted for p in sorted(landing.glob("cfe/vx/*.csv"))])
    fred = read_fred(landing / "fred" / "FEDFUNDS.csv").accepted
    # none delivered (an empty raw.valuation_monthly): parity forwards need no dividend yield
    valuation = pl.DataFrame(schema=valuation_reader.SCHEMA)
    out = option_greeks(options, fred, valuation, vx)
    return out.join(
        options.select(
            "root", "expiration", "strike", "option_type", "implied_volatility_1545",
            "vendor_calcs_flag",
        ),
        on=["root", "expiration", "strike", "option_type"],
    )  # fmt: skip


def test_the_day_loads_whole_a_vendor_iv_above_500pct_flagged(landing: Path) -> None:
    spx = read_cboe_option_eod(
        landing / "cboe/option_eod/SPX/UnderlyingOptionsEODCalcs_^SPX_2023-08-18.csv"
    )
    assert spx.rejected.height == 0 and spx.accepted.height == spx.rows_read == 810
    flagged = spx.accepted.filter(pl.col("vendor_calcs_flag").is_not_null())
    key = ("root", "expiration", "strike", "option_type", "vendor_calcs_flag")
    assert flagged.select(key).rows() == [("SPXW", DAY, 4330.0, "P", "iv_above_max")]
    assert flagged["implied_volatility_1545"].to_list() == [None]
    assert flagged["ask_1545"].to_list() == [0.05]  # the quote itself loads
    assert set(spx.accepted["root"]) == {"SPX", "SPXW"}


@pytest.mark.parametrize(
    ("root", "expiration", "minutes"),
    [
        ("SPX", dt.date(2023, 9, 15), 28 * 1440 + 570 - 945),  # AM monthly: 09:30 on the 15th
        ("SPXW", dt.date(2023, 8, 25), 7 * 1440 + 960 - 945),  # PM weekly: 16:00 on the 25th
        ("SPXW", DAY, 15),  # 0DTE: 15:45 -> 16:00 the same day
        ("VIXW", dt.date(2023, 8, 23), 5 * 1440 + 570 - 945),  # VIX weekly: 09:30 Wednesday
        ("VIXW", dt.date(2023, 9, 6), 19 * 1440 + 570 - 945),  # no VX of its own: interpolated
    ],
)
def test_minute_time_to_expiry(priced: pl.DataFrame, root: str, expiration, minutes) -> None:
    rows = priced.filter(pl.col("root") == root, pl.col("expiration") == expiration)
    assert rows.height > 0
    assert rows["time_to_expiry"].unique().to_list() == [pytest.approx(minutes / 525_600)]


def test_every_live_series_has_a_market_forward_and_its_iv(priced: pl.DataFrame) -> None:
    live = priced.filter(~((pl.col("root") == "SPX") & (pl.col("expiration") == DAY)))
    assert set(live["forward_source"]) == {"put_call_parity", "vx_future", "vx_interpolated"}
    by_expiry = dict(
        live.group_by("root", "expiration")
        .agg(pl.col("forward_source").unique())
        .select(pl.format("{} {}", "root", "expiration"), pl.col("forward_source").list.first())
        .iter_rows()
    )
    assert by_expiry["VIXW 2023-09-06"] == "vx_interpolated"
    assert by_expiry["VIXW 2023-08-23"] == by_expiry["VIX 2023-10-18"] == "vx_future"
    # the AM monthly expiring this morning has settled: a reason, no IV
    settled = priced.filter(pl.col("root") == "SPX", pl.col("expiration") == DAY)
    assert set(settled["iv_reason"]) == {"AT_OR_PAST_SETTLEMENT"}
    assert settled["iv"].null_count() == settled.height
    # our IV against the vendor column the fixture was built with (mids at Cboe ticks):
    ok = live.filter(pl.col("iv_reason") == "OK", pl.col("implied_volatility_1545").is_not_null())
    gap = (ok["iv"] - ok["implied_volatility_1545"]).abs()
    assert ok.height > 900 and gap.median() < 0.003


def test_landing_check_on_the_real_only_directory(landing: Path) -> None:
    result = CliRunner().invoke(main, ["landing", "check", str(landing)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "modelled (sample-market) files: none" in out
    assert "files that would be refused: 0" in out
    assert "nyse_breadth_daily: no breadth" in out
    assert "valuation_monthly: no valuation" in out
    assert "fred_observations: no CPILFESL files" in out
    assert "option-chain days: 1, incomplete by the landing sensor's rule: 0" in out


@pytest.mark.slow_cli
def test_a_run_of_the_real_only_day_completes_with_skipped_rules_recorded(
    tmp_path: Path,
) -> None:
    landing = real_landing(tmp_path)
    env = {
        **os.environ,
        "ALVH_HOME": str(tmp_path),
        "ALVH_LANDING_DIR": str(landing),
        "ALVH_WAREHOUSE": str(tmp_path / "warehouse" / "alvh.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    done = subprocess.run(
        [ALVH, "run", "--date", str(DAY)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with duckdb.connect(str(tmp_path / "warehouse" / "alvh.duckdb"), read_only=True) as con:
        skipped = con.execute(
            "SELECT skipped_rules FROM strategy.hedge_budget_daily WHERE strategy = 'alvh_442'"
        ).fetchall()
        assert skipped == [
            ("pcf_scale (no P/CF); beta_cap (no beta history); regime_ceiling (no regime); "
             "pe_block (no P/E)",)
        ]  # fmt: skip
        condor = con.execute(
            "SELECT root, expiration, count(*) FROM strategy.fills "
            "WHERE strategy = 'alvh_442' GROUP BY ALL"
        ).fetchall()
        assert condor == [("SPXW", dt.date(2023, 9, 29), 4)]  # one iron condor, 42 DTE
        quarantined = con.execute("SELECT count(*) FROM quarantine.rejected_rows").fetchone()
        assert quarantined == (0,)


def test_a_multi_underlying_datashop_order_is_read_by_its_rows(tmp_path: Path) -> None:
    """One DataShop file holding ^SPX and ^VIX rows (an order of several underlyings): the
    inventory finds both underlyings by the rows, not by the file name."""
    from alvh_assets.ingest.inventory import take_stock

    root = real_landing(tmp_path)
    folder = root / "cboe" / "option_eod"
    spx, vix = (folder / u / f"UnderlyingOptionsEODCalcs_^{u}_{DAY}.csv" for u in ("SPX", "VIX"))
    (folder / "ALL").mkdir()
    vix_rows = vix.read_bytes().split(b"\r\n", 1)[1]
    (folder / "ALL" / f"UnderlyingOptionsEODCalcs_{DAY}.csv").write_bytes(
        spx.read_bytes() + vix_rows
    )
    spx.unlink()
    vix.unlink()
    options = next(s for s in take_stock(root).sources if s.source.name == "cboe_option_eod")
    assert options.files == [f"cboe/option_eod/ALL/UnderlyingOptionsEODCalcs_{DAY}.csv"]
    assert options.rows_loaded == 810 + 206 and options.groups == {"^SPX", "^VIX"}
