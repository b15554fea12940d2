"""great_expectations suites as plain data, and a runner for polars frames.

An :class:`Expectation` names one GE expectation (class name + kwargs) and the frame it
runs on. GE 1.x is imported only inside :func:`run_suite` (importing it costs seconds);
its pandas path is used (GE's SQL path does not work on DuckDB).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
class Outcome:
    """Result of one expectation."""

    expectation: Expectation
    passed: bool
    element_count: int
    unexpected_count: int
    sample: str


def run_suite(
    frames: dict[str, pl.DataFrame], expectations: Sequence[Expectation]
) -> Iterable[Outcome]:
    """Validate each expectation on its frame with great_expectations (pandas engine)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("alvh")
    batches = {}
    for name, frame in frames.items():
        asset = source.add_dataframe_asset(name)
        definition = asset.add_batch_definition_whole_dataframe(name)
        batches[name] = definition.get_batch(batch_parameters={"dataframe": frame.to_pandas()})
    for e in expectations:
        result = batches[e.frame].validate(getattr(gx.expectations, e.kind)(**e.kwargs))
        details = result.result or {}
        unexpected = details.get("partial_unexpected_list") or details.get("observed_value")
        yield Outcome(
            expectation=e,
            passed=bool(result.success),
            element_count=int(details.get("element_count") or frames[e.frame].height),
            unexpected_count=int(details.get("unexpected_count") or 0),
            sample=repr(unexpected)[:300] if not result.success else "",
        )
