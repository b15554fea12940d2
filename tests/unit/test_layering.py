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


ROOT = PACKAGE.parent
LANDING = PACKAGE / "landing.py"
VENDOR_NAMES = (
    "UnderlyingOptionsEOD",
    "_History",
    "CFE_",
    "cboe/",
    "cfe/",
    "nyse/",
    "fred/",
    "calendars/",
    "valuation/",
)
"""Vendors' file names and the landing folders: spelled in :mod:`alvh_assets.landing` only."""


def _code_strings(path: Path) -> list[str]:
    """String literals of a module's code (f-string parts included), docstrings left out."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
    ]


def _code_modules() -> list[Path]:
    return [*_modules(), *sorted((ROOT / "orchestration").rglob("*.py"))]


def test_vendor_file_names_and_folders_live_in_the_landing_module_only() -> None:
    spelled = {
        f"{p.relative_to(ROOT)}: {s!r}"
        for p in _code_modules()
        if p != LANDING
        for s in _code_strings(p)
        if any(name in s for name in VENDOR_NAMES)
    }
    assert spelled == set()
    assert all(any(n.rstrip("/") in s for s in _code_strings(LANDING)) for n in VENDOR_NAMES)


ENVIRONMENT_READERS = {
    "alvh_assets/paths.py": "the settings module",
    "orchestration/dbt.py": "the dbt subprocess's hand-off ($ALVH_WAREHOUSE for profiles.yml)",
    "orchestration/runs.py": "DAGSTER_HOME for the CLI's in-process runs",
    "orchestration/event_log.py": "DAGSTER_EVENT_BATCH_SIZE for the instance's event storage",
}


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = set()
    for p in _code_modules():
        for node in ast.walk(ast.parse(p.read_text(), filename=str(p))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"environ", "getenv"}
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ):
                readers.add(str(p.relative_to(ROOT)))
    assert readers == set(ENVIRONMENT_READERS)
