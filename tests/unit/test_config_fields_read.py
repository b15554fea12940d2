"""Every field of the config model is read by the code (issue 15 item 8): a field nobody
reads is a promise the pipeline does not keep. A field counts as read when the code outside
``config.py`` names it as an attribute (``.field``), a dotted override or dbt var
(``section.field``, ``'field'``/``"field"``) or a dbt ``var('field')``."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from alvh_assets.config import AlvhConfig

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("alvh_assets", "orchestration", "dbt_project")


def field_paths(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str]]:
    """(dotted path, field name) of every leaf field of ``model``."""
    out = []
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            out += field_paths(kind, f"{prefix}{name}.")
        else:
            out.append((f"{prefix}{name}", name))
    return out


def code_text() -> str:
    files = [
        p
        for d in SOURCES
        for p in (ROOT / d).rglob("*")
        if p.suffix in (".py", ".sql", ".yml", ".yaml")
        and p.name != "config.py"
        and "target" not in p.parts
        and "dbt_packages" not in p.parts
    ]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_every_config_field_is_read_by_the_code() -> None:
    text = code_text()
    unread = [
        path
        for path, name in field_paths(AlvhConfig)
        if not re.search(rf"\.{name}\b|['\"]{name}['\"]|\b{re.escape(path)}\b", text)
    ]
    assert unread == [], f"config fields no code reads: {unread}"


def test_the_walk_sees_nested_sections() -> None:
    paths = dict(field_paths(AlvhConfig))
    assert "hedge.short_term.dte_max" in paths and "condor.exit_dte" in paths
    assert len(paths) > 80
