"""Dagster asset ``report/strategy_report``: the trader-facing HTML report.

The asset reads the warehouse read-only and the landing manifest (for the provenance
note), and writes ``<project root>/reports/alvh_report.html`` with its charts in
``reports/png/``; a check verifies the page is self-contained.
"""

import re

import dagster as dg

from alvh_assets import warehouse as wh
from alvh_assets.dagster_support import AlvhSettings, WarehouseResource
from alvh_assets.report.build import (
    CHARTS,
    REPORT_NAME,
    ReportError,
    default_out_dir,
    landing_provenance,
    metrics_markdown,
    write_report,
)
from alvh_assets.report.robustness import SweepChoice

OWNERS = ["team:alvh-quant"]
STRATEGY_REPORT = dg.AssetKey(["report", "strategy_report"])
DEPS = [
    dg.AssetKey(["attribution", "daily_pnl"]),
    dg.AssetKey(["attribution", "performance"]),
    dg.AssetKey(["attribution", "stress_windows"]),
    dg.AssetKey(["attribution", "contribution_daily"]),
    dg.AssetKey(["strategy", "positions_daily"]),
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?(?!data:|#)[a-z][a-z0-9+.-]*:|<script|url\(""", re.IGNORECASE
)
"""A reference the page must not contain: a src/href with a scheme other than data:, a
script, a CSS url()."""


@dg.asset(
    key=STRATEGY_REPORT,
    group_name="report",
    owners=OWNERS,
    kinds={"html", "matplotlib"},
    deps=DEPS,
    description=(
        "The trader-facing HTML report (one self-contained file: inline CSS, charts as "
        "base64 PNG): NAV of every registered strategy and SPX, drawdowns, ALVH 4/4/2 premium at "
        "risk (open hedge cost basis) by bucket with the hedge market value, regimes shaded "
        "and FOMC/CPI/PPI marks, a cost waterfall per "
        "strategy from attribution.daily_pnl, the attribution.performance metrics (all, then "
        "each year), the hedge spend per strategy (premium paid, recovered, net, % of average "
        "NAV a year against the 1-12% anchor, protection per dollar, hedge XIRR and capital "
        "cost where meaningful), the share of rolling windows meeting the contribution "
        "target, trading costs by trade kind against the premium collected, the roll "
        "opportunity cost as a memo apart, the Cboe CNDR rules beside the house condor with "
        "the published CNDR figures, the stress windows, the robustness of the latest parameter "
        "sweep (heatmaps over two swept parameters with the default marked, the hedge "
        "spend/max drawdown Pareto frontier, ALVH's bootstrap CIs, PSR and DSR; one line "
        "without a sweep), and which inputs are real and which modelled (from "
        "the landing manifest). Written to reports/alvh_report.html, charts in reports/png/."
    ),
    metadata={"file": f"reports/{REPORT_NAME}", "charts": ", ".join(CHARTS)},
)
def strategy_report(
    context: dg.AssetExecutionContext, alvh: AlvhSettings, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Write the report from the warehouse (read-only) and the landing manifest."""
    provenance = landing_provenance(alvh.landing())
    try:
        with warehouse.connect(read_only=True) as con:
            cfg = alvh.load()
            sweep = SweepChoice(config=cfg)
            path = write_report(con, default_out_dir(), provenance, cfg.attribution, sweep)
            performance = wh.read_frame(con, "SELECT * FROM attribution.performance")
    except ReportError as e:
        raise dg.Failure(description=str(e)) from e
    context.log.info(f"report written to {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "charts": len(CHARTS),
            "bytes": path.stat().st_size,
            "provenance": "landing manifest" if provenance is not None else "generic note",
            "metrics": dg.MetadataValue.md(metrics_markdown(performance)),
        }
    )


@dg.asset_check(
    asset=STRATEGY_REPORT,
    name="report_is_self_contained",
    blocking=True,
    description="The report exists, references nothing outside itself (no script, no "
    "external src/href, no CSS url()), embeds every chart as a data: PNG (the robustness "
    "section's too, when there is a sweep), and every png/<chart>.png is a PNG file.",
)
def report_is_self_contained() -> dg.AssetCheckResult:
    """Self-containment of the written page and validity of its PNG files."""
    out = default_out_dir()
    page = out / REPORT_NAME
    if not page.exists():
        return dg.AssetCheckResult(passed=False, metadata={"problem": f"{page} not found"})
    text = page.read_text(encoding="utf-8")
    external = sorted({m.group(0) for m in EXTERNAL.finditer(text)})
    embedded = text.count('src="data:image/png;base64,')
    names = [*CHARTS, *sorted(p.stem for p in (out / "png").glob("robustness_*.png"))]
    missing = [n for n in names if f'id="chart-{n}" alt=' not in text]
    bad_png = [
        name
        for name in names
        if not (out / "png" / f"{name}.png").exists()
        or not (out / "png" / f"{name}.png").read_bytes().startswith(PNG_SIGNATURE)
    ]
    passed = not external and embedded == len(names) and not missing and not bad_png
    return dg.AssetCheckResult(
        passed=passed,
        metadata={
            "external_references": "; ".join(external) or "none",
            "embedded_charts": embedded,
            "charts_not_embedded": ", ".join(missing) or "none",
            "missing_or_invalid_png": ", ".join(bad_png) or "none",
        },
    )


REPORT_ASSETS = [strategy_report]
REPORT_CHECKS = [report_is_self_contained]
