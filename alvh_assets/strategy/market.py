"""The market a strategy sees on one trading day, read from the warehouse.

A :class:`MarketDay` holds only what was published by the close of its date (no look-ahead):

* ``chain``: every option row of the day, the 15:45 bid/ask of ``raw.cboe_option_eod`` (the
  Cboe snapshot aligned with the index level, the usual backtest convention) with the IV,
  Black-76 Greeks and forward of ``pricing.option_greeks`` computed from that snapshot;
* SPX and VIX open/close of ``raw.cboe_index_daily`` (the settlement values of expiring
  options: SPX/VIX AM series settle on the opening value of their expiry day, SPXW PM series
  on its close);
* ``signals``: the day's row of the marts (regime, indicators, valuation, macro events).

:func:`load_market` reads a window in chunks of sessions (bounded memory on long backfills)
and yields one :class:`MarketDay` per NYSE session, also for sessions without rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from alvh_assets import warehouse as wh
from alvh_assets.calendars import trading_days

OptionKey = tuple[str, dt.date, float, str]
"""(root, expiration, strike, option_type) of one listed option."""

CHAIN_SCHEMA: dict[str, pl.DataType] = {
    "root": pl.Utf8(),
    "expiration": pl.Date(),
    "strike": pl.Float64(),
    "option_type": pl.Utf8(),
    "bid": pl.Float64(),
    "ask": pl.Float64(),
    "iv": pl.Float64(),
    "delta": pl.Float64(),
    "gamma": pl.Float64(),
    "vega": pl.Float64(),
    "theta": pl.Float64(),
    "forward": pl.Float64(),
    "underlying_price": pl.Float64(),
    "spot_delta": pl.Float64(),
    "spot_gamma": pl.Float64(),
}

SIGNAL_COLUMNS = (
    "regime",
    "neutral_to_bullish",
    "distorted_fundamentals",
    "vix_rsi_ad_distortion",
    "ad_divergence_with_steepening",
    "event_window",
    "rv20",
    "erp_proxy",
    "pe",
    "pcf",
    "vix_macd_cross",
    "vx1_macd_cross",
    "vx1_macd_hist",
    "vx30_macd_cross",
    "vx30_macd_hist",
    "range_bound",
)
"""Mart columns a strategy reads (``fct_regime_daily``, ``fct_indicators_daily``,
``fct_valuation_daily``, ``fct_macro_events_daily``)."""

CHUNK_SESSIONS = 63
"""Sessions read per query (about a quarter, ~300k option rows)."""


@dataclass
class MarketDay:
    """One session's quotes, index levels, short rate and signals."""

    date: dt.date
    chain: pl.DataFrame
    spx_open: float | None = None
    spx_close: float | None = None
    vix_open: float | None = None
    vix_close: float | None = None
    vx_final_settlement: float | None = None
    rate: float | None = None
    signals: dict[str, Any] = field(default_factory=dict)
    _index: dict[OptionKey, int] | None = field(default=None, repr=False)
    _rows: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)

    def quote(self, key: OptionKey) -> dict[str, Any] | None:
        """The chain row of ``key`` (None when the option has no row today); the key index
        is built once per day from the key columns, a row only when it is asked for."""
        if self._index is None:
            c = self.chain
            keys = zip(
                c["root"].to_list(),
                c["expiration"].to_list(),
                c["strike"].to_list(),
                c["option_type"].to_list(),
                strict=True,
            )
            self._index = {k: i for i, k in enumerate(keys)}
        i = self._index.get(key)
        if i is None:
            return None
        if i not in self._rows:
            self._rows[i] = self.chain.row(i, named=True)
        return self._rows[i]

    def signal(self, name: str) -> Any:
        """A mart value of the day (None when missing)."""
        return self.signals.get(name)


def empty_chain() -> pl.DataFrame:
    """A chain with no rows and the :data:`CHAIN_SCHEMA` columns."""
    return pl.DataFrame(schema=CHAIN_SCHEMA)


def _chain_sql() -> str:
    cols = ", ".join(f"g.{c}" for c in ("iv", "delta", "gamma", "vega", "theta", "forward"))
    return (
        "SELECT o.quote_date, o.root, o.expiration, o.strike, o.option_type, "
        "o.bid_1545 AS bid, o.ask_1545 AS ask, "
        f"{cols}, g.underlying_price, g.spot_delta, g.spot_gamma, g.rate "
        "FROM raw.cboe_option_eod o LEFT JOIN pricing.option_greeks g "
        "USING (quote_date, root, expiration, strike, option_type) "
        "WHERE o.quote_date BETWEEN ? AND ?"
    )


_SIGNALS_SQL = """
-- pe is the P/E on peak earnings (methodology §3 "no new layers", seed 003: price / the
-- highest trailing 12-month earnings of the past 10 years), not the trailing P/E;
-- erp_proxy is the excess CAPE yield 1/CAPE - (10-year yield - 12-month CPI inflation)
SELECT r.date, r.regime, r.neutral_to_bullish, r.distorted_fundamentals,
       r.vix_rsi_ad_distortion, r.ad_divergence_with_steepening, r.event_window, r.rv20,
       r.erp_proxy, r.peak_earnings_pe AS pe, v.pcf, i.vix_macd_cross, i.vx1_macd_cross,
       i.vx1_macd_hist, i.vx30_macd_cross, i.vx30_macd_hist, m.range_bound
FROM marts.fct_regime_daily r
LEFT JOIN marts.fct_indicators_daily i USING (date)
LEFT JOIN marts.fct_valuation_daily v USING (date)
LEFT JOIN marts.fct_macro_events_daily m USING (date)
WHERE r.date BETWEEN ? AND ?
"""

_INDEX_SQL = """
SELECT date, symbol, open, close FROM raw.cboe_index_daily
WHERE symbol IN ('SPX', 'VIX') AND date BETWEEN ? AND ?
"""


_VX_FINAL_SQL = """
SELECT trade_date, settle FROM raw.cfe_vx_settlements
WHERE trade_date = contract_expiration AND settle IS NOT NULL AND trade_date BETWEEN ? AND ?
"""
"""The VX final settlement prices (the VRO) of the contracts expiring in a chunk."""


@dataclass(frozen=True)
class MarketFrames:
    """The warehouse rows a span of sessions is built from (:func:`read_market`): the option
    chains with their Greeks and rate, the marts' signals, SPX/VIX open/close and the VX
    final settlements. Plain frames, so a research sweep reads them once and hands them to
    its worker processes."""

    chains: pl.DataFrame
    signals: pl.DataFrame
    index: pl.DataFrame
    vro: pl.DataFrame


def read_market(con: duckdb.DuckDBPyConnection, lo: dt.date, hi: dt.date) -> MarketFrames:
    """The :class:`MarketFrames` of the sessions ``[lo, hi]``."""
    return MarketFrames(
        chains=wh.read_frame(con, _chain_sql(), [lo, hi]),
        signals=wh.read_frame(con, _SIGNALS_SQL, [lo, hi]),
        index=wh.read_frame(con, _INDEX_SQL, [lo, hi]),
        vro=wh.read_frame(con, _VX_FINAL_SQL, [lo, hi]),
    )


def market_days(frames: MarketFrames, days: list[dt.date]) -> Iterator[MarketDay]:
    """One :class:`MarketDay` per session of ``days`` (in order) from ``frames``."""
    chains = frames.chains
    by_day = {k[0]: g for k, g in chains.partition_by("quote_date", as_dict=True).items()}
    signals = {r["date"]: r for r in frames.signals.iter_rows(named=True)}
    index: dict[tuple[dt.date, str], tuple[float | None, float | None]] = {
        (d, s): (o, c) for d, s, o, c in frames.index.iter_rows()
    }
    vro = dict(frames.vro.iter_rows())
    for day in days:
        chain = by_day.get(day)
        rate = None
        if chain is not None and chain.height:
            rates = chain["rate"].drop_nulls()
            rate = float(rates.median()) if rates.len() else None
            chain = chain.select(list(CHAIN_SCHEMA)).cast(CHAIN_SCHEMA)
        spx = index.get((day, "SPX"), (None, None))
        vix = index.get((day, "VIX"), (None, None))
        yield MarketDay(
            date=day,
            chain=chain if chain is not None else empty_chain(),
            spx_open=spx[0],
            spx_close=spx[1],
            vix_open=vix[0],
            vix_close=vix[1],
            vx_final_settlement=vro.get(day),
            rate=rate,
            signals=signals.get(day, {}),
        )


def load_market(
    con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date
) -> Iterator[MarketDay]:
    """One :class:`MarketDay` per NYSE session of ``[start, end]``, read chunk by chunk.

    Every query is bounded by the chunk's last session, so nothing published after a day
    reaches it."""
    days = trading_days(start, end)
    for i in range(0, len(days), CHUNK_SESSIONS):
        part = days[i : i + CHUNK_SESSIONS]
        yield from market_days(read_market(con, part[0], part[-1]), part)
