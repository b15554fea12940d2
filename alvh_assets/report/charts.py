"""The report's charts: one function per chart, each returning the PNG bytes.

Matplotlib's Agg backend, driven through ``FigureCanvasAgg`` (no pyplot, no display, no
global figure state). Every
function takes polars frames with the columns it names and draws on a fresh figure, so the
same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import matplotlib.dates as mdates
import numpy as np
import polars as pl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, PercentFormatter

from alvh_assets.attribution.schema import MEMOS
from alvh_assets.strategy.registry import REGISTRY

STRATEGY_LABELS: dict[str, str] = {s.name: s.label for s in REGISTRY.values()}
"""Display name of each strategy, in report order (the strategy registry)."""
STRATEGY_COLORS: dict[str, str] = {s.name: s.color for s in REGISTRY.values()}
BUCKET_LABELS: dict[str, str] = {
    "short_term": "short-term (VIX call spreads)",
    "medium_term": "medium-term (SPX puts)",
    "long_dated": "long-dated (VIX calls)",
    "calendar": "VIX call calendar",
}
BUCKET_COLORS: dict[str, str] = {
    "short_term": "#9ecae1",
    "medium_term": "#4292c6",
    "long_dated": "#08519c",
    "calendar": "#9e9ac8",
}
REGIME_COLORS: dict[str, str] = {
    "calm": "#d9f0d3",
    "neutral": "#e8eef7",
    "elevated": "#fde0c5",
    "stressed": "#f9c0c0",
}
EVENT_COLORS: dict[str, str] = {"FOMC": "#6a3d9a", "CPI": "#b15928", "PPI": "#33a02c"}
COMPONENT_LABELS: dict[str, str] = {
    "condor_theta": "condor theta",
    "condor_delta_gamma": "condor delta/gamma",
    "condor_vega": "condor vega",
    "hedge_short_term": "hedge short-term",
    "hedge_medium_term": "hedge medium-term",
    "hedge_long_dated": "hedge long-dated",
    "hedge_single_layer": "hedge single layer",
    "hedge_static": "hedge static",
    "hedge_calendar": "hedge VIX call calendar",
    "hedge_carry": "hedge carry",
    "commissions": "commissions",
    "exchange_fees": "exchange fees",
    "slippage": "slippage",
    "interest": "interest",
    "residual": "residual",
}


MEMO_NAMES = frozenset({*MEMOS, "opportunity_cost"})
"""Memo figures (and the legacy component name of the roll opportunity cost): never a bar."""


def label(strategy: str) -> str:
    """Display name of a strategy from its registry entry (its id when unknown)."""
    return REGISTRY[strategy].label if strategy in REGISTRY else strategy


def color(strategy: str) -> str | None:
    """Line colour of a strategy from its registry entry (matplotlib's cycle when unknown)."""
    return REGISTRY[strategy].color if strategy in REGISTRY else None


def _usd(value: float, _pos: object = None) -> str:
    """Axis label in USD: ``$1.2M``, ``$350k``, ``-$12k``."""
    sign, v = ("-" if value < 0 else ""), abs(value)
    if v >= 1e6:
        return f"{sign}${v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{sign}${v / 1e3:.0f}k"
    return f"{sign}${v:.0f}"


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _strategies(frame: pl.DataFrame) -> list[str]:
    """Strategies of ``frame`` in report order (the registry's first, then the rest sorted)."""
    present = set(frame["strategy"].to_list())
    return [s for s in REGISTRY if s in present] + sorted(present - set(REGISTRY))


def nav_chart(account: pl.DataFrame, base: float) -> bytes:
    """NAV of every strategy over the backtest, with SPX rebased to ``base`` (the starting
    capital) on the same USD axis, so the lines start together.

    ``account``: strategy, date, nav, spx_close (one row per strategy and session)."""
    fig = _figure(11, 5)
    ax = fig.add_subplot()
    for s in _strategies(account):
        rows = account.filter(pl.col("strategy") == s).sort("date")
        ax.plot(rows["date"], rows["nav"], color=color(s), lw=1.6, label=label(s))
    spx = account.group_by("date").agg(pl.col("spx_close").first()).sort("date").drop_nulls()
    if spx.height:
        rebased = spx["spx_close"] / spx["spx_close"][0] * base
        ax.plot(spx["date"], rebased, color="black", lw=1.0, ls="--", label="SPX (rebased)")
    ax.axhline(base, color="#999999", lw=0.6)
    ax.yaxis.set_major_formatter(FuncFormatter(_usd))
    ax.set_ylabel("NAV (USD, marked at mid)")
    ax.set_title("Net asset value of every strategy and SPX")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    _date_axis(ax)
    return _png(fig)


def drawdown_chart(account: pl.DataFrame) -> bytes:
    """Drawdown of every strategy from its running NAV peak (percent), with SPX's drawdown
    from its running closing high for reference.

    ``account``: strategy, date, nav, spx_close."""
    fig = _figure(11, 4)
    ax = fig.add_subplot()
    for s in _strategies(account):
        rows = account.filter(pl.col("strategy") == s).sort("date")
        dd = rows["nav"] / rows["nav"].cum_max() - 1.0
        ax.plot(rows["date"], dd, color=color(s), lw=1.4, label=label(s))
    spx = account.group_by("date").agg(pl.col("spx_close").first()).sort("date").drop_nulls()
    if spx.height:
        dd = spx["spx_close"] / spx["spx_close"].cum_max() - 1.0
        ax.plot(spx["date"], dd, color="black", lw=0.9, ls="--", label="SPX")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("drawdown from peak")
    ax.set_title("Drawdowns")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=9)
    _date_axis(ax)
    return _png(fig)


def _runs(regimes: pl.DataFrame) -> list[tuple[dt.date, dt.date, str]]:
    """Contiguous runs of one regime: (first date, first date of the next run, regime)."""
    rows = regimes.drop_nulls().sort("date").rows()
    runs: list[tuple[dt.date, dt.date, str]] = []
    for i, (day, regime) in enumerate(rows):
        end = rows[i + 1][0] if i + 1 < len(rows) else day + dt.timedelta(days=1)
        if runs and runs[-1][2] == regime:
            runs[-1] = (runs[-1][0], end, regime)
        else:
            runs.append((day, end, regime))
    return runs


def layer_chart(
    layers: pl.DataFrame,
    regimes: pl.DataFrame,
    events: dict[str, Sequence[dt.date]],
    modelled_events: Sequence[str] = (),
) -> bytes:
    """ALVH 4/4/2 premium at risk by bucket (short-term, medium-term, long-dated, then any
    other bucket; stacked area, USD): the **cost basis of the hedge legs still open**
    (methodology §3, "premium at risk (the hedge positions' cost basis still open)"), with the
    hedge market value (the same legs at their marks, all buckets) as a line, the market
    regime of each session shaded behind it, and a strip below with a tick at every FOMC
    decision and CPI/PPI release.

    ``layers``: date, bucket, premium_at_risk (cost basis summed over the bucket's open
    legs) and optionally hedge_market_value; ``regimes``: date, regime; ``events``: label ->
    dates (e.g. ``{"FOMC": [...]}``); ``modelled_events`` names the event rows whose dates are
    modelled (labelled so)."""
    fig = _figure(11, 5.5)
    ax, strip = fig.subplots(2, 1, sharex=True, height_ratios=[5, 1])
    for start, end, regime in _runs(regimes):
        ax.axvspan(start, end, color=REGIME_COLORS.get(regime, "#eeeeee"), lw=0, zorder=0)
    wide = (
        layers.pivot(on="bucket", index="date", values="premium_at_risk", aggregate_function="sum")
        .sort("date")
        .fill_null(0.0)
    )
    others = sorted(set(layers["bucket"].drop_nulls().to_list()) - set(BUCKET_LABELS))
    buckets = [b for b in (*BUCKET_LABELS, *others) if b in wide.columns]
    if buckets:
        ax.stackplot(
            wide["date"].to_list(),
            *[wide[b].to_list() for b in buckets],
            labels=[f"premium at risk: {BUCKET_LABELS.get(b, b)}" for b in buckets],
            colors=[BUCKET_COLORS.get(b, "#bdbdbd") for b in buckets],
            alpha=0.9,
            zorder=2,
        )
        if "hedge_market_value" in layers.columns:
            mv = layers.group_by("date").agg(pl.col("hedge_market_value").sum()).sort("date")
            ax.plot(
                mv["date"].to_list(),
                mv["hedge_market_value"].to_list(),
                color="black",
                lw=1.0,
                label="hedge market value (all buckets)",
                zorder=3,
            )
    else:
        ax.text(
            0.5, 0.5, "no ALVH 4/4/2 layers in the warehouse", ha="center", transform=ax.transAxes
        )
    ax.yaxis.set_major_formatter(FuncFormatter(_usd))
    ax.set_ylabel("premium at risk = open cost basis (USD)")
    ax.set_title("ALVH 4/4/2 premium at risk by bucket and hedge market value, regimes shaded")
    handles, _ = ax.get_legend_handles_labels()
    present = set(regimes["regime"].drop_nulls().to_list())
    handles += [
        Patch(color=c, label=f"regime: {r}") for r, c in REGIME_COLORS.items() if r in present
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8, ncols=2)
    ax.grid(alpha=0.3, zorder=1)
    names = list(events)
    rows = [[mdates.date2num(d) for d in events[n]] for n in names]
    if names:
        strip.eventplot(
            rows,
            lineoffsets=list(range(len(names)))[::-1],
            linelengths=0.7,
            colors=[EVENT_COLORS.get(n, "black") for n in names],
        )
        strip.set_yticks(
            list(range(len(names)))[::-1],
            [f"{n} (modelled)" if n in modelled_events else n for n in names],
            fontsize=8,
        )
    strip.set_ylim(-0.6, max(len(names), 1) - 0.4)
    strip.grid(axis="x", alpha=0.3)
    _date_axis(strip)
    return _png(fig)


def waterfall_chart(pnl: pl.DataFrame, components: Sequence[str]) -> bytes:
    """Cost waterfall per strategy: the P&L of every attribution component summed over the
    range (condor theta, delta/gamma, vega, the hedge buckets, hedge carry, commissions,
    exchange fees, slippage, interest, residual: the components that sum to the NAV change),
    each bar starting where the previous ended, and the final P&L as the last bar; every bar
    is labelled with its amount. No memo figure is a bar: the roll opportunity cost
    (methodology §2 memo) is neither a cost nor a P&L component and the report shows it
    apart. Gains green, costs red; each panel has its own USD scale (the hedges' payoffs
    differ by orders of magnitude between strategies).

    ``pnl``: strategy, component, amount (USD, summed); ``components``: display order."""
    strategies = _strategies(pnl)
    cols = 2 if len(strategies) > 1 else 1
    nrows = max(1, -(-len(strategies) // cols))
    fig = _figure(12, 4.2 * nrows)
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    for ax, s in zip(axes, strategies, strict=False):
        amounts = dict(pnl.filter(pl.col("strategy") == s).select("component", "amount").rows())
        order = [c for c in components if c in amounts and abs(amounts[c]) >= 0.005]
        order += sorted(
            c
            for c in amounts
            if c not in components and c not in MEMO_NAMES and abs(amounts[c]) >= 0.005
        )
        bottoms, heights, colors, running = [], [], [], 0.0
        for c in order:
            bottoms.append(running)
            heights.append(amounts[c])
            colors.append("#2ca02c" if amounts[c] >= 0 else "#d62728")
            running += amounts[c]
        bottoms.append(0.0)
        heights.append(running)
        colors.append("#1f4e79")
        names = [COMPONENT_LABELS.get(c, c) for c in order] + ["final P&L"]
        x = list(range(len(names)))
        ax.bar(x, heights, bottom=bottoms, color=colors, width=0.7)
        for i in range(len(order)):
            top = bottoms[i] + heights[i]
            ax.plot([i + 0.35, i + 0.65], [top, top], color="#555555", lw=0.6)
        for i, (b, h) in enumerate(zip(bottoms, heights, strict=True)):
            end = max(b, b + h)
            ax.annotate(
                _usd(h),
                (i, end),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
            )
        ends = [0.0, *bottoms, *(b + h for b, h in zip(bottoms, heights, strict=True))]
        pad = 0.12 * ((max(ends) - min(ends)) or 1.0)
        ax.set_ylim(min(ends) - pad, max(ends) + pad)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(x, names, rotation=55, ha="right", fontsize=8)
        ax.yaxis.set_major_formatter(FuncFormatter(_usd))
        ax.set_title(f"{label(s)}: final P&L {_usd(running)}", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(strategies) :]:
        ax.set_visible(False)
    if not strategies:
        fig.text(0.5, 0.5, "no rows in attribution.daily_pnl", ha="center")
    fig.suptitle("Where the P&L came from (sum over the range, USD)")
    return _png(fig)


def heatmap_chart(
    values: Sequence[Sequence[float | None]],
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    default: tuple[int, int] | None,
    title: str,
    axis_names: tuple[str, str],
    percent: bool = False,
) -> bytes:
    """A metric over two swept parameters: one cell per combination (``values[i][j]`` at
    row ``y_labels[i]``, column ``x_labels[j]``; None blank), each labelled with its value
    (percent when ``percent``), the default combination's cell outlined in red.

    ``axis_names``: (x, y) parameter names."""
    grid = np.array([[np.nan if v is None else v for v in row] for row in values], dtype=float)
    fig = _figure(max(5.0, 1.1 * len(x_labels) + 3), max(3.0, 0.6 * len(y_labels) + 2))
    ax = fig.add_subplot()
    mesh = ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", aspect="auto", origin="lower")
    fig.colorbar(mesh, ax=ax, format=PercentFormatter(1.0) if percent else None)
    finite = grid[np.isfinite(grid)]
    middle = float(np.mean([finite.min(), finite.max()])) if finite.size else 0.0
    for (i, j), v in np.ndenumerate(grid):
        if np.isfinite(v):
            text = f"{v * 100:.1f}%" if percent else f"{v:.2f}"
            text += "\n(default)" if default == (i, j) else ""
            ink = "white" if v < middle else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color=ink)
    if default is not None:
        i, j = default
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=3))
    ax.set_xticks(range(len(x_labels)), x_labels, fontsize=8)
    ax.set_yticks(range(len(y_labels)), y_labels, fontsize=8)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.set_title(title)
    return _png(fig)


def frontier_chart(points: pl.DataFrame) -> bytes:
    """Hedge spend (net, % of average NAV a year) against max drawdown: one point per sweep
    combination and strategy in the strategy's colour, the Pareto frontier (the points no
    other beats on both) joined by a step line and ringed.

    ``points``: strategy, hedge_net_spend_pct_nav_yr, max_drawdown, on_frontier."""
    x, y = "hedge_net_spend_pct_nav_yr", "max_drawdown"
    fig = _figure(9, 5)
    ax = fig.add_subplot()
    for s in _strategies(points):
        rows = points.filter(pl.col("strategy") == s).drop_nulls([x, y])
        ax.scatter(rows[x], rows[y], s=22, color=color(s), label=label(s), alpha=0.8, zorder=3)
    front = points.filter(pl.col("on_frontier")).sort(x)
    if front.height:
        ax.step(front[x], front[y], where="post", color="black", lw=1.0, zorder=2)
        ax.plot([], [], color="black", lw=1.0, marker="o", mfc="none", label="Pareto frontier")
        ax.scatter(front[x], front[y], s=90, facecolors="none", edgecolors="black", zorder=4)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("net hedge spend (% of average NAV a year; lower is cheaper)")
    ax.set_ylabel("max drawdown (higher is shallower)")
    ax.set_title("Hedge spend against max drawdown, every combination and strategy")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return _png(fig)
