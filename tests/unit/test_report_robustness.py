"""The robustness section's data shaping, on hand-worked points: the heatmap grid (other
parameters held at the default, else at ALVH's best; the default cell), the Pareto
frontier of hedge spend against max drawdown, the latest sweep, and the section's line when
the warehouse has no sweep."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import polars as pl
import pytest

from alvh_assets import warehouse as wh
from alvh_assets.config import load_config
from alvh_assets.report import robustness as rb
from alvh_assets.report.build import robustness_section
from alvh_assets.research import sweep as sw
from alvh_assets.research.grid import parse_axis

A, B, C = "condor__pop_target", "hedge__valuation_budget_max", "condor__profit_take_pct"


def _runs() -> pl.DataFrame:
    """A 2 × 3 × 2 grid: ALVH's Sharpe = a + b + c, the unhedged book's the negative; the
    combination a = 0.80, b = 0.20, c = 0.5 is missing."""
    rows = []
    grid = itertools.product((0.70, 0.80), (0.20, 0.24, 0.28), (0.5, 0.4))
    for i, (a, b, c) in enumerate(grid):
        if (a, b, c) == (0.80, 0.20, 0.5):
            continue
        for s, sign in (("alvh_442", 1.0), ("unhedged", -1.0)):
            rows.append(
                {"combination": i, "strategy": s, A: a, B: b, C: c, "sharpe": sign * (a + b + c)}
            )
    return pl.DataFrame(rows)


def test_the_heatmap_holds_the_other_parameter_at_its_default_and_marks_the_default() -> None:
    h = rb.heatmap_grid(_runs(), "sharpe", A, B, [A, B, C], {A: 0.70, B: 0.24, C: 0.5})
    assert (h.x_values, h.y_values, h.held) == ([0.70, 0.80], [0.20, 0.24, 0.28], {C: 0.5})
    expected = [[0.70 + b + 0.5, None if b == 0.20 else 0.80 + b + 0.5] for b in h.y_values]
    assert h.values == [
        [pytest.approx(v) if v is not None else None for v in row] for row in expected
    ]
    assert h.default == (1, 0)  # row b = 0.24, column a = 0.70


def test_without_the_default_on_the_grid_the_slice_is_alvhs_best() -> None:
    # c's default (0.6) is not on the grid: c is held at the best combination's 0.5, and no
    # cell is marked when a plotted parameter's default is off the grid
    h = rb.heatmap_grid(_runs(), "sharpe", A, B, [A, B, C], {A: 0.75, B: 0.24, C: 0.6})
    assert h.held == {C: 0.5} and h.default is None
    one = rb.heatmap_grid(_runs(), "sharpe", B, None, [A, B, C], {A: 0.80, B: 0.28, C: 0.4})
    assert one.held == {A: 0.80, C: 0.4} and one.y_values == [None]
    assert one.values == [[pytest.approx(0.80 + b + 0.4) for b in (0.20, 0.24, 0.28)]]
    assert one.default == (0, 2)


def test_the_pareto_frontier_of_hand_worked_points() -> None:
    points = pl.DataFrame(
        {
            "name": ["A", "B", "C", "D", "E", "F", "G", "H"],
            rb.SPEND: [0.00, 0.02, 0.03, 0.05, 0.05, 0.08, None, 0.02],
            rb.DRAWDOWN: [-0.30, -0.20, -0.25, -0.10, -0.12, -0.10, -0.05, -0.20],
        }
    )
    # A cheapest; B and its twin H beat C; D beats E (same spend, shallower) and F (same
    # drawdown, cheaper); G has no spend and is never on it
    on = dict(zip(points["name"], rb.pareto_frontier(points), strict=True))
    assert [n for n, v in on.items() if v] == ["A", "B", "D", "H"]


def test_frontier_points_are_every_combination_and_strategy_cheapest_first() -> None:
    runs = pl.DataFrame(
        {
            "combination": [0, 0, 1, 1],
            "strategy": ["alvh_442", "unhedged", "alvh_442", "unhedged"],
            rb.SPEND: [0.04, 0.0, 0.02, 0.0],
            rb.DRAWDOWN: [-0.10, -0.30, -0.12, -0.28],
        }
    )
    out = rb.frontier_points(runs)
    assert out.select("combination", "strategy", "on_frontier").rows() == [
        (0, "unhedged", False),
        (1, "unhedged", True),
        (1, "alvh_442", True),
        (0, "alvh_442", True),
    ]


def _sweep(con, sweep_id: str, at: dt.datetime, pop: tuple[float, ...]) -> None:
    axes = [parse_axis(f"condor.pop_target={','.join(map(str, pop))}")]
    sw.ensure_tables(con, axes)
    runs = pl.DataFrame(
        [
            {"sweep_id": sweep_id, "combination": i, "config_hash": f"h{i}", "strategy": s,
             A: p, "sharpe": 1.0 + i, "max_drawdown": -0.1, "start_date": dt.date(2008, 10, 1),
             "end_date": dt.date(2008, 10, 31), "finished_at": at}
            for i, p in enumerate(pop)
            for s in ("alvh_442", "unhedged")
        ]
    )  # fmt: skip
    wh.insert(con, sw.RUNS, runs)


def test_the_latest_sweep_is_the_one_written_last(tmp_path: Path) -> None:
    with wh.connect(tmp_path / "w.duckdb") as con:
        assert rb.read_robustness(con, rb.SweepChoice()) is None  # no research tables
        _sweep(con, "z-old", dt.datetime(2026, 1, 1), (0.70, 0.75))
        _sweep(con, "a-new", dt.datetime(2026, 2, 1), (0.70, 0.75, 0.80))
        latest = rb.read_robustness(con, rb.SweepChoice(metrics=("sharpe",)))
        named = rb.read_robustness(con, rb.SweepChoice("z-old", metrics=("sharpe",)))
        with pytest.raises(ValueError, match="not a metric"):
            rb.read_robustness(con, rb.SweepChoice(metrics=(A,)))
        with pytest.raises(ValueError, match="does not vary hedge.ceiling_max"):
            rb.read_robustness(con, rb.SweepChoice(params=("hedge.ceiling_max", A)))
        with pytest.raises(ValueError, match="missing"):
            rb.read_robustness(con, rb.SweepChoice("missing"))
        # the defaults marked are the given config's
        cfg = load_config(None, {"condor.pop_target": 0.80, "condor.pop_max": 0.85})
        mine = rb.read_robustness(con, rb.SweepChoice(metrics=("sharpe",), config=cfg))
    assert latest is not None and named is not None
    assert (latest.view.sweep_id, latest.view.params) == ("a-new", [A])
    (h,) = latest.heatmaps
    assert h.x_values == [0.70, 0.75, 0.80] and h.default == (0, 1)  # the default 0.75
    assert named.view.sweep_id == "z-old" and named.heatmaps[0].values == [[1.0, 2.0]]
    assert mine is not None and mine.heatmaps[0].default == (0, 2)


def test_without_a_sweep_the_section_is_one_line() -> None:
    text = robustness_section(None, {})
    assert text.count("<p") == 1 and 'id="robustness-none"' in text and "alvh sweep" in text
