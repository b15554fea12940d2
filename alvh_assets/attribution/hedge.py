"""The hedge's own book for attribution: spend (premium paid and recovered) and capital.

Methodology §3 ("Hedge budget": the budget is **premium at risk**, the hedge positions'
cost basis still open) and §4 ("Every strategy's results carry its hedge spend (premium
paid, premium recovered, net, as a share of average NAV per year) and its protection per
dollar (stress-window payoff ÷ premium paid)"). A *hedge* fill or leg is any of kind other
than ``condor`` (``alvh``, ``single_layer_vix_call``, ``static_permanent``, …).

* An **opening** hedge fill buys a long leg or sells a short leg (the sign of its quantity
  is the sign of its leg: ``long_*`` +, ``short_*`` −); every other hedge fill (selling a
  long leg, buying back a short leg, a cash settlement) is **closing**.
* **premium paid** = −Σ ``cash_flow`` of the opening fills (USD, positive: the net debit of
  the legs bought, a spread's short leg netted, commissions and exchange fees included);
* **premium recovered** = Σ ``cash_flow`` of the closing fills (sales, monetizations, trims,
  lapses, the closing legs of rolls, settlements);
* **net hedge spend** = paid − recovered = −Σ ``cash_flow`` of every hedge fill.
* **premium at risk** on a session = Σ quantity × entry price × 100 of the hedge legs open
  at its close (their cost basis; a spread's short leg nets it), beside the **hedge market
  value** Σ ``mark_value`` of the same legs.
"""

from __future__ import annotations

import polars as pl

HEDGE_BOOK_SQL = """
SELECT strategy, date,
       count(*) FILTER (kind <> 'condor') AS hedge_legs,
       coalesce(sum(quantity * entry_price * 100 ORDER BY position_id)
           FILTER (kind <> 'condor'), 0.0) AS premium_at_risk,
       coalesce(sum(mark_value ORDER BY position_id) FILTER (kind <> 'condor'), 0.0)
           AS hedge_market_value
FROM strategy.positions_daily
GROUP BY ALL
ORDER BY strategy, date
"""
"""Per strategy and session with open positions: open hedge legs, premium at risk (cost
basis of the open hedge legs) and hedge market value (their marks); sums in position order,
so a range run and day-by-day runs give the same bits."""

HEDGE_BOOK: dict[str, pl.DataType] = {
    "strategy": pl.Utf8(),
    "date": pl.Date(),
    "hedge_legs": pl.Int64(),
    "premium_at_risk": pl.Float64(),
    "hedge_market_value": pl.Float64(),
}


def is_opening() -> pl.Expr:
    """True for a hedge fill that opens a leg: buys a ``long_*`` leg or sells a ``short_*``
    leg (a settlement never opens)."""
    long_leg = pl.col("leg").str.starts_with("long")
    return (pl.col("side") != "settle") & pl.when(long_leg).then(pl.col("quantity") > 0).otherwise(
        pl.col("quantity") < 0
    )


def hedge_fills(fills: pl.DataFrame) -> pl.DataFrame:
    """The hedge fills (kind ≠ ``condor``) with ``opening`` (:func:`is_opening`),
    ``paid`` = −cash flow of opening fills and ``recovered`` = cash flow of closing ones."""
    return (
        fills.filter(pl.col("kind") != "condor")
        .with_columns(is_opening().alias("opening"))
        .with_columns(
            pl.when(pl.col("opening")).then(-pl.col("cash_flow")).otherwise(0.0).alias("paid"),
            pl.when(pl.col("opening")).then(0.0).otherwise(pl.col("cash_flow")).alias("recovered"),
        )
    )
