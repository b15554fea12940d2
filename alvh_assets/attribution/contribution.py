"""``attribution.contribution_daily``: the hedge's rolling contribution, a monitored metric.

Methodology §3, contribution target (seed 003): "ALVH contributes ≥ 40 bp/week
risk-adjusted over a rolling 30-day window — a monitored daily metric (share of windows
meeting it), not a rule". Every hedged strategy of the registry (an entry with hedge buckets)
is set against the unhedged book, which runs the same condor on the same data (§4).

For a strategy *h*, the unhedged book *u* and a session *t* (both books have it), with
``W = hedge.contribution_window_days`` **calendar** days (30) and target
``hedge.contribution_target_bp_week`` (40):

* the window holds the sessions in ``(t − W days, t]``; its returns accrue from the close of
  ``window_start`` = the session before its first session (the base date before a book's
  first session) to the close of *t*: ``days = t − window_start`` (30–34 calendar days);
* ``R_x = Π (1 + r_x) − 1`` over the window's sessions (= NAV(t) / NAV(window_start) − 1),
  ``R_f`` the same of the risk-free returns (:func:`.metrics.risk_free_returns`), ``σ_x`` the
  standard deviation (ddof 1) of the window's daily returns;
* ``excess_bp_week = 1e4 × (R_h − R_u) × 7 / days`` (the plain return difference);
* risk adjustment **[choice]**: Modigliani & Modigliani's M² (1997, "Risk-adjusted
  performance"), the hedged strategy's excess return over the risk-free rate scaled to the
  unhedged book's volatility, less the unhedged book's: ``M2 = (R_h − R_f) × σ_u / σ_h −
  (R_u − R_f)``; ``risk_adjusted_bp_week = 1e4 × M2 × 7 / days`` (null when σ_h = 0 or the
  window has fewer than 2 sessions). A hedge that earns the unhedged return at half the
  volatility contributes about ``R_u − R_f`` more; one that only gives up return to lower
  volatility contributes about nothing;
* ``complete`` = the window lies inside both books' history (``t − W days`` ≥ the later of
  the two base dates); ``meets_target = risk_adjusted_bp_week ≥ target`` on complete windows
  with a value, else null. The performance table's share is over those windows.
"""

from __future__ import annotations

import polars as pl

from alvh_assets.calendars import previous_trading_day
from alvh_assets.config import AlvhConfig
from alvh_assets.strategy.registry import REGISTRY
from alvh_assets.warehouse import TableDoc

UNHEDGED = "unhedged"
F, N, S, D, B = pl.Float64(), pl.Int64(), pl.Utf8(), pl.Date(), pl.Boolean()
CONTRIBUTION_DAILY: dict[str, pl.DataType] = {
    "strategy": S,
    "date": D,
    "window_days": N,
    "window_start": D,
    "sessions": N,
    "complete": B,
    "return_hedged": F,
    "return_unhedged": F,
    "return_risk_free": F,
    "vol_hedged": F,
    "vol_unhedged": F,
    "excess_bp_week": F,
    "risk_adjusted_bp_week": F,
    "target_bp_week": F,
    "meets_target": B,
}
CONTRIBUTION_DOC = TableDoc(
    "The monitored hedge contribution of methodology §3 (seed 003: >= 40 bp/week "
    "risk-adjusted over a rolling 30-day window, a metric, not a rule): per hedged strategy "
    "and session, its return and the unhedged book's over the trailing "
    "hedge.contribution_window_days calendar days, their difference and the M²-risk-adjusted "
    "difference in bp/week, and whether it meets hedge.contribution_target_bp_week. Rules: "
    "alvh_assets/attribution/contribution.py. Grain: strategy, date.",
    {
        "strategy": "Hedged strategy of the registry (one with hedge buckets), set against "
        "the unhedged book.",
        "date": "Session t, the window's last session.",
        "window_days": "W, the window in calendar days (hedge.contribution_window_days).",
        "window_start": "The close the window's returns accrue from: the session before the "
        "first session in (t − W days, t].",
        "sessions": "Sessions in (t − W days, t].",
        "complete": "Whether the whole window lies in both books' history.",
        "return_hedged": "R_h = NAV(t) / NAV(window_start) − 1 of the hedged strategy (decimal).",
        "return_unhedged": "R_u, the same for the unhedged book (decimal).",
        "return_risk_free": "R_f, the risk-free return over the window (decimal).",
        "vol_hedged": "σ_h, std (ddof 1) of the hedged strategy's daily returns in the window, "
        "not annualized.",
        "vol_unhedged": "σ_u, the same for the unhedged book.",
        "excess_bp_week": "1e4 × (R_h − R_u) × 7 / days, basis points a week.",
        "risk_adjusted_bp_week": "M² difference, 1e4 × ((R_h − R_f) × σ_u / σ_h − (R_u − R_f)) "
        "× 7 / days, basis points a week; null when σ_h = 0 or fewer than 2 sessions.",
        "target_bp_week": "The target, bp/week (hedge.contribution_target_bp_week).",
        "meets_target": "risk_adjusted_bp_week ≥ target_bp_week on complete windows with a "
        "value, else null.",
    },
)
"""The data dictionary entry of ``attribution.contribution_daily`` (column comments)."""


def hedged_strategies(strategies: list[str]) -> list[str]:
    """The strategies of ``strategies`` whose registry entry has hedge buckets, in registry
    order (none without the unhedged book to compare with)."""
    if UNHEDGED not in strategies:
        return []
    return [s for s, e in REGISTRY.items() if e.hedge_buckets and s in strategies]


def _returns(account: pl.DataFrame, capital: float) -> pl.DataFrame:
    """Per strategy and session: ``r`` (from the initial capital on the first session),
    ``rf`` (``exp(rate(t−1) × calendar days / 365) − 1``, 0 on the first session) and
    ``prev`` = the session before (the NYSE session before the first session)."""
    acc = account.select("strategy", "date", "nav", "rate").sort("strategy", "date")
    firsts = acc.group_by("strategy").agg(pl.col("date").min().alias("first"))
    base = firsts.with_columns(
        pl.col("first").map_elements(previous_trading_day, return_dtype=pl.Date).alias("base")
    ).select("strategy", "base")
    return (
        acc.join(base, on="strategy")
        .with_columns(
            (
                pl.col("nav") / pl.col("nav").shift(1).over("strategy").fill_null(capital) - 1.0
            ).alias("r"),
            (
                pl.col("rate").fill_null(0.0).shift(1).over("strategy")
                * (pl.col("date") - pl.col("date").shift(1).over("strategy")).dt.total_days()
                / 365.0
            )
            .exp()
            .sub(1.0)
            .fill_null(0.0)
            .alias("rf"),
            pl.coalesce(pl.col("date").shift(1).over("strategy"), pl.col("base")).alias("prev"),
        )
        .select("strategy", "date", "r", "rf", "prev", "base")
    )


def contribution_daily(account: pl.DataFrame, cfg: AlvhConfig) -> pl.DataFrame:
    """One row per hedged strategy and session it shares with the unhedged book (module
    docstring for every column). ``account``: strategy, date, nav, rate."""
    days_w = cfg.hedge.contribution_window_days
    target = cfg.hedge.contribution_target_bp_week
    hedged = hedged_strategies(account["strategy"].unique().to_list())
    if not hedged:
        return pl.DataFrame(schema=CONTRIBUTION_DAILY)
    rets = _returns(account, cfg.execution.initial_capital)
    u = rets.filter(pl.col("strategy") == UNHEDGED).select(
        "date", pl.col("r").alias("ru"), pl.col("base").alias("base_u")
    )
    window = f"{days_w}d"

    def roll(expr: pl.Expr) -> pl.Expr:
        return expr.rolling_sum_by("date", window_size=window).over("strategy")

    frame = (
        rets.filter(pl.col("strategy").is_in(hedged))
        .join(u, on="date")
        .sort("strategy", "date")
        .with_columns(
            roll(pl.col("date").is_not_null().cast(pl.Int64)).alias("sessions"),
            roll(pl.col("r").log1p()).exp().sub(1.0).alias("return_hedged"),
            roll(pl.col("ru").log1p()).exp().sub(1.0).alias("return_unhedged"),
            roll(pl.col("rf").log1p()).exp().sub(1.0).alias("return_risk_free"),
            pl.col("r")
            .rolling_std_by("date", window_size=window)
            .over("strategy")
            .alias("vol_hedged"),
            pl.col("ru")
            .rolling_std_by("date", window_size=window)
            .over("strategy")
            .alias("vol_unhedged"),
            pl.col("prev")
            .rolling_min_by("date", window_size=window)
            .over("strategy")
            .alias("window_start"),
            (
                pl.col("date") - pl.duration(days=days_w) >= pl.max_horizontal("base", "base_u")
            ).alias("complete"),
        )
    )
    weeks = (pl.col("date") - pl.col("window_start")).dt.total_days() / 7.0
    rf = pl.col("return_risk_free")
    m2 = (pl.col("return_hedged") - rf) * pl.col("vol_unhedged") / pl.col("vol_hedged") - (
        pl.col("return_unhedged") - rf
    )
    defined = (pl.col("sessions") >= 2) & (pl.col("vol_hedged") > 0)
    out = frame.with_columns(
        pl.lit(days_w, dtype=pl.Int64).alias("window_days"),
        (1e4 * (pl.col("return_hedged") - pl.col("return_unhedged")) / weeks).alias(
            "excess_bp_week"
        ),
        pl.when(defined).then(1e4 * m2 / weeks).alias("risk_adjusted_bp_week"),
        pl.lit(target, dtype=pl.Float64).alias("target_bp_week"),
    ).with_columns(
        pl.when(pl.col("complete") & pl.col("risk_adjusted_bp_week").is_not_null())
        .then(pl.col("risk_adjusted_bp_week") >= pl.col("target_bp_week"))
        .alias("meets_target")
    )
    return out.select(list(CONTRIBUTION_DAILY)).cast(CONTRIBUTION_DAILY)
