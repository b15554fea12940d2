"""How often each ALVH rule of methodology §3 fired or bound over a warehouse's range.

Answers issue 15's "for each rule, the days it fired or bound": one markdown table row per
rule, counted from ``strategy.hedge_budget_daily``, ``strategy.layer_allocations_daily``,
``strategy.fills`` (strategy ``alvh_442``) and the marts the rules read.

    python bench/alvh_rule_counts.py --warehouse warehouse/alvh.duckdb [--start D --end D]
"""

from __future__ import annotations

import argparse
import datetime as dt

import duckdb

from alvh_assets.config import AlvhConfig, load_config

A = "strategy = 'alvh_442'"
DISTINCT_EXPIRIES_SQL = """
WITH buys AS (
    SELECT date, bucket, tranche, root, expiration FROM strategy.fills
    WHERE strategy = 'alvh_442' AND bucket IN ('short_term', 'medium_term', 'long_dated')
      AND leg LIKE 'long%' AND quantity > 0 AND side = 'buy'
      AND date BETWEEN $start AND $end
),
held AS (
    SELECT date, bucket, tranche, expiration FROM strategy.layer_allocations_daily
    WHERE strategy = 'alvh_442' AND expiration IS NOT NULL
),
shared AS (
    SELECT DISTINCT b.* FROM buys b JOIN held h USING (date, bucket, expiration)
    WHERE h.tranche <> b.tranche
),
ranges(bucket, lo, hi) AS (
    VALUES ('short_term', $short_lo, $short_hi), ('medium_term', $medium_lo, $medium_hi),
           ('long_dated', $long_lo, $long_hi)
),
free AS (
    SELECT s.*, EXISTS (
        SELECT 1 FROM raw.cboe_option_eod o JOIN ranges r ON r.bucket = s.bucket
        WHERE o.quote_date = s.date AND o.root = s.root AND o.bid_1545 > 0
          AND datediff('day', s.date, o.expiration) BETWEEN r.lo AND r.hi
          AND o.expiration NOT IN (
              SELECT h.expiration FROM held h
              WHERE h.date = s.date AND h.bucket = s.bucket AND h.tranche <> s.tranche)
    ) AS another_free
    FROM shared s
)
SELECT count(*) || ' / ' || count(*) FILTER (another_free) FROM free
"""
"""Purchases onto an expiry another tranche of the same bucket holds, and how many of them
happened while the bucket's DTE range listed an expiry no other tranche held (methodology
§3: that count must be 0)."""

RULES: list[tuple[str, str, str]] = [
    (
        "sessions with a condor open",
        "condor days",
        f"SELECT count(*) FROM strategy.hedge_budget_daily WHERE {A} AND condor_notional > 0",
    ),
    (
        "base: first layer (no P/CF, 000)",
        "days it set the base",
        f"SELECT count(*) FROM strategy.hedge_budget_daily WHERE {A} AND condor_notional > 0 "
        "AND base_rule = 'first_layer'",
    ),
    (
        "base: P/CF stepped scale (003)",
        "days it set the base",
        f"SELECT count(*) FROM strategy.hedge_budget_daily WHERE {A} AND condor_notional > 0 "
        "AND base_rule LIKE 'pcf_scale%'",
    ),
    (
        "beta cap 0.35 (003)",
        "days it raised the base",
        f"SELECT count(*) FROM strategy.hedge_budget_daily WHERE {A} AND beta_raised",
    ),
    *[
        (
            f"binding: {rule}",
            "condor days it bound the budget",
            f"SELECT count(*) FROM strategy.hedge_budget_daily WHERE {A} "
            f"AND condor_notional > 0 AND binding_rule = '{rule}'",
        )
        for rule in (
            "first_layer",
            "pcf_scale",
            "beta_cap",
            "regime_ceiling",
            "gross_leverage",
            "cost_ceiling",
        )
    ],
    (
        "P/E > 24 on peak earnings (003)",
        "days blocked / activations it stopped",
        f"SELECT count(*) FILTER (pe_blocked) || ' / ' || (SELECT count(*) FROM "
        f"strategy.layer_allocations_daily WHERE {A} AND blocked_by LIKE '%pe_block%') "
        f"FROM strategy.hedge_budget_daily WHERE {A}",
    ),
    (
        "liquidity test (003)",
        "days tested / failed (no new condor risk)",
        f"SELECT count(liquidity_ok) || ' / ' || count(*) FILTER (NOT liquidity_ok) "
        f"FROM strategy.hedge_budget_daily WHERE {A}",
    ),
    (
        "MACD cross up, VIX or VX30 (000-004)",
        "tranche activations / trims on a cross down",
        f"SELECT count(*) FILTER (rule LIKE 'macd_cross_up%' AND action LIKE '%add%') || ' / ' "
        f"|| count(*) FILTER (action = 'trim') FROM strategy.layer_allocations_daily WHERE {A}",
    ),
    (
        "A/D divergence with steepening (002, 004)",
        "signal days / medium tranches added",
        "SELECT (SELECT count(*) FILTER (ad_divergence_with_steepening) FROM "
        "marts.fct_regime_daily WHERE date BETWEEN $start AND $end) || ' / ' || count(*) "
        f"FROM strategy.layer_allocations_daily WHERE {A} AND action LIKE '%add%' "
        "AND rule LIKE 'ad_divergence%'",
    ),
    (
        "mid-layer spread, ERP > 6.5% and RV20 < 18% (001)",
        "signal days / spreads added / condor trades narrowed",
        "SELECT (SELECT count(*) FILTER (distorted_fundamentals) FROM marts.fct_regime_daily "
        "WHERE date BETWEEN $start AND $end) || ' / ' || count(*) || ' / ' || (SELECT count(*) "
        f"FROM strategy.fills WHERE {A} AND reason LIKE '%financing the mid-layer%') "
        f"FROM strategy.layer_allocations_daily WHERE {A} AND action LIKE '%add%' "
        "AND rule LIKE 'implied ERP%'",
    ),
    (
        "distorted fundamentals, VIX RSI > 70 with A/D divergence (001)",
        "signal days / condor fills moved",
        "SELECT (SELECT count(*) FILTER (vix_rsi_ad_distortion) FROM marts.fct_regime_daily "
        "WHERE date BETWEEN $start AND $end) || ' / ' || count(*) FROM strategy.fills "
        f"WHERE {A} AND reason LIKE '%distorted fundamentals%'",
    ),
    (
        "VIX call calendar (003)",
        "condition days / calendars opened",
        "SELECT (SELECT count(*) FILTER (i.vx30_macd_hist < 0 AND m.range_bound) FROM "
        "marts.fct_indicators_daily i JOIN marts.fct_macro_events_daily m USING (date) "
        "WHERE date BETWEEN $start AND $end) || ' / ' || count(*) FROM "
        f"strategy.layer_allocations_daily WHERE {A} AND bucket = 'calendar' "
        "AND action LIKE '%add%'",
    ),
    (
        "monetization at +100% (004)",
        "tranches monetized / proceeds redeployed",
        f"SELECT count(*) FILTER (action LIKE 'monetize%') || ' / ' || count(*) FILTER "
        f"(rule LIKE 'redeploy%' AND action LIKE '%add%') FROM strategy.layer_allocations_daily "
        f"WHERE {A}",
    ),
    (
        "break-even shift 1.2-1.8% (003, reported)",
        "days below / within / above",
        "SELECT count(*) FILTER (breakeven_shift_flag = 'below') || ' / ' || count(*) FILTER "
        "(breakeven_shift_flag = 'within') || ' / ' || count(*) FILTER (breakeven_shift_flag = "
        f"'above') FROM strategy.hedge_budget_daily WHERE {A}",
    ),
    (
        "distinct tranche expiries (002)",
        "purchases onto an expiry another tranche of the bucket holds / of them while the "
        "range listed a free one",
        DISTINCT_EXPIRIES_SQL,
    ),
]


def counts(
    con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, cfg: AlvhConfig
) -> list[tuple[str, ...]]:
    """(rule, what is counted, value) for every rule of :data:`RULES` over ``[start, end]``
    (bucket DTE ranges from ``cfg``: the pick's ``[max(min_open_dte, dte_min + 1), dte_max]``)."""
    h = cfg.hedge
    ranges = {
        f"${name}_{end_}": str(value)
        for name, b in (("short", h.short_term), ("medium", h.medium_term), ("long", h.long_dated))
        for end_, value in (("lo", max(h.min_open_dte, b.dte_min + 1)), ("hi", b.dte_max))
    }
    out = []
    for rule, what, sql in RULES:
        sql = sql.replace("$start", f"DATE '{start}'").replace("$end", f"DATE '{end}'")
        for key, value in ranges.items():
            sql = sql.replace(key, value)
        for table in ("strategy.hedge_budget_daily", "strategy.layer_allocations_daily",
                      "strategy.fills"):  # fmt: skip
            sql = sql.replace(
                f"FROM {table} WHERE",
                f"FROM {table} WHERE date BETWEEN DATE '{start}' AND DATE '{end}' AND",
            )
        out.append((rule, what, str(con.execute(sql).fetchone()[0])))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--warehouse", required=True)
    p.add_argument("--start", type=dt.date.fromisoformat)
    p.add_argument("--end", type=dt.date.fromisoformat)
    a = p.parse_args()
    con = duckdb.connect(a.warehouse, read_only=True)
    lo, hi = con.execute("SELECT min(date), max(date) FROM strategy.account_daily").fetchone()
    start, end = a.start or lo, a.end or hi
    print(f"ALVH rules, {start} … {end} ({a.warehouse})\n")
    print("| rule | counted | value |\n|---|---|---|")
    for row in counts(con, start, end, load_config()):
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
