"""The worker's archive index finds what the warehouse query finds, with fewer queries
(chdb and 18.16)."""

from __future__ import annotations

from typing import Any

from tests.warehouse.test_warehouse_matter_archive import evicted
from warehouse import matter_archive
from warehouse.archive_keys import ArchiveIndex
from warehouse.backend import Backend

TOWN, OTHER = "330681109", "330681110"


class Counting:
    """``backend`` that counts its queries."""

    def __init__(self, backend: Backend) -> None:
        self.inner, self.database, self.queries = backend, backend.database, 0

    def query(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        self.queries += 1
        return self.inner.query(sql, params)

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        self.inner.insert(table, rows)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_ranked_in_memory_as_in_the_warehouse(backend: Backend) -> None:
    old, new = evicted("Ma", (1, 2, 3), version=3), evicted("Ma", (1, 2, 3, 9), version=5)
    records = [old, new, evicted("Mb", (3, 4)), evicted("Mc", (1, 2, 3, 4), block=OTHER),
               evicted("Md", (4,), block=""), evicted("Me", (2, 4))]  # fmt: skip
    matter_archive.store(backend, records)
    store = matter_archive.ArchiveStore(backend)
    for towns in ((TOWN,), (TOWN, ""), (TOWN, OTHER, ""), (OTHER,), ("nowhere",)):
        for keys in ((1, 2, 3, 4), (4,), (9, 3), (99,), (4, 2, 1)):
            for limit in (1, 2, 4):
                want = matter_archive.lookup(backend, towns, keys, limit)
                assert store.lookup(towns, keys, limit) == want, (towns, keys, limit)


def test_states_held_are_not_read_again(backend: Backend) -> None:
    counting = Counting(backend)
    store = matter_archive.ArchiveStore(counting)  # type: ignore[arg-type]
    matter_archive.store(backend, [evicted("Ma", (1, 2))])
    assert store.lookup((TOWN,), (7, 8), 4) == []  # loads the township's keys: 1 query
    assert counting.queries == 1
    assert [e.matter_id for e in store.lookup((TOWN,), (2, 9), 4)] == ["Ma"]  # + its state
    assert store.lookup((TOWN,), (1,), 4)[0].matter_id == "Ma" and counting.queries == 2
    store.store([evicted("Mb", (9,))])  # archived by this worker: known and held at once
    assert [e.matter_id for e in store.lookup((TOWN,), (9,), 4)] == ["Mb"]
    assert counting.queries == 2
    store.store([evicted("Ma", (1, 2), version=8, state='{"newer": 1}')])
    assert store.lookup((TOWN,), (1,), 4)[0].state == '{"newer": 1}'


def test_unplaced_lookups_ask_the_warehouse(backend: Backend) -> None:
    counting = Counting(backend)
    store = matter_archive.ArchiveStore(counting)  # type: ignore[arg-type]
    matter_archive.store(backend, [evicted("Mc", (5,), block=OTHER)])
    assert [e.matter_id for e in store.lookup((), (5,), 4)] == ["Mc"]
    assert counting.queries == 2  # ranked and read there


def test_another_workers_archive_is_seen_after_the_ttl(backend: Backend) -> None:
    clock = Clock()
    store = matter_archive.ArchiveStore(backend, ArchiveIndex(backend, ttl=60.0, clock=clock))
    assert store.lookup((TOWN,), (3,), 4) == []
    matter_archive.store(backend, [evicted("Md", (3,))])  # another worker, while cached
    assert store.lookup((TOWN,), (3,), 4) == []
    clock.now = 60.0
    assert [e.matter_id for e in store.lookup((TOWN,), (3,), 4)] == ["Md"]
