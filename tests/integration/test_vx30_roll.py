"""The 30-day constant-maturity VX and its MACD through the real dbt models (methodology §3,
"Signals that move tranches": MACD "on the 30-day constant-maturity VX (not the raw front
contract, whose roll jumps fake crosses)").

fct_indicators_daily is a dbt Python model, which dbt unit tests cannot cover, so this test
runs ``dbt run`` on a small constructed warehouse: 90 sessions from 2008-01-02 whose VX curve
is a straight line in days to expiry, ``settle = L_t + 0.1 · dte`` with a level
``L_t = 30 − 0.002 · i²`` (session i) falling ever faster, contracts expiring every 28 days
from 2008-01-16. Then

* vx30 = L_t + 0.1 · 30 = L_t + 3 exactly (linear interpolation of a linear curve), a
  smooth, accelerating decline: its MACD line stays below its signal, no cross at all;
* the raw front contract decays to L_t + 0.1 · 1 before each expiry and jumps to the next
  contract's L_t + 0.1 · 28 on the expiry day (2008-03-12, 2008-04-09): its MACD crosses up
  on 2008-03-13 and 2008-04-10, fake crosses made by the roll alone (and the reverse crosses
  a week later).

Weekly contracts (``is_weekly``) expiring 7 days after each monthly sit 5 points off the line:
the exact values below hold only because weeklies never enter VX1…VX8 or vx30."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from tests.integration.dbt_on_raw import read_tables, run_dbt, write_raw

pytestmark = pytest.mark.slow

N_SESSIONS = 90
FIRST_EXPIRY = dt.date(2008, 1, 16)


def _sessions() -> list[dt.date]:
    days, d = [], dt.date(2008, 1, 2)
    while len(days) < N_SESSIONS:
        if d.weekday() < 5:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def _level(i: int) -> float:
    return 30.0 - 0.002 * i * i


def _write_raw(db: Path) -> None:
    days = _sessions()
    expiries = [FIRST_EXPIRY + dt.timedelta(days=28 * k) for k in range(8)]
    index = pl.DataFrame(
        [(s, d, 1300.0 + i, 1300.0 + i) for i, d in enumerate(days) for s in ("SPX", "VIX")],
        schema={"symbol": pl.Utf8, "date": pl.Date, "open": pl.Float64, "close": pl.Float64},
        orient="row",
    ).with_columns(high=pl.col("close"), low=pl.col("close"))
    weeklies = [e + dt.timedelta(days=7) for e in expiries]
    vx = pl.DataFrame(
        [
            (d, f"VX {e}", e, weekly, _level(i) + 0.1 * (e - d).days + 5.0 * weekly, 1000, 100)
            for i, d in enumerate(days)
            for e, weekly in [*((e, False) for e in expiries), *((w, True) for w in weeklies)]
            if e >= d  # the expiring contract has its final settle on its expiry day
        ],
        schema={
            "trade_date": pl.Date,
            "contract": pl.Utf8,
            "contract_expiration": pl.Date,
            "is_weekly": pl.Boolean,
            "settle": pl.Float64,
            "open_interest": pl.Int64,
            "total_volume": pl.Int64,
        },
        orient="row",
    )
    breadth = pl.DataFrame(
        {"date": days, "total_issues": 3000, "advances": 1600, "declines": 1300, "unchanged": 100}
    )
    write_raw(
        db, {"cboe_index_daily": index, "cfe_vx_settlements": vx, "nyse_breadth_daily": breadth}
    )


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    tmp = tmp_path_factory.mktemp("vx30")
    db = tmp / "alvh.duckdb"
    _write_raw(db)
    run_dbt(db, tmp / "target", "+fct_indicators_daily", "+fct_vix_term_structure_daily")
    tables = read_tables(db, "marts.fct_indicators_daily", "marts.fct_vix_term_structure_daily")
    return {name.split(".")[1]: frame for name, frame in tables.items()}


def test_vx30_is_the_30_day_point_of_the_curve_with_no_roll_jump(marts) -> None:
    ts = marts["fct_vix_term_structure_daily"]
    assert ts.height == N_SESSIONS
    expected = [_level(i) + 3.0 for i in range(N_SESSIONS)]
    assert ts["vx30"].to_list() == pytest.approx(expected, abs=1e-9)
    assert not ts["vx30_beyond_curve"].any()
    # the raw front contract jumps on the expiry day 2008-03-12: 03-11 holds March (1 day to
    # expiry), 03-12 April (28 days)
    i = ts["date"].to_list().index(dt.date(2008, 3, 12))
    assert ts["vx1_settle"][i - 1] == pytest.approx(_level(i - 1) + 0.1, abs=1e-12)
    assert ts["vx1_settle"][i] == pytest.approx(_level(i) + 2.8, abs=1e-12)
    assert ts["vx30"][i] - ts["vx30"][i - 1] == pytest.approx(_level(i) - _level(i - 1))


def test_the_roll_makes_the_front_macd_cross_but_not_the_vx30_macd(marts) -> None:
    ind = marts["fct_indicators_daily"]
    crosses_up = ind.filter(pl.col("vx1_macd_cross") == 1)["date"].to_list()
    assert crosses_up == [dt.date(2008, 3, 13), dt.date(2008, 4, 10)]
    assert ind.filter(pl.col("vx1_rolled"))["date"].to_list() == [
        dt.date(2008, 1, 16),
        dt.date(2008, 2, 13),
        dt.date(2008, 3, 12),
        dt.date(2008, 4, 9),
    ]  # the 90th session is 2008-05-06
    warm = ind.filter(pl.col("vx30_macd_cross").is_not_null())
    assert warm.height == N_SESSIONS - 33  # MACD(12,26,9) is warm from the 34th session
    assert (warm["vx30_macd_cross"] == 0).all()
    assert (warm["vx30_macd_hist"] < -0.05).all()  # the line stays clearly below its signal
    assert ind["vx30"].to_list() == pytest.approx(
        [_level(i) + 3.0 for i in range(N_SESSIONS)], abs=1e-9
    )
