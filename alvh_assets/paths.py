"""Paths and settings from the environment: the one module of the project that reads it
(besides ``DAGSTER_HOME`` handling and the dbt subprocess's hand-off).

Everything is relative to the project root, which is ``$ALVH_HOME`` when set and the
current directory otherwise; each path can also be set on its own by environment
variable, so tests and deployments point the pipeline anywhere. Inside Dagster the
resources (:mod:`alvh_assets.dagster_support`) carry the landing directory and the
warehouse; they fall back to these functions when not configured.

=============================  ==========================================================
Variable                       Meaning (default)
=============================  ==========================================================
``ALVH_HOME``                  project root (the current directory)
``ALVH_CONFIG``                the config YAML (none: the defaults); also read by the
                               code location for the partitions' first day
``ALVH_LANDING_DIR``           landing files the ingest reads (``landing/sample``)
``ALVH_WAREHOUSE``             the DuckDB warehouse file (``warehouse/alvh.duckdb``)
``ALVH_PUBLISHED_DIR``         the readers' published copy (``published/`` beside the
                               warehouse file)
``ALVH_WAREHOUSE_BACKEND``     where ``alvh publish`` publishes: ``duckdb`` (the published
                               DuckDB file, the default) or ``ducklake``
``ALVH_DUCKLAKE_CATALOG``      the DuckLake catalog's PostgreSQL database, a libpq conninfo
                               (``dbname=alvh host=… port=… user=…``; no default)
``ALVH_DUCKLAKE_DATA_PATH``    the DuckLake Parquet files (``published/lake/``; in production
                               an ``s3://`` path)
``DAGSTER_HOME``               the Dagster instance (``.dagster_home``)
``ALVH_DUCKDB_MEMORY_LIMIT``   DuckDB's memory cap (``2GB``)
``ALVH_LOCK_WAIT_SECONDS``     wait for another process's lock on the warehouse (30)
``ALVH_SENSOR_START``          first day the landing sensor requests without a cursor
``ALVH_WINDOW_START``,         the window a dbt run of the marts rebuilds (the whole
``ALVH_WINDOW_END``            history); set by ``orchestration.dbt`` for the dbt
                               subprocess, read by the marts (``macros/window.sql``,
                               :func:`alvh_assets.marts.run_window`)
=============================  ==========================================================
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

MEMORY_LIMIT = "2GB"
"""DuckDB's memory cap by default (DuckDB's own default, 80% of RAM, lets its cache grow to
12 GB on a 20-year backfill)."""
LOCK_WAIT_SECONDS = 30.0
"""How long a connection waits, by default, for a lock another process holds on the file."""
SENSOR_START_ENV = "ALVH_SENSOR_START"
BACKENDS = ("duckdb", "ducklake")
"""The published layer's backends: the DuckDB file (:mod:`alvh_assets.publish`, default) or a
DuckLake catalog (:mod:`alvh_assets.lake`)."""
WINDOW_ENV = {"window_start": "ALVH_WINDOW_START", "window_end": "ALVH_WINDOW_END"}
"""The environment variables carrying a run's partition window to dbt (not --vars: dbt
discards its whole cached parse when --vars change)."""


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def project_root() -> Path:
    """``$ALVH_HOME`` or the current directory."""
    return Path(_env("ALVH_HOME") or os.getcwd()).resolve()


def config_file() -> Path | None:
    """The config YAML (``$ALVH_CONFIG``), None for the defaults."""
    env = _env("ALVH_CONFIG")
    return Path(env).resolve() if env else None


def use_config_file(path: str | Path) -> None:
    """Make ``path`` the config file of this process's code location (``$ALVH_CONFIG``): the
    CLI's ``--config``, so the partitions begin at that config's first day of data."""
    os.environ["ALVH_CONFIG"] = str(Path(path).resolve())


def landing_dir() -> Path:
    """Landing directory the ingest reads (``$ALVH_LANDING_DIR``, default ``landing/sample``)."""
    env = _env("ALVH_LANDING_DIR")
    return Path(env).resolve() if env else project_root() / "landing" / "sample"


def warehouse_path() -> Path:
    """The DuckDB warehouse file (``$ALVH_WAREHOUSE``, default ``warehouse/alvh.duckdb``)."""
    env = _env("ALVH_WAREHOUSE")
    return Path(env).resolve() if env else project_root() / "warehouse" / "alvh.duckdb"


def published_dir() -> Path:
    """``$ALVH_PUBLISHED_DIR``, default ``published/`` next to the warehouse file."""
    env = _env("ALVH_PUBLISHED_DIR")
    return Path(env).resolve() if env else warehouse_path().parent / "published"


def warehouse_backend() -> str:
    """``$ALVH_WAREHOUSE_BACKEND``: one of :data:`BACKENDS` (default ``duckdb``); any other
    value is a :class:`ValueError` naming the variable and the allowed values."""
    value = (_env("ALVH_WAREHOUSE_BACKEND") or BACKENDS[0]).strip().lower()
    if value not in BACKENDS:
        raise ValueError(f"ALVH_WAREHOUSE_BACKEND={value!r} is not one of {', '.join(BACKENDS)}")
    return value


SWEEP_EXECUTORS = ("multiprocess", "celery")


def sweep_executor() -> str:
    """``$ALVH_SWEEP_EXECUTOR``: the Dagster executor of ``sweep_workers_job``, one of
    :data:`SWEEP_EXECUTORS` (default ``multiprocess``); another value, a :class:`ValueError`."""
    name = _env("ALVH_SWEEP_EXECUTOR") or "multiprocess"
    if name not in SWEEP_EXECUTORS:
        raise ValueError(f"ALVH_SWEEP_EXECUTOR={name!r}: use one of {', '.join(SWEEP_EXECUTORS)}")
    return name


def ducklake_catalog() -> str:
    """``$ALVH_DUCKLAKE_CATALOG``: the libpq conninfo of the DuckLake catalog's PostgreSQL
    database (``dbname=… host=… port=… user=…``; a password from ``PGPASSWORD`` or
    ``~/.pgpass``). Required by the DuckLake backend: unset, a :class:`ValueError`."""
    env = _env("ALVH_DUCKLAKE_CATALOG")
    if env is None:
        raise ValueError(
            "ALVH_DUCKLAKE_CATALOG is not set: the DuckLake backend needs its PostgreSQL "
            "catalog as a libpq conninfo, e.g. 'dbname=alvh_lake host=db.internal user=alvh'"
        )
    return env


def ducklake_data_path() -> str:
    """``$ALVH_DUCKLAKE_DATA_PATH``: where DuckLake writes the Parquet files, a folder or an
    ``s3://bucket/prefix/`` URL (default ``lake/`` in :func:`published_dir`). Only the first
    publication into a new catalog uses it: the catalog remembers its data path."""
    env = _env("ALVH_DUCKLAKE_DATA_PATH")
    if env is None:
        return str(published_dir() / "lake") + "/"
    return env if "://" in env else str(Path(env).resolve()) + "/"


def dagster_home() -> Path:
    """Project-local Dagster instance folder (``$DAGSTER_HOME``, default ``.dagster_home``)."""
    env = _env("DAGSTER_HOME")
    return Path(env).resolve() if env else project_root() / ".dagster_home"


def duckdb_memory_limit() -> str:
    """DuckDB's memory cap (``$ALVH_DUCKDB_MEMORY_LIMIT``, default :data:`MEMORY_LIMIT`)."""
    return _env("ALVH_DUCKDB_MEMORY_LIMIT") or MEMORY_LIMIT


def lock_wait_seconds() -> float:
    """Seconds to wait for a lock held by another process: ``$ALVH_LOCK_WAIT_SECONDS``,
    default :data:`LOCK_WAIT_SECONDS`."""
    return float(_env("ALVH_LOCK_WAIT_SECONDS") or LOCK_WAIT_SECONDS)


def mart_window(name: str) -> str | None:
    """``$ALVH_WINDOW_START`` or ``$ALVH_WINDOW_END`` (``name`` window_start/window_end)."""
    return _env(WINDOW_ENV[name])


def sensor_start() -> dt.date | None:
    """``$ALVH_SENSOR_START`` (ISO date): where the landing sensor starts without a cursor."""
    env = _env(SENSOR_START_ENV)
    return dt.date.fromisoformat(env) if env else None
