"""Asset specs and SQL checks for tables written by one multi-asset (strategy, attribution).

A table is named ``schema.table`` and becomes the asset key ``[schema, table]``; its grain
(key columns) goes into the description and metadata. A SQL check passes when its query
returns no rows (the violations, a sample of which is attached).
"""

from collections.abc import Mapping, Sequence

import dagster as dg

from alvh_assets import warehouse as wh
from alvh_assets.metadata import markdown_table
from orchestration.resources import WarehouseResource


def table_key(table: str) -> dg.AssetKey:
    """``schema.table`` -> ``AssetKey([schema, table])``."""
    return dg.AssetKey(table.split("."))


def table_specs(
    keys: Mapping[str, Sequence[str]],
    descriptions: Mapping[str, str],
    group: str,
    owners: list[str],
    deps: list[dg.AssetKey],
) -> list[dg.AssetSpec]:
    """One spec per table of ``keys`` with its grain stated."""
    return [
        dg.AssetSpec(
            table_key(table),
            description=f"{descriptions[table]}\n\nGrain: one row per ({', '.join(cols)}).",
            group_name=group,
            owners=owners,
            kinds={"polars", "duckdb"},
            deps=deps,
            metadata={"grain": ", ".join(cols), "table": table},
        )
        for table, cols in keys.items()
    ]


def sql_check(
    key: dg.AssetKey, name: str, description: str, sql: str, params: list | None = None
) -> dg.AssetChecksDefinition:
    """A blocking check that fails when ``sql`` returns rows."""

    @dg.asset_check(asset=key, name=name, blocking=True, description=description)
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            bad = wh.read_frame(con, sql, params)
        return dg.AssetCheckResult(
            passed=bad.is_empty(),
            metadata={
                "violations": bad.height,
                "sample": dg.MetadataValue.md(markdown_table(bad, 10)) if bad.height else "none",
            },
        )

    return _check


def keys_unique_checks(keys: Mapping[str, Sequence[str]]) -> list[dg.AssetChecksDefinition]:
    """``keys_unique`` on every table: its key columns unique and not null."""
    checks = []
    for table, cols in keys.items():
        quoted = ", ".join(f'"{c}"' for c in cols)  # "window" is a reserved word
        nulls = " OR ".join(f'"{c}" IS NULL' for c in cols)
        checks.append(
            sql_check(
                table_key(table),
                "keys_unique",
                f"({', '.join(cols)}) is unique and not null in {table}.",
                f"SELECT {quoted}, count(*) AS n FROM {table} GROUP BY ALL "
                f"HAVING n > 1 OR {nulls} LIMIT 50",
            )
        )
    return checks
