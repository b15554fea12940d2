"""Modelled NYSE breadth (advances, declines, unchanged, up/down volume) — ``nyse/breadth/``.

No real breadth series ships with the project, so the sample market models one, labelled
in its file name: ``nyse/breadth/NYSE_breadth_modelled.csv``, layout (the fields of the
NYSE daily market diary as newspapers print it)::

    Date,Total Issues,Advances,Declines,Unchanged,Up Volume,Down Volume,Unchanged Volume,AD Line

ISO dates; one row per NYSE trading day from the universe origin 1999-01-04 up to ``end``
(the history a vendor download would hold at that close; the A/D line then never depends on
the requested start). ``AD Line`` = 100,000 + Σ (Advances − Declines) since 1999-01-04.

Model (daily, driven by the real S&P 500 close C_t; seeded, causal)::

    x_t   = ln(C_t / C_{t−1}) / σ_{t−1}        σ: EWMA volatility, half-life 20 days
    s_t   ∈ {normal, divergence}                Markov regime: enter with p = 1/60 when
            C_t ≥ 97% of its 60-day high (1/1000 otherwise), leave with p = 1/15
    gap_t = (AD_{t−1} − T_{t−1}) / (2% · 100,000),   T_t = 100,000 · (C_t / C_0)^{0.5}
    p_t   = Φ(1.1·x_t + δ(s_t) − 0.05·gap_t + 0.35·η_t),  δ = 0 (normal), −0.45 (divergence)
    Unchanged = N_t·(1.5% + 3.5%·e^{−|x_t|}),  Advances = round((N_t − Unchanged)·p_t)

N_t ≈ 3000 issues (3000 + 40·AR(1)). The error-correction term keeps the A/D line tied to
price in the long run (so the percentage rule of the methodology stays meaningful) while the
divergence regime produces narrow rallies: SPX at a 20-day closing high with the A/D line
≥ 2% below its own 20-day high. Volume: total = the real S&P 500 file's volume (a proxy for
NYSE volume), 1% unchanged, up share Φ(1.5·x_t + 0.5·δ(s_t) + 0.3·η'_t).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
from scipy.special import ndtr

from alvh_assets import landing
from alvh_assets.sample import real_data
from alvh_assets.sample.manifest import ManifestEntry, entry_for
from alvh_assets.sample.vx_futures import UNIVERSE_END, UNIVERSE_START

BREADTH_PATH = landing.BREADTH_SAMPLE_FILE
KIND = "nyse_breadth_daily"
HEADER = (
    "Date,Total Issues,Advances,Declines,Unchanged,Up Volume,Down Volume,Unchanged Volume,AD Line"
)


@dataclass(frozen=True)
class BreadthModel:
    """Parameters of the breadth model (module docstring); chosen, not fitted: no real
    breadth series is available. They give a net-advances/return correlation ≈ 0.8 (real
    NYSE breadth: 0.75–0.85) and divergence days on ≈ 2–3% of sessions."""

    issues: int = 3000
    issues_sd: float = 40.0
    issues_phi: float = 0.99
    vol_half_life: float = 20.0
    beta: float = 1.1
    noise: float = 0.35
    delta_normal: float = 0.0
    delta_divergence: float = -0.45
    enter_near_high: float = 1 / 60
    enter_other: float = 1 / 1000
    near_high_share: float = 0.97
    near_high_days: int = 60
    leave: float = 1 / 15
    base: float = 100_000.0
    gamma: float = 0.05
    elasticity: float = 0.5


MODEL = BreadthModel()


@cache
def breadth_universe(seed: int, model: BreadthModel = MODEL) -> pl.DataFrame:
    """The modelled breadth of every universe day (1999-01-04 … 2018-12-31), with the
    regime flag ``divergence_regime`` (not written to the landing file)."""
    spx = real_data.sp500_daily().filter(pl.col("date").is_between(UNIVERSE_START, UNIVERSE_END))
    c = spx["close"].to_numpy()
    n = len(c)
    r = np.r_[np.log(c[0] / spx["open"][0]), np.diff(np.log(c))]
    lam = 1.0 - 0.5 ** (1.0 / model.vol_half_life)
    var = np.empty(n)
    v = 1e-4
    for i in range(n):
        var[i] = v  # σ_{t−1}: volatility known before day t
        v = (1.0 - lam) * v + lam * r[i] ** 2
    x = r / np.sqrt(var)
    high = spx["close"].rolling_max(model.near_high_days, min_samples=1).to_numpy()
    near = c >= model.near_high_share * high
    target = model.base * (c / c[0]) ** model.elasticity

    rng = np.random.default_rng([seed, 0x4144])  # 0x4144 = "AD"
    u = rng.random(n)
    eta = rng.standard_normal(n)
    eta_v = rng.standard_normal(n)
    xi = rng.standard_normal(n)
    u_unch = rng.random(n)

    issues = np.empty(n)
    a = rng.standard_normal()
    for i in range(n):
        a = a if i == 0 else model.issues_phi * a + np.sqrt(1 - model.issues_phi**2) * xi[i]
        issues[i] = a
    total = np.round(model.issues + model.issues_sd * issues).astype(np.int64)
    unch = np.round(total * (0.015 + 0.035 * np.exp(-np.abs(x)) * (0.7 + 0.6 * u_unch)))
    unch = unch.astype(np.int64)
    changed = total - unch

    regime = np.zeros(n, dtype=bool)
    adv = np.empty(n, dtype=np.int64)
    state = False
    line = model.base
    for i in range(n):
        if state:
            state = not (u[i] < model.leave)
        else:
            state = u[i] < (model.enter_near_high if near[i] else model.enter_other)
        regime[i] = state
        gap = (line - target[i - 1 if i else 0]) / (0.02 * model.base)
        delta = model.delta_divergence if state else model.delta_normal
        p = ndtr(model.beta * x[i] + delta - model.gamma * gap + model.noise * eta[i])
        adv[i] = int(np.round(changed[i] * p))
        line += 2 * adv[i] - changed[i]
    dec = changed - adv

    vol = spx["volume"].to_numpy()
    delta_v = np.where(regime, model.delta_divergence, model.delta_normal)
    q = ndtr(1.5 * x + 0.5 * delta_v + 0.3 * eta_v)
    unch_vol = np.round(vol * 0.01).astype(np.int64)
    up_vol = np.round((vol - unch_vol) * q).astype(np.int64)
    down_vol = vol - unch_vol - up_vol
    return pl.DataFrame(
        {
            "date": spx["date"],
            "total_issues": total,
            "advances": adv,
            "declines": dec,
            "unchanged": unch,
            "up_volume": up_vol,
            "down_volume": down_vol,
            "unchanged_volume": unch_vol,
            "ad_line": np.round(model.base + np.cumsum(adv - dec)).astype(np.int64),
            "divergence_regime": regime,
        }
    )


def divergence_days(breadth: pl.DataFrame, lookback: int = 20, pct: float = 0.02) -> pl.DataFrame:
    """Days where SPX closes at its ``lookback``-day high while the A/D line is at least
    ``pct`` below its own ``lookback``-day high (methodology §3, A/D line divergence)."""
    spx = real_data.sp500_daily().select("date", "close")
    return (
        breadth.join(spx, on="date")
        .sort("date")
        .with_columns(
            (
                (pl.col("close") >= pl.col("close").rolling_max(lookback))
                & (pl.col("ad_line") <= (1 - pct) * pl.col("ad_line").rolling_max(lookback))
            ).alias("divergence")
        )
        .select("date", "close", "ad_line", "divergence")
    )


def write_breadth(start: dt.date, end: dt.date, out_dir: Path, seed: int) -> list[ManifestEntry]:
    """Write the modelled breadth file: every universe day from 1999-01-04 up to ``end``."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    rows = breadth_universe(seed).filter(pl.col("date") <= end)
    cols = [
        "total_issues",
        "advances",
        "declines",
        "unchanged",
        "up_volume",
        "down_volume",
        "unchanged_volume",
        "ad_line",
    ]
    body = rows.select(
        pl.concat_str(
            pl.col("date").dt.strftime("%Y-%m-%d"),
            *(pl.col(c).cast(pl.Utf8) for c in cols),
            separator=",",
        )
    ).to_series()
    dst = out_dir / BREADTH_PATH
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(HEADER + "\n" + "".join(f"{s}\n" for s in body.to_list()), newline="\n")
    source = "model: regime-switching breadth driven by real S&P 500 returns (breadth.BreadthModel)"
    return [entry_for(out_dir, dst, KIND, "modelled", source, rows.height)]
