"""Walk-forward windows and selection (:mod:`alvh_assets.research.walkforward`) on
synthetic NAV series: rolling windows in sessions and years, the argmax, and no look-ahead
(changing every NAV after an in-sample window leaves its choice unchanged)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from alvh_assets.calendars import trading_days
from alvh_assets.research import walkforward as wf
from alvh_assets.research.grid import combinations, parse_axis
from alvh_assets.research.significance import ALVH

SESSIONS = trading_days(dt.date(2010, 1, 4), dt.date(2010, 3, 31))
BASE = ["sample_start=2010-01-04", "sample_end=2010-03-31"]


def test_windows_in_sessions_roll_by_the_out_of_sample_length() -> None:
    w = wf.windows(SESSIONS[:23], in_sessions=10, out_sessions=5)
    assert [(x.in_slice, x.out_slice) for x in w] == [
        ((0, 9), (10, 14)),
        ((5, 14), (15, 19)),
        ((10, 19), (20, 22)),  # a shorter last out-of-sample window (3 sessions) is kept
    ]
    assert w[1].in_start == SESSIONS[5] and w[1].out_end == SESSIONS[19]


def test_windows_in_years_use_calendar_time() -> None:
    days = trading_days(dt.date(2006, 1, 3), dt.date(2010, 12, 31))
    w = wf.windows(days, in_years=3, out_years=1)
    assert len(w) == 2
    # 3 × 365.25 days after 2006-01-03 is 2009-01-03 (excluded), then one year out,
    # the second pair one year later: the out-of-sample windows tile the range
    assert (w[0].in_start, w[0].in_end) == (dt.date(2006, 1, 3), dt.date(2009, 1, 2))
    assert (w[0].out_start, w[0].out_end) == (dt.date(2009, 1, 5), dt.date(2009, 12, 31))
    assert w[1].in_start == dt.date(2007, 1, 3) and w[1].out_start == dt.date(2010, 1, 4)
    assert w[1].out_end == dt.date(2010, 12, 31)


def test_windows_that_do_not_fit_are_one_clear_error() -> None:
    with pytest.raises(wf.WalkForwardError, match="no in-sample window"):
        wf.windows(SESSIONS[:6], in_sessions=5, out_sessions=5)
    with pytest.raises(wf.WalkForwardError, match="not both"):
        wf.windows(SESSIONS, in_sessions=5, out_sessions=5, in_years=1.0)


def test_choose_takes_the_highest_defined_value_lowest_number_on_ties() -> None:
    assert wf.choose({0: 1.0, 1: 2.0, 2: 2.0, 3: None}) == 1
    assert wf.choose({0: None, 1: float("nan")}) is None


def _account(nav: np.ndarray) -> pl.DataFrame:
    n = len(nav)
    return pl.DataFrame(
        {
            "strategy": [ALVH] * n,
            "date": SESSIONS[:n],
            "nav": nav,
            "rate": [0.01] * n,
        }
    )


def test_the_choice_uses_only_in_sample_sessions() -> None:
    axes = [parse_axis("condor.pop_target=0.70,0.75,0.80")]
    combos = combinations(axes, None, BASE)
    rng = np.random.default_rng(3)
    navs = {c.index: 1e6 * np.cumprod(1 + rng.normal(0.001, 0.01, 30)) for c in combos}
    wins = wf.windows(SESSIONS[:30], in_sessions=10, out_sessions=10)
    table = wf.walk_forward_table(
        "t", axes, combos, {i: _account(v) for i, v in navs.items()}, wins, "sharpe", 252
    )
    chosen = dict(table.select("window_number", "chosen_combination").rows())
    # by hand: the daily Sharpe of window 0's sessions 0..9
    x = {i: wf.series_of(_account(v), 1e6)[ALVH] for i, v in navs.items()}
    sharpe = {
        i: np.mean((s.r - s.rf)[:10]) / np.std((s.r - s.rf)[:10], ddof=1) for i, s in x.items()
    }
    assert chosen[0] == max(sharpe, key=sharpe.get)
    # everything after window 0's in-sample sessions rewritten: window 0's choice stands
    changed = {
        i: np.concatenate((v[:10], v[10:] * (1 + 0.5 * i) ** np.arange(1, 21)))
        for i, v in navs.items()
    }
    again = wf.walk_forward_table(
        "t", axes, combos, {i: _account(v) for i, v in changed.items()}, wins, "sharpe", 252
    )
    row = again.filter(pl.col("window_number") == 0).row(0, named=True)
    assert row["chosen_combination"] == chosen[0]
    assert row["in_sample_value"] == pytest.approx(
        table.filter(pl.col("window_number") == 0)["in_sample_value"][0], rel=1e-12
    )
    assert row["condor__pop_target"] == combos[chosen[0]].params(axes)["condor__pop_target"]
