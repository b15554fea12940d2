"""Compare the output tables of two ALVH warehouses, row for row (issue 16: "every table of
the demo identical before and after").

    .venv/bin/python bench/compare_warehouses.py A.duckdb B.duckdb [--schemas marts ...]

Both files are opened read-only (attached to one in-memory DuckDB). For every table of the
given schemas in either warehouse it prints the rows on each side and whether the two are
identical as multisets of rows (``EXCEPT ALL`` both ways, so duplicates count; a NaN equals a
NaN, and NULLs compare equal as in DuckDB's set operations), after the columns are matched
by name. A table missing on one side, or with different column names, types or column order,
differs; ``--ignore-columns`` leaves columns out (raw's lineage columns, ``_ingested_at``,
``_source_file``, and pricing's ``_computed_at`` differ between any two runs).
Exit 0 when every table is identical, 1 otherwise, 2 on a bad argument.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

SCHEMAS = ("marts", "strategy", "attribution")


def _columns(con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str) -> list[tuple]:
    return con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [db, schema, table],
    ).fetchall()


def _tables(con: duckdb.DuckDBPyConnection, db: str, schemas: tuple[str, ...]) -> set[tuple]:
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = ? AND schema_name IN (SELECT unnest(?))",
        [db, list(schemas)],
    ).fetchall()
    return set(rows)


def compare(
    a: Path, b: Path, schemas: tuple[str, ...] = SCHEMAS, ignore: frozenset[str] = frozenset()
) -> list[dict]:
    """One dict per table: schema, table, rows_a, rows_b, identical, note (columns named in
    ``ignore`` left out of the comparison)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    try:
        return compare_attached(con, schemas, ignore)
    finally:
        con.close()


def compare_attached(
    con: duckdb.DuckDBPyConnection,
    schemas: tuple[str, ...] = SCHEMAS,
    ignore: frozenset[str] = frozenset(),
) -> list[dict]:
    """:func:`compare` on two catalogs already attached to ``con`` as ``a`` and ``b`` (any
    kind DuckDB attaches: a DuckDB file, a DuckLake catalog)."""
    results = []
    for schema, table in sorted(_tables(con, "a", schemas) | _tables(con, "b", schemas)):
        row = {"schema": schema, "table": table, "rows_a": None, "rows_b": None, "note": ""}
        cols_a, cols_b = (_columns(con, db, schema, table) for db in ("a", "b"))
        rows_present = {"a": bool(cols_a), "b": bool(cols_b)}
        cols_a, cols_b = ([c for c in cols if c[0] not in ignore] for cols in (cols_a, cols_b))
        for db in ("a", "b"):
            if rows_present[db]:
                row[f"rows_{db}"] = con.execute(
                    f'SELECT count(*) FROM {db}."{schema}"."{table}"'
                ).fetchone()[0]
        if not rows_present["a"] or not rows_present["b"]:
            row["note"] = f"missing in {'a' if not rows_present['a'] else 'b'}"
        elif sorted(cols_a) != sorted(cols_b):
            row["note"] = f"columns differ: {sorted(set(cols_a) ^ set(cols_b))}"
        elif cols_a != cols_b:
            row["note"] = "column order differs"
        else:
            names = ", ".join(f'"{c}"' for c, _ in sorted(cols_a))
            only = []
            for x, y in (("a", "b"), ("b", "a")):
                only.append(
                    con.execute(
                        f'SELECT count(*) FROM (SELECT {names} FROM {x}."{schema}"."{table}" '
                        f'EXCEPT ALL SELECT {names} FROM {y}."{schema}"."{table}")'
                    ).fetchone()[0]
                )
            if any(only):
                row["note"] = f"rows only in a: {only[0]}, only in b: {only[1]}"
        row["identical"] = row["note"] == ""
        results.append(row)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="first warehouse (.duckdb)")
    parser.add_argument("b", type=Path, help="second warehouse (.duckdb)")
    parser.add_argument("--schemas", nargs="+", default=list(SCHEMAS))
    parser.add_argument(
        "--ignore-columns",
        nargs="+",
        default=[],
        help="columns left out (e.g. the lineage columns of raw: _ingested_at _source_file)",
    )
    args = parser.parse_args(argv)
    for path in (args.a, args.b):
        if not path.is_file():
            print(f"error: no warehouse file {path}", file=sys.stderr)
            return 2
    results = compare(args.a, args.b, tuple(args.schemas), frozenset(args.ignore_columns))
    if not results:
        print(f"error: no tables in schemas {', '.join(args.schemas)}", file=sys.stderr)
        return 2
    width = max(len(f"{r['schema']}.{r['table']}") for r in results)
    for r in results:
        name = f"{r['schema']}.{r['table']}".ljust(width)
        verdict = "identical" if r["identical"] else f"DIFFERS ({r['note']})"
        print(f"{name}  rows {r['rows_a']} / {r['rows_b']}  {verdict}")
    differing = sum(not r["identical"] for r in results)
    print(f"{len(results) - differing} of {len(results)} tables identical")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
