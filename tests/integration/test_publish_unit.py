"""A publication is one unit: the DuckDB copy and the Parquet exports swap together.

Each test builds its own small warehouse ``alvh.duckdb`` whose ``marts.pub_seq`` and
``strategy.pub_seq`` both hold the sequence number of the publication about to be made,
so any file of a publication says which publication it belongs to.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from alvh_assets import publish as pub

pytestmark = pytest.mark.slow

SEQ_TABLES = ("marts.pub_seq", "strategy.pub_seq")


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write ``alvh.duckdb`` with the two sequence tables (seq 0) and some bulk."""
    (tmp_path / "warehouse").mkdir()
    con = duckdb.connect(str(tmp_path / "warehouse" / "alvh.duckdb"))
    for schema in ("marts", "strategy"):
        con.execute(f"CREATE SCHEMA {schema}")
    for table in SEQ_TABLES:
        con.execute(f"CREATE TABLE {table} AS SELECT 0 AS seq, range AS i FROM range(20000)")
    yield con
    con.close()


def _set_seq(con: duckdb.DuckDBPyConnection, seq: int) -> None:
    for table in SEQ_TABLES:
        con.execute(f"UPDATE {table} SET seq = ?", [seq])


def _temps(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if ".tmp-" in p.name]


READER = """
import json, os, sys, time, duckdb
published, stop = sys.argv[1], sys.argv[2]
files = [os.path.join("parquet", "marts", "pub_seq.parquet"),
         os.path.join("parquet", "strategy", "pub_seq.parquet")]
reads, seen, mixed, torn, gone = 0, set(), [], [], 0
deadline = time.monotonic() + 60
mem = duckdb.connect()
both = ("SELECT (SELECT max(seq) FROM {0}.marts.pub_seq), "
        "(SELECT min(seq) FROM {0}.strategy.pub_seq)")
while not os.path.exists(stop) and time.monotonic() < deadline and reads < 5000:
    release = os.path.realpath(os.path.join(published, "current"))  # resolved once
    try:
        a, b = mem.execute(
            "SELECT (SELECT max(seq) FROM read_parquet(?)), (SELECT min(seq) FROM read_parquet(?))",
            [os.path.join(release, f) for f in files],
        ).fetchone()
        mem.execute(f"ATTACH '{os.path.join(release, 'alvh.duckdb')}' AS r (READ_ONLY)")
        try:
            c, d = mem.execute(both.format("r")).fetchone()
        finally:
            mem.execute("DETACH r")
    except duckdb.IOException:
        gone += 1  # the release was pruned before its files were opened: resolve again
        continue
    if len({a, b, c, d}) != 1:
        mixed.append([a, b, c, d])
    # the stable name, as readers opened it before the release layout: one file, one snapshot
    mem.execute(f"ATTACH '{os.path.join(published, 'alvh.duckdb')}' AS s (READ_ONLY)")
    e, f = mem.execute(both.format("s")).fetchone()
    mem.execute("DETACH s")
    if e != f:
        torn.append([e, f])
    reads += 1
    seen.add(a)
    print(json.dumps({"reads": reads}), flush=True) if reads == 1 else None
print(json.dumps({"reads": reads, "seen": sorted(seen), "mixed": mixed, "torn": torn,
                  "gone": gone}), flush=True)
"""


def test_reader_sees_one_publication_across_files(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A reader in another process resolves ``current`` once per round and reads two Parquet
    files and the DuckDB copy of that release while the writer re-publishes with a new
    sequence number each time: every round reads one publication, never a mix."""
    target, stop = tmp_path / "published", tmp_path / "stop"
    pub.publish(warehouse, target)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(target), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert json.loads(reader.stdout.readline()) == {"reads": 1}  # reading before we swap
        deadline = time.monotonic() + 30
        publishes = 0
        while publishes < 25 and time.monotonic() < deadline:
            publishes += 1
            _set_seq(warehouse, publishes)
            pub.publish(warehouse, target)
        stop.touch()
        out, _ = reader.communicate(timeout=90)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert reader.returncode == 0
    summary = json.loads(out.splitlines()[-1])
    assert summary["mixed"] == [] and summary["torn"] == []
    assert summary["reads"] >= 10 and len(summary["seen"]) >= 3  # it really overlapped
    assert set(summary["seen"]) <= set(range(publishes + 1))
    assert len(list((target / "releases").iterdir())) == pub.KEEP_RELEASES
    assert not _temps(target)


def test_layout_read_only_and_pruning(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One release folder per publication, ``current`` and the stable names as relative
    symlinks, files 0444 and folders 0555, the newest :data:`KEEP_RELEASES` kept; a reader
    holding a connection to a deleted release keeps reading it."""
    target = tmp_path / "published"
    monkeypatch.setenv("ALVH_PUBLISHED_DIR", str(target))
    assert pub.published_database() == target / "alvh.duckdb"  # nothing published yet
    first = pub.publish(warehouse)
    assert os.readlink(target / "current") == f"releases/{first.release.name}"
    assert os.readlink(target / "alvh.duckdb") == "current/alvh.duckdb"
    assert os.readlink(target / "parquet") == "current/parquet"
    assert first.path == target / "alvh.duckdb"
    assert first.parquet == (
        target / "parquet" / "marts" / "pub_seq.parquet",
        target / "parquet" / "strategy" / "pub_seq.parquet",
    )
    assert pub.published_database() == first.release / "alvh.duckdb"
    modes = {
        p.relative_to(first.release).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in [first.release, *first.release.rglob("*")]
    }
    assert modes == {
        ".": 0o555,
        "alvh.duckdb": 0o444,
        "parquet": 0o555,
        "parquet/marts": 0o555,
        "parquet/marts/pub_seq.parquet": 0o444,
        "parquet/strategy": 0o555,
        "parquet/strategy/pub_seq.parquet": 0o444,
    }

    holder = duckdb.connect()
    holder.execute(f"ATTACH '{first.release / 'alvh.duckdb'}' AS old (READ_ONLY)")
    results = []
    for seq in range(1, 6):
        _set_seq(warehouse, seq)
        results.append(pub.publish(warehouse))
    releases = sorted(p.name for p in (target / "releases").iterdir())
    assert releases == sorted(r.release.name for r in results[-pub.KEEP_RELEASES :])
    assert not first.release.exists()
    assert first.release in results[pub.KEEP_RELEASES - 1].pruned
    assert holder.execute("SELECT min(seq), max(seq) FROM old.strategy.pub_seq").fetchone() == (
        0,
        0,
    )
    holder.close()
    with duckdb.connect(str(target / "alvh.duckdb"), read_only=True) as reader:
        assert reader.execute("SELECT max(seq) FROM strategy.pub_seq").fetchone() == (5,)
    assert pub.published_database() == results[-1].release / "alvh.duckdb"
    assert not _temps(target)


def test_converts_a_publication_from_before_the_release_layout(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A plain ``alvh.duckdb`` file and ``parquet/`` folder become the stable symlinks; a
    reader holding the old file keeps its snapshot."""
    target = tmp_path / "published"
    (target / "parquet" / "marts").mkdir(parents=True)
    warehouse.execute(f"ATTACH '{target / 'legacy.duckdb'}' AS legacy")
    warehouse.execute("CREATE TABLE legacy.t AS SELECT 'old' AS v")
    warehouse.execute("DETACH legacy")
    os.rename(target / "legacy.duckdb", target / "alvh.duckdb")
    (target / "parquet" / "marts" / "gone.parquet").write_bytes(b"old")
    holder = duckdb.connect()
    holder.execute(f"ATTACH '{target / 'alvh.duckdb'}' AS old (READ_ONLY)")

    result = pub.publish(warehouse, target)
    assert os.readlink(target / "alvh.duckdb") == "current/alvh.duckdb"
    assert os.readlink(target / "parquet") == "current/parquet"
    assert sorted(p.name for p in target.iterdir()) == [
        "alvh.duckdb",
        "current",
        "parquet",
        "releases",
    ]
    assert (target / "parquet" / "strategy" / "pub_seq.parquet").exists()
    assert not (target / "parquet" / "marts" / "gone.parquet").exists()
    assert holder.execute("SELECT v FROM old.t").fetchone() == ("old",)
    holder.close()
    assert pub.published_database(target) == result.release / "alvh.duckdb"


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_sweeps_temps_of_dead_publishes_only(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Defect 9: a killed publish leaves a warehouse-sized temp behind. The next publish
    removes the temps of dead processes (both layouts, a sealed read-only staging folder
    included) and keeps those of a live one, which may be publishing right now."""
    target = tmp_path / "published"
    target.mkdir()
    dead = _dead_pid()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        staging = target / "releases" / f".20240101T000000000000Z-{dead}.tmp-{dead}"
        (staging / "parquet" / "marts").mkdir(parents=True)
        (staging / "alvh.duckdb").write_bytes(b"x" * 1_000_000)
        (staging / "parquet" / "marts" / "t.parquet").write_bytes(b"x")
        for sealed in (staging / "parquet" / "marts", staging / "parquet", staging):
            sealed.chmod(0o555)
        stale = [
            target / f".alvh.duckdb.tmp-{dead}",
            target / f".alvh.duckdb.tmp-{dead}.wal",
            target / f".current.tmp-{dead}",
            staging,
        ]
        for path in stale[:2]:
            path.write_bytes(b"x" * 1_000_000)
        os.symlink(f"releases/{staging.name}", stale[2])
        running = [
            target / f".alvh.duckdb.tmp-{live.pid}",
            target / "releases" / f".r.tmp-{live.pid}",
        ]
        running[0].write_bytes(b"y")
        running[1].mkdir()

        result = pub.publish(warehouse, target)

        assert not [p for p in stale if os.path.lexists(p)]
        assert set(result.swept) == set(stale)
        assert all(p.exists() for p in running)
        assert sorted(_temps(target)) == sorted(running)
    finally:
        live.kill()
        live.wait()
    result = pub.publish(warehouse, target)  # now the other publisher is dead too
    assert set(result.swept) == set(running) and not _temps(target)


PUBLISHER = """
import sys, duckdb
from alvh_assets import publish as pub
con = duckdb.connect(sys.argv[1])
while True:
    pub.publish(con, sys.argv[2])
"""


def test_publish_after_a_killed_publish_leaves_no_temps(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Defect 9 as reported: ``kill -9`` a publishing process while its staging folder
    exists; the next publish (another process) removes what it left and publishes."""
    target = tmp_path / "published"
    db = tmp_path / "warehouse" / "alvh.duckdb"
    warehouse.close()  # the publisher process needs the warehouse's write lock
    left: list[Path] = []
    for _ in range(5):
        child = subprocess.Popen([sys.executable, "-c", PUBLISHER, str(db), str(target)])
        deadline = time.monotonic() + 30
        while not _temps(target) and time.monotonic() < deadline:
            time.sleep(0.001)
        child.kill()
        child.wait()
        left = _temps(target)
        if left:
            break
    assert left, "no publish was caught mid-way in 5 tries"
    with duckdb.connect(str(db)) as con:
        result = pub.publish(con, target)
    assert set(left) <= set(result.swept) and not _temps(target)
    with duckdb.connect(str(target / "alvh.duckdb"), read_only=True) as reader:
        assert reader.execute("SELECT count(*) FROM marts.pub_seq").fetchone() == (20000,)
