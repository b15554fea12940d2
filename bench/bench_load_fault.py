"""Load and faults on the PostgreSQL deployment (issue 21): readers of the published copy
while daily runs publish, then PostgreSQL restarted in the middle of a run.

Usage::

    nice -n 10 env PYTHONPATH=. .venv/bin/python bench/bench_load_fault.py \\
        [--readers 20] [--reconnect-every 5] [--think 1.0] [--max-minutes 9]

Setup: a throwaway PostgreSQL cluster (``tests/integration/postgres.py``: ``initdb`` into a
temporary folder, a free localhost port, fsync off), a project home whose Dagster instance
is ``deploy/dagster.yaml`` on it, the sample market's landing files for 2008-09-29 ..
2008-10-17, and ``alvh --set warmup_days=10 backfill --start 2008-10-08 --end 2008-10-08``
(which publishes).

Load: ``--readers`` reader *processes* (multiprocessing, spawn) loop until the runs end
(at most ``--max-minutes``): open ``published/alvh.duckdb`` read-only (a new connection
every ``--reconnect-every`` rounds, so a reader both holds a snapshot across publishes and
picks up new ones), run three analyst queries (counts and sums on
``strategy.account_daily``, ``attribution.daily_pnl``, ``marts.fct_regime_daily``) and the
torn-read check (every table's ``count(*)`` equals its ``meta.publication_tables.row_count``,
in that one connection), then wait ``--think`` seconds. Each reader records every query's
latency (the open included, as its own figure), every error message, every torn read and
the releases (``meta.publication.release``) it saw. Meanwhile the main process runs
``alvh run --date D`` for 2008-10-09, -10, -13 and -14, one after the other (each publishes
at its end; the publish time is the one the CLI prints), starting none in the bound's last
minute (a run that started finishes: the readers then stop at its end).

Fault: a reference home is made first — a copy of the warehouse after the load phase, its
own Dagster database — where ``alvh run --date D`` runs undisturbed for the next day D
(2008-10-15 when all four ran). Then in the loaded home the same command starts; once
Dagster has stored the run's first asset materialization (polled in PostgreSQL's
``event_logs``) the server is restarted
(``pg_ctl restart -m fast``). Recorded: the CLI's exit code and last stderr line, the
faulted home's warehouse (opens, latest day per table) and publication (unchanged or
not), the Dagster run statuses; then the same command again (must succeed), and its
warehouse compared with the reference (``bench/compare_warehouses.py``: the ``marts``,
``strategy`` and ``attribution`` tables, stamp columns ``_ingested_at`` and
``_computed_at`` left out).

Results: ``bench/results/load_fault.json`` (machine, load averages, every figure, the
command). Localhost only; everything is removed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
from compare_warehouses import compare  # noqa: E402

from tests.integration.postgres import Server, query, throwaway_server  # noqa: E402

LANDED = (dt.date(2008, 9, 29), dt.date(2008, 10, 17))
FIRST_DAY = "2008-10-08"
DAYS = ("2008-10-09", "2008-10-10", "2008-10-13", "2008-10-14", "2008-10-15", "2008-10-16")
"""The load phase runs the first four, while there is time; the faults the next two."""
CLI = "import sys; from orchestration.cli import main; sys.argv=['alvh']+sys.argv[1:]; main()"
COMMAND = (
    "nice -n 10 env PYTHONPATH=. .venv/bin/python bench/bench_load_fault.py "
    "--readers {readers} --reconnect-every {reconnect_every} --think {think} "
    "--max-minutes {max_minutes}"
)
QUERIES = {
    "account_daily": "SELECT strategy, count(*), max(date), sum(cash), avg(nav) "
    "FROM strategy.account_daily GROUP BY strategy ORDER BY strategy",
    "daily_pnl": "SELECT category, count(*), sum(amount) FROM attribution.daily_pnl "
    "GROUP BY category ORDER BY category",
    "regime": "SELECT regime, count(*), avg(vix_close) FROM marts.fct_regime_daily "
    "GROUP BY regime ORDER BY regime",
}
COMPARED = ("marts", "strategy", "attribution")
STAMPS = frozenset({"_ingested_at", "_computed_at"})
PUBLISHED_S = re.compile(r"published .*; ([\d.]+) s\)")


# ---------------------------------------------------------------- readers (child processes)


def reader(
    index: int, path: str, stop: mp.Event, deadline: float, every: int, think: float, out: mp.Queue
) -> None:
    """Loop until ``stop`` or ``deadline`` (``time.time()``); put one summary on ``out``."""
    latencies: list[float] = []
    opens: list[float] = []
    errors: list[str] = []
    torn: list[dict] = []
    releases: dict[str, int] = {}
    rounds = checks = 0
    con = None
    while not stop.is_set() and time.time() < deadline:
        try:
            if con is None or rounds % every == 0:
                if con is not None:
                    con.close()
                t0 = time.perf_counter()
                con = duckdb.connect(path, read_only=True)
                opens.append(time.perf_counter() - t0)
            for sql in QUERIES.values():
                t0 = time.perf_counter()
                con.execute(sql).fetchall()
                latencies.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            (release,) = con.execute("SELECT release FROM meta.publication").fetchone()
            expected = con.execute(
                "SELECT schema_name, table_name, row_count FROM meta.publication_tables"
            ).fetchall()
            union = " UNION ALL ".join(
                f'SELECT {i} AS i, count(*) AS n FROM "{s}"."{t}"'
                for i, (s, t, _) in enumerate(expected)
            )
            counts = dict(con.execute(union).fetchall()) if union else {}
            latencies.append(time.perf_counter() - t0)
            checks += 1
            releases[release] = releases.get(release, 0) + 1
            for i, (s, t, n) in enumerate(expected):
                if counts.get(i) != n:
                    torn.append({"release": release, "table": f"{s}.{t}", "meta": n,
                                 "count": counts.get(i)})  # fmt: skip
        except Exception as e:  # noqa: BLE001 - every failure is a figure
            errors.append(f"{type(e).__name__}: {e}".splitlines()[0][:300])
            if con is not None:
                con.close()
            con = None
        rounds += 1
        time.sleep(think)
    if con is not None:
        con.close()
    out.put({"reader": index, "rounds": rounds, "queries": len(latencies), "checks": checks,
             "latencies": latencies, "opens": opens, "errors": errors, "torn": torn,
             "releases": releases})  # fmt: skip


# ---------------------------------------------------------------- the project and its CLI


def _home(base: Path, name: str, landing: Path, server: Server, db: str) -> dict[str, str]:
    home = base / name
    dagster_home = home / "dagster_home"
    dagster_home.mkdir(parents=True)
    shutil.copy(ROOT / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    server.createdb(db)
    return {
        **os.environ,
        **server.env(db),
        "PYTHONPATH": str(ROOT),
        "ALVH_HOME": str(home),
        "ALVH_LANDING_DIR": str(landing),
        "ALVH_WAREHOUSE": str(home / "warehouse" / "alvh.duckdb"),
        "DAGSTER_HOME": str(dagster_home),
    }


def _alvh(env: dict[str, str], *args: str, timeout: float = 900) -> dict:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    return _outcome(done.returncode, done.stdout, done.stderr, time.perf_counter() - t0)


def _outcome(code: int, stdout: str, stderr: str, seconds: float) -> dict:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    published = PUBLISHED_S.search(stdout)
    return {
        "exit_code": code,
        "wall_s": round(seconds, 1),
        "publish_s": float(published.group(1)) if published else None,
        "stdout_tail": stdout.strip().splitlines()[-3:],
        "stderr_lines": len(lines),
        "stderr_last_line": lines[-1] if lines else "",
        "stderr_error_lines": [ln for ln in lines if ln.startswith("error")],
    }


def _run_statuses(env: dict[str, str]) -> dict[str, int]:
    return dict(query(env, "SELECT status, count(*) FROM runs GROUP BY status"))


def _warehouse_state(env: dict[str, str]) -> dict:
    """Whether the warehouse opens read-only, and the latest day of the day-keyed tables."""
    path = env["ALVH_WAREHOUSE"]
    try:
        con = duckdb.connect(path, read_only=True)
    except duckdb.Error as e:
        return {"opens": False, "error": str(e).splitlines()[0]}
    try:
        latest = {
            table: str(con.execute(f"SELECT max({col}) FROM {table}").fetchone()[0])
            for table, col in (
                ("raw.cboe_option_eod", "quote_date"),
                ("pricing.option_greeks", "quote_date"),
                ("marts.fct_regime_daily", "date"),
                ("strategy.account_daily", "date"),
                ("attribution.daily_pnl", "date"),
            )
        }
        return {"opens": True, "latest_day": latest}
    finally:
        con.close()


def _published(env: dict[str, str]) -> Path:
    """``published/`` beside the warehouse file (:func:`alvh_assets.paths.published_dir`)."""
    return Path(env["ALVH_WAREHOUSE"]).parent / "published"


def _publication(env: dict[str, str]) -> dict:
    current = _published(env) / "current"
    con = duckdb.connect(os.path.realpath(current / "alvh.duckdb"), read_only=True)
    try:
        release, through = con.execute(
            "SELECT release, data_through FROM meta.publication"
        ).fetchone()
    finally:
        con.close()
    return {"release": release, "data_through": str(through)}


# ---------------------------------------------------------------- phases


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def load_phase(env: dict[str, str], args: argparse.Namespace) -> dict:
    ctx = mp.get_context("spawn")
    stop, out = ctx.Event(), ctx.Queue()
    deadline = time.time() + args.max_minutes * 60  # readers stop at the runs' end or then
    path = str(_published(env) / "alvh.duckdb")
    procs = [
        ctx.Process(
            target=reader, args=(i, path, stop, deadline, args.reconnect_every, args.think, out)
        )
        for i in range(args.readers)
    ]
    for p in procs:
        p.start()
    load_before = os.getloadavg()
    runs = []
    t0 = time.perf_counter()
    for day in DAYS[:4]:
        if time.time() > deadline - 60:  # no run starts in the bound's last minute
            break
        outcome = {"date": day, **_alvh(env, "run", "--date", day)}
        print("load run", outcome, flush=True)
        runs.append(outcome)
    phase_s = time.perf_counter() - t0
    load_during = os.getloadavg()
    stop.set()
    summaries = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    latencies = [x for s in summaries for x in s["latencies"]]
    opens = [x for s in summaries for x in s["opens"]]
    errors = [e for s in summaries for e in s["errors"]]
    torn = [t for s in summaries for t in s["torn"]]
    seen: dict[str, int] = {}
    for s in summaries:
        for release, n in s["releases"].items():
            seen[release] = seen.get(release, 0) + n
    publishes = [r["publish_s"] for r in runs if r.get("publish_s") is not None]
    return {
        "readers": args.readers,
        "reconnect_every_rounds": args.reconnect_every,
        "think_s": args.think,
        "phase_s": round(phase_s, 1),
        "load_average_before": load_before,
        "load_average_end": load_during,
        "runs": runs,
        "runs_ok": sum(r.get("exit_code") == 0 for r in runs),
        "longest_publish_s": max(publishes) if publishes else None,
        "rounds": sum(s["rounds"] for s in summaries),
        "queries": len(latencies),
        "torn_read_checks": sum(s["checks"] for s in summaries),
        "connections_opened": len(opens),
        "errors": len(errors),
        "error_messages": sorted(set(errors))[:20],
        "torn_reads": len(torn),
        "torn_examples": torn[:20],
        "query_latency_s": {
            "median": round(statistics.median(latencies), 4) if latencies else None,
            "p99": round(_pct(latencies, 0.99), 4),
            "max": round(max(latencies, default=0.0), 4),
        },
        "open_latency_s": {
            "median": round(statistics.median(opens), 4) if opens else None,
            "p99": round(_pct(opens, 0.99), 4),
            "max": round(max(opens, default=0.0), 4),
        },
        "releases_seen": len(seen),
        "checks_per_release": dict(sorted(seen.items())),
        "releases_seen_per_reader": sorted(len(s["releases"]) for s in summaries),
    }


def reference(
    env: dict[str, str], base: Path, landing: Path, server: Server, days: list[str]
) -> dict:
    """A second home: the warehouse as it stands now, its own Dagster database, the fault
    days run undisturbed."""
    ref = _home(base, "reference", landing, server, "dagster_ref")
    src = Path(env["ALVH_WAREHOUSE"]).parent
    shutil.copytree(
        src, Path(ref["ALVH_WAREHOUSE"]).parent, ignore=shutil.ignore_patterns("published")
    )
    runs = []
    for day in days:
        runs.append({"date": day, **_alvh(ref, "run", "--date", day)})
        print("reference run", runs[-1], flush=True)
    return {"env": ref, "runs": runs}


def _inject(server: Server, mode: str, outage_s: float) -> None:
    """``restart``: ``pg_ctl restart -m fast`` (the options of the last start are reused);
    ``outage``: stop (fast), ``outage_s`` seconds down, start with the same options."""
    log = str(server.data.parent / "server.log")
    if mode == "restart":
        server.pg_ctl("-m", "fast", "-l", log, "-w", "restart")
        return
    server.pg_ctl("-m", "fast", "-w", "stop")
    time.sleep(outage_s)
    options = (  # as tests/integration/postgres.py starts it
        f"-p {server.port} -k {server.data.parent} -c listen_addresses=127.0.0.1 -c fsync=off"
    )
    server.pg_ctl("-o", options, "-l", log, "-w", "start")


def fault(env: dict[str, str], server: Server, day: str, mode: str, outage_s: float) -> dict:
    """``alvh run --date day`` with PostgreSQL restarted (or down) once the run has stored
    its first asset materialization; the state after it; the same command again."""
    (last_event,) = query(env, "SELECT coalesce(max(id), 0) FROM event_logs")[0]
    before = _publication(env)
    log = Path(env["ALVH_HOME"]) / f"fault_{day}"
    t0 = time.perf_counter()
    with open(f"{log}.out", "w") as out, open(f"{log}.err", "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", CLI, "run", "--date", day], env=env, cwd=ROOT,
            stdout=out, stderr=err,
        )  # fmt: skip
    waited = None
    while proc.poll() is None and time.perf_counter() - t0 < 600:
        (n,) = query(
            env,
            "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'"
            f" AND id > {last_event}",
        )[0]
        if n:
            waited = time.perf_counter() - t0
            break
        time.sleep(0.5)
    injected = None
    if waited is not None:
        r0 = time.perf_counter()
        _inject(server, mode, outage_s)
        injected = round(time.perf_counter() - r0, 2)
    try:
        code = proc.wait(600)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    faulted = _outcome(
        code, Path(f"{log}.out").read_text(), Path(f"{log}.err").read_text(),
        time.perf_counter() - t0,
    )  # fmt: skip
    faulted["fault_after_s"] = round(waited, 1) if waited is not None else None
    faulted["server_down_s"] = injected
    faulted["stderr_tail"] = Path(f"{log}.err").read_text().strip().splitlines()[-8:]
    print("faulted run", mode, faulted, flush=True)
    after_fault = {
        "warehouse": _warehouse_state(env),
        "publication_before": before,
        "publication": _publication(env),
        "dagster_runs": _run_statuses(env),
    }
    rerun = _alvh(env, "run", "--date", day)
    print("rerun", rerun, flush=True)
    after_rerun = {
        "warehouse": _warehouse_state(env),
        "publication": _publication(env),
        "dagster_runs": _run_statuses(env),
    }
    return {
        "date": day,
        "mode": mode,
        "outage_s": outage_s if mode == "outage" else None,
        "faulted_run": faulted,
        "after_fault": after_fault,
        "rerun": rerun,
        "after_rerun": after_rerun,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--reconnect-every", type=int, default=5)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--max-minutes", type=float, default=9)
    parser.add_argument("--outage", type=float, default=30.0)
    args = parser.parse_args()
    from alvh_assets.sample.generate import generate_sample_market  # the parent only

    base = Path(tempfile.mkdtemp(prefix="alvh_bench_load_"))
    result: dict = {"command": COMMAND.format(**vars(args))}
    try:
        landing = base / "landing"
        generate_sample_market(*LANDED, landing)
        with throwaway_server() as server:
            env = _home(base, "home", landing, server, "dagster")
            setup = _alvh(
                env, "--set", "warmup_days=10", "backfill", "--start", FIRST_DAY, "--end",
                FIRST_DAY,
            )  # fmt: skip
            print("setup", setup, flush=True)
            if setup["exit_code"] != 0:
                raise SystemExit(f"setup backfill failed: {setup['stderr_last_line']}")
            result["setup"] = setup
            result["load"] = load_phase(env, args)
            ran = len(result["load"]["runs"])
            if any(r["exit_code"] for r in result["load"]["runs"]):
                raise SystemExit("a run of the load phase failed: see the runs above")
            days = list(DAYS[ran : ran + 2])
            ref = reference(env, base, landing, server, days)
            result["reference_runs"] = ref["runs"]
            result["faults"] = [
                fault(env, server, days[0], "restart", 0.0),
                fault(env, server, days[1], "outage", args.outage),
            ]
            tables = compare(
                Path(env["ALVH_WAREHOUSE"]), Path(ref["env"]["ALVH_WAREHOUSE"]), COMPARED, STAMPS
            )
            differing = [t for t in tables if not t["identical"]]
            result["after_faults_vs_reference"] = {
                "faulted_home": _warehouse_state(env),
                "reference_home": _warehouse_state(ref["env"]),
                "tables_compared": len(tables),
                "tables_identical": len(tables) - len(differing),
                "differing": differing,
            }
    finally:  # what was measured is written even when a phase stopped the bench
        shutil.rmtree(base, ignore_errors=True)
        result["machine"] = describe(["dagster", "dagster-postgres", "duckdb", "psycopg2"])
        result["load_average_after"] = os.getloadavg()
        out = ROOT / "bench" / "results" / "load_fault.json"
        out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps({k: v for k, v in result["load"].items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
