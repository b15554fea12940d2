"""Imports point one way (design.md, "Rules of the house"): ``orchestration`` imports
``alvh_assets``, never the reverse, and inside ``alvh_assets`` only the domains' ``assets.py``
and the Dagster support module import Dagster; the rest is plain domain code."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "alvh_assets"
SUPPORT = PACKAGE / "dagster_support.py"
DAGSTER = {"dagster", "dagster_dbt"}


def _imported(path: Path) -> set[str]:
    """Top-level package of every import of the module at ``path`` (any depth: functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _modules() -> list[Path]:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50 and SUPPORT in modules
    return modules


def test_nothing_in_alvh_assets_imports_orchestration() -> None:
    upward = [str(p.relative_to(PACKAGE)) for p in _modules() if "orchestration" in _imported(p)]
    assert upward == []


def test_only_assets_modules_and_the_support_module_import_dagster() -> None:
    dagster = [p for p in _modules() if _imported(p) & DAGSTER]
    stray = [str(p.relative_to(PACKAGE)) for p in dagster if p.name != "assets.py" and p != SUPPORT]
    assert stray == []
    assert SUPPORT in dagster
    assert {p.parent.name for p in dagster if p.name == "assets.py"} >= {
        "ingest",
        "pricing",
        "strategy",
        "attribution",
        "report",
        "sample",
    }
