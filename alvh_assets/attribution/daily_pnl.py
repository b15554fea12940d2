"""Daily P&L attribution: where each strategy's NAV change came from, exactly.

For a strategy on session ``t`` (``t−1`` the session before; before the first session the
account is the initial capital in cash) every position ``p`` (an open leg at ``t−1`` or
``t``, or one traded at ``t``) contributes::

    total_p  = Σ fill cash flows_p(t) + V_p(t) − V_p(t−1)          (V = quantity × 100 × mid)
    costs_p  = Σ (commission + exchange fees + slippage)_p(t)
    market_p = total_p + costs_p                                    (P&L at mids)

and ``NAV(t) − NAV(t−1) = interest(t) + Σ_p total_p`` because cash moves only by interest
and fills. The market P&L is split with yesterday's Greeks (``positions_daily``, USD):

* condor legs: ``condor_theta = theta_1day(t−1) × calendar days``, ``condor_vega =
  vega_1vol(t−1) × (IV(t) − IV(t−1)) × 100`` (IV(t) of the mark, or of the closing fill),
  ``condor_delta_gamma`` = the rest (it carries the higher orders and the jump terms);
* hedge legs: ``hedge_carry`` = their theta, ``hedge_<bucket>`` = the rest, per bucket;
* ``commissions``, ``exchange_fees``, ``slippage`` (negative; category ``trading_costs``),
  ``interest``;
* ``residual = NAV change − Σ components``: zero up to float rounding, checked to the cent.

No opportunity cost is inside any component (methodology §2, "Opportunity cost of a roll …
is reported as a memo figure beside the P&L, never added to costs or P&L components"):
``condor_delta_gamma`` is the condor's true market P&L less theta and vega, so it has the
sign of what the condor's price moves earned. The memo lives on the fills
(``strategy.fills.opportunity_cost``) and in ``attribution.performance``.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from alvh_assets.attribution.schema import COMPONENTS, DAILY_PNL
from alvh_assets.strategy.registry import REGISTRY


def hedge_buckets(strategy: str) -> tuple[str, ...]:
    """Hedge buckets reported for ``strategy`` (a row every day, zero when idle), from its
    entry in the strategy registry (:data:`alvh_assets.strategy.registry.REGISTRY`)."""
    return REGISTRY[strategy].hedge_buckets


CENT = 0.005
"""Largest |residual| accepted (USD): half a cent."""


def _leg_frames(
    positions: pl.DataFrame, fills: pl.DataFrame, sessions: pl.DataFrame
) -> pl.DataFrame:
    """One row per (strategy, date, position_id) with yesterday's and today's marks and
    Greeks and today's fill totals."""
    leg_cols = ["strategy", "position_id", "kind", "bucket"]
    today = positions.select(
        *leg_cols, "date", pl.col("mark_value").alias("v1"), pl.col("iv").alias("iv1")
    )
    yesterday = positions.join(sessions, left_on="date", right_on="prev_date").select(
        *leg_cols,
        pl.col("next_date").alias("date"),
        pl.col("mark_value").alias("v0"),
        pl.col("iv").alias("iv0"),
        pl.col("theta_usd_1day").alias("theta0"),
        pl.col("vega_usd_1vol").alias("vega0"),
    )
    traded = (
        fills.sort("strategy", "fill_id")
        .group_by("strategy", "date", "position_id", maintain_order=True)
        .agg(
            pl.col("kind").first(),
            pl.col("bucket").first(),
            pl.col("cash_flow").sum().alias("cash"),
            (pl.col("commission")).sum().alias("commission"),
            (pl.col("exchange_fees")).sum().alias("fees"),
            (pl.col("slippage")).sum().alias("slip"),
            pl.col("iv").drop_nulls().last().alias("iv_fill"),
        )
    )
    key = ["strategy", "date", "position_id"]
    legs = today.join(yesterday, on=key, how="full", coalesce=True, suffix="_y")
    legs = legs.with_columns(
        pl.coalesce("kind", "kind_y").alias("kind"),
        pl.coalesce("bucket", "bucket_y").alias("bucket"),
    ).drop("kind_y", "bucket_y")
    legs = legs.join(traded, on=key, how="full", coalesce=True, suffix="_f")
    legs = legs.with_columns(
        pl.coalesce("kind", "kind_f").alias("kind"),
        pl.coalesce("bucket", "bucket_f").alias("bucket"),
    ).drop("kind_f", "bucket_f")
    legs = legs.join(
        sessions.select("next_date", "prev_date"), left_on="date", right_on="next_date", how="left"
    )
    zero = ["v0", "v1", "cash", "commission", "fees", "slip", "theta0", "vega0"]
    legs = legs.with_columns(pl.col(c).fill_null(0.0) for c in zero)
    days = (pl.col("date") - pl.col("prev_date")).dt.total_days().fill_null(0)
    iv_t = pl.coalesce("iv1", "iv_fill")
    return legs.with_columns(
        (pl.col("cash") + pl.col("v1") - pl.col("v0")).alias("total"),
        (pl.col("commission") + pl.col("fees") + pl.col("slip")).alias("costs"),
        (pl.col("theta0") * days).alias("theta"),
        pl.when(iv_t.is_not_null() & pl.col("iv0").is_not_null())
        .then(pl.col("vega0") * (iv_t - pl.col("iv0")) * 100.0)
        .otherwise(0.0)
        .alias("vega"),
    ).with_columns((pl.col("total") + pl.col("costs")).alias("market"))


def daily_pnl(
    account: pl.DataFrame,
    positions: pl.DataFrame,
    fills: pl.DataFrame,
    window: tuple[dt.date, dt.date],
    initial_capital: float,
) -> pl.DataFrame:
    """The ``attribution.daily_pnl`` rows of the sessions in ``window``.

    ``account`` and ``positions`` must include the session before the window (when there is
    one); ``fills`` the window's fills. Rows: every component of :data:`COMPONENTS` that
    applies to the strategy, every session (zeros included)."""
    days = sorted(set(account["date"].to_list()))
    sessions = pl.DataFrame(
        {"prev_date": days[:-1], "next_date": days[1:]},
        schema={"prev_date": pl.Date, "next_date": pl.Date},
    )
    legs = (
        _leg_frames(positions, fills, sessions)
        .filter(pl.col("date").is_between(*window))
        .sort("strategy", "date", "position_id")  # a fixed summation order: reruns are bit-equal
    )
    condor = pl.col("kind") == "condor"
    per_day = legs.group_by("strategy", "date", maintain_order=True).agg(
        pl.col("theta").filter(condor).sum().alias("condor_theta"),
        pl.col("vega").filter(condor).sum().alias("condor_vega"),
        (pl.col("market") - pl.col("theta") - pl.col("vega"))
        .filter(condor)
        .sum()
        .alias("condor_delta_gamma"),
        pl.col("theta").filter(~condor).sum().alias("hedge_carry"),
        (-pl.col("commission")).sum().alias("commissions"),
        (-pl.col("fees")).sum().alias("exchange_fees"),
        (-pl.col("slip")).sum().alias("slippage"),
    )
    per_bucket = (
        legs.filter(~condor)
        .group_by("strategy", "date", "bucket", maintain_order=True)
        .agg((pl.col("market") - pl.col("theta")).sum().alias("amount"))
    )
    nav = (
        account.sort("strategy", "date")
        .with_columns(
            (
                pl.col("nav") - pl.col("nav").shift(1).over("strategy").fill_null(initial_capital)
            ).alias("nav_change")
        )
        .filter(pl.col("date").is_between(*window))
        .select("strategy", "date", "nav_change", "interest")
    )
    rows = []
    per_day_map = {(r["strategy"], r["date"]): r for r in per_day.iter_rows(named=True)}
    bucket_map = {
        (r["strategy"], r["date"], r["bucket"]): r["amount"]
        for r in per_bucket.iter_rows(named=True)
    }
    for r in nav.iter_rows(named=True):
        s, d = r["strategy"], r["date"]
        parts = per_day_map.get((s, d), {})
        amounts: dict[str, tuple[float, str | None]] = {
            c: (parts.get(c) or 0.0, None)
            for c in ("condor_theta", "condor_delta_gamma", "condor_vega")
        }
        buckets = hedge_buckets(s)
        for b in buckets:
            amounts[f"hedge_{b}"] = (bucket_map.get((s, d, b), 0.0), b)
        if buckets:
            amounts["hedge_carry"] = (parts.get("hedge_carry") or 0.0, None)
        for c in ("commissions", "exchange_fees", "slippage"):
            amounts[c] = (parts.get(c) or 0.0, None)
        amounts["interest"] = (r["interest"], None)
        amounts["residual"] = (r["nav_change"] - sum(a for a, _ in amounts.values()), None)
        rows += [(s, d, c, COMPONENTS[c], b, a) for c, (a, b) in amounts.items()]
    return pl.DataFrame(rows, schema=DAILY_PNL, orient="row")
