"""A throwaway PostgreSQL cluster for the deployment tests: ``initdb`` into a temporary
folder, one server on a free localhost port, removed at the end.

The binaries are the Debian package's (``/usr/lib/postgresql/<major>/bin``) or whatever
``pg_config --bindir`` names; without them the tests that need a server are skipped with
that reason. PostgreSQL refuses to run as root, so under root (CI containers) the cluster
belongs to the ``postgres`` system user and its commands run through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

USER = "alvh"
PASSWORD = "alvh"


def bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is absent."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    """A running cluster: where it listens and how to reach one database of it."""

    bindir: Path
    data: Path
    port: int
    run_as: list[str]

    def env(self, db: str) -> dict[str, str]:
        """The ``DAGSTER_PG_*`` variables ``deploy/dagster.yaml`` reads, for database ``db``."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USERNAME": USER,
            "DAGSTER_PG_PASSWORD": PASSWORD,
            "DAGSTER_PG_DB": db,
        }

    def createdb(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name)

    def pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), *args)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.bindir / tool), *args],
            check=True,
            capture_output=True,
            text=True,
        )


@contextlib.contextmanager
def throwaway_server() -> Iterator[Server]:
    """``initdb`` (trust authentication, no fsync: a test cluster), start, yield, stop."""
    bins = bindir()
    if bins is None:
        raise FileNotFoundError("PostgreSQL binaries (initdb, pg_ctl) not found")
    root = Path(tempfile.mkdtemp(prefix="alvh_pg_"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    server = Server(bins, root / "data", _free_port(), run_as)
    try:
        server._run("initdb", "-D", str(server.data), "-U", USER, "-A", "trust", "--no-sync")
        options = f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        server.pg_ctl("-o", options, "-l", str(root / "server.log"), "-w", "start")
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.pg_ctl("-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def query(env: dict[str, str], sql: str) -> list[tuple]:
    """Rows of ``sql`` on the database the ``DAGSTER_PG_*`` variables of ``env`` name."""
    import psycopg2

    conn = psycopg2.connect(
        host=env["DAGSTER_PG_HOST"],
        port=int(env["DAGSTER_PG_PORT"]),
        user=env["DAGSTER_PG_USERNAME"],
        password=env["DAGSTER_PG_PASSWORD"],
        dbname=env["DAGSTER_PG_DB"],
    )
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()
