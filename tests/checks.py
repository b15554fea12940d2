"""Read the grouped checks back per item: the expectations of a ``ge_checks`` group, the
rules of an asset's ``sql_rules`` check.

A grouped check's ``results`` metadata is a Markdown table with one row per item (name,
passed, ...) and ``failed_expectations`` / ``failed_rules`` names the failed ones. Any
other check stands for itself (its check name).
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg


def _table_rows(markdown: str) -> list[dict[str, str]]:
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    return [
        dict(zip(head, (c.strip() for c in line.strip("|").split(" | ")), strict=False))
        for line in lines[2:]
    ]


def outcomes(evals: Iterable[dg.AssetCheckEvaluation]) -> dict[str, bool]:
    """``{expectation, rule or check name: passed}`` over the evaluations."""
    out: dict[str, bool] = {}
    for e in evals:
        table = e.metadata.get("results")
        if table is None:
            out[e.check_name] = e.passed
            continue
        rows = _table_rows(table.value)
        item = "expectation" if "failed_expectations" in e.metadata else "rule"
        for row in rows:
            out[row[item]] = row["passed"] == "True"
        failed = {r[item] for r in rows if r["passed"] != "True"}
        listed = e.metadata[f"failed_{item}s"].value
        assert failed == (set(listed.split(", ")) if listed != "none" else set()), e.check_name
        assert e.passed == (not failed), e.check_name
    return out


def failed(
    evals: Iterable[dg.AssetCheckEvaluation], severity: dg.AssetCheckSeverity | None = None
) -> list[str]:
    """The failed items of grouped checks (expectations, SQL rules) and the failed other
    checks, optionally only those of evaluations with ``severity``."""
    evals = [e for e in evals if severity is None or e.severity == severity]
    return [name for name, ok in outcomes(evals).items() if not ok]
