"""The trader-facing HTML report: read the warehouse, draw the charts, write one page.

:func:`write_report` reads ``strategy.account_daily``, ``strategy.positions_daily`` (ALVH's
premium at risk = the open hedge legs' cost basis, and their market value), the regime and
macro-event marts, the ``attribution`` tables and the latest (or a named) parameter sweep
(``research.*``, the robustness section: :mod:`.robustness`) through a (read-only) DuckDB
connection and writes ``alvh_report.html`` (self-contained: inline CSS, charts as base64
PNG, no script, no external URL) and the charts as ``png/<chart>.png`` beside it.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from alvh_assets import paths
from alvh_assets import warehouse as wh
from alvh_assets.attribution.schema import COMPONENTS
from alvh_assets.config import AttributionConfig
from alvh_assets.report import charts, robustness
from alvh_assets.sample.manifest import MANIFEST_NAME, read_manifest
from alvh_assets.strategy.registry import REGISTRY

REPORT_NAME = "alvh_report.html"
CHARTS = ("nav", "drawdown", "layers", "waterfall")
"""Chart names, in page order (``png/<name>.png``)."""
REQUIRED_TABLES = (
    "strategy.account_daily",
    "strategy.positions_daily",
    "attribution.daily_pnl",
    "attribution.performance",
    "attribution.stress_windows",
)
DEFAULT_MODELLED = ("cboe_option_eod", "nyse_breadth_daily", "macro_release_calendar")
"""Landing kinds the embedded sample market models (used when no manifest is given)."""
GENERIC_PROVENANCE = (
    "No landing manifest was given. In the embedded sample market the option chains "
    "(SPX/SPXW and VIX end of day), NYSE breadth and the CPI/PPI release calendar are "
    "modelled; index levels (SPX, VIX), VX futures settlements (2004-03-26..2014-08-14), "
    "CPI, PPI, fed funds, FOMC decision dates and valuation are real."
)
KIND_LABELS = {
    "cboe_option_eod": "SPX/SPXW and VIX option chains, end of day",
    "cboe_index_daily": "index levels (SPX, VIX)",
    "cfe_vx_settlements": "VX futures settlements",
    "fred_observations": "CPI, PPI and fed funds (FRED)",
    "fomc_decisions": "FOMC decision dates",
    "macro_release_calendar": "CPI/PPI release calendar",
    "nyse_breadth_daily": "NYSE advances/declines (breadth)",
    "valuation_monthly": "valuation (P/E, yields, ERP proxy)",
}
METRICS: tuple[tuple[str, str, str], ...] = (
    ("sessions", "Sessions", "int"),
    ("end_nav", "End NAV", "usd"),
    ("total_pnl", "Total P&L", "usd"),
    ("cagr", "CAGR", "pct"),
    ("ann_vol", "Ann. vol", "pct"),
    ("sharpe", "Sharpe", "ratio"),
    ("sortino", "Sortino", "ratio"),
    ("max_drawdown", "Max drawdown", "pct"),
    ("max_drawdown_sessions", "DD length (sessions)", "int"),
    ("calmar", "Calmar", "ratio"),
    ("worst_day", "Worst day", "pct"),
    ("worst_month", "Worst month", "pct"),
    ("cvar_95", "CVaR 95%", "pct"),
    ("beta_spx", "Beta to SPX", "ratio"),
    ("hedge_carry", "Hedge carry", "usd"),
    ("hedge_premium_paid_pct_nav_yr", "Hedge premium paid (% avg NAV/yr)", "pct"),
    ("hedge_premium_recovered_pct_nav_yr", "Hedge premium recovered (% avg NAV/yr)", "pct"),
    ("hedge_cost_drag", "Hedge cost drag: net spend (% avg NAV/yr)", "pct"),
    ("hedge_protection_per_dollar", "Protection per $ of premium", "ratio"),
    ("rebalancing_cost", "Rebalancing cost", "usd"),
    ("xirr", "XIRR", "pct"),
    ("hedge_xirr", "Hedge XIRR", "pct"),
    ("hedge_capital_cost", "Hedge capital cost (ann.)", "pct"),
    ("alvh_contribution_bp_week", "ALVH contribution, whole period (bp/week)", "bp"),
    ("contribution_share_meeting", "Rolling windows meeting the contribution target", "pct"),
    ("avg_breakeven_shift", "Avg break-even shift", "pct"),
)
"""Columns of ``attribution.performance`` shown in the metrics table: (column, header,
format). Ratios of NAV (returns, drawdowns, costs per year) are stored as fractions."""
NA_NOTES = {"hedge_xirr": "hedge_xirr_note", "hedge_capital_cost": "hedge_capital_cost_note"}
"""Metrics shown only where meaningful: a missing value is shown as ``n/a`` with the reason
from its note column (``attribution.performance``)."""


class ReportError(RuntimeError):
    """The warehouse lacks what the report needs (the message says what to build)."""


def default_out_dir() -> Path:
    """``<project root>/reports``."""
    return paths.project_root() / "reports"


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def landing_provenance(landing: Path) -> list[dict] | None:
    """The ``files`` entries of ``landing``'s manifest, or None (the report's generic
    provenance note) when it has none or it is malformed: not JSON, not an object with a
    ``files`` list of objects each with a text ``kind``. A malformed manifest is logged as
    a warning (logger ``alvh.report``) and never blocks the report or a publish."""
    path = landing / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        files = read_manifest(landing).get("files", [])
        if not isinstance(files, list) or not all(
            isinstance(e, dict) and isinstance(e.get("kind"), str) for e in files
        ):
            raise ValueError("'files' is not a list of objects with a text 'kind'")
    except (OSError, ValueError, AttributeError) as e:
        reason = " ".join(str(e).split())[:200]
        logging.getLogger("alvh.report").warning(
            "landing manifest %s is malformed (%s): the report shows the generic provenance note",
            path,
            reason,
        )
        return None
    return list(files)


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, read from the warehouse."""

    account: pl.DataFrame
    layers: pl.DataFrame
    regimes: pl.DataFrame
    events: dict[str, list[dt.date]]
    pnl: pl.DataFrame
    performance: pl.DataFrame
    stress: pl.DataFrame
    contribution_rule: tuple[int, float] | None = None  # (window days, target bp/week)
    sweep: robustness.Robustness | None = None  # the robustness section (None: no sweep)


LAYERS_SQL = """
SELECT date, bucket,
       sum(quantity * entry_price * 100 ORDER BY position_id) AS premium_at_risk,
       sum(mark_value ORDER BY position_id) AS hedge_market_value
FROM strategy.positions_daily
WHERE strategy = 'alvh_442' AND kind <> 'condor'
GROUP BY ALL ORDER BY ALL
"""
"""ALVH's hedge by session and bucket: premium at risk = the open legs' cost basis
(quantity × entry price × 100, a spread's short leg netted; methodology §3 "Hedge budget")
and their market value (Σ ``mark_value``)."""


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables"
    ).fetchall()
    return {r[0] for r in rows}


def read_data(
    con: duckdb.DuckDBPyConnection, sweep: robustness.SweepChoice | None = None
) -> ReportData:
    """Read the report's inputs; :class:`ReportError` names missing tables or rows, or a
    sweep, metric or parameter of ``sweep`` (default: the latest sweep) that is not there."""
    present = _tables(con)
    missing = [t for t in REQUIRED_TABLES if t not in present]
    if missing:
        raise ReportError(
            f"the warehouse has no {', '.join(missing)}: materialize the strategy and "
            "attribution assets first (alvh demo)"
        )
    account = wh.read_frame(
        con, "SELECT strategy, date, nav, spx_close FROM strategy.account_daily ORDER BY ALL"
    )
    if account.is_empty():
        raise ReportError("strategy.account_daily is empty: run the strategies first (alvh demo)")
    first, last = account["date"].min(), account["date"].max()
    layers = wh.read_frame(con, LAYERS_SQL)
    regimes = pl.DataFrame(schema={"date": pl.Date, "regime": pl.Utf8})
    if "marts.fct_regime_daily" in present:
        regimes = wh.read_frame(
            con,
            "SELECT date, regime FROM marts.fct_regime_daily WHERE date BETWEEN ? AND ? "
            "ORDER BY date",
            [first, last],
        )
    events: dict[str, list[dt.date]] = {}
    if "marts.fct_macro_events_daily" in present:
        for name, col in (("FOMC", "fomc"), ("CPI", "cpi_release"), ("PPI", "ppi_release")):
            rows = con.execute(
                f"SELECT DISTINCT prev_{col}_date FROM marts.fct_macro_events_daily "
                f"WHERE prev_{col}_date BETWEEN ? AND ? ORDER BY 1",
                [first, last],
            ).fetchall()
            events[name] = [r[0] for r in rows]
    pnl = wh.read_frame(
        con,
        "SELECT strategy, component, sum(amount) AS amount FROM attribution.daily_pnl "
        "GROUP BY ALL ORDER BY ALL",
    )
    performance = wh.read_frame(con, "SELECT * FROM attribution.performance")
    stress = wh.read_frame(con, "SELECT * FROM attribution.stress_windows")
    rule = None
    if "attribution.contribution_daily" in present:
        row = con.execute(
            "SELECT window_days, target_bp_week FROM attribution.contribution_daily LIMIT 1"
        ).fetchone()
        rule = (int(row[0]), float(row[1])) if row else None
    try:
        swept = robustness.read_robustness(con, sweep or robustness.SweepChoice())
    except ValueError as e:
        raise ReportError(str(e)) from None
    return ReportData(account, layers, regimes, events, pnl, performance, stress, rule, swept)


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def _usd(v: float) -> str:
    return f"-${abs(v):,.0f}" if v < 0 else f"${v:,.0f}"


FORMATS: dict[str, Callable[[Any], str]] = {
    "usd": _usd,
    "pct": lambda v: f"{v * 100:.2f}%",
    "ratio": lambda v: f"{v:.2f}",
    "bp": lambda v: f"{v:.1f}",
    "int": lambda v: f"{int(v):,d}",
    "date": lambda v: f"{v:%Y-%m-%d}",
    "text": str,
}


def fmt(value: Any, kind: str) -> str:
    """A cell's text: ``–`` for missing or non-finite values."""
    return "–" if _missing(value) else FORMATS[kind](value)


def _cell(value: Any, kind: str) -> str:
    neg = kind not in ("text", "date") and not _missing(value) and value < 0
    cls = ' class="num neg"' if neg else (' class="num"' if kind not in ("text",) else "")
    return f"<td{cls}>{html.escape(fmt(value, kind))}</td>"


def _strategy_rank(strategy: str) -> tuple[int, str]:
    order = list(REGISTRY)
    return (order.index(strategy) if strategy in order else len(order), strategy)


def sorted_performance(performance: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``attribution.performance``: period ``all`` first, then the years, each in
    strategy order."""
    rows = performance.to_dicts()
    return sorted(
        rows, key=lambda r: (r["period"] != "all", r["period"], _strategy_rank(r["strategy"]))
    )


def metrics_table(performance: pl.DataFrame) -> str:
    """The metrics table (``<table id="metrics">``), one row per (period, strategy)."""
    cols = [m for m in METRICS if m[0] in performance.columns]
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in cols)
    body = []
    for r in sorted_performance(performance):
        dates = f"{fmt(r.get('start_date'), 'date')} – {fmt(r.get('end_date'), 'date')}"
        cells = "".join(_metric_cell(r, c, k) for c, _, k in cols)
        body.append(
            f"<tr><td>{html.escape(r['period'])}</td><th>{html.escape(charts.label(r['strategy']))}"
            f"</th><td>{dates}</td>{cells}</tr>"
        )
    return (
        '<div class="scroll"><table id="metrics"><thead><tr><th>Period</th><th>Strategy</th>'
        f"<th>Dates</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        + ("" if body else '<p class="note">attribution.performance has no rows.</p>')
    )


def _metric_cell(row: dict[str, Any], col: str, kind: str) -> str:
    """A metrics cell; a metric shown only where meaningful (:data:`NA_NOTES`) and missing
    reads ``n/a`` with its reason as the cell's title."""
    note = row.get(NA_NOTES.get(col, ""))
    if col in NA_NOTES and _missing(row.get(col)) and note:
        return f'<td class="na" title="{html.escape(note)}">n/a</td>'
    return _cell(row.get(col), kind)


def _na(row: dict[str, Any], col: str, kind: str) -> str:
    """A cell with the value, or ``n/a (reason)`` spelled out for a metric of
    :data:`NA_NOTES` that is not meaningful."""
    if col in NA_NOTES and _missing(row.get(col)):
        note = row.get(NA_NOTES[col]) or "not available"
        return f'<td class="na">n/a ({html.escape(note)})</td>'
    return _cell(row.get(col), kind)


HEDGE_SPEND_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("hedge_premium_paid", "Premium paid", "usd"),
    ("hedge_premium_recovered", "Premium recovered", "usd"),
    ("hedge_net_spend", "Net hedge spend", "usd"),
    ("hedge_premium_paid_pct_nav_yr", "Paid % avg NAV/yr", "pct"),
    ("hedge_premium_recovered_pct_nav_yr", "Recovered % avg NAV/yr", "pct"),
    ("hedge_net_spend_pct_nav_yr", "Net % avg NAV/yr (cost drag)", "pct"),
    ("hedge_stress_payoff", "Hedge payoff in stress windows", "usd"),
    ("hedge_protection_per_dollar", "Protection per $ paid", "ratio"),
    ("avg_premium_at_risk", "Avg premium at risk (cost basis)", "usd"),
    ("hedge_xirr", "Hedge XIRR", "pct"),
    ("hedge_capital_cost", "Hedge capital cost (ann.)", "pct"),
)
"""Columns of the hedge-spend table (``attribution.performance``, period ``all``)."""


def _is_hedged(row: dict[str, Any]) -> bool:
    entry = REGISTRY.get(row["strategy"])
    if entry is not None:
        return bool(entry.hedge_buckets)
    return bool(row.get("hedge_premium_paid"))


def hedge_spend_section(performance: pl.DataFrame, att: AttributionConfig) -> str:
    """The hedge spend per strategy over the whole range (``<table id="hedge-spend">``):
    premium paid, recovered, net (USD and % of average NAV a year), the hedge payoff in the
    stress windows and the protection per dollar, the average premium at risk, the hedge
    XIRR and capital cost (``n/a`` with the reason where not meaningful); then the
    methodology's anchor (§3: a hedged strategy spends 1–12% of its average NAV a year) with
    every hedged strategy outside it named (``<p id="hedge-spend-anchor">``); the band and
    the sessions the hedge XIRR needs come from ``att``."""
    low, high = att.hedge_spend_min_pct_nav_yr, att.hedge_spend_max_pct_nav_yr
    cols = [c for c in HEDGE_SPEND_COLUMNS if c[0] in performance.columns]
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in cols)
    rows = _all_rows(performance)
    body = "".join(
        f"<tr><th>{html.escape(charts.label(r['strategy']))}</th>"
        + "".join(_na(r, c, k) for c, _, k in cols)
        + f"<td>{html.escape(_flag_text(r, low, high))}</td></tr>"
        for r in rows
    )
    outside = [
        f"{charts.label(r['strategy'])} pays {fmt(r.get('hedge_premium_paid_pct_nav_yr'), 'pct')}"
        for r in rows
        if _is_hedged(r) and r.get("hedge_spend_flag") in ("below", "above")
    ]
    band = f"{low * 100:.0f}–{high * 100:.0f}%"
    anchor = (
        f"Outside the range, so a different strategy than a hedge in the methodology's sense: "
        f"{'; '.join(outside)} of its average NAV a year."
        if outside
        else "Every hedged strategy spends inside that range."
    )
    return (
        '<div class="scroll"><table id="hedge-spend"><thead><tr><th>Strategy</th>'
        f"{head}<th>Anchor {band}</th></tr></thead><tbody>{body}</tbody></table></div>"
        f'<p id="hedge-spend-anchor"><strong>Anchor (methodology §3, hedge budget):</strong> a '
        f"hedged strategy should spend {band} of its average NAV a year in hedge premium "
        f"(premium paid). {html.escape(anchor)}</p>"
        '<p class="note">Premium paid = the cash of the hedge fills that open a leg (buying a '
        "long leg, selling a spread's short leg nets it; commissions and fees included); "
        "recovered = the cash of the hedge sales and settlements; net = paid − recovered, the "
        "hedge cost drag. Percentages: USD ÷ years ÷ average NAV of the period. Payoff in "
        "stress windows = the hedge legs' market P&amp;L (buckets and carry) on the sessions "
        "of the configured stress windows; protection per dollar = that payoff ÷ premium paid. "
        "Strategies without a hedge: 0 paid, recovered and net; no protection per dollar. "
        "Premium at risk = the cost basis of the hedge legs still open. Hedge XIRR and the "
        "WACC-style hedge capital cost (annualized hedge carry ÷ average premium at risk) are "
        "shown only when the hedge tied up capital (an open hedge leg) on at least "
        f"{att.hedge_min_capital_sessions} sessions of the period "
        "(attribution.hedge_min_capital_sessions), and the XIRR only when "
        "the hedge's cash flows (its market value at the start, its fills, its market value "
        "at the end) change sign; otherwise n/a with the reason.</p>"
    )


def _flag_text(row: dict[str, Any], low: float, high: float) -> str:
    flag = row.get("hedge_spend_flag")
    if not _is_hedged(row) or flag is None:
        return "no hedge"
    return {"below": f"below {low:.0%}", "above": f"above {high:.0%}"}.get(flag, "within")


def contribution_section(performance: pl.DataFrame, rule: tuple[int, float] | None) -> str:
    """The monitored contribution (methodology §3, seed 003) per hedged strategy over the
    whole range and each year (``<table id="contribution">``): complete rolling windows, the
    share meeting the target, their mean risk-adjusted bp/week."""
    rows = [r for r in sorted_performance(performance) if r.get("contribution_windows") is not None]
    body = "".join(
        f"<tr><td>{html.escape(r['period'])}</td>"
        f"<th>{html.escape(charts.label(r['strategy']))}</th>"
        f"{_cell(r.get('contribution_windows'), 'int')}"
        f"{_cell(r.get('contribution_share_meeting'), 'pct')}"
        f"{_cell(r.get('contribution_mean_bp_week'), 'bp')}</tr>"
        for r in rows
    )
    what = (
        f"≥ {rule[1]:g} bp/week over a rolling {rule[0]}-calendar-day window"
        if rule
        else "the configured target over the rolling window"
    )
    return (
        '<div class="scroll"><table id="contribution"><thead><tr><th>Period</th>'
        "<th>Strategy</th><th>Complete windows</th><th>Share meeting the target</th>"
        "<th>Mean risk-adjusted bp/week</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
        + ("" if body else '<p class="note">No hedged strategy beside the unhedged book.</p>')
        + f'<p class="note" id="contribution-note">Target (methodology §3, seed 003): the '
        f"hedge contributes {html.escape(what)}, a monitored daily metric, not a rule. Each "
        "session's window compares the strategy with the unhedged book (same condor): "
        "risk-adjusted = M² (Modigliani), the strategy's return over the risk-free rate scaled "
        "to the unhedged book's volatility in the window, less the unhedged book's, per week; "
        "daily values in attribution.contribution_daily.</p>"
    )


def metrics_markdown(performance: pl.DataFrame) -> str:
    """Period ``all`` of the metrics table as Markdown (the Dagster metadata preview)."""
    cols = [
        m
        for m in METRICS
        if m[0] in ("total_pnl", "cagr", "sharpe", "max_drawdown", "hedge_cost_drag", "cvar_95")
        and m[0] in performance.columns
    ]
    lines = [
        "| strategy | " + " | ".join(h for _, h, _ in cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for r in sorted_performance(performance):
        if r["period"] == "all":
            cells = " | ".join(fmt(r[c], k) for c, _, k in cols)
            lines.append(f"| {charts.label(r['strategy'])} | {cells} |")
    return "\n".join(lines)


COST_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("premium_collected", "Premium collected", "usd"),
    ("trading_costs_entry", "Entry", "usd"),
    ("trading_costs_roll", "Roll", "usd"),
    ("trading_costs_exit", "Exit", "usd"),
    ("trading_costs_hedge", "Hedge", "usd"),
    ("trading_costs", "All trading costs", "usd"),
)
"""Columns of the trading-costs table: cash costs (commissions, exchange fees, slippage) by
trade kind beside the condors' premium collected (methodology §2; issue 14)."""


def _all_rows(performance: pl.DataFrame) -> list[dict[str, Any]]:
    return [r for r in sorted_performance(performance) if r["period"] == "all"]


def trading_costs_table(performance: pl.DataFrame) -> str:
    """Trading costs by trade kind set against the premium collected (``<table
    id="trading-costs">``): per strategy over the whole range, the cash costs of entries,
    rolls, exits and hedge trades (``attribution.performance.trading_costs_*``), their sum
    and its share of the premium the condors collected."""
    cols = [c for c in COST_COLUMNS if c[0] in performance.columns]
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in cols)
    body = []
    for r in _all_rows(performance):
        share = None
        if "trading_costs" in r and not _missing(r.get("premium_collected")):
            share = r["trading_costs"] / r["premium_collected"] if r["premium_collected"] else None
        cells = "".join(_cell(r[c], k) for c, _, k in cols)
        body.append(
            f"<tr><th>{html.escape(charts.label(r['strategy']))}</th>{cells}"
            f"{_cell(share, 'pct')}</tr>"
        )
    return (
        '<div class="scroll"><table id="trading-costs"><thead><tr><th>Strategy</th>'
        f"{head}<th>Costs % of premium</th></tr></thead><tbody>{''.join(body)}</tbody>"
        "</table></div>"
        '<p class="note">Cash costs only (commissions, exchange fees and slippage) of the '
        "whole range, by trade kind: condor entries, condor rolls, condor exits (halt "
        "close-outs included) and hedge trades; settlements cost nothing. Premium collected "
        "= the condors' original credits at fill prices.</p>"
    )


def memo_table(performance: pl.DataFrame) -> str:
    """The roll opportunity cost as a memo (``<table id="roll-memo">``), apart from every
    cost and P&L figure (methodology §2: "reported as a memo figure beside the P&L, never
    added to costs or P&L components")."""
    body = "".join(
        f"<tr><th>{html.escape(charts.label(r['strategy']))}</th>"
        f"{_cell(r.get('roll_opportunity_cost'), 'usd')}</tr>"
        for r in _all_rows(performance)
    )
    return (
        '<div class="scroll"><table id="roll-memo"><thead><tr><th>Strategy</th>'
        "<th>Roll opportunity cost (memo)</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
        '<p class="note">Memo: the time value of the closed legs that the condor\'s rolls gave '
        "up (002, 'value given up'). It is not a cash cost, not in the waterfall and not in "
        "any sum of P&amp;L components: the NAV change is fully explained without it.</p>"
    )


REFERENCE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("cagr", "CAGR", "pct"),
    ("ann_vol", "Ann. vol", "pct"),
    ("max_drawdown", "Max drawdown", "pct"),
    ("worst_month", "Worst month", "pct"),
    ("total_pnl", "Total P&L", "usd"),
    ("premium_collected", "Premium collected", "usd"),
    ("trading_costs", "Trading costs", "usd"),
)


def reference_section(performance: pl.DataFrame) -> str:
    """Each reference strategy of the registry (an entry with published figures) beside the
    strategies it is compared with, per period (``<table id="reference-<name>">``), its
    published figures (``<ul id="published-<name>">``) and why the numbers differ."""
    parts = []
    rows = sorted_performance(performance)
    cols = [c for c in REFERENCE_COLUMNS if c[0] in performance.columns]
    for ref in (s for s in REGISTRY.values() if s.published):
        shown = (ref.name, *ref.compared_with)
        mine = [r for r in rows if r["strategy"] in shown]
        head = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in cols)
        body = "".join(
            f"<tr><td>{html.escape(r['period'])}</td>"
            f"<th>{html.escape(charts.label(r['strategy']))}</th>"
            + "".join(_cell(r[c], k) for c, _, k in cols)
            + "</tr>"
            for r in mine
        )
        published = "".join(
            f"<li>{html.escape(p.figure)}: <strong>{html.escape(p.value)}</strong> "
            f'<span class="note">({html.escape(p.source)})</span></li>'
            for p in ref.published
        )
        parts.append(
            f"<h3>{html.escape(ref.label)} beside "
            f"{html.escape(', '.join(charts.label(c) for c in ref.compared_with))}</h3>"
            f'<div class="scroll"><table id="reference-{ref.name}"><thead><tr><th>Period</th>'
            f"<th>Strategy</th>{head}</tr></thead><tbody>{body}</tbody></table></div>"
            + ("" if body else '<p class="note">No rows for this strategy.</p>')
            + f'<p>Published figures:</p><ul id="published-{ref.name}">{published}</ul>'
            f'<p class="note" id="published-{ref.name}-note">{html.escape(ref.published_note)}</p>'
        )
    return "".join(parts)


def stress_table(stress: pl.DataFrame) -> str:
    """The stress-window table (``<table id="stress">``): windows with sessions in the
    backtest; the others are named in a note below it."""
    rows = stress.to_dicts()
    inside = [r for r in rows if not _missing(r.get("sessions")) and r["sessions"] > 0]
    inside.sort(
        key=lambda r: (
            str(r.get("window_start")),
            r["window"],
            _strategy_rank(r["strategy"]),
            r["bucket"] not in ("total", "all"),
            r["bucket"],
        )
    )
    body = "".join(
        f"<tr><td>{html.escape(r['window'])}</td>"
        f"<th>{html.escape(charts.label(r['strategy']))}</th>"
        f"<td>{html.escape(str(r['bucket']))}</td>"
        f"<td>{fmt(r['first_date'], 'date')} – {fmt(r['last_date'], 'date')}</td>"
        f"{_cell(r['sessions'], 'int')}{_cell(r['start_nav'], 'usd')}{_cell(r['pnl'], 'usd')}"
        f"{_cell(r['pnl_pct_of_nav'], 'pct')}</tr>"
        for r in inside
    )
    outside = sorted({r["window"] for r in rows} - {r["window"] for r in inside})
    names = html.escape(", ".join(outside))
    note = f'<p class="note">Windows outside the backtest range: {names}.</p>' if outside else ""
    if not inside:
        note += '<p class="note">No stress window falls inside the backtest range.</p>'
    return (
        '<div class="scroll"><table id="stress"><thead><tr><th>Window</th><th>Strategy</th>'
        "<th>Bucket</th><th>Dates</th><th>Sessions</th><th>Start NAV</th>"
        f"<th>P&amp;L</th><th>P&amp;L % of NAV</th></tr></thead><tbody>{body}</tbody></table>"
        f"</div>{note}"
    )


def modelled_kinds(provenance: list[dict] | None) -> set[str]:
    """Landing kinds whose content is modelled (the sample's defaults without a manifest)."""
    if provenance is None:
        return set(DEFAULT_MODELLED)
    return {e["kind"] for e in provenance if e.get("provenance") == "modelled"}


def provenance_section(provenance: list[dict] | None) -> str:
    """The data-provenance note: one row per (input, provenance) from the manifest's
    entries, else the generic statement about the embedded sample market."""
    if provenance is None:
        return f'<p id="provenance-note">{html.escape(GENERIC_PROVENANCE)}</p>'
    groups: dict[tuple[str, str], list[dict]] = {}
    for e in provenance:
        groups.setdefault((e["kind"], e.get("provenance", "?")), []).append(e)
    body = []
    for (kind, prov), entries in sorted(
        groups.items(), key=lambda g: (g[0][1] != "modelled", g[0])
    ):
        sources = sorted({str(e.get("source", "")) for e in entries})
        source = (
            "; ".join(sources)
            if len(sources) <= 3
            else f"{sources[0]} … {sources[-1]} ({len(sources)} files)"
        )
        badge = "modelled" if prov == "modelled" else "real"
        body.append(
            f"<tr><td>{html.escape(KIND_LABELS.get(kind, kind))}</td>"
            f'<td><span class="badge {badge}">{html.escape(prov.replace("_", " "))}</span></td>'
            f'<td class="num">{len(entries):,d}</td>'
            f'<td class="num">{sum(int(e.get("rows", 0)) for e in entries):,d}</td>'
            f"<td>{html.escape(source)}</td></tr>"
        )
    return (
        '<p id="provenance-note">From the landing manifest: what each input is. '
        "<em>real reformatted</em> = real values in another vendor layout.</p>"
        '<div class="scroll"><table id="provenance-table"><thead><tr><th>Input</th>'
        "<th>Provenance</th><th>Files</th><th>Rows</th><th>Source</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


METRIC_FORMATS = {
    **{c: (h, k) for c, h, k in (*METRICS, *HEDGE_SPEND_COLUMNS)},
    "hedge_spend": ("Hedge spend (net % avg NAV/yr)", "pct"),
    "psr": ("PSR(0)", "ratio"),
}
"""Header and format of a sweep metric (``research.sweep_runs`` or
``research.sweep_significance``); others read as ratios under their column name."""


def _metric(metric: str) -> tuple[str, str]:
    return METRIC_FORMATS.get(metric, (metric, "ratio"))


def _param(column: str | None) -> str:
    """A swept parameter column as its config field (``condor__pop_target`` ->
    ``condor.pop_target``)."""
    return "" if column is None else column.replace("__", ".")


def robustness_charts(sweep: robustness.Robustness | None) -> dict[str, bytes]:
    """The robustness section's charts: ``robustness_<metric>`` per heatmap, then
    ``robustness_frontier`` (none without a sweep)."""
    if sweep is None:
        return {}
    out = {}
    for h in sweep.heatmaps:
        header, kind = _metric(h.metric)
        out[f"robustness_{h.metric}"] = charts.heatmap_chart(
            h.values,
            [str(v) for v in h.x_values],
            [str(v) if v is not None else "" for v in h.y_values],
            h.default,
            f"ALVH 4/4/2: {header}",
            (_param(h.x), _param(h.y)),
            percent=kind == "pct",
        )
    out["robustness_frontier"] = charts.frontier_chart(sweep.frontier)
    return out


def _heatmap_table(h: robustness.Heatmap) -> str:
    """A heatmap's values (``<table class="heatmap" id="heatmap-<metric>">``), one cell per
    combination, the default's cell of class ``default``."""
    kind = _metric(h.metric)[1]
    head = "".join(f"<th>{html.escape(str(v))}</th>" for v in h.x_values)
    rows = []
    for i, yv in enumerate(h.y_values):
        cells = "".join(
            _cell(v, kind).replace("<td", '<td data-default="1"', 1)
            if h.default == (i, j)
            else _cell(v, kind)
            for j, v in enumerate(h.values[i])
        )
        rows.append(f"<tr><th>{html.escape('' if yv is None else str(yv))}</th>{cells}</tr>")
    corner = f"{_param(h.y)} ↓ / {_param(h.x)} →" if h.y else _param(h.x)
    return (
        f'<div class="scroll"><table class="heatmap" id="heatmap-{h.metric}"><thead><tr>'
        f"<th>{html.escape(corner)}</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
        "</table></div>"
    )


def _held_note(h: robustness.Heatmap) -> str:
    held = ", ".join(f"{_param(p)} = {v}" for p, v in h.held.items())
    default = (
        "The outlined cell (red in the chart) is the default: the config's values."
        if h.default is not None
        else "The default values are not on this grid: no cell is outlined."
    )
    return f"{default}" + (f" Other swept parameters held at {held}." if held else "")


def _frontier_table(frontier: pl.DataFrame) -> str:
    front = frontier.filter(pl.col("on_frontier"))
    body = "".join(
        f"<tr><th>{html.escape(charts.label(r['strategy']))}</th>{_cell(r['combination'], 'int')}"
        f"{_cell(r[robustness.SPEND], 'pct')}{_cell(r[robustness.DRAWDOWN], 'pct')}</tr>"
        for r in front.to_dicts()
    )
    return (
        '<div class="scroll"><table id="frontier"><thead><tr><th>Strategy</th>'
        "<th>Combination</th><th>Net hedge spend % avg NAV/yr</th><th>Max drawdown</th></tr>"
        f"</thead><tbody>{body}</tbody></table></div>"
        f'<p class="note" id="frontier-count">{frontier.height} points (combination × '
        f"strategy), {front.height} on the frontier: no other point spends less on hedges "
        "with a drawdown as shallow, or has a shallower drawdown for as little.</p>"
    )


def _ci_table(sweep: robustness.Robustness) -> str:
    body = "".join(
        f"<tr><th>{html.escape(charts.label(r['versus']))}</th>"
        f"<td>{html.escape(_metric(r['metric'])[0])}</td>"
        + "".join(
            _cell(r[c], _metric(r["metric"])[1])
            for c in ("value", "versus_value", "difference", "ci_low", "ci_high")
        )
        + f"<td>{fmt(r['excludes_zero'], 'text')}</td></tr>"
        for r in sweep.ci.to_dicts()
    )
    return (
        '<div class="scroll"><table id="sweep-ci"><thead><tr><th>Versus</th><th>Metric</th>'
        "<th>ALVH 4/4/2</th><th>Other</th><th>Difference</th><th>95% CI low</th>"
        f"<th>95% CI high</th><th>CI excludes 0</th></tr></thead><tbody>{body}</tbody>"
        "</table></div>"
    )


def _psr_dsr_table(sweep: robustness.Robustness) -> str:
    runs = sweep.view.runs.filter(pl.col("combination") == sweep.best).to_dicts()
    psr = {r["strategy"]: r["psr"] for r in runs}
    rows = sorted(sweep.view.deflated.to_dicts(), key=lambda r: _strategy_rank(r["strategy"]))
    body = "".join(
        f"<tr><th>{html.escape(charts.label(r['strategy']))}</th>"
        f"{_cell(psr.get(r['strategy']), 'ratio')}"
        f"{_cell(r['best_combination'], 'int')}{_cell(r['sharpe'], 'ratio')}"
        f"{_cell(r['trials'], 'int')}{_cell(r['dsr'], 'ratio')}</tr>"
        for r in rows
    )
    return (
        '<div class="scroll"><table id="sweep-dsr"><thead><tr><th>Strategy</th>'
        f"<th>PSR(0), combination {sweep.best}</th><th>Best combination (Sharpe)</th>"
        "<th>Its Sharpe</th><th>Combinations tried</th><th>DSR</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def robustness_section(sweep: robustness.Robustness | None, pngs: dict[str, bytes]) -> str:
    """The robustness section: one line when the warehouse has no sweep; else the sweep,
    a heatmap per metric (chart and values), the hedge-spend/drawdown frontier (chart and
    frontier points), ALVH minus each strategy at ALVH's best combination with the 95%
    bootstrap CIs, and each strategy's PSR there and DSR (``docs/research.md``)."""
    if sweep is None:
        return (
            '<p class="note" id="robustness-none">No parameter sweep in the warehouse '
            "(research.sweep_runs): run <code>alvh sweep</code> or the research_sweep asset "
            "to fill this section.</p>"
        )
    v = sweep.view
    combos = v.runs["combination"].n_unique()
    first, last = v.runs["start_date"].min(), v.runs["end_date"].max()
    swept = ", ".join(_param(p) for p in v.params) or "no parameter"
    parts = [
        f'<p id="robustness-sweep">Sweep <code>{html.escape(v.sweep_id)}</code>: {combos} '
        f"combinations of {html.escape(swept)}, {first} – {last}.</p>"
    ]
    for h in sweep.heatmaps:
        name = f"robustness_{h.metric}"
        title = f"ALVH 4/4/2 {_metric(h.metric)[0]} over the grid"
        parts.append(
            f"<h3>{html.escape(title)}</h3>{_img(name, pngs[name], title)}{_heatmap_table(h)}"
            f'<p class="note">{html.escape(_held_note(h))}</p>'
        )
    if not sweep.heatmaps:
        parts.append('<p class="note">The sweep varies no parameter: no heatmap.</p>')
    parts.append(
        "<h3>Hedge spend against max drawdown</h3>"
        + _img("robustness_frontier", pngs["robustness_frontier"], "frontier")
        + _frontier_table(sweep.frontier)
    )
    if sweep.best is not None:
        params = sweep.view.runs.filter(pl.col("combination") == sweep.best).row(0, named=True)
        at = ", ".join(f"{_param(p)} = {params[p]}" for p in v.params)
        parts.append(
            f"<h3>ALVH 4/4/2 minus each strategy at its best combination {sweep.best}"
            f"{' (' + html.escape(at) + ')' if at else ''}</h3>{_ci_table(sweep)}"
            '<p class="note">Paired stationary block bootstrap of the sessions, 95% '
            "percentile intervals; a drawdown difference above 0 is a shallower drawdown, a "
            "hedge-spend difference below 0 a cheaper hedge.</p>"
            f"<h3>PSR and deflated Sharpe ratio</h3>{_psr_dsr_table(sweep)}"
            '<p class="note">PSR(0): probability that the true Sharpe ratio exceeds 0. DSR: '
            "the PSR of a strategy's best combination against the best Sharpe ratio "
            f"expected of {combos} skill-less trials.</p>"
        )
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1180px;padding:16px 24px;color:#1d1d1f;background:#fff}
h1{margin-bottom:4px}h2{margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#555;margin-top:0}.note{color:#555;font-size:0.9em}
.banner{background:#fff4e5;border:1px solid #f0b46c;padding:8px 12px;border-radius:6px}
img.chart{max-width:100%;height:auto;display:block;margin:8px 0}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:0.85em;margin:8px 0}
th,td{border-bottom:1px solid #e5e5e5;padding:4px 8px;text-align:left;white-space:nowrap}
thead th{background:#f5f5f7;position:sticky;top:0}td.num{text-align:right;
font-variant-numeric:tabular-nums}td.neg{color:#b00020}
.badge{padding:1px 6px;border-radius:4px;font-size:0.85em}
#provenance-table td:last-child{white-space:normal}
.badge.modelled{background:#fde0c5;color:#7a3e00}.badge.real{background:#d9f0d3;color:#1b5e20}
td.na{color:#666;font-style:italic}td[data-default]{outline:2px solid #000}
#hedge-spend td.na{white-space:normal;min-width:12em}
"""

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""Content-Security-Policy of the page: nothing but inline styles and data: images."""


def _img(name: str, png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img class="chart" id="chart-{name}" alt="{html.escape(alt)}" '
        f'src="data:image/png;base64,{data}">'
    )


def _starting_capital(data: ReportData) -> float:
    """The starting NAV (performance ``all``), else the mean first-session NAV."""
    perf = data.performance
    if "start_nav" in perf.columns:
        starts = perf.filter(pl.col("period") == "all")["start_nav"].drop_nulls()
        if starts.len():
            return float(starts.max())
    first = data.account.filter(pl.col("date") == pl.col("date").min())
    return float(first["nav"].mean())


def render_charts(data: ReportData, provenance: list[dict] | None) -> dict[str, bytes]:
    """Every chart of :data:`CHARTS`, then the robustness section's, as PNG bytes."""
    modelled = modelled_kinds(provenance)
    calendar_modelled = "macro_release_calendar" in modelled
    return {
        "nav": charts.nav_chart(data.account, _starting_capital(data)),
        "drawdown": charts.drawdown_chart(data.account),
        "layers": charts.layer_chart(
            data.layers,
            data.regimes,
            data.events,
            modelled_events=("CPI", "PPI") if calendar_modelled else (),
        ),
        "waterfall": charts.waterfall_chart(data.pnl, list(COMPONENTS)),
        **robustness_charts(data.sweep),
    }


def _captions(modelled: set[str]) -> dict[str, str]:
    chains = (
        " Option marks come from the <strong>modelled</strong> option chains of the sample market."
        if "cboe_option_eod" in modelled
        else ""
    )
    calendar = (
        " CPI/PPI release dates are <strong>modelled</strong> (sample release calendar); FOMC "
        "dates are real."
        if "macro_release_calendar" in modelled
        else ""
    )
    return {
        "nav": "NAV of each strategy at mid (cash + positions), SPX close rebased to the "
        f"starting capital (dashed).{chains}",
        "drawdown": f"Drawdown of each strategy from its running NAV peak; SPX dashed.{chains}",
        "layers": "Premium at risk of ALVH 4/4/2's hedge by bucket (stacked): the cost basis "
        "of the hedge legs still open (quantity × entry price × 100, a spread's short leg "
        "netted; methodology §3), not their value; the black line is the hedge market value "
        "(the same legs at their marks). The session's regime (calm / neutral / elevated / "
        "stressed) is shaded, FOMC decisions and CPI/PPI releases ticked below."
        f"{calendar}",
        "waterfall": "attribution.daily_pnl summed over the range by component: each bar "
        "starts where the previous ended; the last bar is the final P&amp;L. Costs are "
        "negative. The roll opportunity cost is a memo, not a bar (see below)."
        f"{chains}",
    }


TITLES = {
    "nav": "NAV: every strategy and SPX",
    "drawdown": "Drawdowns",
    "layers": "ALVH premium at risk by bucket, hedge market value, regimes and macro events",
    "waterfall": "Cost waterfall per strategy",
}


def _subtitle() -> str:
    """The strategies of the registry, for the page's subtitle."""
    return "Strategies: " + "; ".join(f"{s.label} ({s.description})" for s in REGISTRY.values())


def render_html(
    data: ReportData,
    pngs: dict[str, bytes],
    provenance: list[dict] | None,
    attribution: AttributionConfig | None = None,
) -> str:
    """The whole page as one string; ``attribution`` gives the hedge-spend anchor (the
    defaults of methodology §3 when None)."""
    att = attribution or AttributionConfig()
    first, last = data.account["date"].min(), data.account["date"].max()
    sessions = data.account["date"].n_unique()
    modelled = modelled_kinds(provenance)
    captions = _captions(modelled)
    banner = (
        '<p class="banner" id="modelled-banner"><strong>Modelled data.</strong> Some inputs '
        "of this backtest are modelled, not market data: "
        f"{html.escape(', '.join(sorted(KIND_LABELS.get(k, k) for k in modelled)))}. "
        "Results illustrate the method; they are not a track record.</p>"
        if modelled
        else ""
    )
    sections = "".join(
        f'<section id="section-{n}"><h2>{TITLES[n]}</h2>{_img(n, pngs[n], TITLES[n])}'
        f'<p class="note">{captions[n]}</p></section>'
        for n in CHARTS
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>ALVH strategy report {first} – {last}</title><style>{CSS}</style></head>
<body><h1>ALVH strategy report</h1>
<p class="sub">{html.escape(_subtitle())}: {first} – {last}, {sessions} sessions.</p>
{banner}{sections}
<section id="section-metrics"><h2>Performance metrics</h2>{metrics_table(data.performance)}
<p class="note">attribution.performance: the whole range (<em>all</em>) first, then each
calendar year. Returns, volatility, drawdowns and costs per year in percent of NAV; P&amp;L
and costs in USD. Hedge XIRR and hedge capital cost read n/a where not meaningful (the
reason is the cell's tooltip and is spelled out in the hedge spend table).</p></section>
<section id="section-hedge-spend"><h2>Hedge spend and protection per dollar</h2>
{hedge_spend_section(data.performance, att)}</section>
<section id="section-contribution"><h2>Monitored hedge contribution (rolling windows)</h2>
{contribution_section(data.performance, data.contribution_rule)}</section>
<section id="section-costs"><h2>Trading costs by trade kind against the premium collected</h2>
{trading_costs_table(data.performance)}</section>
<section id="section-memo"><h2>Roll opportunity cost (memo)</h2>{memo_table(data.performance)}
</section>
<section id="section-reference"><h2>Reference strategies by published rules</h2>
{reference_section(data.performance)}</section>
<section id="section-stress"><h2>Stress windows</h2>{stress_table(data.stress)}</section>
<section id="section-robustness"><h2>Robustness: the parameter sweep</h2>
{robustness_section(data.sweep, pngs)}</section>
<section id="provenance"><h2>Data provenance</h2>{provenance_section(provenance)}</section>
</body></html>
"""


def write_report(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    provenance: list[dict] | None,
    attribution: AttributionConfig | None = None,
    sweep: robustness.SweepChoice | None = None,
) -> Path:
    """Write ``out_dir/alvh_report.html`` and ``out_dir/png/<chart>.png``; returns the HTML
    path. ``provenance`` is the landing manifest's ``files`` list (None: generic note);
    ``attribution`` the config section of the hedge-spend anchor (None: defaults); ``sweep``
    the robustness section's sweep, metrics, parameters and defaults (None: the latest
    sweep, Sharpe and max drawdown over its first two parameters, the built-in defaults)."""
    data = read_data(con, sweep)
    pngs = render_charts(data, provenance)
    (out_dir / "png").mkdir(parents=True, exist_ok=True)
    for stale in (out_dir / "png").glob("robustness_*.png"):  # a previous sweep's charts
        stale.unlink()
    for name, png in pngs.items():
        (out_dir / "png" / f"{name}.png").write_bytes(png)
    target = out_dir / REPORT_NAME
    target.write_text(render_html(data, pngs, provenance, attribution), encoding="utf-8")
    return target
