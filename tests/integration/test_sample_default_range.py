"""The sample market for the default range (2007-07-02 … 2009-06-30), checked file by file.

Every assertion is over the whole range (all ~500 daily chain files), not a sample.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from alvh_assets import landing
from alvh_assets.pricing import black76_price, bsm_price
from alvh_assets.pricing.expiry_time import time_to_expiry
from alvh_assets.sample import real_data
from alvh_assets.sample.carry import daily_carry
from alvh_assets.sample.manifest import sha256_file
from alvh_assets.sample.option_chains import COLUMNS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chains(default_sample: Path) -> pl.DataFrame:
    """Every option row of the range, with the day's carry (rate, dividend yield)."""
    files = sorted((default_sample / "cboe" / "option_eod").rglob("*.csv"))
    df = pl.concat(
        [
            pl.read_csv(f, try_parse_dates=True).with_columns(pl.lit(f.name).alias("file"))
            for f in files
        ]
    )
    carry = daily_carry(sorted(df["quote_date"].unique().to_list()))
    return df.join(carry, left_on="quote_date", right_on="date").with_columns(
        time_to_expiry(pl.col("quote_date"), pl.col("expiration"), pl.col("root")).alias("T"),
        ((pl.col("bid_1545") + pl.col("ask_1545")) / 2).alias("mid"),
    )


def test_every_chain_file_has_the_34_columns_in_order(default_sample: Path) -> None:
    files = sorted((default_sample / "cboe" / "option_eod").rglob("*.csv"))
    spx_days = [f for f in files if "^SPX" in f.name]
    assert len(spx_days) == 504
    for f in files:
        with f.open() as fh:
            assert tuple(fh.readline().strip().split(",")) == COLUMNS, f.name


def test_no_crossed_or_negative_quotes(chains: pl.DataFrame) -> None:
    for t in ("1545", "eod"):
        bad = chains.filter(
            (pl.col(f"bid_{t}") < 0)
            | (pl.col(f"ask_{t}") <= 0)
            | (pl.col(f"bid_{t}") > pl.col(f"ask_{t}"))
        )
        assert bad.height == 0, bad.head()
    assert chains.height > 1_000_000


def test_put_call_parity_within_half_the_spreads(chains: pl.DataFrame) -> None:
    """C_mid − P_mid equals the parity value within the sum of the two half-spreads:
    SPX ``U − K e^{−rT}`` with U the implied underlying; VIX ``e^{−rT}(F − K)``."""
    keys = ["quote_date", "root", "expiration", "strike"]
    cols = [*keys, "mid", "bid_1545", "ask_1545", "implied_underlying_price_1545", "rate", "T"]
    calls = chains.filter(pl.col("option_type") == "C").select(cols)
    puts = chains.filter(pl.col("option_type") == "P").select(
        [*keys, "mid", "bid_1545", "ask_1545"]
    )
    pairs = calls.join(puts, on=keys, suffix="_p")
    assert pairs.height > 500_000
    disc = (-pl.col("rate") * pl.col("T")).exp()
    u = pl.col("implied_underlying_price_1545")
    parity = (
        pl.when(pl.col("root") == "VIX")
        .then(disc * (u - pl.col("strike")))
        .otherwise(u - pl.col("strike") * disc)
    )
    half = (
        pl.col("ask_1545") - pl.col("bid_1545") + pl.col("ask_1545_p") - pl.col("bid_1545_p")
    ) / 2
    err = pairs.select(((pl.col("mid") - pl.col("mid_p") - parity).abs() - half).max()).item()
    assert err <= 1e-9


def test_mid_reprices_from_the_files_own_iv_to_the_cent(chains: pl.DataFrame) -> None:
    a = {
        c: chains[c].to_numpy()
        for c in (
            "active_underlying_price_1545",
            "strike",
            "T",
            "rate",
            "dividend_yield",
            "implied_volatility_1545",
            "implied_underlying_price_1545",
            "mid",
        )
    }
    is_call = (chains["option_type"] == "C").to_numpy()
    is_vix = (chains["root"] == "VIX").to_numpy()
    spx = bsm_price(
        a["active_underlying_price_1545"],
        a["strike"],
        a["T"],
        a["rate"],
        a["dividend_yield"],
        a["implied_volatility_1545"],
        is_call,
    )
    vix = black76_price(
        a["implied_underlying_price_1545"],
        a["strike"],
        a["T"],
        a["rate"],
        a["implied_volatility_1545"],
        is_call,
    )
    model = np.where(is_vix, vix, spx)
    reported = a["implied_volatility_1545"] > 0  # 0 = not computed (IV above 500%)
    assert reported.mean() > 0.995
    assert np.isfinite(model[reported]).all()
    assert np.abs(model - a["mid"])[reported].max() < 0.005
    assert a["implied_volatility_1545"].max() <= 5.0
    assert is_vix.sum() > 50_000


def _atm_and_wings(day: pl.DataFrame) -> pl.DataFrame:
    """Per expiry: ATM IV (|delta| nearest 0.5 call) and 25-delta put/call IVs."""

    def nearest(frame: pl.DataFrame, target: float, name: str) -> pl.DataFrame:
        return (
            frame.with_columns((pl.col("delta_1545") - target).abs().alias("d"))
            .sort("d")
            .group_by("expiration", maintain_order=True)
            .first()
            .select("expiration", "T", pl.col("implied_volatility_1545").alias(name))
        )

    calls = day.filter(pl.col("option_type") == "C")
    puts = day.filter(pl.col("option_type") == "P")
    return (
        nearest(calls, 0.5, "atm")
        .join(nearest(puts, -0.25, "put25"), on=["expiration", "T"])
        .join(nearest(calls, 0.25, "call25"), on=["expiration", "T"])
        .sort("T")
    )


@pytest.mark.parametrize("day", ["2007-07-16", "2008-10-10", "2009-06-15"])
def test_put_skew_on_named_days(chains: pl.DataFrame, day: str) -> None:
    spx = chains.filter(
        pl.col("quote_date") == dt.date.fromisoformat(day),
        pl.col("root") != "VIX",
        pl.col("T") > 20 / 365,
        pl.col("T") < 200 / 365,
    )
    surf = _atm_and_wings(spx)
    assert (surf["put25"] > surf["atm"]).all()
    assert (surf["put25"] > surf["call25"]).all()


def test_vol_term_structure_inverted_in_the_crash_upward_when_calm(chains: pl.DataFrame) -> None:
    def atm_by_tenor(day: str) -> tuple[float, float]:
        spx = chains.filter(
            pl.col("quote_date") == dt.date.fromisoformat(day),
            pl.col("root") == "SPX",
            pl.col("T") > 5 / 365,
        )
        s = _atm_and_wings(spx)
        short = s.filter(pl.col("T") < 45 / 365)["atm"][0]
        longer = s.filter(pl.col("T").is_between(60 / 365, 200 / 365))["atm"][-1]
        return short, longer

    short, longer = atm_by_tenor("2008-10-10")  # VIX closed at 69.95
    assert short > longer + 0.05
    short, longer = atm_by_tenor("2007-07-16")  # VIX closed at 15.8
    assert short < longer


def test_vix_futures_backwardated_on_2008_10_10(default_sample: Path) -> None:
    frames = [real_data._read_cfe(p) for p in (default_sample / "cfe" / "vx").glob("CFE_*.csv")]
    day = (
        pl.concat(frames)
        .filter(pl.col("Trade Date") == "10/10/2008")
        .with_columns(pl.col("Settle").cast(pl.Float64))
    )
    curve = sorted(
        (landing.vx_label_expiration(c), s)
        for c, s in zip(day["Futures"], day["Settle"], strict=True)
        if s > 0
    )
    assert len(curve) >= 6
    assert curve[0][1] > curve[1][1] > curve[-1][1]  # VX1 > VX2 > last: backwardation


def test_real_cfe_files_are_byte_identical_to_the_source(default_sample: Path) -> None:
    manifest = json.loads((default_sample / "manifest.json").read_text())
    cfe = [f for f in manifest["files"] if f["kind"] == "cfe_vx_settlements"]
    assert cfe and all(f["provenance"] == "real" for f in cfe)  # 2007-2009: all real
    for f in cfe:
        landed = default_sample / f["path"]
        source = real_data.real_data_dir() / "cfe_vx" / landed.name
        if source.read_bytes() == landed.read_bytes():
            continue
        # contracts still trading after the range end are cut at the last row <= end
        assert source.read_bytes().startswith(landed.read_bytes()), landed.name
    x08 = default_sample / "cfe" / "vx" / "CFE_X08_VX.csv"
    assert sha256_file(x08) == sha256_file(real_data.real_data_dir() / "cfe_vx" / x08.name)
