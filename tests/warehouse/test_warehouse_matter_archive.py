"""Closed matters in the warehouse (migrations 8 and 9), on chdb and on ClickHouse 18.16."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.cluster_state import Evicted
from warehouse import matter_archive
from warehouse.backend import Backend

AT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
BIG_KEY = (4 << 40) | 0xFFFFFFFF  # keys are tagged CRC-32s: above 2^32


def evicted(matter_id: str, keys: tuple[int, ...], block: str = "330681109",
            version: int = 3, state: str = '{"id": "x", "引号": "\'"}') -> Evicted:  # fmt: skip
    return Evicted(matter_id, block, "330681", AT, version, keys, ("Mold",), state)


def test_stored_matters_read_back_exactly(backend: Backend) -> None:
    e = evicted("M1", (1, 2, BIG_KEY))
    assert matter_archive.store(backend, [e, e]) == 2  # written twice (a retry): one matter
    assert matter_archive.lookup(backend, ("330681109",), (2,), 4) == [e]
    assert matter_archive.store(backend, []) == 0


def test_lookup_ranks_by_shared_keys_within_the_townships(backend: Backend) -> None:
    a, b = evicted("Ma", (1, 2, 3)), evicted("Mb", (3, 4))
    far = evicted("Mc", (1, 2, 3, 4), block="330681110")
    matter_archive.store(backend, [a, b, far])
    found = matter_archive.lookup(backend, ("330681109", ""), (1, 2, 3, 4), 4)
    assert [e.matter_id for e in found] == ["Ma", "Mb"]
    assert [e.matter_id for e in matter_archive.lookup(backend, (), (4,), 1)] == ["Mb"]
    assert matter_archive.lookup(backend, ("330681109",), (99,), 4) == []
    assert matter_archive.lookup(backend, ("330681109",), (), 4) == []


def test_a_matter_evicted_again_is_read_at_its_latest_version(backend: Backend) -> None:
    old = evicted("M1", (1, 2), version=3)
    new = evicted("M1", (1, 2, 5), version=7, state='{"id": "newer"}')
    store = matter_archive.ArchiveStore(backend)
    store.store([new])
    store.store([old])  # a late duplicate of the older eviction does not win
    assert store.lookup(("330681109",), (1,), 4) == [new]
    table = f"{backend.database}.{matter_archive.TABLE}"
    (n,) = backend.query(f"SELECT count() AS n FROM {table} FINAL")
    assert n["n"] == 1
    assert new.last_at == AT and old.last_at + timedelta(0) == AT


def test_matters_archived_before_migration_9_are_still_found(raw_backend: Backend) -> None:
    """Migration 9 moves the states to a table of small granules, copying the old rows."""
    from warehouse.migrations import MIGRATIONS, migrate

    migrate(raw_backend, tuple(m for m in MIGRATIONS if m.version < 9))
    e = evicted("M1", (1, 2))
    rows, keys = matter_archive.archive_rows([e])
    raw_backend.insert("matter_archive_keys", keys)
    raw_backend.insert("matter_archive", rows)  # where migration 8 kept the states
    assert migrate(raw_backend) == [9]
    assert matter_archive.lookup(raw_backend, ("330681109",), (2,), 4) == [e]
