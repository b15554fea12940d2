"""The HTML report: built from a small synthetic warehouse, rendered in headless Chromium.

The warehouse holds synthetic rows (not market data) laid out as the strategy, marts and
attribution tables the report reads: the registry's strategies over 30 sessions across a year end,
their layers, regimes, macro events and attribution rows. The page is opened from disk in
Debian's chromium through Playwright (the ``browser`` fixture of ``tests/conftest.py``),
with every request recorded.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser

from alvh_assets import warehouse as wh
from alvh_assets.attribution.schema import COMPONENTS
from alvh_assets.attribution.schema import TABLES as ATTRIBUTION_TABLES
from alvh_assets.report import charts
from alvh_assets.report.build import CHARTS, provenance_section, read_data, write_report
from alvh_assets.strategy.registry import REGISTRY
from alvh_assets.strategy.store import ACCOUNT, LAYERS, POSITIONS
from orchestration.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STRATEGIES = tuple(REGISTRY)
HEDGES = {s.name: s.hedge_buckets for s in REGISTRY.values()}
TRANCHES = {"short_term": 4, "medium_term": 4, "long_dated": 2}
REGIMES = ("calm", "neutral", "elevated", "stressed")
PERIODS = ("all", "2008", "2009")
FOMC = (dt.date(2008, 12, 16),)
CPI = (dt.date(2008, 11, 19), dt.date(2008, 12, 16), dt.date(2009, 1, 16))
PPI = (dt.date(2008, 11, 18), dt.date(2008, 12, 16), dt.date(2009, 1, 15))
IN_RANGE_WINDOW = "synthetic stress window"
STRESS_BUCKETS = ("total", "hedge")
MANIFEST_FILES = [
    {
        "path": "options/UnderlyingOptionsEODCalcs_2008-12-15.csv",
        "kind": "cboe_option_eod",
        "provenance": "modelled",
        "source": "synthetic model",
        "rows": 100,
        "sha256": "0" * 64,
    },
    {
        "path": "index/spx.csv",
        "kind": "cboe_index_daily",
        "provenance": "real_reformatted",
        "source": "synthetic real file",
        "rows": 30,
        "sha256": "1" * 64,
    },
]


def _sessions() -> list[dt.date]:
    days, day = [], dt.date(2008, 12, 15)
    while len(days) < 30:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _last_before(day: dt.date, events: tuple[dt.date, ...]) -> dt.date | None:
    return max((e for e in events if e <= day), default=None)


def _frame(rows: list[dict], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema)


def _positions(strategy: str, day: dt.date, i: int) -> list[dict]:
    """A condor leg, and per hedge bucket a long leg (2 × entry 1.50 = 300 USD of cost
    basis) marked at 100 × (i + 1) USD, plus a short leg in the short-term bucket (−2 × entry
    0.40 = −80 USD, marked at −10 USD): premium at risk ≠ market value."""
    rows = [
        {"position_id": "c", "kind": "condor", "quantity": -1, "entry_price": 5.0,
         "mark_value": -400.0}
    ]  # fmt: skip
    for b in HEDGES[strategy]:
        rows.append(
            {"position_id": f"{b}-l", "kind": "hedge", "bucket": b, "quantity": 2,
             "entry_price": 1.5, "mark_value": 100.0 * (i + 1)}
        )  # fmt: skip
        if b == "short_term":
            rows.append(
                {"position_id": f"{b}-s", "kind": "hedge", "bucket": b, "quantity": -2,
                 "entry_price": 0.4, "mark_value": -10.0}
            )  # fmt: skip
    return [{"strategy": strategy, "date": day, **r} for r in rows]


ABOVE = "single_layer_vix_call"
"""The synthetic hedged strategy that spends above the 1–12% anchor."""


def _hedge_spend(strategy: str) -> dict:
    """Hedge-spend columns of a synthetic performance row: none for a strategy without a
    hedge (hedge XIRR n/a, reason given), 30% of NAV a year for :data:`ABOVE`, 5% else."""
    if not HEDGES[strategy]:
        return {
            "hedge_premium_paid": 0.0,
            "hedge_premium_recovered": 0.0,
            "hedge_net_spend": 0.0,
            "hedge_premium_paid_pct_nav_yr": 0.0,
            "hedge_stress_payoff": 0.0,
            "hedge_xirr_note": "no hedge in the period",
            "hedge_capital_cost_note": "no hedge in the period",
        }
    pct = 0.30 if strategy == ABOVE else 0.05
    return {
        "hedge_premium_paid": 77_777.0,
        "hedge_premium_recovered": 11_111.0,
        "hedge_net_spend": 66_666.0,
        "hedge_premium_paid_pct_nav_yr": pct,
        "hedge_net_spend_pct_nav_yr": pct / 2,
        "hedge_cost_drag": pct / 2,
        "hedge_spend_flag": "above" if strategy == ABOVE else "within",
        "hedge_stress_payoff": 155_554.0,
        "hedge_protection_per_dollar": 2.0,
        "hedge_xirr": 0.25,
        "hedge_capital_cost": None,
        "hedge_capital_cost_note": "hedge capital tied up on 7 sessions (< 60)",
        "contribution_windows": 10,
        "contribution_share_meeting": 0.3,
        "contribution_mean_bp_week": 12.5,
    }


def build_synthetic_warehouse(path: Path, attribution: bool = True) -> None:
    """Write a synthetic warehouse: strategy, marts and (optionally) attribution tables."""
    days = _sessions()
    account, layers, pnl, perf, stress, contribution = [], [], [], [], [], []
    positions: list[dict] = []
    for k, s in enumerate(STRATEGIES):
        for i, d in enumerate(days):
            nav = 1e6 * (1 + 0.002 * (k + 1) * math.sin(i / 4 + k) - 0.0005 * i)
            account.append({"strategy": s, "date": d, "nav": nav, "spx_close": 880 + 5 * i})
            positions += _positions(s, d, i)
            for b in HEDGES[s]:
                for t in range(1, TRANCHES.get(b, 1) + 1):
                    layers.append(
                        {
                            "strategy": s,
                            "date": d,
                            "bucket": b,
                            "tranche": t,
                            "active": (i + t) % 3 != 0,
                            "premium_at_risk": 1000.0 * t * ((i + t) % 3 != 0),
                        }
                    )
            for c in COMPONENTS:
                bucket = c.removeprefix("hedge_")
                hedged = bool(HEDGES[s])
                if (c.startswith("hedge_") and bucket != "carry" and bucket not in HEDGES[s]) or (
                    c == "hedge_carry" and not hedged
                ):
                    continue
                amount = (-1) ** len(c) * (10.0 + len(c) + i)
                pnl.append(
                    {
                        "strategy": s,
                        "date": d,
                        "component": c,
                        "category": COMPONENTS[c],
                        "bucket": bucket if c.startswith("hedge_") and bucket != "carry" else None,
                        "amount": amount,
                    }
                )
        for p in PERIODS:
            inside = [d for d in days if p == "all" or d.year == int(p)]
            perf.append(
                {
                    "strategy": s,
                    "period": p,
                    "start_date": inside[0],
                    "end_date": inside[-1],
                    "sessions": len(inside),
                    "start_nav": 1e6,
                    "end_nav": 1e6 + 1000 * k,
                    "total_pnl": 1000.0 * k - 500,
                    "cagr": 0.01 * k - 0.005,
                    "ann_vol": 0.1,
                    "sharpe": 0.5,
                    "max_drawdown": -0.02 * (k + 1),
                    "hedge_cost_drag": 0.01 if k else None,
                    "xirr": float("nan"),
                    "premium_collected": 40_000.0 * (k + 1),
                    "trading_costs_entry": 1_000.0 * (k + 1),
                    "trading_costs_roll": 500.0 * k,
                    "trading_costs_exit": 700.0,
                    "trading_costs_hedge": 300.0 * k,
                    "trading_costs": 1_000.0 * (k + 1) + 500.0 * k + 700.0 + 300.0 * k,
                    "rebalancing_cost": 500.0 * k,
                    "roll_opportunity_cost": 12_345.0 * k,
                    **_hedge_spend(s),
                }
            )
        if HEDGES[s] and s != "unhedged":
            contribution.append(
                {
                    "strategy": s,
                    "date": days[-1],
                    "window_days": 30,
                    "target_bp_week": 40.0,
                    "complete": True,
                }
            )
        for w, start, sessions in (
            (IN_RANGE_WINDOW, days[3], 10),
            ("synthetic window outside the range", dt.date(2010, 5, 1), 0),
        ):
            for b in STRESS_BUCKETS:
                stress.append(
                    {
                        "strategy": s,
                        "window": w,
                        "bucket": b,
                        "window_start": start,
                        "window_end": start + dt.timedelta(days=14),
                        "first_date": start if sessions else None,
                        "last_date": days[12] if sessions else None,
                        "sessions": sessions,
                        "start_nav": 1e6 if sessions else None,
                        "pnl": -2500.0 * (k + 1) if sessions else None,
                        "pnl_pct_of_nav": -0.0025 * (k + 1) if sessions else None,
                    }
                )
    regimes = pl.DataFrame({"date": days, "regime": [REGIMES[i // 8] for i in range(len(days))]})
    events = pl.DataFrame(
        {
            "date": days,
            "prev_fomc_date": [_last_before(d, FOMC) for d in days],
            "prev_cpi_release_date": [_last_before(d, CPI) for d in days],
            "prev_ppi_release_date": [_last_before(d, PPI) for d in days],
            "event_window": [False] * len(days),
        }
    )
    with wh.connect(path) as con:
        for table, schema, rows in (
            ("strategy.account_daily", ACCOUNT, account),
            ("strategy.layer_allocations_daily", LAYERS, layers),
            ("strategy.positions_daily", POSITIONS, positions),
        ):
            wh.ensure_table(con, table, schema)
            wh.insert(con, table, _frame(rows, schema))
        con.execute("CREATE SCHEMA marts")
        for table, frame in (
            ("marts.fct_regime_daily", regimes),
            ("marts.fct_macro_events_daily", events),
        ):
            con.register("_frame", frame.to_arrow())
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM _frame")
            con.unregister("_frame")
        if attribution:
            for (table, schema), rows in zip(
                ATTRIBUTION_TABLES.items(), (pnl, perf, stress, contribution), strict=True
            ):
                wh.ensure_table(con, table, schema)
                wh.insert(con, table, _frame(rows, schema))


@dataclass(frozen=True)
class Built:
    """A synthetic warehouse and the report written from it."""

    warehouse: Path
    page: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("report")
    db = root / "synthetic.duckdb"
    build_synthetic_warehouse(db)
    with wh.connect(db, read_only=True) as con:
        page = write_report(con, root / "out", MANIFEST_FILES)
    return Built(db, page)


def test_report_writes_every_chart_as_a_png(built: Built) -> None:
    assert built.page.name == "alvh_report.html" and built.page.exists()
    for name in CHARTS:
        png = built.page.parent / "png" / f"{name}.png"
        assert png.read_bytes().startswith(PNG_SIGNATURE), png
    text = built.page.read_text()
    assert text.count('src="data:image/png;base64,') == len(CHARTS)
    assert "<script" not in text and "http://" not in text and "https://" not in text


def test_report_renders_in_chromium_without_errors_or_network(
    built: Built, browser: Browser
) -> None:
    page = browser.new_page()
    console: list[str] = []
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(built.page.as_uri(), wait_until="load")

    widths = page.eval_on_selector_all("img.chart", "els => els.map(e => e.naturalWidth)")
    assert len(widths) == len(CHARTS) and all(w > 0 for w in widths), widths
    metrics_rows = page.locator("table#metrics tbody tr").count()
    assert metrics_rows == len(STRATEGIES) * len(PERIODS)
    first = page.locator("table#metrics tbody tr").first.locator("td").first.inner_text()
    assert first == "all"
    assert page.locator("table#stress tbody tr").count() == len(STRATEGIES) * len(STRESS_BUCKETS)
    provenance = page.locator("section#provenance").inner_text()
    assert "modelled" in provenance and "real reformatted" in provenance
    assert page.locator("#modelled-banner").count() == 1
    assert "synthetic window outside the range" in page.locator("#section-stress").inner_text()
    costs = page.locator("table#trading-costs tbody tr")
    assert costs.count() == len(STRATEGIES)
    head = page.locator("table#trading-costs thead").inner_text()
    assert all(k in head for k in ("Premium collected", "Entry", "Roll", "Exit", "Hedge"))
    assert page.locator("table#roll-memo tbody tr").count() == len(STRATEGIES)
    assert page.locator("table#hedge-spend tbody tr").count() == len(STRATEGIES)
    assert "1–12%" in page.locator("#hedge-spend-anchor").inner_text()
    assert page.locator("table#contribution tbody tr").count() > 0
    assert "Memo" in page.locator("#section-memo").inner_text()
    assert page.locator("#section-robustness p").count() == 1  # no sweep: one line
    assert page.locator("#robustness-none").count() == 1
    reference = page.locator("table#reference-cboe_cndr tbody tr")
    assert reference.count() == 2 * len(PERIODS)  # CNDR rules beside the house condor
    published = page.locator("ul#published-cboe_cndr").inner_text()
    assert all(f in published for f in ("7.1%", "7.2%", "-13.7%", "771.31", "713.49"))
    assert "period" in page.locator("#published-cboe_cndr-note").inner_text()
    assert console == [] and errors == []
    assert requests and all(u.startswith(("data:", "file:")) for u in requests), requests
    page.close()


def test_trading_costs_are_set_against_the_premium_and_the_memo_is_apart(built: Built) -> None:
    text = built.page.read_text()
    costs = text[text.index('<table id="trading-costs">') : text.index('id="section-memo"')]
    # unhedged (k = 0): 1,000 entry + 700 exit = 1,700 USD of 40,000 USD premium
    assert "$1,700" in costs and "4.25%" in costs and "12,345" not in costs
    memo = text[text.index('<table id="roll-memo">') : text.index('id="section-reference"')]
    assert "$12,345" in memo and "$0" in memo
    assert "opportunity cost" not in charts.COMPONENT_LABELS.values()


def test_the_registry_drives_the_report() -> None:
    assert list(charts.STRATEGY_LABELS) == list(REGISTRY)
    assert list(charts.STRATEGY_COLORS) == list(REGISTRY)


def test_provenance_without_a_manifest_is_the_generic_note() -> None:
    text = provenance_section(None)
    assert "option chains" in text and "modelled" in text and "2004-03-26..2014-08-14" in text


def test_cli_report_writes_the_page(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALVH_WAREHOUSE", str(built.warehouse))
    monkeypatch.setenv("ALVH_LANDING_DIR", str(tmp_path / "no_landing"))
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    page = Path(result.output.strip())
    assert page == tmp_path / "out" / "alvh_report.html" and page.exists()
    assert 'id="provenance-note"' in page.read_text()


def test_cli_report_fails_clearly_without_attribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "no_attribution.duckdb"
    build_synthetic_warehouse(db, attribution=False)
    monkeypatch.setenv("ALVH_WAREHOUSE", str(db))
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "attribution.daily_pnl" in result.output and "Traceback" not in result.output


def test_cli_report_fails_clearly_without_a_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALVH_WAREHOUSE", str(tmp_path / "missing.duckdb"))
    result = CliRunner().invoke(main, ["report"])
    assert result.exit_code == 2
    assert "no warehouse" in result.output
    assert not (tmp_path / "missing.duckdb").exists()


def test_read_data_keeps_the_events_inside_the_range(built: Built) -> None:
    with wh.connect(built.warehouse, read_only=True) as con:
        data = read_data(con)
    assert data.events == {"FOMC": list(FOMC), "CPI": list(CPI[1:]), "PPI": list(PPI[1:])}
    assert data.layers["bucket"].unique().sort().to_list() == sorted(HEDGES["alvh_442"])
    # premium at risk = open cost basis (2 × 1.50 × 100, less 2 × 0.40 × 100 for the spread's
    # short leg), not the market value (100 × (i + 1), less 10)
    first = data.layers.filter(pl.col("date") == _sessions()[0]).sort("bucket")
    by = dict(zip(first["bucket"], first["premium_at_risk"], strict=True))
    assert by["short_term"] == pytest.approx(300.0 - 80.0)
    assert by["long_dated"] == pytest.approx(300.0)
    mv = dict(zip(first["bucket"], first["hedge_market_value"], strict=True))
    assert (mv["short_term"], mv["long_dated"]) == (pytest.approx(90.0), pytest.approx(100.0))
    assert data.contribution_rule == (30, 40.0)


def test_hedge_spend_table_flags_the_anchor_and_gives_na_reasons(built: Built) -> None:
    text = built.page.read_text()
    section = text[text.index('id="section-hedge-spend"') : text.index('id="section-contribution"')]
    body = section[section.index("<tbody>") : section.index("</tbody>")]
    assert body.count("<tr>") == len(STRATEGIES)  # one row per strategy
    assert "$77,777" in section and "$11,111" in section and "30.00%" in section
    assert "n/a (no hedge in the period)" in section
    assert "n/a (hedge capital tied up on 7 sessions (&lt; 60))" in section
    anchor = section[section.index('id="hedge-spend-anchor"') :]
    assert "1–12%" in anchor and charts.label(ABOVE) in anchor and "30.00%" in anchor
    # only the strategy above the range is named outside it
    others = [s for s in STRATEGIES if HEDGES[s] and s != ABOVE]
    assert not any(f"{charts.label(s)} pays" in anchor for s in others)
    metrics = text[
        text.index('<table id="metrics">') : text.index(
            "</table>", text.index('<table id="metrics">')
        )
    ]
    assert 'class="na" title="no hedge in the period">n/a<' in metrics
    contribution = text[text.index('id="section-contribution"') : text.index('id="section-costs"')]
    hedged = [s for s in STRATEGIES if HEDGES[s] and s != "unhedged"]
    assert contribution.count("<tr><td>") == len(hedged) * len(PERIODS)
    assert "≥ 40 bp/week over a rolling 30-calendar-day window" in contribution
    assert "30.00%" in contribution and "12.5" in contribution


def test_dagster_asset_writes_the_report_and_its_check_passes(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dagster as dg

    from alvh_assets.dagster_support import AlvhSettings, WarehouseResource
    from alvh_assets.report.assets import REPORT_ASSETS, REPORT_CHECKS

    monkeypatch.setenv("ALVH_HOME", str(tmp_path))
    result = dg.materialize(
        [*REPORT_ASSETS, *REPORT_CHECKS],
        resources={
            "alvh": AlvhSettings(landing_dir=str(tmp_path / "no_landing")),
            "warehouse": WarehouseResource(path=str(built.warehouse)),
        },
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("report__strategy_report")
    assert materialization.metadata["charts"].value == len(CHARTS)
    assert "ALVH 4/4/2" in materialization.metadata["metrics"].value
    assert (tmp_path / "reports" / "alvh_report.html").exists()
    assert all(e.passed for e in result.get_asset_check_evaluations())
    assert len(result.get_asset_check_evaluations()) == len(REPORT_CHECKS)


def test_the_waterfall_has_no_memo_bar() -> None:
    # methodology §2: the roll opportunity cost is a memo, never a cost bar; a row named so
    # (a memo, or the legacy component of older warehouses) leaves the chart unchanged
    pnl = pl.DataFrame(
        {
            "strategy": ["unhedged"] * 3,
            "component": ["condor_theta", "slippage", "interest"],
            "amount": [1_000.0, -300.0, 20.0],
        }
    )
    base = charts.waterfall_chart(pnl, list(COMPONENTS))
    for memo in ("roll_opportunity_cost", "opportunity_cost"):
        extra = pl.DataFrame({"strategy": ["unhedged"], "component": [memo], "amount": [-5e4]})
        assert charts.waterfall_chart(pl.concat([pnl, extra]), list(COMPONENTS)) == base
