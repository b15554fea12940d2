"""The project instance's event log: a partition range's events in one transaction, with the
same partition records Dagster's own SQLite storage keeps."""

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from alvh_assets.dagster_support import TRADING_DAYS, WRITER_POLICIES
from orchestration.event_log import BatchedSqliteEventLogStorage
from orchestration.runs import INSTANCE_CONFIG, partition_range_tags

FIRST, LAST = "2008-09-02", "2008-10-31"  # 44 sessions


@dg.multi_asset(
    specs=[dg.AssetSpec("a"), dg.AssetSpec("b")],
    partitions_def=TRADING_DAYS,
    backfill_policy=WRITER_POLICIES["backfill_policy"],
)
def two_tables(context: dg.AssetExecutionContext):
    for key in ("a", "b"):
        yield dg.MaterializeResult(asset_key=key, metadata={"days": len(context.partition_keys)})


def _instance(home: Path, config: str) -> dg.DagsterInstance:
    home.mkdir()
    (home / "dagster.yaml").write_text(config)
    return dg.DagsterInstance.from_config(str(home))


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    original = BatchedSqliteEventLogStorage.store_event_batch

    def spy(self: BatchedSqliteEventLogStorage, events: list) -> None:
        sizes.append(len(events))
        original(self, events)

    monkeypatch.setattr(BatchedSqliteEventLogStorage, "store_event_batch", spy)
    return sizes


def _run(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    tags = partition_range_tags(dt.date.fromisoformat(FIRST), dt.date.fromisoformat(LAST))
    return dg.materialize([two_tables], instance=instance, tags=tags)


def test_a_range_is_recorded_per_partition_in_batches(
    tmp_path: Path, batches: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "batched"))
    days = TRADING_DAYS.get_partition_keys_in_range(dg.PartitionKeyRange(FIRST, LAST))
    with _instance(tmp_path / "batched", INSTANCE_CONFIG) as batched:
        assert isinstance(batched.event_log_storage, BatchedSqliteEventLogStorage)
        assert _run(batched).success
        # two planned events (one per asset), then each asset's 44 materializations at once
        assert batches == [2, len(days), len(days)]
        for key in ("a", "b"):
            assert batched.get_materialized_partitions(dg.AssetKey(key)) == set(days)
            latest = batched.get_latest_materialization_event(dg.AssetKey(key))
            assert latest.dagster_event.partition == LAST
            assert latest.asset_materialization.metadata["days"].value == len(days)
        planned = batched.get_records_for_run(
            _run(batched).run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        ).records
        assert len(planned) == 2  # one per asset for the whole range, not one per day
        assert batched.get_materialized_partitions(dg.AssetKey("a")) == set(days)
        records = batched.fetch_materializations(dg.AssetKey("a"), limit=1000).records
        assert sorted(r.partition_key for r in records) == sorted(days * 2)  # two runs


def test_a_copied_project_writes_its_own_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The instance config holds no absolute path: a project folder copied elsewhere writes
    runs into the copy's ``.dagster_home``, and the original's history is left as it was."""
    import shutil

    from orchestration.runs import instance_home

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    original, copy = tmp_path / "original", tmp_path / "copy"
    monkeypatch.setenv("ALVH_HOME", str(original))
    home = instance_home()
    assert str(original) not in (home / "dagster.yaml").read_text()
    with dg.DagsterInstance.get() as instance:
        assert _run(instance).success
    shutil.copytree(original, copy)
    monkeypatch.delenv("DAGSTER_HOME")
    monkeypatch.setenv("ALVH_HOME", str(copy))
    assert instance_home() == copy / ".dagster_home"
    with dg.DagsterInstance.get() as instance:
        assert Path(instance.event_log_storage._base_dir).is_relative_to(copy)
        assert _run(instance).success
        assert len(instance.get_run_records()) == 2
    monkeypatch.setenv("DAGSTER_HOME", str(original / ".dagster_home"))
    with dg.DagsterInstance.get() as instance:
        assert len(instance.get_run_records()) == 1


def test_connections_are_kept_per_shard_and_see_other_writers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One engine per shard for the process (Dagster creates one per statement), at most
    ``ENGINES_KEPT`` of them, the evicted ones closed; a kept connection still reads what
    another storage (another process's, here a second instance) committed since."""
    from orchestration import event_log

    created: list = []
    original = event_log.create_engine

    def spy(*args, **kwargs):
        created.append(original(*args, **kwargs))
        return created[-1]

    monkeypatch.setattr(event_log, "create_engine", spy)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    with _instance(tmp_path / "home", INSTANCE_CONFIG) as instance:
        runs = [_run(instance) for _ in range(event_log.ENGINES_KEPT + 2)]
        assert all(r.success for r in runs)
        events = sum(len(instance.all_logs(r.run_id)) for r in runs)
        storage = instance.event_log_storage
        assert events > 20 * len(runs)
        # the index and every run's shard, each once (the first runs' evicted, then reopened
        # by all_logs above)
        assert len(created) <= 1 + 2 * len(runs) < events
        assert len(storage._engines) == event_log.ENGINES_KEPT
        kept = set(map(id, storage._engines.values()))
        closed = [e for e in created if id(e) not in kept]
        assert closed and all(e.pool.checkedin() == 0 for e in closed)
        with dg.DagsterInstance.from_config(str(tmp_path / "home")) as other:
            newest = _run(other)  # committed through the other storage's own connections
        latest = instance.get_latest_materialization_event(dg.AssetKey("a"))
        assert newest.success and latest.run_id == newest.run_id
