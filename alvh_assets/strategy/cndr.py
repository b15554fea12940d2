"""The Cboe CNDR rules as a reference condor book (methodology §4 item 5, "Cboe CNDR rules").

Cboe's CNDR index (the SPX iron condor index) holds one condor at a time:

* **Series**: the SPX *monthly* expiry (root ``SPX``, AM-settled, the third Friday or the
  session before it when that Friday is a holiday, :func:`calendars.spx_monthly_expiration`).
  When the book is flat it sells the condor of the nearest monthly expiry that settles
  *after* today: on a settlement session (the held condor has just settled at the SPX
  opening value) that is the NEXT month's expiry, which is Cboe's roll; on the account's
  first session it is the series the index holds at that time (joining the index mid-cycle).
* **Strikes** (§4.5: "sell the ~20-delta put and call and buy the ~5-delta put and call"):
  among the quoted OTM strikes of that expiry with a delta, the put and the call whose
  ``|delta|`` is nearest ``cndr.short_delta`` (0.20) are sold and the put (below the short
  put) and the call (above the short call) whose ``|delta|`` is nearest ``cndr.long_delta``
  (0.05) are bought.
* **Holding**: to settlement. No roll, no profit take, no stop, no DTE exit, no event-window
  pause and no distorted-fundamentals adjustment; the engine's settlement step
  (:func:`book.settlement_value`) cash-settles the legs and the same session re-enters.
* **Account**: the money-market account at the short rate (the engine pays the same interest
  on cash as for every strategy); no hedge.
* **Size** (§4.5, "sized so that the condors' max loss is the same risk budget share of NAV
  as the house condor"): ``floor(condor.risk_budget_pct × NAV / ((wider wing − credit) ×
  100))`` with NAV at the day's mids before the entry — the house condor's rule and
  parameter (:func:`condor.contracts_for`), capped by the same solvency rule
  (:func:`condor.solvent_contracts`). Cboe's index instead holds one condor per index unit
  with the collateral in T-bills; scaling by the risk budget keeps both books' max loss the
  same share of NAV, so their results compare like for like.

Same fills model, accounting and solvency rule as every strategy (:mod:`.book`,
:mod:`.engine`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from alvh_assets.calendars import spx_monthly_expiration
from alvh_assets.config import AlvhConfig, CndrConfig
from alvh_assets.pricing.expiry_time import time_to_expiry
from alvh_assets.strategy.book import Ledger, Position
from alvh_assets.strategy.condor import (
    CondorPick,
    _evaluate,
    _side_frame,
    open_condor,
)
from alvh_assets.strategy.gates import OPEN, CondorGates
from alvh_assets.strategy.market import MarketDay

ROOT = "SPX"


def is_monthly(expiration: dt.date) -> bool:
    """True for an SPX monthly (AM-settled) expiration date."""
    return expiration == spx_monthly_expiration(expiration.year, expiration.month)


def cndr_expiry(chain: pl.DataFrame, day: dt.date) -> dt.date | None:
    """The nearest ``SPX`` monthly expiry quoted on ``chain`` that settles after ``day``."""
    dates = (
        chain.filter(pl.col("root") == ROOT, pl.col("expiration") > day)["expiration"]
        .unique()
        .sort()
        .to_list()
    )
    return next((e for e in dates if is_monthly(e)), None)


def _nearest(side: pl.DataFrame, target: float, mask: np.ndarray) -> int | None:
    """Index in ``side`` of the row with ``|delta|`` nearest ``target`` among ``mask``."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return None
    deltas = np.abs(side["delta"].to_numpy()[idx])
    return int(idx[int(np.argmin(np.abs(deltas - target)))])


def _side(
    side: pl.DataFrame, option_type: str, forward: float, cfg: CndrConfig
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(short, long) rows of one side: the OTM strike nearest ``short_delta``, and beyond it
    the strike nearest ``long_delta``."""
    strikes = side["strike"].to_numpy()
    otm = strikes < forward if option_type == "P" else strikes > forward
    short = _nearest(side, cfg.short_delta, otm)
    if short is None:
        return None
    beyond = strikes < strikes[short] if option_type == "P" else strikes > strikes[short]
    wing = _nearest(side, cfg.long_delta, beyond)
    if wing is None:
        return None
    rows = side.to_dicts()
    return rows[short], rows[wing]


def select_cndr(chain: pl.DataFrame, day: dt.date, cfg: CndrConfig) -> CondorPick | str:
    """The CNDR condor of the day (module docstring), or the reason there is none."""
    expiration = cndr_expiry(chain, day)
    if expiration is None:
        return f"no SPX monthly expiry after {day} on the chain"
    puts = _side_frame(chain, ROOT, expiration, "P")
    calls = _side_frame(chain, ROOT, expiration, "C")
    fwd = pl.concat([puts, calls])["forward"].drop_nulls()
    if fwd.is_empty():
        return f"no forward for {ROOT} {expiration}"
    forward = float(fwd.median())
    put_side = _side(puts, "P", forward, cfg)
    call_side = _side(calls, "C", forward, cfg)
    if put_side is None or call_side is None:
        return f"no quoted 20/5-delta strikes on {ROOT} {expiration}"
    legs = {
        "short_put": put_side[0],
        "long_put": put_side[1],
        "short_call": call_side[0],
        "long_call": call_side[1],
    }
    t = time_to_expiry(day, expiration, ROOT)  # > 0: the expiry settles after today
    if not t > 0:
        return f"{ROOT} {expiration} has settled by {day}"
    credit, be_low, be_high, pop = _evaluate(puts, calls, legs, forward, t)
    if credit <= 0:
        return f"no credit on the 20/5-delta condor of {ROOT} {expiration}"
    return CondorPick(ROOT, expiration, legs, forward, pop, credit, be_low, be_high, 0)


def manage_cndr(
    positions: list[Position],
    day: MarketDay,
    ledger: Ledger,
    cfg: AlvhConfig,
    nav: float,
    gates: CondorGates = OPEN,
) -> list[Position]:
    """One session of the CNDR book: hold the open condor to settlement; when flat, sell the
    condor of the next monthly expiry (:func:`select_cndr`) sized on ``nav`` (the NAV at the
    day's mids before the entry) like the house condor. Returns the open positions. (No
    hedge, so ``gates`` is always :data:`gates.OPEN`; a blocked day enters nothing.)"""
    if gates.block_new_risk or any(p.kind == "condor" for p in positions):
        return positions
    pick = select_cndr(day.chain, day.date, cfg.cndr)
    if isinstance(pick, str):
        return positions
    deltas = (
        f"|delta| {abs(pick.legs['short_put']['delta']):.3f}/"
        f"{abs(pick.legs['long_put']['delta']):.3f} put, "
        f"{abs(pick.legs['short_call']['delta']):.3f}/"
        f"{abs(pick.legs['long_call']['delta']):.3f} call"
    )
    reason = f"entry: CNDR {ROOT} {pick.expiration:%Y-%m-%d} {deltas}"
    return positions + open_condor(pick, day, ledger, cfg.condor, nav, reason)
