"""great_expectations suites as plain data, and a runner for polars frames.

An :class:`Expectation` names one GE expectation (class name + kwargs) and the frame it
runs on. GE 1.x is imported only inside :func:`run_suite` (importing it costs seconds);
its pandas path is used (GE's SQL path does not work on DuckDB). A frame too large for
pandas at once (twenty years of option rows) is given as :class:`Pieces` and validated piece
by piece.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl


@dataclass(frozen=True)
class Expectation:
    """One check: ``kind`` is a ``great_expectations.expectations`` class name.

    ``frame`` names the frame the expectation runs on (``"latest"``: the rows written by
    the latest run; ``"keys"``: the key columns of the whole table; or a derived frame).
    ``blocking``: a failure stops downstream assets (wrong numbers would follow).
    """

    name: str
    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    blocking: bool = True
    frame: str = "latest"


@dataclass(frozen=True)
class Pieces:
    """A frame read in pieces (``read()`` yields DataFrames). Only for row-wise expectations
    and for uniqueness of a key that contains the column the pieces are cut on (a key then
    never spans two pieces): an expectation passes when it passes on every piece."""

    read: Callable[[], Iterator[pl.DataFrame]]


Frame = pl.DataFrame | Pieces


@dataclass(frozen=True)
class Outcome:
    """Result of one expectation."""

    expectation: Expectation
    passed: bool
    element_count: int
    unexpected_count: int
    sample: str


def run_suite(frames: dict[str, Frame], expectations: Sequence[Expectation]) -> Iterable[Outcome]:
    """Validate the expectations of each frame with great_expectations (pandas engine), as
    one GE suite per frame (metrics shared between expectations); on :class:`Pieces`, counts
    add up over the pieces and the sample is the first failing piece's."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("alvh")
    outcomes: dict[str, Outcome] = {}
    for name, frame in frames.items():
        mine = {e.name: e for e in expectations if e.frame == name}
        if not mine:
            continue
        definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
        for piece in frame.read() if isinstance(frame, Pieces) else [frame]:
            suite = gx.ExpectationSuite(
                name=name,
                expectations=[
                    getattr(gx.expectations, e.kind)(**e.kwargs, meta={"alvh": e.name})
                    for e in mine.values()
                ],
            )
            batch = definition.get_batch(batch_parameters={"dataframe": piece.to_pandas()})
            for result in batch.validate(suite).results:
                e = mine[result.expectation_config.meta["alvh"]]
                outcome = _outcome(e, result, piece.height)
                before = outcomes.get(e.name)
                outcomes[e.name] = outcome if before is None else _add(before, outcome)
    for e in expectations:
        yield outcomes[e.name]


def _outcome(e: Expectation, result: Any, height: int) -> Outcome:
    details = result.result or {}
    unexpected = details.get("partial_unexpected_list") or details.get("observed_value")
    if result.exception_info and result.exception_info.get("raised_exception"):
        unexpected = result.exception_info.get("exception_message")
    return Outcome(
        expectation=e,
        passed=bool(result.success),
        element_count=int(details.get("element_count") or height),
        unexpected_count=int(details.get("unexpected_count") or 0),
        sample=repr(unexpected)[:300] if not result.success else "",
    )


def _add(a: Outcome, b: Outcome) -> Outcome:
    return Outcome(
        a.expectation,
        a.passed and b.passed,
        a.element_count + b.element_count,
        a.unexpected_count + b.unexpected_count,
        a.sample or b.sample,
    )
