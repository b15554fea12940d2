"""``attribution.performance`` and ``attribution.stress_windows`` from the strategy tables.

A strategy's sessions are its ``account_daily`` rows; before its first session the account
is ``execution.initial_capital`` in cash, and the first session's *base date* is the NYSE
session before it. A period (``all``, or a calendar year ``YYYY``) starts from the last NAV
before its first session and its base date is that session. Formulas: :mod:`.metrics`;
the cost and hedge metrics (hedge spend and protection per dollar, methodology §4; the hedge
book's premium at risk, :mod:`.hedge`; the rolling contribution, :mod:`.contribution`) are
documented on :func:`performance_table`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from alvh_assets.attribution import metrics as m
from alvh_assets.attribution.contribution import CONTRIBUTION_DAILY
from alvh_assets.attribution.hedge import HEDGE_BOOK, hedge_fills
from alvh_assets.attribution.schema import COMPONENTS, PERFORMANCE, STRESS_WINDOWS
from alvh_assets.calendars import previous_trading_day
from alvh_assets.config import AlvhConfig
from alvh_assets.strategy.book import REBALANCING_KINDS, TRADE_KINDS
from alvh_assets.strategy.registry import REGISTRY

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
    hedge: pl.DataFrame  # per session: hedge_legs, premium_at_risk, hedge_market_value,
    # hedge_pnl (hedge buckets + hedge carry), in_stress (in a configured stress window)

    @classmethod
    def of(cls, acc: pl.DataFrame, capital: float, hedge: pl.DataFrame) -> _Book:
        dates = acc["date"].to_list()
        nav = acc["nav"].to_numpy().astype(float)
        spx = acc["spx_close"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        r_spx = np.concatenate(([np.nan], spx[1:] / spx[:-1] - 1.0))
        rf = m.risk_free_returns(acc["rate"].fill_null(0.0).to_numpy(), dates)
        r = m.daily_returns(nav, capital)
        return cls(dates, nav, r, rf, r_spx, previous_trading_day(dates[0]), hedge)


def _strategies(account: pl.DataFrame) -> list[str]:
    return account["strategy"].unique(maintain_order=True).to_list()


def _in_stress(dates: pl.Expr, cfg: AlvhConfig) -> pl.Expr:
    """True on a date inside any configured stress window (each session counted once)."""
    out = pl.lit(False)
    for w in cfg.attribution.stress_windows:
        out = out | dates.is_between(w.start, w.end)
    return out


def _hedge_daily(
    account: pl.DataFrame, hedge_book: pl.DataFrame, daily_pnl: pl.DataFrame, cfg: AlvhConfig
) -> pl.DataFrame:
    """Per strategy and session of ``account``: ``hedge_legs``, ``premium_at_risk`` (cost basis
    of the open hedge legs), ``hedge_market_value`` (0 on sessions without hedge legs),
    ``hedge_pnl`` = Σ ``daily_pnl`` of categories ``hedge`` and ``hedge_carry`` (the hedge
    legs' market P&L) and ``in_stress``."""
    pnl = (
        daily_pnl.filter(pl.col("category").is_in(["hedge", "hedge_carry"]))
        .group_by("strategy", "date")
        .agg(pl.col("amount").sum().alias("hedge_pnl"))
    )
    book = hedge_book.select(list(HEDGE_BOOK))
    return (
        account.select("strategy", "date")
        .join(book, on=["strategy", "date"], how="left")
        .join(pnl, on=["strategy", "date"], how="left")
        .with_columns(
            pl.col("hedge_legs").fill_null(0),
            *(pl.col(c).fill_null(0.0) for c in ("premium_at_risk", "hedge_market_value")),
            pl.col("hedge_pnl").fill_null(0.0),
            _in_stress(pl.col("date"), cfg).alias("in_stress"),
        )
        .sort("strategy", "date")
    )


def _books(account: pl.DataFrame, capital: float, hedge: pl.DataFrame) -> dict[str, _Book]:
    """Each strategy's book; ``hedge``: :func:`_hedge_daily` of every strategy."""
    return {
        s: _Book.of(
            account.filter(pl.col("strategy") == s).sort("date"),
            capital,
            hedge.filter(pl.col("strategy") == s),
        )
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


def _pct_nav_yr(usd: float, years: float | None, avg_nav: float) -> float | None:
    """``usd / years / avg_nav``: an annual share of the average NAV."""
    return _div(_div(usd, years), avg_nav)


def _hedge_spend(
    strategy: str,
    hedge: pl.DataFrame,
    fills: pl.DataFrame,
    years: float | None,
    avg_nav: float,
    cfg: AlvhConfig,
) -> dict[str, Any]:
    """Premium paid, recovered, net (USD and % of average NAV per year), the spend flag
    against the methodology's 1–12% anchor, the stress payoff and protection per dollar
    (:func:`performance_table`)."""
    att = cfg.attribution
    paid, recovered = _sum(fills, "paid"), _sum(fills, "recovered")
    net = paid - recovered
    paid_pct = _pct_nav_yr(paid, years, avg_nav)
    entry = REGISTRY.get(strategy)
    hedged = bool(entry.hedge_buckets) if entry is not None else paid > 0
    flag = None
    if hedged and paid_pct is not None:
        lo, hi = att.hedge_spend_min_pct_nav_yr, att.hedge_spend_max_pct_nav_yr
        flag = "below" if paid_pct < lo else "above" if paid_pct > hi else "within"
    stress = hedge.filter(pl.col("in_stress"))
    payoff = _sum(stress, "hedge_pnl")
    return {
        "avg_nav": avg_nav,
        "hedge_premium_paid": paid,
        "hedge_premium_recovered": recovered,
        "hedge_net_spend": net,
        "hedge_premium_paid_pct_nav_yr": paid_pct,
        "hedge_premium_recovered_pct_nav_yr": _pct_nav_yr(recovered, years, avg_nav),
        "hedge_net_spend_pct_nav_yr": _pct_nav_yr(net, years, avg_nav),
        "hedge_cost_drag": _pct_nav_yr(net, years, avg_nav),
        "hedge_spend_flag": flag,
        "hedge_stress_sessions": stress.height,
        "hedge_stress_payoff": payoff,
        "hedge_protection_per_dollar": _div(payoff, paid) if stress.height else None,
    }


def _hedge_returns(
    hedge: pl.DataFrame,
    before: pl.DataFrame,
    flows: pl.DataFrame,
    base: dt.date,
    carry_cost: float,
    years: float | None,
    cfg: AlvhConfig,
) -> dict[str, Any]:
    """``hedge_xirr`` and ``hedge_capital_cost`` where meaningful, else null with the reason
    (:func:`performance_table`). ``hedge``: the period's hedge sessions; ``before``: the
    session before the period (empty for the first period); ``flows``: the period's hedge
    fills' cash flows by date."""
    n_min = cfg.attribution.hedge_min_capital_sessions
    sessions = int((hedge["hedge_legs"] > 0).sum())
    last = hedge["date"][-1]
    start_mv = _sum(before, "hedge_market_value")
    cfs = [-start_mv, *flows["cash_flow"].to_list(), _sum(hedge[-1:], "hedge_market_value")]
    avg_capital = float(hedge["premium_at_risk"].mean()) if hedge.height else 0.0
    reason = None
    if sessions == 0 and flows.height == 0:
        reason = "no hedge in the period"
    elif sessions < n_min:
        reason = f"hedge capital tied up on {sessions} sessions (< {n_min})"
    xirr = capital_cost = None
    xirr_note = capital_note = reason
    if reason is None:
        nz = [c for c in cfs if c != 0]
        if all(c > 0 for c in nz) or all(c < 0 for c in nz):
            xirr_note = "the hedge's cash flows do not change sign"
        else:
            xirr = m.xirr([base, *flows["date"].to_list(), last], cfs)
            xirr_note = None if xirr is not None else "no rate solves the hedge's cash flows"
        capital_cost = _div(_div(carry_cost, years), avg_capital) if avg_capital > 0 else None
        capital_note = None if capital_cost is not None else "no capital tied up on average"
    return {
        "hedge_capital_sessions": sessions,
        "avg_premium_at_risk": avg_capital,
        "hedge_xirr": xirr,
        "hedge_xirr_note": xirr_note,
        "hedge_capital_cost": capital_cost,
        "hedge_capital_cost_note": capital_note,
    }


def _contribution(windows: pl.DataFrame | None) -> dict[str, Any]:
    """Share of the period's complete rolling windows meeting the contribution target, and
    their mean risk-adjusted bp/week (null for a strategy without contribution rows)."""
    if windows is None:
        return {
            "contribution_windows": None,
            "contribution_share_meeting": None,
            "contribution_mean_bp_week": None,
        }
    ok = windows.filter(pl.col("meets_target").is_not_null())
    return {
        "contribution_windows": ok.height,
        "contribution_share_meeting": float(ok["meets_target"].mean()) if ok.height else None,
        "contribution_mean_bp_week": (
            float(ok["risk_adjusted_bp_week"].mean()) if ok.height else None
        ),
    }


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
    shift = frames["budget"].filter(inside)["breakeven_shift"].drop_nulls().mean()
    hedge = b.hedge.filter(inside)
    before = b.hedge.filter(pl.col("date") == b.dates[i0 - 1]) if i0 else b.hedge.clear()
    flows = frames["hedge_flows"].filter(inside)
    contribution = None
    if strategy == ALVH and "excess" in frames:
        excess = frames["excess"].filter(inside)["excess"]
        contribution = _div(1e4 * float(excess.sum()), excess.len() / 5.0)
    windows = frames["contribution"].filter(inside) if "contribution" in frames else None

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
        **_hedge_spend(
            strategy, hedge, frames["hedge_fills"].filter(inside), years, float(nav.mean()), cfg
        ),
        "trading_costs": _sum(fills, "costs"),
        **{f"trading_costs_{g}": costs(kinds) for g, kinds in COST_GROUPS.items()},
        "rebalancing_cost": costs(REBALANCING_KINDS),
        "roll_opportunity_cost": _sum(fills, "opportunity_cost"),
        "premium_collected": premium,
        "xirr": m.xirr([base, last], [-start_nav, end_nav]),
        **_hedge_returns(hedge, before, flows, base, carry_cost, years, cfg),
        "alvh_contribution_bp_week": contribution,
        **_contribution(windows),
        "avg_breakeven_shift": shift,
    }


def performance_table(
    account: pl.DataFrame,
    daily_pnl: pl.DataFrame,
    budget: pl.DataFrame,
    fills: pl.DataFrame,
    cfg: AlvhConfig,
    hedge_book: pl.DataFrame | None = None,
    contribution: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per strategy and period (``all``, then each calendar year in the data).

    Besides the :mod:`.metrics` (returns, CAGR over calendar days from the base date,
    volatility, Sharpe/Sortino over the risk-free rate, drawdown, worst day/month, CVaR,
    beta to SPX, ``xirr`` of ``[(base, -start_nav), (last, end_nav)]`` = the CAGR since
    there are no external flows):

    * ``hedge_carry`` = Σ ``hedge_carry`` amounts (negative = cost);
    * hedge spend (methodology §4: "Every strategy's results carry its hedge spend (premium
      paid, premium recovered, net, as a share of average NAV per year) and its protection
      per dollar (stress-window payoff ÷ premium paid)"; fills classified by
      :mod:`.hedge`): ``hedge_premium_paid`` = −Σ cash flow of the period's opening hedge
      fills, ``hedge_premium_recovered`` = Σ cash flow of its closing ones (sales and
      settlements), ``hedge_net_spend`` = paid − recovered (USD); each ``…_pct_nav_yr`` =
      USD / years / ``avg_nav`` (years = calendar days from the base date / 365, ``avg_nav``
      = mean NAV of the period's sessions); ``hedge_cost_drag`` = ``hedge_net_spend_pct_nav_yr``
      (§4 "hedge cost drag (net premium paid, annual % of average NAV; gross and recovered
      beside it)"); ``hedge_spend_flag`` = ``below`` / ``within`` / ``above`` the anchor
      ``[attribution.hedge_spend_min_pct_nav_yr, …max…]`` (1–12%, §3 "Hedge budget") of the
      premium paid % of NAV per year, null for a strategy without a hedge;
      ``hedge_stress_payoff`` = Σ ``hedge_<bucket>`` + ``hedge_carry`` (the hedge legs'
      market P&L) on the period's sessions inside any configured stress window (each once;
      ``hedge_stress_sessions`` of them); ``hedge_protection_per_dollar`` = that payoff ÷
      premium paid (null when nothing was paid or no stress session is in the period).
      A strategy without a hedge has 0 paid, recovered, net, stress payoff, and null flag
      and protection per dollar;
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
    * hedge return and cost of capital (§4 "the 'WACC-style' cost of hedge capital
      (annualized hedge carry ÷ average capital tied up in the hedge; 000, 002)"), **only
      where meaningful**: ``hedge_capital_sessions`` = sessions with an open hedge leg;
      both are null, with the reason in ``hedge_xirr_note`` / ``hedge_capital_cost_note``,
      when the period has no hedge or fewer than ``attribution.hedge_min_capital_sessions``
      such sessions; ``hedge_xirr`` (XIRR of the hedge's own flows: −its market value on the
      base date (0 for a period starting on the first session), each day's Σ
      ``fills.cash_flow`` of non-condor fills, +its market value on the last session) is
      also null when those flows never change sign or no rate solves them;
      ``hedge_capital_cost = (-hedge_carry × 365 / days) / avg_premium_at_risk``, the mean
      over the period's sessions of the open hedge legs' cost basis (0 on sessions without);
    * ``alvh_contribution_bp_week`` (``alvh_442`` only) ``= 1e4 × Σ (r_alvh - r_unhedged)
      / (sessions / 5)`` over the sessions both have: the whole-period average;
    * the monitored contribution (§3, :mod:`.contribution`): ``contribution_windows`` = the
      complete rolling windows ending in the period with a risk-adjusted value,
      ``contribution_share_meeting`` = the share of them with ``meets_target``,
      ``contribution_mean_bp_week`` = their mean ``risk_adjusted_bp_week`` (all null for a
      strategy not compared with the unhedged book);
    * ``avg_breakeven_shift`` = mean of the non-null ``breakeven_shift``.

    ``hedge_book``: :data:`~.hedge.HEDGE_BOOK` rows (none: no hedge legs);
    ``contribution``: :data:`~.contribution.CONTRIBUTION_DAILY` rows.
    """
    cap = cfg.execution.initial_capital
    book = hedge_book if hedge_book is not None else pl.DataFrame(schema=HEDGE_BOOK)
    contribution = (
        contribution if contribution is not None else pl.DataFrame(schema=CONTRIBUTION_DAILY)
    )
    books = _books(account, cap, _hedge_daily(account, book, daily_pnl, cfg))
    all_hedge_fills = hedge_fills(fills)
    frames_of: dict[str, dict[str, pl.DataFrame]] = {}
    for s in books:
        of = pl.col("strategy") == s
        frames_of[s] = {
            "pnl": daily_pnl.filter(of),
            "budget": budget.filter(of),
            "fills": fill_costs(fills.filter(of)),
            "hedge_fills": all_hedge_fills.filter(of),
            "hedge_flows": fills.filter(of & (pl.col("kind") != "condor"))
            .group_by("date")
            .agg(pl.col("cash_flow").sum())
            .sort("date"),
        }
        mine = contribution.filter(of)
        if mine.height:
            frames_of[s]["contribution"] = mine
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
