"""One Dagster ``multi_asset_check`` per great_expectations suite, one check per expectation.

Shared by the raw tables, the pricing table and the marts: the frames come from a loader
reading the warehouse read-only, and GE runs inside the check (see ``alvh_assets.quality``).
"""

from collections.abc import Callable, Iterator, Sequence

import dagster as dg
import duckdb

from alvh_assets.quality import Expectation, Frame, run_suite
from orchestration.resources import WarehouseResource

FrameLoader = Callable[[duckdb.DuckDBPyConnection], dict[str, Frame]]


def ge_checks(
    name: str,
    key: dg.AssetKey,
    suite: Sequence[Expectation],
    load_frames: FrameLoader,
    skip_when_empty: tuple[str, ...] = (),
    nonblocking_severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetChecksDefinition:
    """Checks named after the expectations of ``suite`` on asset ``key``.

    Expectations on a frame listed in ``skip_when_empty`` (a DataFrame, not Pieces) pass
    with a 'skipped' note when that frame has no rows; a failing non-blocking expectation
    has ``nonblocking_severity``.
    """

    @dg.multi_asset_check(
        name=name,
        specs=[
            dg.AssetCheckSpec(
                e.name,
                asset=key,
                blocking=e.blocking,
                description=f"great_expectations: {e.description}",
            )
            for e in suite
        ],
    )
    def _checks(warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
        with warehouse.connect(read_only=True) as con:
            frames = load_frames(con)
            empty = {f for f in skip_when_empty if frames[f].is_empty()}  # type: ignore[union-attr]
            for e in suite:
                if e.frame in empty:
                    yield dg.AssetCheckResult(
                        asset_key=key,
                        check_name=e.name,
                        passed=True,
                        metadata={"skipped": f"frame '{e.frame}' has no rows"},
                    )
            # inside the connection: frames given as Pieces are read while validating
            for outcome in run_suite(frames, [e for e in suite if e.frame not in empty]):
                e = outcome.expectation
                yield dg.AssetCheckResult(
                    asset_key=key,
                    check_name=e.name,
                    passed=outcome.passed,
                    severity=dg.AssetCheckSeverity.ERROR if e.blocking else nonblocking_severity,
                    metadata={
                        "expectation": e.kind,
                        "rows_checked": outcome.element_count,
                        "unexpected": outcome.unexpected_count,
                        "sample": outcome.sample or "-",
                    },
                )

    return _checks
