"""``attribution.performance`` and ``attribution.stress_windows`` from the strategy tables.

A strategy's sessions are its ``account_daily`` rows; before its first session the account
is ``execution.initial_capital`` in cash, and the first session's *base date* is the NYSE
session before it. A period (``all``, or a calendar year ``YYYY``) starts from the last NAV
before its first session and its base date is that session. Formulas: :mod:`.metrics`;
the cost and hedge metrics are documented on :func:`performance_table`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from alvh_assets.attribution import metrics as m
from alvh_assets.attribution.schema import COMPONENTS, PERFORMANCE, STRESS_WINDOWS
from alvh_assets.calendars import previous_trading_day
from alvh_assets.config import AlvhConfig
from alvh_assets.strategy.book import REBALANCING_KINDS, TRADE_KINDS

ALVH, UNHEDGED = "alvh_442", "unhedged"
HEDGE_COMPONENTS = [c for c, cat in COMPONENTS.items() if cat == "hedge"]
COST_GROUPS: dict[str, tuple[str, ...]] = {
    "entry": ("condor_entry",),
    "roll": ("condor_roll",),
    "exit": ("condor_exit", "halt_close"),
    "hedge": ("hedge_add", "hedge_roll", "hedge_trim", "hedge_monetize", "hedge_lapse"),
}
"""``trading_costs_<group>`` of ``attribution.performance``: fills' ``trade_kind``s per group
(settlements carry no costs)."""


def fill_costs(fills: pl.DataFrame) -> pl.DataFrame:
    """``fills`` with ``trade_kind`` (from the reason where a stored row lacks it) and
    ``costs`` = commission + exchange fees + slippage (USD, positive)."""
    prefix = pl.col("reason").str.split(":").list.first()
    kinds = {k: v[0] for k, v in TRADE_KINDS.items()}
    return fills.with_columns(
        pl.coalesce(
            pl.when(pl.col("trade_kind") != "").then(pl.col("trade_kind")),
            prefix.replace_strict(kinds, default=None, return_dtype=pl.Utf8),
        ).alias("trade_kind"),
        (pl.col("commission") + pl.col("exchange_fees") + pl.col("slippage")).alias("costs"),
    )


@dataclass(frozen=True)
class _Book:
    """One strategy's sessions and daily series over the whole data."""

    dates: list[dt.date]
    nav: np.ndarray
    r: np.ndarray  # daily returns (first one from the initial capital)
    rf: np.ndarray  # risk-free daily returns (0 on the first session)
    r_spx: np.ndarray  # SPX daily returns (NaN on the first session)
    base: dt.date  # the NYSE session before the first session

    @classmethod
    def of(cls, acc: pl.DataFrame, capital: float) -> _Book:
        dates = acc["date"].to_list()
        nav = acc["nav"].to_numpy().astype(float)
        spx = acc["spx_close"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        r_spx = np.concatenate(([np.nan], spx[1:] / spx[:-1] - 1.0))
        rf = m.risk_free_returns(acc["rate"].fill_null(0.0).to_numpy(), dates)
        r = m.daily_returns(nav, capital)
        return cls(dates, nav, r, rf, r_spx, previous_trading_day(dates[0]))


def _strategies(account: pl.DataFrame) -> list[str]:
    return account["strategy"].unique(maintain_order=True).to_list()


def _books(account: pl.DataFrame, capital: float) -> dict[str, _Book]:
    return {
        s: _Book.of(account.filter(pl.col("strategy") == s).sort("date"), capital)
        for s in _strategies(account)
    }


def _periods(dates: list[dt.date]) -> list[tuple[str, int, int]]:
    """``("all", 0, n-1)`` then ``(YYYY, first index, last index)`` per calendar year."""
    years = np.array([d.year for d in dates])
    out = [("all", 0, len(dates) - 1)]
    for y in np.unique(years):
        idx = np.flatnonzero(years == y)
        out.append((str(y), int(idx[0]), int(idx[-1])))
    return out


def _sum(df: pl.DataFrame, col: str = "amount") -> float:
    return float(df[col].sum()) if df.height else 0.0


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _period_row(
    strategy: str,
    period: str,
    b: _Book,
    i0: int,
    i1: int,
    frames: dict[str, pl.DataFrame],
    cfg: AlvhConfig,
) -> dict[str, Any]:
    cap, att = cfg.execution.initial_capital, cfg.attribution
    n = att.trading_days_per_year
    sl = slice(i0, i1 + 1)
    dates, nav, r, rf = b.dates[sl], b.nav[sl], b.r[sl], b.rf[sl]
    first, last = dates[0], dates[-1]
    start_nav = float(b.nav[i0 - 1]) if i0 else cap
    base = b.dates[i0 - 1] if i0 else b.base
    days, end_nav = (last - base).days, float(nav[-1])
    years = days / 365.0 if days > 0 else None
    cagr = m.cagr(start_nav, end_nav, days)
    dd = m.max_drawdown(nav, dates, start_nav, base)
    wd, wd_date = m.worst_day(r, dates)
    wm, wm_label = m.worst_month(nav, dates, start_nav)

    inside = pl.col("date").is_between(first, last)
    pnl = frames["pnl"].filter(inside)
    carry = _sum(pnl.filter(pl.col("category") == "hedge_carry"))
    carry_cost = 0.0 - carry  # positive = cost (0.0 - x, so no -0.0)
    fills = frames["fills"].filter(inside)

    def costs(kinds: tuple[str, ...]) -> float:
        return _sum(fills.filter(pl.col("trade_kind").is_in(list(kinds))), "costs")

    entries = fills.filter(pl.col("trade_kind") == "condor_entry")
    premium = float((-entries["quantity"] * entries["price"]).sum()) * 100.0
    budget = frames["budget"]
    par = budget.filter(inside)["premium_at_risk"].fill_null(0.0).mean()
    shift = budget.filter(inside)["breakeven_shift"].drop_nulls().mean()

    def mark(day: dt.date) -> float:
        return _sum(budget.filter(pl.col("date") == day), "premium_at_risk")

    flows = frames["hedge_flows"].filter(inside)
    hedge_xirr = m.xirr(
        [base, *flows["date"].to_list(), last],
        [-mark(base) if i0 else 0.0, *flows["cash_flow"].to_list(), mark(last)],
    )
    contribution = None
    if strategy == ALVH and "excess" in frames:
        excess = frames["excess"].filter(inside)["excess"]
        contribution = _div(1e4 * float(excess.sum()), excess.len() / 5.0)

    return {
        "strategy": strategy,
        "period": period,
        "start_date": first,
        "end_date": last,
        "sessions": len(dates),
        "start_nav": start_nav,
        "end_nav": end_nav,
        "total_pnl": end_nav - start_nav,
        "cagr": cagr,
        "ann_vol": m.ann_vol(r, n),
        "sharpe": m.sharpe(r, rf, n),
        "sortino": m.sortino(r, rf, n),
        "max_drawdown": dd.depth,
        "max_drawdown_peak": dd.peak,
        "max_drawdown_trough": dd.trough,
        "max_drawdown_sessions": dd.sessions,
        "calmar": m.calmar(cagr, dd.depth),
        "worst_day": wd,
        "worst_day_date": wd_date,
        "worst_month": wm,
        "worst_month_label": wm_label,
        "cvar_95": m.cvar(r, att.cvar_level),
        "beta_spx": m.beta(r, b.r_spx[sl]),
        "hedge_carry": carry,
        "hedge_cost_drag": _div(carry_cost / cap, years),
        "trading_costs": _sum(fills, "costs"),
        **{f"trading_costs_{g}": costs(kinds) for g, kinds in COST_GROUPS.items()},
        "rebalancing_cost": costs(REBALANCING_KINDS),
        "roll_opportunity_cost": _sum(fills, "opportunity_cost"),
        "premium_collected": premium,
        "xirr": m.xirr([base, last], [-start_nav, end_nav]),
        "hedge_xirr": hedge_xirr,
        "hedge_capital_cost": _div(_div(carry_cost, years), par),
        "alvh_contribution_bp_week": contribution,
        "avg_breakeven_shift": shift,
    }


def performance_table(
    account: pl.DataFrame,
    daily_pnl: pl.DataFrame,
    budget: pl.DataFrame,
    fills: pl.DataFrame,
    cfg: AlvhConfig,
) -> pl.DataFrame:
    """One row per strategy and period (``all``, then each calendar year in the data).

    Besides the :mod:`.metrics` (returns, CAGR over calendar days from the base date,
    volatility, Sharpe/Sortino over the risk-free rate, drawdown, worst day/month, CVaR,
    beta to SPX, ``xirr`` of ``[(base, -start_nav), (last, end_nav)]`` = the CAGR since
    there are no external flows):

    * ``hedge_carry`` = Σ ``hedge_carry`` amounts (negative = cost);
      ``hedge_cost_drag = -hedge_carry / initial_capital / (days / 365)``;
    * trading costs (positive USD, cash only: commission + exchange fees + slippage of the
      period's fills): ``trading_costs`` in all, ``trading_costs_entry`` / ``_roll`` /
      ``_exit`` / ``_hedge`` by the fills' ``trade_kind`` (:data:`COST_GROUPS`);
    * ``rebalancing_cost`` = the trading costs of rebalancing fills only (methodology §2:
      "Rebalancing cost means cash costs only … of rebalancing trades (rolls, trims,
      monetizations, re-sizing)"; kinds :data:`~alvh_assets.strategy.book.REBALANCING_KINDS`);
    * ``roll_opportunity_cost`` (memo, §2): Σ ``fills.opportunity_cost``, the time value the
      condor's rolls gave up; in no cost, no P&L component and no sum of this table;
    * ``premium_collected`` = the condors' original credits (Σ −qty × price × 100 of the
      ``condor_entry`` fills), the premium the trading costs are set against;
    * ``hedge_xirr``: XIRR of the hedge's own flows: ``-premium_at_risk`` at the base date
      (0 for a period starting on the first session), each day's Σ ``fills.cash_flow`` of
      non-condor fills, ``+premium_at_risk`` on the last session;
    * ``hedge_capital_cost = (-hedge_carry × 365 / days) / mean(premium_at_risk)`` over
      the period's budget rows (nulls as 0; null when that mean is 0);
    * ``alvh_contribution_bp_week`` (``alvh_442`` only) ``= 1e4 × Σ (r_alvh - r_unhedged)
      / (sessions / 5)`` over the sessions both have;
    * ``avg_breakeven_shift`` = mean of the non-null ``breakeven_shift``.
    """
    cap = cfg.execution.initial_capital
    books = _books(account, cap)
    frames_of: dict[str, dict[str, pl.DataFrame]] = {}
    for s in books:
        of = pl.col("strategy") == s
        frames_of[s] = {
            "pnl": daily_pnl.filter(of),
            "budget": budget.filter(of),
            "fills": fill_costs(fills.filter(of)),
            "hedge_flows": fills.filter(of & (pl.col("kind") != "condor"))
            .group_by("date")
            .agg(pl.col("cash_flow").sum())
            .sort("date"),
        }
    if ALVH in books and UNHEDGED in books:
        a, u = books[ALVH], books[UNHEDGED]
        frames_of[ALVH]["excess"] = (
            pl.DataFrame({"date": a.dates, "r": a.r}, schema={"date": pl.Date, "r": pl.Float64})
            .join(pl.DataFrame({"date": u.dates, "ru": u.r}), on="date")
            .select("date", (pl.col("r") - pl.col("ru")).alias("excess"))
        )
    rows = [
        _period_row(s, period, b, i0, i1, frames_of[s], cfg)
        for s, b in books.items()
        for period, i0, i1 in _periods(b.dates)
    ]
    return pl.from_dicts(rows, schema=PERFORMANCE) if rows else pl.DataFrame(schema=PERFORMANCE)


def stress_windows_table(
    account: pl.DataFrame,
    daily_pnl: pl.DataFrame,
    cfg: AlvhConfig,
    fills: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """P&L of each strategy in each configured stress window (sessions in ``[start, end]``).

    ``start_nav`` = NAV of the session before ``first_date`` (initial capital if none);
    buckets: ``total`` (last NAV - start_nav), ``condor`` (Σ category ``condor``), one per
    hedge bucket the strategy has in ``daily_pnl`` (Σ ``hedge_<bucket>``), ``hedge_carry``,
    ``trading_costs``, ``interest`` (Σ of that category); ``pnl_pct_of_nav = pnl /
    start_nav``. With ``fills``, a last bucket ``roll_opportunity_cost_memo`` = −Σ
    ``fills.opportunity_cost`` in the window: a memo (methodology §2), not part of ``total``
    nor of any other bucket. A window without sessions has no rows."""
    cap = cfg.execution.initial_capital
    rows: list[dict[str, Any]] = []
    for w in cfg.attribution.stress_windows:
        for s in _strategies(account):
            acc = account.filter(pl.col("strategy") == s).sort("date")
            inside = acc.filter(pl.col("date").is_between(w.start, w.end))
            if inside.is_empty():
                continue
            first, last = inside["date"][0], inside["date"][-1]
            before = acc.filter(pl.col("date") < first)
            start_nav = float(before["nav"][-1]) if before.height else cap
            all_pnl = daily_pnl.filter(pl.col("strategy") == s)
            pnl = all_pnl.filter(pl.col("date").is_between(first, last))
            present = set(all_pnl["component"].to_list())

            def total(col: str, value: str, p: pl.DataFrame = pnl) -> float:
                return _sum(p.filter(pl.col(col) == value))

            buckets = [
                ("total", float(inside["nav"][-1]) - start_nav),
                ("condor", total("category", "condor")),
                *[
                    (c.removeprefix("hedge_"), total("component", c))
                    for c in HEDGE_COMPONENTS
                    if c in present
                ],
                *[(c, total("category", c)) for c in ("hedge_carry", "trading_costs", "interest")],
            ]
            if fills is not None:
                memo = fills.filter(pl.col("strategy") == s, pl.col("date").is_between(first, last))
                buckets.append(("roll_opportunity_cost_memo", 0.0 - _sum(memo, "opportunity_cost")))
            rows += [
                {
                    "strategy": s,
                    "window": w.name,
                    "bucket": bucket,
                    "window_start": w.start,
                    "window_end": w.end,
                    "first_date": first,
                    "last_date": last,
                    "sessions": inside.height,
                    "start_nav": start_nav,
                    "pnl": pnl_,
                    "pnl_pct_of_nav": _div(pnl_, start_nav),
                }
                for bucket, pnl_ in buckets
            ]
    if not rows:
        return pl.DataFrame(schema=STRESS_WINDOWS)
    return pl.from_dicts(rows, schema=STRESS_WINDOWS)
