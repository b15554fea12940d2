"""The embedded sample market without option chains: real files untouched, modelled files
in vendor layouts, point in time, deterministic, and the manifest telling which is which."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import sys
import types
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from alvh_assets import landing
from alvh_assets.calendars import trading_days
from alvh_assets.sample import breadth, macro, real_data, vx_futures
from alvh_assets.sample.generate import DEFAULT_SEED, generate_sample_market
from alvh_assets.sample.manifest import entry_for, read_manifest, sha256_file

D = dt.date
SEED = DEFAULT_SEED


def _gen(root: Path, start: dt.date, end: dt.date, seed: int = SEED) -> Path:
    generate_sample_market(start, end, root, seed=seed, include_chains=False)
    return root


@pytest.fixture(scope="module")
def crisis(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2008-09-02 … 2008-12-31: real CFE era, Lehman and the VIX peak."""
    return _gen(tmp_path_factory.mktemp("crisis"), D(2008, 9, 2), D(2008, 12, 31))


@pytest.fixture(scope="module")
def modern(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2015-01-02 … 2015-06-30: modelled VX era."""
    return _gen(tmp_path_factory.mktemp("modern"), D(2015, 1, 2), D(2015, 6, 30))


@pytest.fixture(scope="module")
def default_range(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default range 2007-07-02 … 2009-06-30, chains disabled."""
    return _gen(tmp_path_factory.mktemp("default"), D(2007, 7, 2), D(2009, 6, 30))


def _read_cfe(path: Path) -> pl.DataFrame:
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    if not lines[0].startswith("Trade Date"):
        lines = lines[1:]
    df = pl.read_csv(io.StringIO("\n".join(lines)), infer_schema=False, truncate_ragged_lines=True)
    return df.with_columns(
        pl.col("Trade Date").str.strptime(pl.Date, "%m/%d/%Y"),
        pl.col("Settle").cast(pl.Float64),
    )


# --------------------------------------------------------------------------- VX futures


def test_real_cfe_files_are_the_vendor_bytes(crisis: Path) -> None:
    src = {p.name: p for p in real_data.cfe_vx_files()}
    real = [
        f
        for f in read_manifest(crisis)["files"]
        if f["kind"] == "cfe_vx_settlements" and f["provenance"] == "real"
    ]
    assert len(real) >= 10
    whole = 0
    for f in real:
        out = crisis / f["path"]
        source = src[out.name]
        label = [ln for ln in source.read_text().splitlines() if ln.strip()][-1].split(",")[1]
        if landing.vx_label_expiration(label) <= D(2008, 12, 31):
            assert sha256_file(out) == sha256_file(source), out.name
            whole += 1
        else:  # still trading after end: a byte prefix cut at a row
            data = out.read_bytes()
            assert source.read_bytes().startswith(data) and data.endswith(b"\n"), out.name
            assert _read_cfe(out)["Trade Date"].max() <= D(2008, 12, 31)
    assert whole >= 4  # V08, X08, Z08 expired in range, plus Q08/U08 ...


def test_pre_2007_real_file_keeps_times_ten_quotes(tmp_path: Path) -> None:
    root = _gen(tmp_path, D(2005, 1, 3), D(2005, 2, 28))
    out = root / "cfe/vx/CFE_G05_VX.csv"
    assert sha256_file(out) == sha256_file(real_data.real_data_dir() / "cfe_vx/CFE_G05_VX.csv")
    settles = _read_cfe(out).filter(pl.col("Settle") > 0)["Settle"]
    assert settles.min() > 100  # 137.20 means 13.72
    curve = vx_futures.vx_curve(D(2005, 1, 3), D(2005, 2, 28), SEED)
    assert curve["settle"].max() < 30 and curve["is_real"].all()


def test_vx_curve_front_month_2008_11_20() -> None:
    c = vx_futures.vx_curve(D(2008, 11, 20), D(2008, 11, 20), SEED).sort("expiration")
    front = c.row(0, named=True)
    assert front["expiration"] == D(2008, 12, 17)  # Dec 08
    assert front["settle"] == pytest.approx(66.23)
    assert front["is_real"]
    assert c.schema == {
        "trade_date": pl.Date,
        "expiration": pl.Date,
        "settle": pl.Float64,
        "is_real": pl.Boolean,
    }


def test_vx_curve_backwardation_2008_10_10() -> None:
    c = vx_futures.vx_curve(D(2008, 10, 10), D(2008, 10, 10), SEED).sort("expiration")
    assert c["settle"][0] > c["settle"][1]  # VX1 56.71 > VX2 38.31


def test_modelled_futures_after_2014_in_cfe_layout(modern: Path) -> None:
    files = sorted((modern / "cfe/vx").glob("*_VX_modelled.csv"))
    assert len(files) >= 14
    # contracts listed before the real files end keep their real history too (to 2014-08-14)
    real = sorted(p.name for p in (modern / "cfe/vx").glob("*_VX.csv"))
    assert real == ["CFE_F15_VX.csv", "CFE_G15_VX.csv", "CFE_H15_VX.csv", "CFE_J15_VX.csv"]
    modelled_rows = _read_cfe(modern / "cfe/vx/CFE_F15_VX_modelled.csv")
    assert modelled_rows["Trade Date"].min() == D(2014, 8, 15)
    pattern = re.compile(
        r"^\d{2}/\d{2}/\d{4},[FGHJKMNQUVXZ] \([A-Z][a-z]{2} \d{2}\),"
        r"(-?\d+\.\d{2},){6}\d+,\d+,\d+$"
    )
    for p in files:
        lines = p.read_text().splitlines()
        assert lines[0] == vx_futures.CFE_HEADER
        assert all(pattern.match(ln) for ln in lines[1:]), p.name
        code = p.name.split("_")[1]
        assert all(ln.split(",")[1][0] == code[0] for ln in lines[1:])
    curve = vx_futures.vx_curve(D(2015, 1, 2), D(2015, 6, 30), SEED)
    assert not curve["is_real"].any()
    per_day = curve.group_by("trade_date").len()
    assert per_day["len"].min() >= 9
    assert per_day.height == len(trading_days("2015-01-02", "2015-06-30"))
    assert curve["settle"].is_between(5, 100).all()
    not_expiring = curve.filter(pl.col("expiration") > pl.col("trade_date"))
    cents = (not_expiring["settle"] * 100).round().cast(pl.Int64)
    assert (cents % 5 == 0).all()  # 0.05 tick
    # sane term structure: mostly contango in calm 2015 H1, adjacent months close together
    wide = (
        curve.sort("trade_date", "expiration")
        .group_by("trade_date", maintain_order=True)
        .agg(
            pl.col("settle").first().alias("vx1"),
            pl.col("settle").get(1).alias("vx2"),
            pl.col("settle").last().alias("last"),
        )
    )
    assert (wide["last"] > wide["vx1"]).mean() > 0.6
    assert ((wide["vx2"] / wide["vx1"] - 1).abs() < 0.35).all()
    # the files hold exactly the curve
    rows = pl.concat([_read_cfe(p).select("Trade Date", "Futures", "Settle") for p in files])
    assert rows.filter(pl.col("Trade Date") >= D(2015, 1, 2)).height == curve.height
    assert rows["Trade Date"].min() == D(2014, 8, 15)  # whole modelled history of the contracts


def test_modelled_futures_before_2004_are_quoted_times_ten(tmp_path: Path) -> None:
    root = _gen(tmp_path, D(2003, 6, 2), D(2003, 6, 30))
    curve = vx_futures.vx_curve(D(2003, 6, 2), D(2003, 6, 30), SEED)
    f = root / "cfe/vx/CFE_Z03_VX_modelled.csv"
    rows = _read_cfe(f).filter(pl.col("Trade Date") >= D(2003, 6, 2))
    mine = curve.filter(pl.col("expiration") == D(2003, 12, 17)).sort("trade_date")
    assert rows["Settle"].to_list() == pytest.approx((mine["settle"] * 10).to_list())
    assert 10 < mine["settle"].mean() < 50


def test_modelled_curve_continues_the_real_one_in_2014() -> None:
    c = vx_futures.vx_curve(D(2014, 8, 14), D(2014, 8, 15), SEED)
    a = c.filter(pl.col("trade_date") == D(2014, 8, 14))
    b = c.filter(pl.col("trade_date") == D(2014, 8, 15))
    assert a["is_real"].all() and not b["is_real"].any()
    assert a["expiration"].to_list() == b["expiration"].to_list()
    assert (a["settle"] - b["settle"]).abs().max() < 2.0


def test_constant_maturity_return_weights_the_two_bracketing_contracts() -> None:
    """30 days between contracts 10 and 40 days out: w = (40 − 30)/(40 − 10) = 1/3 on the
    nearer; a day with only a far contract uses it alone; the roll adds no return."""
    settles = np.array([[20.0, 22.0, 24.0], [22.0, 22.5, 24.0], [np.nan, 27.0, 25.0]])
    tau = np.array([[10.0, 40.0, 70.0], [9.0, 39.0, 69.0], [-1.0, 38.0, 68.0]])
    tau[1, 0] = np.nan  # the near contract expires: day 1 -> 2 has no near side
    r = vx_futures.constant_maturity_returns(settles, tau)
    assert r[0] == pytest.approx(np.log(22 / 20) / 3 + 2 * np.log(22.5 / 22) / 3)
    assert r[1] == pytest.approx(np.log(27 / 22.5))


def test_vx_realized_vol_is_the_real_futures_and_point_in_time() -> None:
    """rv30 on 2008-10-24 recomputed from the real CFE settles dated up to that day only:
    the 20 daily returns of the 30-day position, annualized with 252."""
    day = D(2008, 10, 24)
    real = real_data.vx_settlements().filter(pl.col("trade_date") <= day)
    dates = sorted(set(real["trade_date"].to_list()))[-21:]
    by_day = {
        d: dict(zip(g["expiration"], g["settle"], strict=True))
        for (d,), g in real.filter(pl.col("trade_date").is_in(dates)).group_by("trade_date")
    }
    rets = []
    for d0, d1 in zip(dates[:-1], dates[1:], strict=True):
        live = sorted(e for e in by_day[d0] if e > d0 and e in by_day[d1])
        near = max(e for e in live if (e - d0).days <= 30)
        far = min(e for e in live if (e - d0).days > 30)
        w = ((far - d0).days - 30) / ((far - d0).days - (near - d0).days)
        rets.append(
            w * np.log(by_day[d1][near] / by_day[d0][near])
            + (1 - w) * np.log(by_day[d1][far] / by_day[d0][far])
        )
    expected = np.sqrt(252 * np.mean(np.square(rets)))
    rv = vx_futures.vx_realized_vol(SEED).filter(pl.col("date") == day)["rv30"].item()
    assert rv == pytest.approx(expected, rel=1e-9)
    assert rv == pytest.approx(1.1696, abs=1e-4)
    calm = vx_futures.vx_realized_vol(SEED).filter(pl.col("date") == D(2008, 8, 15))
    assert calm["rv30"].item() == pytest.approx(0.547, abs=1e-3)


def test_calibration_reproduces_documented_parameters() -> None:
    fit = vx_futures.calibrate_term_structure()
    m = vx_futures.MODEL
    assert fit["a"] == pytest.approx(m.a, abs=0.01)
    assert fit["b"] == pytest.approx(m.b, abs=0.001)
    assert fit["kappa"] == pytest.approx(m.kappa, abs=0.01)
    assert fit["z_phi"] == pytest.approx(m.z_phi, abs=0.001)
    assert fit["z_sigma"] == pytest.approx(m.z_sigma, abs=0.01)
    assert fit["eps_phi"] == pytest.approx(m.eps_phi, abs=0.001)
    assert fit["rmse"] == pytest.approx(2.00, abs=0.01)


# --------------------------------------------------------------------------- index files


def _cboe(path: Path, fmt: str) -> pl.DataFrame:
    return pl.read_csv(path).with_columns(pl.col("DATE").str.strptime(pl.Date, fmt))


def test_index_files_hold_the_real_values(crisis: Path) -> None:
    spx = _cboe(crisis / "cboe/index/SPX_History.csv", "%m/%d/%Y")
    vix = _cboe(crisis / "cboe/index/VIX_History.csv", "%Y-%m-%d")
    real_spx = real_data.sp500_daily()
    real_vix = real_data.vix_daily()
    for day in (D(2008, 9, 15), D(2008, 10, 10), D(2008, 11, 20)):
        got = spx.filter(pl.col("DATE") == day).row(0, named=True)
        want = real_spx.filter(pl.col("date") == day).row(0, named=True)
        assert [got[c] for c in ("OPEN", "HIGH", "LOW", "CLOSE")] == [
            want[c] for c in ("open", "high", "low", "close")
        ]
        assert (
            vix.filter(pl.col("DATE") == day)["CLOSE"][0]
            == (real_vix.filter(pl.col("date") == day)["close"][0])
        )
    assert vix.filter(pl.col("DATE") == D(2008, 11, 20))["CLOSE"][0] == pytest.approx(80.86)
    assert spx["DATE"].min() == D(1999, 1, 4) and spx["DATE"].max() == D(2008, 12, 31)
    assert vix["DATE"].max() == D(2008, 12, 31)
    assert not (crisis / "cboe/index/VIX3M_History.csv").exists()  # VIX3M starts 2009-09-18


def test_vix3m_keeps_its_us_date_format(tmp_path: Path) -> None:
    root = _gen(tmp_path, D(2009, 10, 1), D(2009, 10, 30))
    lines = (root / "cboe/index/VIX3M_History.csv").read_text().splitlines()
    assert lines[0] == "DATE,OPEN,HIGH,LOW,CLOSE"
    assert lines[1].startswith("09/18/2009,")
    assert lines[-1].startswith("10/30/2009,")
    assert all(re.match(r"^\d{2}/\d{2}/\d{4},", ln) for ln in lines[1:])


# --------------------------------------------------------------------------- breadth


def test_breadth_tracks_spx_and_diverges_sometimes(default_range: Path) -> None:
    b = pl.read_csv(default_range / breadth.BREADTH_PATH).with_columns(
        pl.col("Date").str.strptime(pl.Date, "%Y-%m-%d")
    )
    assert b.columns == breadth.HEADER.split(",")
    assert (b["Advances"] + b["Declines"] + b["Unchanged"] == b["Total Issues"]).all()
    assert b["Total Issues"].is_between(2800, 3200).all()
    assert (b["AD Line"] == 100_000 + (b["Advances"] - b["Declines"]).cum_sum()).all()
    spx = real_data.sp500_daily().with_columns(pl.col("close").log().diff().alias("r"))
    j = b.join(spx, left_on="Date", right_on="date").filter(
        pl.col("Date").is_between(D(2007, 7, 2), D(2009, 6, 30))
    )
    corr = np.corrcoef((j["Advances"] - j["Declines"]).to_numpy(), j["r"].to_numpy())[0, 1]
    assert corr > 0.5
    div = breadth.divergence_days(
        b.select(pl.col("Date").alias("date"), pl.col("AD Line").alias("ad_line"))
    )
    in_range = div.filter(pl.col("date").is_between(D(2007, 7, 2), D(2009, 6, 30)))
    assert in_range["divergence"].sum() >= 1
    universe = breadth.divergence_days(breadth.breadth_universe(SEED))
    assert 0.01 < universe["divergence"].mean() < 0.06


# --------------------------------------------------------------------------- macro


def test_release_dates_follow_their_reference_month(default_range: Path) -> None:
    cal = pl.read_csv(default_range / macro.CALENDAR_PATH, try_parse_dates=True)
    assert cal.columns == ["series_id", "reference_period", "release_date"]
    month_end = pl.col("reference_period").dt.month_end()
    assert (cal["release_date"] > cal.select(month_end).to_series()).all()
    assert cal["release_date"].max() <= D(2009, 6, 30)
    wide = cal.pivot(on="series_id", index="reference_period", values="release_date")
    assert (wide["PPIACO"] < wide["CPILFESL"]).all()
    assert cal.select(pl.col("release_date").dt.weekday() <= 5).to_series().all()


def test_fred_files_keep_headers_and_are_point_in_time(default_range: Path) -> None:
    cal = pl.read_csv(default_range / macro.CALENDAR_PATH, try_parse_dates=True)
    headers = {
        "CPILFESL": "observation_date,CPILFESL",
        "PPIACO": "DATE,PPIACO",
        "FEDFUNDS": "DATE,FEDFUNDS",
    }
    for sid, header in headers.items():
        lines = (default_range / f"fred/{sid}.csv").read_text().splitlines()
        assert lines[0] == header
        last = D.fromisoformat(lines[-1].split(",")[0])
        if sid == "FEDFUNDS":
            assert last == D(2009, 5, 1)  # June's average is posted on 2009-07-01
            continue
        released = cal.filter(pl.col("series_id") == sid)
        assert released.filter(pl.col("reference_period") == last).height == 1
        assert released["reference_period"].max() == last


def test_fomc_rows_known_at_end(tmp_path: Path) -> None:
    june = macro.fomc_known(D(2008, 6, 30))["decision_date"].to_list()
    assert D(2008, 1, 22) in june  # unscheduled, already happened
    assert D(2008, 10, 8) not in june  # unscheduled, in the future
    assert D(2008, 12, 16) in june  # scheduled, this year
    assert not [d for d in june if d.year == 2009]  # next year's schedule not yet out
    september = macro.fomc_known(D(2008, 9, 30))["decision_date"].to_list()
    assert D(2009, 1, 28) in september and D(2010, 1, 27) not in september


def test_valuation_rows(default_range: Path) -> None:
    v = pl.read_csv(default_range / macro.VALUATION_PATH, try_parse_dates=True)
    assert v.columns == macro.VALUATION_HEADER.split(",")
    assert (v["pcf"] == 0.0).all()
    assert v["publication_date"].max() <= D(2009, 6, 30)
    assert (v["publication_date"] > v["month"]).all()
    row = v.filter(pl.col("month") == D(2007, 6, 1)).row(0, named=True)
    assert row["pe"] == pytest.approx(row["sp500"] / row["earnings"], rel=1e-4)
    assert row["erp_proxy"] == pytest.approx(
        row["earnings"] / row["sp500"] - row["long_rate_pct"] / 100, abs=1e-6
    )


# --------------------------------------------------------------------------- whole run


def _max_dates(root: Path) -> dict[str, dt.date]:
    out: dict[str, dt.date] = {}
    for p in (root / "cfe/vx").glob("*.csv"):
        out[str(p)] = _read_cfe(p)["Trade Date"].max()
    out["spx"] = _cboe(root / "cboe/index/SPX_History.csv", "%m/%d/%Y")["DATE"].max()
    out["vix"] = _cboe(root / "cboe/index/VIX_History.csv", "%Y-%m-%d")["DATE"].max()
    b = pl.read_csv(root / breadth.BREADTH_PATH, try_parse_dates=True)
    out["breadth"] = b["Date"].max()
    out["calendar"] = pl.read_csv(root / macro.CALENDAR_PATH, try_parse_dates=True)[
        "release_date"
    ].max()
    out["valuation"] = pl.read_csv(root / macro.VALUATION_PATH, try_parse_dates=True)[
        "publication_date"
    ].max()
    for sid in ("CPILFESL", "PPIACO", "FEDFUNDS"):
        out[sid] = pl.read_csv(root / f"fred/{sid}.csv", try_parse_dates=True)[:, 0].max()
    fomc = pl.read_csv(root / macro.FOMC_PATH, try_parse_dates=True)
    out["fomc_unscheduled"] = fomc.filter(~pl.col("scheduled"))["decision_date"].max()
    return out


@pytest.mark.parametrize("fixture", ["crisis", "modern"])
def test_nothing_after_end_is_written(fixture: str, request: pytest.FixtureRequest) -> None:
    root: Path = request.getfixturevalue(fixture)
    end = D.fromisoformat(read_manifest(root)["end"])
    late = {k: v for k, v in _max_dates(root).items() if v is not None and v > end}
    assert not late


def test_same_seed_same_bytes_other_seed_other_model(tmp_path: Path) -> None:
    a = _gen(tmp_path / "a", D(2015, 3, 2), D(2015, 3, 31))
    vx_futures.modelled_universe.cache_clear()  # recompute, do not reuse the cache
    breadth.breadth_universe.cache_clear()
    b = _gen(tmp_path / "b", D(2015, 3, 2), D(2015, 3, 31))
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    c = _gen(tmp_path / "c", D(2015, 3, 2), D(2015, 3, 31), seed=SEED + 1)
    assert (a / breadth.BREADTH_PATH).read_bytes() != (c / breadth.BREADTH_PATH).read_bytes()
    # a re-run into a used folder leaves exactly the new run's files
    _gen(a, D(2015, 3, 2), D(2015, 3, 6))
    listed = {f["path"] for f in read_manifest(a)["files"]} | {"manifest.json"}
    assert {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()} == listed


def test_short_range_is_a_slice_of_a_longer_one(modern: Path, tmp_path: Path) -> None:
    short = _gen(tmp_path, D(2015, 2, 2), D(2015, 3, 31))
    modelled = [f for f in read_manifest(short)["files"] if f["provenance"] == "modelled"]
    daily = [f for f in modelled if f["kind"] in ("cfe_vx_settlements", "nyse_breadth_daily")]
    assert len(daily) >= 9
    for f in modelled:
        small, big = (short / f["path"]).read_bytes(), (modern / f["path"]).read_bytes()
        assert big.startswith(small), f["path"]
    long_curve = vx_futures.vx_curve(D(2015, 1, 2), D(2015, 6, 30), SEED)
    assert vx_futures.vx_curve(D(2015, 2, 2), D(2015, 3, 31), SEED).equals(
        long_curve.filter(pl.col("trade_date").is_between(D(2015, 2, 2), D(2015, 3, 31)))
    )


def test_manifest_lists_every_file_with_provenance(crisis: Path) -> None:
    doc = json.loads((crisis / "manifest.json").read_text())
    assert doc["seed"] == SEED and (doc["start"], doc["end"]) == ("2008-09-02", "2008-12-31")
    assert "generator_version" in doc and "timestamp" not in json.dumps(doc).lower()
    on_disk = {p.relative_to(crisis).as_posix() for p in crisis.rglob("*") if p.is_file()}
    assert {f["path"] for f in doc["files"]} == on_disk - {"manifest.json"}
    sources = [p.read_bytes() for p in real_data.real_data_dir().rglob("*.csv")]
    for f in doc["files"]:
        data = (crisis / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
        assert ("modelled" in f["path"]) == (f["provenance"] == "modelled"), f["path"]
        if f["provenance"] == "real":
            assert any(s.startswith(data) for s in sources), f["path"]
    kinds = {f["kind"] for f in doc["files"]}
    assert kinds == {
        "cfe_vx_settlements",
        "cboe_index_daily",
        "nyse_breadth_daily",
        "fred_observations",
        "macro_release_calendar",
        "fomc_decisions",
        "valuation_monthly",
    }
    spx = next(f for f in doc["files"] if f["path"] == "cboe/index/SPX_History.csv")
    assert spx["provenance"] == "real_reformatted"
    assert spx["rows"] == len(trading_days("1999-01-04", "2008-12-31"))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (D(2008, 2, 1), D(2008, 1, 1)),
        (D(1998, 12, 31), D(1999, 6, 30)),
        (D(2018, 6, 1), D(2019, 1, 2)),
        (D(2008, 3, 22), D(2008, 3, 23)),  # a weekend
    ],
)
def test_invalid_ranges_are_rejected(start: dt.date, end: dt.date, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_sample_market(start, end, tmp_path, include_chains=False)


def test_option_chain_writer_is_called_with_the_curve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {}

    def fake(days, out_dir, seed, vx_curve, zip_files=False, on_progress=None):
        calls.update(days=days, seed=seed, curve=vx_curve, zip=zip_files)
        on_progress(len(days), len(days))  # the chain writer reports (done, total)
        p = Path(out_dir) / "cboe/options/fake_modelled.csv"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x\n")
        return [entry_for(Path(out_dir), p, "cboe_option_eod", "modelled", "fake", 1)]

    module = types.ModuleType("alvh_assets.sample.option_chains")
    module.write_option_chains = fake  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "alvh_assets.sample.option_chains", module)
    stages: list[str] = []
    generate_sample_market(
        D(2008, 11, 17),
        D(2008, 11, 21),
        tmp_path,
        zip_chains=True,
        on_progress=lambda s, i, n: stages.append(s),
    )
    assert calls["days"] == trading_days("2008-11-17", "2008-11-21") and calls["zip"]
    assert calls["curve"].filter(pl.col("trade_date") == D(2008, 11, 20))["settle"].max() > 60
    assert stages == ["vx_futures", "index_history", "nyse_breadth", "macro", "option_chains"]
    paths = {f["path"] for f in read_manifest(tmp_path)["files"]}
    assert "cboe/options/fake_modelled.csv" in paths
