"""The archive's candidate keys, per township, in the worker's memory (and recent states).

A report that opens a new matter (a quarter of all reports) looks up the archived
matters of its townships sharing most of its keys (``matter_archive.lookup``). In the
warehouse that is a GROUP BY over the key table and a FINAL read of a few states:
10 to 20 ms in steady state, synchronous in the cluster agent (docs/PROFILE.md),
which alone capped a worker under 200 reports/s. A township's keys are small
integers, tens per archived matter, so the worker loads them on its first look-up
there, adds what it archives itself, ranks in memory, and reads from the warehouse
only the states it does not hold yet (an LRU of recently read or archived ones).

Another worker may archive into a township while it owns the township's partition
(after a rebalance), so a township's keys are loaded again once ``ttl`` seconds old:
at worst a revival is missed for that long (the report opens a new matter, which an
analyst can merge), never a report.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from warehouse.backend import Backend

if TYPE_CHECKING:
    from models.cluster_state import Evicted

KEYS_TABLE = "matter_archive_keys"
TTL_SECONDS = 300.0
CACHED_STATES = 4096


@dataclass
class _Town:
    loaded_at: float
    ids: dict[int, set[str]] = field(default_factory=dict)  # key -> archived matter ids
    version: dict[str, int] = field(default_factory=dict)  # matter id -> newest version


class ArchiveIndex:
    """``rank(townships, keys, limit)``: what ``matter_archive.lookup`` would find, as
    (matter id, version) pairs, from memory; ``state``/``remember``: an LRU of states."""

    def __init__(self, backend: Backend, ttl: float = TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.backend, self.ttl, self.clock = backend, ttl, clock
        self.towns: dict[str, _Town] = {}
        self.states: OrderedDict[str, Evicted] = OrderedDict()

    def rank(self, townships: tuple[str, ...], keys: Iterable[int],
             limit: int) -> list[tuple[str, int]]:  # fmt: skip
        """The ``limit`` matters of ``townships`` sharing most of ``keys`` (then lowest id)."""
        towns = [self._town(t) for t in townships]
        shared: dict[str, int] = {}
        for k in set(keys):
            hit: set[str] = set()
            for town in towns:
                hit |= town.ids.get(k, set())
            for i in hit:
                shared[i] = shared.get(i, 0) + 1
        best = sorted(shared, key=lambda i: (-shared[i], i))[:limit]
        return [(i, max(t.version.get(i, 0) for t in towns)) for i in best]

    def add(self, records: Iterable[Evicted]) -> None:
        """Matters this worker has just archived: their keys (where loaded) and states."""
        for e in records:
            town = self.towns.get(e.block)
            if town is not None:
                for k in e.keys:
                    town.ids.setdefault(k, set()).add(e.matter_id)
                town.version[e.matter_id] = max(town.version.get(e.matter_id, 0), e.version)
            self.remember(e)

    def state(self, matter_id: str, version: int) -> Evicted | None:
        """The state held for ``matter_id`` if it is at ``version`` or newer."""
        e = self.states.get(matter_id)
        if e is None or e.version < version:
            return None
        self.states.move_to_end(matter_id)
        return e

    def remember(self, e: Evicted) -> None:
        old = self.states.get(e.matter_id)
        if old is None or old.version <= e.version:
            self.states[e.matter_id] = e
            self.states.move_to_end(e.matter_id)
        while len(self.states) > CACHED_STATES:
            self.states.popitem(last=False)

    def _town(self, township: str) -> _Town:
        now, town = self.clock(), self.towns.get(township)
        if town is not None and now - town.loaded_at < self.ttl:
            return town
        sql = (
            f"SELECT key, matter_id, max(version) AS version FROM {self.backend.database}."
            f"{KEYS_TABLE} WHERE township = %(town)s GROUP BY key, matter_id"
        )
        town = _Town(now)
        for r in self.backend.query(sql, {"town": township}):
            i = str(r["matter_id"])
            town.ids.setdefault(int(r["key"]), set()).add(i)
            town.version[i] = max(town.version.get(i, 0), int(r["version"]))
        self.towns[township] = town
        return town
