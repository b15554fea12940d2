"""Where the project keeps its files: landing data, the warehouse, Dagster's home.

Everything is relative to the project root, which is ``$ALVH_HOME`` when set and the
current directory otherwise; each path can also be set on its own by environment
variable, so tests and deployments point the pipeline anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """``$ALVH_HOME`` or the current directory."""
    return Path(os.environ.get("ALVH_HOME", os.getcwd())).resolve()


def landing_dir() -> Path:
    """Landing directory the ingest reads (``$ALVH_LANDING_DIR``, default ``landing/sample``)."""
    env = os.environ.get("ALVH_LANDING_DIR")
    return Path(env).resolve() if env else project_root() / "landing" / "sample"


def warehouse_path() -> Path:
    """The DuckDB warehouse file (``$ALVH_WAREHOUSE``, default ``warehouse/alvh.duckdb``)."""
    env = os.environ.get("ALVH_WAREHOUSE")
    return Path(env).resolve() if env else project_root() / "warehouse" / "alvh.duckdb"


def dagster_home() -> Path:
    """Project-local Dagster instance folder (``$DAGSTER_HOME``, default ``.dagster_home``)."""
    env = os.environ.get("DAGSTER_HOME")
    return Path(env).resolve() if env else project_root() / ".dagster_home"
