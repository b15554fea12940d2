"""VIX futures (CFE ``VX``) landing files and the daily VX curve of the sample market.

Landing layout: ``cfe/vx/CFE_<code><yy>_VX.csv`` (real) and
``cfe/vx/CFE_<code><yy>_VX_modelled.csv`` (modelled), one file per contract, in the CFE
settlement layout ``Trade Date,Futures,Open,High,Low,Close,Settle,Change,Total Volume,EFP,
Open Interest`` with ``MM/DD/YYYY`` dates and labels such as ``K (May 07)``.

Real: the packaged CFE files (trades 2004-03-26 … 2014-08-14) are copied byte for byte
(disclaimer line, CRLF, ×10 prices before 2007-03-26, zero rows and all) for every contract
listed on a day of ``[start, end]``; when the contract still trades after ``end`` the copy
is cut after the last row dated ``<= end`` (a byte prefix of the vendor file).

Modelled: every trading day of the sample universe outside the real window (1999-01-04 …
2004-03-25 and 2014-08-15 … 2018-12-31). The nine nearest monthly contracts (expiry by
:func:`alvh_assets.calendars.vx_expiration`, including a contract on its expiry day) are
listed; their settles follow a mean-reverting term structure anchored to the real VIX close
(calibrated on the real 2004–2014 settlements by :func:`calibrate_term_structure`)::

    θ_t      = a + b · EWMA_63(VIX)_t                     (slow "long-run" level)
    F(t, T)  = θ_t + (VIX_t − θ_t) · e^{−κτ} + (1 − e^{−κτ}) · (z_t + ε_{t,T})
    z_t      = φ_z z_{t−1} + σ_z η_t                      (common level premium, AR(1))
    ε_{t,T}  = φ_ε ε_{t−1,T} + σ_ε η_{t,T}                (per contract, AR(1))

with τ in years (calendar days / 365), rounded to the 0.05 tick; on its expiry day a
contract settles at the VIX open (a proxy for the special opening quotation) to the cent
with zero O/H/L/C and volume, as in the real files. Prices for trade dates before
2007-03-26 are written ×10 like CFE's own files of that era, so one reader rule applies to
every file. Open/High/Low/Close, volume and open interest are cosmetic (documented rules,
not calibrated). Every random draw is indexed by (trading day, contract) from the fixed
universe origin, so any range is a slice of the same universe.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from alvh_assets import landing
from alvh_assets.calendars import VX_MONTH_CODES, trading_days, vx_expiration
from alvh_assets.sample import real_data
from alvh_assets.sample.manifest import ManifestEntry, entry_for

UNIVERSE_START = dt.date(1999, 1, 4)
"""First day of the sample universe (first day of the real S&P 500 series)."""
UNIVERSE_END = dt.date(2018, 12, 31)
"""Last day of the sample universe (last day of the real S&P 500 series)."""
REAL_FIRST_TRADE = dt.date(2004, 3, 26)
"""First trade date in the packaged CFE files."""
REAL_LAST_TRADE = dt.date(2014, 8, 14)
"""Last trade date in the packaged CFE files."""
LISTED_CONTRACTS = 9
"""Modelled days list the nine nearest monthly contracts (CFE listed 8–10 in 2007–2014)."""
TICK = 0.05
"""VX minimum price increment in index points (modelled settles are rounded to it)."""
KIND = "cfe_vx_settlements"
CFE_HEADER = "Trade Date,Futures,Open,High,Low,Close,Settle,Change,Total Volume,EFP,Open Interest"
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class TermStructureModel:
    """Parameters of the modelled VX curve (see the module docstring for the formulas).

    Defaults are the least-squares fit of :func:`calibrate_term_structure` on the real
    settlements 2004-03-26 … 2014-08-14 (20,016 contract-days; RMSE 2.00 points, front
    month 1.17). ``eps_sd`` is the only deliberate departure: the fitted idiosyncratic
    residual (stationary s.d. 1.0 point) is smooth across neighbouring contracts (hump
    shapes); drawn independently per contract it would scramble the ordering of adjacent
    months, so it is set to 0.25, which reproduces the real 2007–2014 share of adjacent
    contracts quoted below the nearer one on contango days (11%).
    """

    a: float = 7.84
    b: float = 0.765
    kappa: float = 4.00
    anchor_half_life: float = 63.0
    z_phi: float = 0.989
    z_sigma: float = 0.38
    eps_phi: float = 0.924
    eps_sd: float = 0.25
    floor: float = 5.0


MODEL = TermStructureModel()


def contract_label(year: int, month: int) -> str:
    """CFE label, e.g. ``K (May 07)``."""
    return f"{VX_MONTH_CODES[month - 1]} ({_MONTH_ABBR[month - 1]} {year % 100:02d})"


def _check_range(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    if start < UNIVERSE_START or end > UNIVERSE_END:
        raise ValueError(
            f"range {start}..{end} is outside the sample universe "
            f"{UNIVERSE_START}..{UNIVERSE_END} (the real S&P 500 series)"
        )


# --------------------------------------------------------------------------- anchors


@cache
def _universe_days() -> tuple[dt.date, ...]:
    return tuple(trading_days(UNIVERSE_START, UNIVERSE_END))


@cache
def vix_anchor() -> pl.DataFrame:
    """Per universe trading day: VIX ``open``, ``close`` and ``anchor`` = EWMA_63(close).

    The EWMA runs causally over the whole real VIX history from 1990 (half-life 63 trading
    days, ``adjust=False``); days missing from the VIX file (1999-12-31) take the previous
    day's values.
    """
    vix = real_data.vix_daily().with_columns(
        pl.col("close").ewm_mean(half_life=MODEL.anchor_half_life, adjust=False).alias("anchor")
    )
    days = pl.DataFrame({"date": list(_universe_days())}, schema={"date": pl.Date})
    return days.join_asof(vix.select("date", "open", "close", "anchor"), on="date").select(
        "date", "open", "close", "anchor"
    )


def model_settle(
    vix: np.ndarray,
    anchor: np.ndarray,
    tau: np.ndarray,
    noise: np.ndarray | float = 0.0,
    model: TermStructureModel = MODEL,
) -> np.ndarray:
    """F = θ + (VIX − θ)·e^{−κτ} + (1 − e^{−κτ})·noise with θ = a + b·anchor (index points)."""
    theta = model.a + model.b * anchor
    decay = np.exp(-model.kappa * tau)
    return theta + (vix - theta) * decay + (1.0 - decay) * noise


def calibrate_term_structure() -> dict[str, float]:
    """Fit (a, b, κ) by least squares of the real settles on the model without noise, then
    the AR(1) statistics of the common factor z_t (per-day regression of the residual on
    the loading 1 − e^{−κτ}) and of the per-contract residual ε (contracts with τ ≥ 60 days).

    Returns the fitted values and the fit errors (RMSE in index points, overall and for the
    front month) that ``docs/sample_market.md`` records.
    """
    from scipy.optimize import least_squares

    vix = real_data.vix_daily().with_columns(
        pl.col("close").ewm_mean(half_life=MODEL.anchor_half_life, adjust=False).alias("anchor")
    )
    vx = (
        real_data.vx_settlements()
        .join(vix.select(pl.col("date").alias("trade_date"), "close", "anchor"), on="trade_date")
        .with_columns(
            ((pl.col("expiration") - pl.col("trade_date")).dt.total_days() / 365.0).alias("tau")
        )
    )
    F, V, M, tau = (vx[c].to_numpy() for c in ("settle", "close", "anchor", "tau"))

    def resid(p: np.ndarray) -> np.ndarray:
        m = TermStructureModel(a=p[0], b=p[1], kappa=p[2])
        return model_settle(V, M, tau, model=m) - F

    fit = least_squares(resid, [5.0, 0.8, 3.0])
    a, b, kappa = (float(x) for x in fit.x)
    e = -fit.fun
    load = 1.0 - np.exp(-kappa * tau)
    vx = vx.with_columns(pl.Series("e", e), pl.Series("L", load))
    z = (
        vx.group_by("trade_date")
        .agg(((pl.col("e") * pl.col("L")).sum() / (pl.col("L") ** 2).sum()).alias("z"))
        .sort("trade_date")
    )
    zz = z["z"].to_numpy()
    z_phi = float(np.corrcoef(zz[1:], zz[:-1])[0, 1])
    vx = (
        vx.join(z, on="trade_date")
        .with_columns(((pl.col("e") - pl.col("z") * pl.col("L")) / pl.col("L")).alias("eps"))
        .sort("expiration", "trade_date")
        .with_columns(pl.col("eps").shift(1).over("expiration").alias("eps1"))
    )
    d = vx.drop_nulls("eps1").filter(pl.col("tau") >= 60 / 365)
    x1, x0 = d["eps"].to_numpy(), d["eps1"].to_numpy()
    eps_phi = float((x1 * x0).sum() / (x0 * x0).sum())
    front = vx.filter(pl.col("expiration") == pl.col("expiration").min().over("trade_date"))
    return {
        "a": a,
        "b": b,
        "kappa": kappa,
        "rmse": float(np.sqrt(np.mean(e**2))),
        "mae": float(np.mean(np.abs(e))),
        "rmse_front": float(np.sqrt((front["e"] ** 2).mean())),
        "z_phi": z_phi,
        "z_sigma": float(np.std(zz[1:] - z_phi * zz[:-1])),
        "z_sd": float(zz.std()),
        "eps_phi": eps_phi,
        "eps_sigma": float(np.std(x1 - eps_phi * x0)),
        "eps_sd": float(x1.std()),
        "n": float(len(F)),
    }


# --------------------------------------------------------------------------- universe


def _contract_table() -> pl.DataFrame:
    """Every monthly contract whose life can touch the universe, with its expiry."""
    rows = [
        (y, m, vx_expiration(y, m))
        for y in range(UNIVERSE_START.year - 1, UNIVERSE_END.year + 2)
        for m in range(1, 13)
    ]
    return pl.DataFrame(
        rows, schema={"year": pl.Int32, "month": pl.Int32, "expiration": pl.Date}, orient="row"
    ).sort("expiration")


def _real_residuals(model: TermStructureModel) -> tuple[float, dict[dt.date, float]]:
    """z and ε of the real curve on the last real day (start values of the AR processes
    after the real window, so the modelled curve continues the real one)."""
    last = real_data.vx_settlements().filter(pl.col("trade_date") == REAL_LAST_TRADE)
    anc = vix_anchor().filter(pl.col("date") == REAL_LAST_TRADE)
    tau = ((last["expiration"] - REAL_LAST_TRADE).dt.total_days() / 365.0).to_numpy()
    fair = model_settle(anc["close"][0], anc["anchor"][0], tau, model=model)
    e = last["settle"].to_numpy() - fair
    load = 1.0 - np.exp(-model.kappa * tau)
    z = float((e * load).sum() / (load**2).sum())
    eps = np.clip((e - z * load) / np.maximum(load, 1e-9), -3 * model.eps_sd, 3 * model.eps_sd)
    return z, dict(zip(last["expiration"].to_list(), eps.tolist(), strict=True))


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, 0x5658, stream])  # 0x5658 = "VX"


@cache
def modelled_universe(seed: int, model: TermStructureModel = MODEL) -> pl.DataFrame:
    """All modelled VX rows of the universe (index points, before ×10 quoting).

    Columns: trade_date, year, month, expiration, open, high, low, close, settle, change
    (all in integer cents of index points), volume, efp, open_interest, is_expiry.
    """
    days = _universe_days()
    n_days = len(days)
    day_arr = np.array(days, dtype="datetime64[D]")
    modelled = (day_arr < np.datetime64(REAL_FIRST_TRADE)) | (
        day_arr > np.datetime64(REAL_LAST_TRADE)
    )
    contracts = _contract_table()
    exp_arr = contracts["expiration"].to_numpy().astype("datetime64[D]")
    n_con = len(exp_arr)
    first = np.searchsorted(exp_arr, day_arr, side="left")  # first contract expiring >= day

    # common factor z_t: AR(1) over universe days, restarted at each modelled era
    z_innov = _rng(seed, 1).standard_normal(n_days)
    z_start = _rng(seed, 2).standard_normal()
    z_real, eps_real = _real_residuals(model)
    z = np.zeros(n_days)
    z_sd = model.z_sigma / np.sqrt(1 - model.z_phi**2)
    prev = None
    for i in range(n_days):
        if not modelled[i]:
            prev = None
            continue
        if prev is None:
            prev = (
                model.z_phi * z_real + model.z_sigma * z_innov[i]
                if days[i] > REAL_LAST_TRADE
                else z_start * z_sd
            )
        else:
            prev = model.z_phi * prev + model.z_sigma * z_innov[i]
        z[i] = prev

    # per-contract ε: AR(1) along each contract's run of modelled listed days
    eps_innov = _rng(seed, 3).standard_normal((n_con, n_days))
    eps_start = _rng(seed, 4).standard_normal(n_con)
    eps_sigma = model.eps_sd * np.sqrt(1 - model.eps_phi**2)
    di, slot = np.nonzero(modelled[:, None] & np.ones((1, LISTED_CONTRACTS), dtype=bool))
    ci = first[di] + slot
    order = np.lexsort((di, ci))
    di, ci = di[order], ci[order]
    eps = np.empty(len(di))
    for k in range(len(di)):
        c, d = ci[k], di[k]
        if k > 0 and ci[k - 1] == c and di[k - 1] == d - 1:
            eps[k] = model.eps_phi * eps[k - 1] + eps_sigma * eps_innov[c, d]
        else:
            exp_date = contracts["expiration"][int(c)]
            real_start = days[d] > REAL_LAST_TRADE and exp_date in eps_real
            if real_start and days[d - 1] == REAL_LAST_TRADE:
                eps[k] = model.eps_phi * eps_real[exp_date] + eps_sigma * eps_innov[c, d]
            else:
                eps[k] = model.eps_sd * eps_start[c]

    anc = vix_anchor()
    vix_c = anc["close"].to_numpy()[di]
    vix_o = anc["open"].to_numpy()[di]
    m = anc["anchor"].to_numpy()[di]
    tau_days = (exp_arr[ci] - day_arr[di]).astype(np.int64)
    tau = tau_days / 365.0
    fair = model_settle(vix_c, m, tau, z[di] + eps, model=model)
    fair = np.maximum(fair, model.floor)
    is_exp = tau_days == 0
    settle = np.where(
        is_exp, np.round(vix_o * 100.0), np.round(fair / TICK) * (TICK * 100.0)
    ).astype(np.int64)

    # previous settle of the same contract (the real settle at the 2014 seam)
    seam_df = real_data.vx_settlements().filter(pl.col("trade_date") == REAL_LAST_TRADE)
    seam = dict(
        zip(
            seam_df["expiration"].to_list(),
            (seam_df["settle"] * 100).round().to_list(),
            strict=True,
        )
    )
    exp_dates = contracts["expiration"].to_list()
    prev = settle.copy()
    for k in range(len(di)):
        if k > 0 and ci[k - 1] == ci[k] and di[k - 1] == di[k] - 1:
            prev[k] = settle[k - 1]
        elif days[di[k] - 1] == REAL_LAST_TRADE and exp_dates[ci[k]] in seam:
            prev[k] = int(seam[exp_dates[ci[k]]])

    # cosmetic fields (rules in docs/sample_market.md; not calibrated)
    u = _rng(seed, 5).random((len(di), 4))
    tick_c = int(round(TICK * 100))

    def ticks(x: np.ndarray) -> np.ndarray:
        return (np.round(x / tick_c) * tick_c).astype(np.int64)

    open_ = prev + ticks((settle - prev) * u[:, 0])
    close = settle + (np.floor(u[:, 1] * 3).astype(np.int64) - 1) * tick_c
    spread = np.ceil(settle * 0.012 * np.exp(-model.kappa * tau / 2) / tick_c) * tick_c
    high = np.maximum.reduce([open_, close, settle]) + ticks(spread * u[:, 2])
    low = np.maximum(np.minimum.reduce([open_, close, settle]) - ticks(spread * u[:, 3]), tick_c)
    volume = np.round(60000.0 * np.exp(-6.0 * tau) * (0.5 + u[:, 2])).astype(np.int64)
    oi = np.round(90000.0 * np.exp(-3.0 * tau) * np.minimum(tau * 12.0 + 0.3, 1.0))
    for arr in (open_, high, low, close, volume):
        arr[is_exp] = 0
    frame = pl.DataFrame(
        {
            "trade_date": day_arr[di],
            "year": contracts["year"].to_numpy()[ci],
            "month": contracts["month"].to_numpy()[ci],
            "expiration": exp_arr[ci],
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "settle": settle,
            "change": settle - prev,
            "volume": volume,
            "efp": np.zeros(len(di), dtype=np.int64),
            "open_interest": oi.astype(np.int64),
            "is_expiry": is_exp,
        }
    )
    return frame.with_columns(
        pl.col("trade_date").cast(pl.Date), pl.col("expiration").cast(pl.Date)
    ).sort("trade_date", "expiration")


# --------------------------------------------------------------------------- curve


def vx_curve(start: dt.date, end: dt.date, seed: int) -> pl.DataFrame:
    """Daily VX settles for every trading day in ``[start, end]`` and every listed contract.

    Columns trade_date, expiration, settle (index points, the ×10 quirk undone), is_real.
    Real settles (non-zero rows of the packaged CFE files) for 2004-03-26 … 2014-08-14,
    modelled settles (:func:`modelled_universe`) outside it. A contract appears through its
    expiry day, when its settle is the final settlement value. These are exactly the
    settles of the landing files written by :func:`write_vx_futures`.
    """
    _check_range(start, end)
    real = (
        real_data.vx_settlements()
        .filter(pl.col("trade_date").is_between(start, end))
        .select("trade_date", "expiration", "settle", pl.lit(True).alias("is_real"))
    )
    model = (
        modelled_universe(seed)
        .filter(pl.col("trade_date").is_between(start, end))
        .select(
            "trade_date",
            "expiration",
            (pl.col("settle") / 100.0).alias("settle"),
            pl.lit(False).alias("is_real"),
        )
    )
    return pl.concat([real, model]).sort("trade_date", "expiration")


# --------------------------------------------------------------------------- realized vol

RV_TENOR_DAYS = 30.0
"""Constant maturity (calendar days) of the rolling VX position whose realized vol anchors
the VIX-option vol-of-vol."""
RV_WINDOW = 20
"""Trailing window (sessions) of the realized vol."""


def constant_maturity_returns(
    settles: np.ndarray, tau_days: np.ndarray, tenor: float = RV_TENOR_DAYS
) -> np.ndarray:
    """Daily log return of a rolling constant-maturity VX position (one per day after the first).

    ``settles`` and ``tau_days`` are (days × contracts), NaN where a contract has no settle.
    From day ``t−1`` to ``t`` the position holds the two contracts bracketing ``tenor`` at
    ``t−1`` (``τ₁ ≤ tenor < τ₂``, both with a settle on both days), weighted to the tenor::

        r_t = w ln(F₁,t / F₁,t−1) + (1 − w) ln(F₂,t / F₂,t−1),   w = (τ₂ − tenor) / (τ₂ − τ₁)

    (only one side listed: that contract alone). This is the return of the portfolio behind
    constant-maturity VIX futures indices such as the S&P 500 VIX Short-Term Futures index
    (a daily roll between the first two months), so the roll itself adds no return; NaN
    when no contract has two settles.
    """
    ret = np.log(settles[1:] / settles[:-1])
    tau = tau_days[:-1]
    ok = np.isfinite(ret) & (tau > 0)
    near = np.where(ok & (tau <= tenor), tau, -np.inf)
    far = np.where(ok & (tau > tenor), tau, np.inf)
    i1, i2 = near.argmax(axis=1), far.argmin(axis=1)
    rows = np.arange(len(ret))
    t1, t2 = near[rows, i1], far[rows, i2]
    has1, has2 = np.isfinite(t1), np.isfinite(t2)
    w = np.where(has1 & has2, (t2 - tenor) / np.where(has1 & has2, t2 - t1, 1.0), has1 * 1.0)
    r1 = np.where(has1, ret[rows, i1], 0.0)
    r2 = np.where(has2, ret[rows, i2], 0.0)
    return np.where(has1 | has2, w * r1 + (1.0 - w) * r2, np.nan)


@cache
def vx_realized_vol(seed: int) -> pl.DataFrame:
    """Per universe trading day: ``rv30``, the trailing realized vol of the 30-day
    constant-maturity VX position (annualized, decimals)::

        rv30_t = sqrt(252 / n · Σ_{i=t−19..t} r_i²),   n = the returns present (≥ 10)

    with ``r`` from :func:`constant_maturity_returns` on the seed's VX curve (real CFE
    settles 2004-03-26 … 2014-08-14, modelled outside). Point in time: day ``t`` uses
    settles up to ``t`` only; the same seed gives the same series whatever range is asked
    for. Null before ten returns exist (the universe start).
    """
    curve = vx_curve(UNIVERSE_START, UNIVERSE_END, seed)
    wide = curve.pivot(on="expiration", index="trade_date", values="settle", sort_columns=True)
    wide = wide.sort("trade_date")
    dates = wide["trade_date"].to_numpy().astype("datetime64[D]")
    exps = np.array([dt.date.fromisoformat(c) for c in wide.columns[1:]], dtype="datetime64[D]")
    settles = wide.drop("trade_date").to_numpy().astype(np.float64)
    tau = (exps[None, :] - dates[:, None]).astype(np.float64)
    r = np.concatenate([[np.nan], constant_maturity_returns(settles, tau)])
    frame = pl.DataFrame({"date": dates, "r": r}).with_columns(pl.col("date").cast(pl.Date))
    return frame.select(
        "date",
        ((pl.col("r") ** 2).rolling_mean(RV_WINDOW, min_samples=RV_WINDOW // 2) * 252.0)
        .sqrt()
        .alias("rv30"),
    )


# --------------------------------------------------------------------------- files


def _row_date(line: bytes) -> dt.date | None:
    head = line.split(b",", 1)[0].strip()
    try:
        return dt.datetime.strptime(head.decode(), "%m/%d/%Y").date()
    except ValueError:
        return None


def copy_real_prefix(
    src: Path, dst: Path, end: dt.date, parse: Callable[[bytes], dt.date | None] | None = None
) -> tuple[int, bool, bool]:
    """Copy ``src`` to ``dst`` up to its last row dated ``<= end`` (bytes unchanged).

    ``parse`` maps a raw line to its date (``None`` for header/disclaimer/blank lines);
    rows must be in date order. Returns (data rows written, whole file copied, any row
    dated in the file at all ``<= end``).
    """
    parse = parse or _row_date
    lines = src.read_bytes().splitlines(keepends=True)
    dates = [parse(line) for line in lines]
    keep = [i for i, d in enumerate(dates) if d is not None and d <= end]
    dated = [d for d in dates if d is not None]
    dst.parent.mkdir(parents=True, exist_ok=True)
    if all(d <= end for d in dated):
        shutil.copyfile(src, dst)
        return len(dated), True, bool(dated)
    cut = keep[-1] + 1 if keep else next(i for i, d in enumerate(dates) if d is not None)
    dst.write_bytes(b"".join(lines[:cut]))
    return len(keep), False, bool(keep)


def _cents(expr: pl.Expr) -> pl.Expr:
    """Integer cents -> ``-12.35`` text (exact, no float formatting)."""
    a = expr.abs()
    return pl.concat_str(
        pl.when(expr < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (a // 100).cast(pl.Utf8),
        pl.lit("."),
        (a % 100).cast(pl.Utf8).str.zfill(2),
    )


def format_cfe(rows: pl.DataFrame) -> str:
    """CFE layout text (header + rows) for modelled rows of one contract; prices ×10 for
    trade dates before 2007-03-26 as CFE quoted them."""
    scale = pl.when(pl.col("trade_date") < landing.VX_PRICE_SCALE_CHANGE).then(10).otherwise(1)
    label = contract_label(int(rows["year"][0]), int(rows["month"][0]))
    body = rows.select(
        pl.concat_str(
            pl.col("trade_date").dt.strftime("%m/%d/%Y"),
            pl.lit(label),
            *(_cents(pl.col(c) * scale) for c in ("open", "high", "low", "close", "settle")),
            _cents(pl.col("change") * scale),
            *(pl.col(c).cast(pl.Utf8) for c in ("volume", "efp", "open_interest")),
            separator=",",
        ).alias("line")
    )["line"]
    return CFE_HEADER + "\n" + "\n".join(body.to_list()) + "\n"


def _file_expiration(path: Path) -> dt.date:
    """Expiry of a contract file named ``CFE_<code><yy>_VX[...].csv``."""
    code = path.name.split("_")[1]
    year = landing.two_digit_year(int(code[1:3]))
    return vx_expiration(year, VX_MONTH_CODES.index(code[0]) + 1)


def write_vx_futures(start: dt.date, end: dt.date, out_dir: Path, seed: int) -> list[ManifestEntry]:
    """Write the real and modelled CFE files of every contract listed in ``[start, end]``.

    A contract is listed on a day when :func:`vx_curve` has its settle or its real file has
    a row that day. Each of its files (real and/or modelled) holds the contract's rows up to
    ``end`` — its history as CFE would have published it at the close of ``end``, including
    rows before ``start``; nothing dated after ``end`` is written.
    """
    _check_range(start, end)
    (out_dir / landing.CFE_VX_DIR).mkdir(parents=True, exist_ok=True)
    listed = set(vx_curve(start, end, seed)["expiration"].to_list())
    entries: list[ManifestEntry] = []
    for src in real_data.cfe_vx_files():
        dated = [d for d in (_row_date(ln) for ln in src.read_bytes().splitlines()) if d]
        if not dated or min(dated) > end:
            continue
        if _file_expiration(src) not in listed and not any(start <= d <= end for d in dated):
            continue
        dst = out_dir / landing.CFE_VX_DIR / src.name
        rows, _, _ = copy_real_prefix(src, dst, end)
        entries.append(entry_for(out_dir, dst, KIND, "real", f"real/cfe_vx/{src.name}", rows))
    uni = modelled_universe(seed).filter(
        (pl.col("trade_date") <= end) & pl.col("expiration").is_in(sorted(listed))
    )
    source = "model: VX term structure anchored to real VIX (vx_futures.TermStructureModel)"
    for (year, month), rows in sorted(uni.group_by("year", "month"), key=lambda kv: kv[0]):
        code = landing.vx_contract_code(int(year), int(month))
        dst = out_dir / landing.cfe_vx_file(code, "modelled")
        dst.write_text(format_cfe(rows.sort("trade_date")), newline="\n")
        entries.append(entry_for(out_dir, dst, KIND, "modelled", source, rows.height))
    return entries
