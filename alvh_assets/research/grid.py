"""The grid of a parameter sweep: axes of config overrides, parsed and validated up front.

An axis is one dotted config field (``condor.pop_target``) and its values, written

* as a list, ``condor.pop_target=0.70,0.75,0.80`` (each value YAML-typed, as ``--set``), or
* as an inclusive range, ``hedge.valuation_budget_max=0.12:0.28:0.04`` (start:stop:step;
  integers when all three are, else floats rounded to 10 decimals);

or, in a YAML file, a mapping ``field: [values]`` or ``field: "start:stop:step"`` (at the top
level or under ``grid:``). The combinations are the Cartesian product of the axes, in the
order given (the last axis varies fastest), numbered from 0.

Only the parameters the strategy engine and the attribution read can be swept: the fields
the dbt marts read (declared with ``_mart`` in :mod:`alvh_assets.config`), the ingest guards,
and the top-level sample range, seed and warm-up are refused, since a sweep never re-runs
dbt, re-ingests or re-prices. Every combination is validated by the config model (cross-field
rules included) before anything runs: the first bad one is a :class:`ConfigError` of one line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_origin

import polars as pl
import yaml
from pydantic import BaseModel

from alvh_assets.config import (
    AlvhConfig,
    ConfigError,
    config_hash,
    load_config,
    parse_override,
)

NOT_SWEEPABLE_SECTIONS = {"ingest", "research"}
"""Sections no sweep may vary (they act before the strategies run, or name the sweeps)."""


@dataclass(frozen=True)
class Axis:
    """One swept field and its values (as given; typed by the config model)."""

    key: str
    values: tuple[Any, ...]

    @property
    def column(self) -> str:
        """The typed column of ``research.sweep_runs`` holding it (``condor__pop_target``)."""
        return column_of(self.key)


@dataclass(frozen=True)
class Combination:
    """One point of the grid: its number, overrides, validated config and config hash."""

    index: int
    overrides: dict[str, Any]
    cfg: AlvhConfig
    config_hash: str

    def params(self, axes: list[Axis]) -> dict[str, Any]:
        """``{column: typed value}`` of the swept fields, read back from the config."""
        return {a.column: column_value(field_value(self.cfg, a.key)) for a in axes}


def column_of(key: str) -> str:
    return key.replace(".", "__")


def _field(key: str) -> Any:
    """The pydantic field of a dotted key, or a :class:`ConfigError` naming why not."""
    model: Any = AlvhConfig
    info = None
    for part in key.split("."):
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            raise ConfigError(f"grid: unknown config field '{key}' (see `alvh config show`)")
        info = fields[part]
        model = info.annotation
    if isinstance(model, type) and issubclass(model, BaseModel):
        raise ConfigError(f"grid: '{key}' is a section, not a field: name one of its fields")
    return info


def check_key(key: str) -> None:
    """A :class:`ConfigError` unless ``key`` is a field a sweep can vary."""
    info = _field(key)
    extra = info.json_schema_extra
    if isinstance(extra, dict) and extra.get("dbt_var"):
        raise ConfigError(
            f"grid: '{key}' is read by the dbt marts; a sweep never rebuilds them "
            f"(run the pipeline with --set {key}=… instead)"
        )
    if "." not in key or key.split(".")[0] in NOT_SWEEPABLE_SECTIONS:
        raise ConfigError(
            f"grid: '{key}' is not a strategy or attribution parameter (sample range, seed, "
            "warm-up and ingest guards act before the strategies run)"
        )


def _range(key: str, text: str) -> tuple[Any, ...]:
    parts = [yaml.safe_load(p) for p in text.split(":")]
    if len(parts) != 3 or not all(
        isinstance(p, int | float) and not isinstance(p, bool) for p in parts
    ):
        raise ConfigError(f"grid: '{key}={text}': a range is start:stop:step, three numbers")
    start, stop, step = parts
    if step <= 0 or stop < start:
        raise ConfigError(f"grid: '{key}={text}': need step > 0 and start <= stop")
    n = math.floor((stop - start) / step + 1e-9) + 1
    if all(isinstance(p, int) for p in parts):
        return tuple(start + i * step for i in range(n))
    return tuple(round(start + i * step, 10) for i in range(n))


def _values(key: str, raw: Any) -> tuple[Any, ...]:
    if isinstance(raw, str) and raw.count(":") == 2:
        values = _range(key, raw)
    elif isinstance(raw, str):
        values = tuple(yaml.safe_load(v) for v in raw.split(","))
    elif isinstance(raw, list | tuple):
        values = tuple(raw)
    else:
        values = (raw,)
    if not values or any(v is None for v in values):
        raise ConfigError(f"grid: '{key}': an empty value")
    if len(set(map(repr, values))) != len(values):
        raise ConfigError(f"grid: '{key}': a value is repeated")
    return values


def parse_axis(text: str) -> Axis:
    """``'condor.pop_target=0.70,0.75'`` or ``'hedge.ceiling_max=0.20:0.30:0.05'``."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or not raw.strip():
        raise ConfigError(f"grid: {text!r}: expected section.field=v1,v2,… or =start:stop:step")
    check_key(key)
    return Axis(key, _values(key, raw.strip()))


def read_grid_file(path: str | Path) -> list[Axis]:
    """The axes of a YAML grid file (``{field: [values] | "start:stop:step"}``, at the top
    level or under ``grid:``)."""
    try:
        doc = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the grid: {e}") from e
    if isinstance(doc, dict) and set(doc) == {"grid"}:
        doc = doc["grid"]
    return grid_axes(doc, str(path))


def grid_axes(doc: Any, source: str) -> list[Axis]:
    """The axes of a grid mapping ``{section.field: [values] | "start:stop:step"}`` (a grid
    file's, or a grid named in ``research.grids``); ``source`` names it in errors."""
    if not isinstance(doc, dict) or not doc:
        raise ConfigError(f"{source}: a grid is a mapping of section.field to values")
    axes = []
    for key, raw in doc.items():
        check_key(str(key))
        axes.append(Axis(str(key), _values(str(key), raw)))
    return axes


def merge_axes(axes: list[Axis]) -> list[Axis]:
    """The axes with each field once (a :class:`ConfigError` for a field given twice)."""
    seen: set[str] = set()
    for a in axes:
        if a.key in seen:
            raise ConfigError(f"grid: '{a.key}' is given twice")
        seen.add(a.key)
    if not axes:
        raise ConfigError("grid: no axis given (--grid section.field=v1,v2 or --grid-file)")
    return axes


def field_value(cfg: AlvhConfig, key: str) -> Any:
    node: Any = cfg
    for part in key.split("."):
        node = getattr(node, part)
    return node


def column_value(value: Any) -> Any:
    """A config value as its column stores it (tuples and models as JSON text)."""
    if isinstance(value, tuple | list | BaseModel):
        return json.dumps(
            value.model_dump(mode="json") if isinstance(value, BaseModel) else list(value),
            default=str,
        )
    return value


def column_dtype(key: str) -> pl.DataType:
    """The polars type of a swept field's column, from its annotation."""
    ann = _field(key).annotation
    if get_origin(ann) is not None:
        return pl.Utf8()
    return {
        bool: pl.Boolean(),
        int: pl.Int64(),
        float: pl.Float64(),
        str: pl.Utf8(),
        dt.date: pl.Date(),
    }.get(ann, pl.Utf8())


def combinations(
    axes: list[Axis],
    base_path: str | Path | None = None,
    base_overrides: Sequence[str] | Mapping[str, Any] = (),
) -> list[Combination]:
    """Every combination of the axes on top of the base config (file and overrides: ``--set``
    texts, or a ``{section.field: value}`` mapping), each validated; the first invalid one
    raises a one-line :class:`ConfigError` naming it."""
    base = (
        dict(base_overrides)
        if isinstance(base_overrides, Mapping)
        else dict(parse_override(o) for o in base_overrides)
    )
    out = []
    for i, values in enumerate(itertools.product(*(a.values for a in axes))):
        overrides = {a.key: v for a, v in zip(axes, values, strict=True)}
        try:
            cfg = load_config(base_path, {**base, **overrides})
        except ConfigError as e:
            what = ", ".join(f"{k}={v}" for k, v in overrides.items())
            first = str(e).splitlines()[0]
            raise ConfigError(f"grid combination {i} ({what}) is invalid: {first}") from None
        out.append(Combination(i, overrides, cfg, config_hash(cfg)))
    hashes = [c.config_hash for c in out]
    if len(set(hashes)) != len(hashes):
        raise ConfigError("grid: two combinations give the same config (a repeated value?)")
    return out


def sweep_id_of(axes: list[Axis], base: AlvhConfig, window: tuple[dt.date, dt.date]) -> str:
    """The default sweep id: a digest of the grid, the base config and the window, so that
    rerunning the same command resumes the same sweep."""
    text = json.dumps(
        [[a.key, [repr(v) for v in a.values]] for a in axes]
        + [config_hash(base), window[0].isoformat(), window[1].isoformat()]
    )
    return "sweep-" + hashlib.sha256(text.encode()).hexdigest()[:10]
