"""One home for the strategies: every strategy the backtest runs is one :class:`Strategy`
entry of :data:`REGISTRY` (methodology §4, "every backtest runs all of them on the same
data and the same condor book", and the reference strategies by published rules).

An entry names the strategy and carries its rules and how it is shown:

* ``condor``: its condor rule (:data:`CondorRule`): the house rules of §2
  (:func:`condor.house_condor`) or the Cboe CNDR rules of §4 item 5 (:func:`cndr.manage_cndr`);
* ``hedge``: its hedge rule (:data:`hedge_rules.HedgeRule`);
* ``hedge_buckets``: the hedge buckets it reports in ``attribution.daily_pnl``;
* ``gates``: what its hedge allows the condor book each day (:mod:`.gates`);
* ``tranches``: the ALVH tranche state it starts from (none for the others);
* ``label``, ``color``, ``description``: the report's name, colour and one-line rule;
* ``published``, ``published_note``, ``compared_with``: published figures quoted beside its
  results, why they differ, and the strategies it is set beside in the report (the CNDR
  reference beside the house condor).

The engine (:mod:`.engine`), the store (:mod:`.store`), the strategy tables' descriptions and
checks (:mod:`.assets`), the attribution (:mod:`alvh_assets.attribution.daily_pnl`) and the
report (:mod:`alvh_assets.report`) read this registry and nothing else: adding a strategy is
one entry here plus its rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alvh_assets.config import AlvhConfig
from alvh_assets.strategy.book import Ledger, Position
from alvh_assets.strategy.cndr import manage_cndr
from alvh_assets.strategy.condor import house_condor
from alvh_assets.strategy.gates import CondorGates, alvh_gates, no_gates
from alvh_assets.strategy.hedge_rules import (
    HedgeRule,
    alvh_hedge,
    no_hedge,
    single_layer_hedge,
    static_hedge,
)
from alvh_assets.strategy.hedges import Tranche, initial_tranches
from alvh_assets.strategy.market import MarketDay

if TYPE_CHECKING:
    from alvh_assets.strategy.engine import StrategyState

CondorRule = Callable[
    [list[Position], MarketDay, Ledger, AlvhConfig, float, CondorGates], list[Position]
]
"""``(positions, day, ledger, cfg, nav, gates) -> positions``: one session of a condor book
(exit, roll or entry), ``nav`` the account at the day's mids before the condor's trades,
``gates`` what its hedge allows (:mod:`.gates`)."""

GatesRule = Callable[["StrategyState", list[Position], MarketDay, AlvhConfig], CondorGates]
"""``(state, positions, day, cfg) -> gates``: the hedge's limits on the day's condor trades."""


def _no_tranches(cfg: AlvhConfig) -> dict[tuple[str, int], Tranche]:
    return {}


@dataclass(frozen=True)
class Published:
    """A published figure quoted beside a strategy's results."""

    figure: str
    value: str
    source: str


@dataclass(frozen=True)
class Strategy:
    """One strategy: its name, rules, and how the tables and the report show it."""

    name: str
    label: str
    color: str
    description: str
    condor: CondorRule
    hedge: HedgeRule
    hedge_buckets: tuple[str, ...] = ()
    gates: GatesRule = no_gates
    tranches: Callable[[AlvhConfig], dict[tuple[str, int], Tranche]] = _no_tranches
    published: tuple[Published, ...] = ()
    published_note: str = ""
    compared_with: tuple[str, ...] = ()


BLACK_SZADO = (
    "Black & Szado (2016), performance analysis of the Cboe option-selling indices, CNDR "
    "1986-2015 (methodology §4.5)"
)
CBOE_LEVELS = "Cboe CNDR index levels (methodology §4.5)"

CNDR_PUBLISHED = (
    Published("annualized return, 1986-2015", "about 7.1%", BLACK_SZADO),
    Published("annualized volatility, 1986-2015", "about 7.2%", BLACK_SZADO),
    Published("max drawdown, 1986-2015", "about -13.7%", BLACK_SZADO),
    Published("calendar 2008", "a loss of less than 4%", BLACK_SZADO),
    Published(
        "CNDR level, Jan 2010 -> Jan 2019", "771.31 -> 713.49, about -0.9% a year", CBOE_LEVELS
    ),
)
CNDR_NOTE = (
    "The published figures come from Cboe's index on real SPX quotes over other periods "
    "(1986-2015; 2010-2018), with the collateral in T-bills and one condor per index unit; "
    "this backtest runs the same 20/5-delta rules on the warehouse's chains (in the sample "
    "market, modelled quotes and spreads around the real SPX and VIX) over the range shown, "
    "sized on the house condor's risk budget and with the house fills model (a share of the "
    "half-spread paid on every leg, commissions and fees), so its numbers differ by period, "
    "by the chains' modelled prices and spreads, and by sizing."
)

REGISTRY: dict[str, Strategy] = {
    s.name: s
    for s in (
        Strategy(
            "unhedged",
            "Unhedged condor",
            "#7f7f7f",
            "house condor (methodology §2), no hedge (§4 item 1)",
            house_condor,
            no_hedge,
        ),
        Strategy(
            "single_layer_vix_call",
            "Single-layer VIX call",
            "#1f77b4",
            "house condor + one monthly layer of ~30-day 30-delta VIX calls sized by Cboe "
            "VXTH's rule (§4 item 2, seed 004)",
            house_condor,
            single_layer_hedge,
            ("single_layer",),
        ),
        Strategy(
            "static_permanent",
            "Static permanent put",
            "#2ca02c",
            "house condor + 12-month 10%-OTM SPX puts bought once a year at ALVH's base "
            "budget share, capped at delta-neutral (§4 item 3, seed 000)",
            house_condor,
            static_hedge,
            ("static",),
        ),
        Strategy(
            "alvh_442",
            "ALVH 4/4/2",
            "#d62728",
            "house condor + the layered VIX hedge ALVH 4/4/2 (§3)",
            house_condor,
            alvh_hedge,
            ("short_term", "medium_term", "long_dated", "calendar"),
            alvh_gates,
            initial_tranches,
        ),
        Strategy(
            "cboe_cndr",
            "Cboe CNDR rules",
            "#9467bd",
            "Cboe CNDR rules (§4 item 5): SPX monthly 20/5-delta condor held to settlement, "
            "money-market cash, no hedge",
            manage_cndr,
            no_hedge,
            published=CNDR_PUBLISHED,
            published_note=CNDR_NOTE,
            compared_with=("unhedged",),
        ),
    )
}
"""Every strategy of the backtest, in report order."""

STRATEGIES: tuple[str, ...] = tuple(REGISTRY)
"""The registered strategy names, in report order."""


def strategy(name: str) -> Strategy:
    """The registry entry of ``name`` (:class:`KeyError` naming the known ones)."""
    if name not in REGISTRY:
        raise KeyError(f"unknown strategy {name!r}; registered: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def names_sql() -> str:
    """The registered names as a SQL list literal: ``('unhedged', …)``."""
    return "(" + ", ".join(f"'{n}'" for n in REGISTRY) + ")"
