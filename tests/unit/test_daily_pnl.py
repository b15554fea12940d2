"""The daily P&L attribution on a hand-worked three-day book (one short put).

Day 1 sells it (costs only), day 2 marks it (theta, vega, delta/gamma, interest), day 3 buys
it back in a roll (market move at the fill's mid, costs). The roll's opportunity cost (80 USD
on the fill) is a memo: no component holds it (methodology §2, "Opportunity cost of a roll …
memo")."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from alvh_assets.attribution.daily_pnl import daily_pnl
from alvh_assets.attribution.schema import COMPONENTS
from alvh_assets.strategy.store import ACCOUNT, FILLS, POSITIONS

D1, D2, D3 = dt.date(2020, 1, 2), dt.date(2020, 1, 3), dt.date(2020, 1, 6)
CAPITAL = 1000.0


def _frame(rows: list[dict], schema: dict) -> pl.DataFrame:
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema)


def _position(date: dt.date, mid: float, iv: float, theta: float, vega: float) -> dict:
    return {
        "strategy": "unhedged", "date": date, "position_id": "20200102-001", "kind": "condor",
        "leg": "short_put", "quantity": -1, "mid": mid, "mark_value": -100.0 * mid, "iv": iv,
        "theta_usd_1day": theta, "vega_usd_1vol": vega,
    }  # fmt: skip


def _fill(date: dt.date, qty: int, price: float, mid: float, iv: float, opp: float) -> dict:
    fees = 0.65 + 0.66
    return {
        "strategy": "unhedged", "date": date, "fill_id": f"{date:%Y%m%d}-001",
        "position_id": "20200102-001", "kind": "condor", "quantity": qty, "price": price,
        "mid": mid, "commission": 0.65, "exchange_fees": 0.66,
        "slippage": abs(price - mid) * 100.0, "opportunity_cost": opp, "iv": iv,
        "cash_flow": -qty * price * 100.0 - fees,
    }  # fmt: skip


@pytest.fixture
def book() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    sell = _fill(D1, -1, 1.9, 2.0, 0.20, 0.0)  # cash +190 - 1.31 = 188.69
    buy = _fill(D3, 1, 3.1, 3.0, 0.25, 80.0)  # cash -310 - 1.31 = -311.31
    cash1 = CAPITAL + 188.69
    cash2 = cash1 + 0.10  # interest on day 2
    cash3 = cash2 + 0.30 - 311.31
    account = _frame(
        [
            {
                "strategy": "unhedged",
                "date": D1,
                "cash": cash1,
                "interest": 0.0,
                "nav": cash1 - 200.0,
            },
            {
                "strategy": "unhedged",
                "date": D2,
                "cash": cash2,
                "interest": 0.10,
                "nav": cash2 - 250.0,
            },
            {"strategy": "unhedged", "date": D3, "cash": cash3, "interest": 0.30, "nav": cash3},
        ],
        ACCOUNT,
    )
    positions = _frame(
        [_position(D1, 2.0, 0.20, 5.0, -10.0), _position(D2, 2.5, 0.22, 4.0, -9.0)], POSITIONS
    )
    return account, positions, _frame([sell, buy], FILLS)


def _amounts(frame: pl.DataFrame, day: dt.date) -> dict[str, float]:
    rows = frame.filter(pl.col("date") == day)
    return dict(zip(rows["component"], rows["amount"], strict=True))


def test_components_by_hand(book) -> None:
    out = daily_pnl(*book, (D1, D3), CAPITAL)
    d1, d2, d3 = (_amounts(out, d) for d in (D1, D2, D3))
    # day 1: selling at 1.90 against a 2.00 mid costs 10 of slippage and 1.31 of fees
    assert d1["commissions"] == pytest.approx(-0.65)
    assert d1["exchange_fees"] == pytest.approx(-0.66)
    assert d1["slippage"] == pytest.approx(-10.0)
    assert d1["condor_theta"] == 0 and d1["condor_vega"] == 0
    assert d1["condor_delta_gamma"] == pytest.approx(0.0, abs=1e-9)
    # day 2 (1 calendar day): mark -200 -> -250; theta 5 x 1; vega -10 x (0.22 - 0.20) x 100
    assert d2["condor_theta"] == pytest.approx(5.0)
    assert d2["condor_vega"] == pytest.approx(-20.0)
    assert d2["condor_delta_gamma"] == pytest.approx(-50.0 - 5.0 + 20.0)
    assert d2["interest"] == pytest.approx(0.10)
    # day 3 (3 calendar days): bought back at mid 3.00 (+0.10 slippage);
    # market = -1 x 100 x (3.0 - 2.5)
    assert d3["condor_theta"] == pytest.approx(4.0 * 3)
    assert d3["condor_vega"] == pytest.approx(-9.0 * (0.25 - 0.22) * 100)
    # delta/gamma is the true rest of the market P&L, -50 - 12 + 27 = -35, with the sign of
    # the condor's loss (the 80 USD of time value given up is not added back)
    assert "opportunity_cost" not in d3
    assert d3["condor_delta_gamma"] == pytest.approx(-50.0 - 12.0 + 27.0)
    assert d3["slippage"] == pytest.approx(-10.0)
    for d in (d1, d2, d3):
        assert d["residual"] == pytest.approx(0.0, abs=1e-9)
        assert all(c in COMPONENTS for c in d)  # no memo row among the components
    nav = book[0]["nav"].to_list()
    changes = [nav[0] - CAPITAL, nav[1] - nav[0], nav[2] - nav[1]]
    for d, change in zip((d1, d2, d3), changes, strict=True):
        assert sum(d.values()) == pytest.approx(change, abs=1e-9)


def test_a_missing_cash_flow_shows_in_the_residual(book) -> None:
    account, positions, fills = book
    fills = fills.with_columns(
        pl.col("cash_flow") + pl.when(pl.col("date") == D3).then(5.0).otherwise(0.0)
    )
    d3 = _amounts(daily_pnl(account, positions, fills, (D1, D3), CAPITAL), D3)
    assert d3["residual"] == pytest.approx(-5.0)


def test_a_window_continues_from_the_session_before(book) -> None:
    whole = daily_pnl(*book, (D1, D3), CAPITAL).filter(pl.col("date") == D3)
    account, positions, fills = book
    part = daily_pnl(account, positions, fills.filter(pl.col("date") == D3), (D3, D3), CAPITAL)
    assert part.equals(whole)
