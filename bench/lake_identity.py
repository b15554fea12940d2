"""A warehouse's published tables on both backends: the DuckDB file against DuckLake.

Usage::

    mkdir /tmp/demo && (cd /tmp/demo && <project>/.venv/bin/alvh demo)
    PYTHONPATH=. .venv/bin/python bench/lake_identity.py /tmp/demo/warehouse/alvh.duckdb

Starts a throwaway PostgreSQL cluster (``tests/integration/postgres.py``), publishes the
warehouse to a new DuckLake catalog on it (Parquet files in a temporary folder) with
:func:`alvh_assets.lake.publish_to_lake`, publishes again (nothing changed: every table
skipped), then compares every table of :data:`alvh_assets.lake.SCHEMAS` in the warehouse
with the lake's (``compare_warehouses.compare_attached``: rows as multisets, columns by name
and order). Exit 1 when a table differs. Results: ``bench/results/lake_identity.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from machine import describe

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
from compare_warehouses import compare_attached  # noqa: E402

from alvh_assets import lake  # noqa: E402
from tests.integration.postgres import USER, throwaway_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", type=Path)
    args = parser.parse_args()
    warehouse = args.warehouse.resolve()
    with throwaway_server() as server, tempfile.TemporaryDirectory() as data:
        server.createdb("lake")
        catalog = f"dbname=lake host=127.0.0.1 port={server.port} user={USER}"
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "SELECT sum(estimated_size) FROM duckdb_tables() WHERE database_name = "
                "current_database() AND schema_name IN "
                f"({', '.join(repr(s) for s in lake.SCHEMAS)})"
            ).fetchone()[0]
            first = lake.publish_to_lake(con, catalog=catalog, data_path=data)
            again = lake.publish_to_lake(con, catalog=catalog, data_path=data)
        con = duckdb.connect()
        try:
            started = time.perf_counter()
            con.execute(f"ATTACH '{warehouse}' AS a (READ_ONLY)")
            lake.attach(con, "b", read_only=True, catalog=catalog)
            compared = compare_attached(con, lake.SCHEMAS)
            compare_s = time.perf_counter() - started
        finally:
            con.close()
        parquet_bytes = sum(p.stat().st_size for p in Path(data).rglob("*.parquet"))
    differing = [r for r in compared if not r["identical"]]
    result = {
        "warehouse": str(warehouse),
        "warehouse_bytes": warehouse.stat().st_size,
        "rows": rows,
        "tables": len(first.tables),
        "first_publish_s": round(first.seconds, 2),
        "second_publish_s": round(again.seconds, 2),
        "second_publish_rewritten": len(again.rewritten),
        "parquet_bytes": parquet_bytes,
        "compare_s": round(compare_s, 1),
        "tables_compared": len(compared),
        "tables_identical": len(compared) - len(differing),
        "differing": differing,
        "machine": describe(["duckdb", "duckdb-extension-ducklake"]),
        "load_average_after": os.getloadavg(),
    }
    out = ROOT / "bench" / "results" / "lake_identity.json"
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2, default=str))
    if differing or len(compared) != len(first.tables):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
