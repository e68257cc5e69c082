"""The clusterer's state: open matters by block, saved as JSON, split and joined by block.

A block is a township code, or "" for matters with no place. Within a block,
matters are kept in the order they last grew, so the least active one is
always first: evicting the idle and capping a block's size cost nothing per
report. The index of candidate keys, which report joined which matter and
which matter holds which id are caches derived from the matters, rebuilt on
load; only the matters, the merge aliases and the clock are saved.

For a Faust table keyed by block: ``extract(state, [block])`` is that block's
state (its matters and the aliases into them) and ``combine(states)`` joins
block states back into one (blocks are disjoint, so nothing collides).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.base import dump_state, load_state
from models.candidates import CandidateIndex
from models.matter_state import MatterState

KIND = "matters"


@dataclass(frozen=True)
class Evicted:
    """A matter evicted for being quiet, as the warehouse keeps it (``matter_archive``), so a
    report about it later brings it back with its id (``Clusterer.revive``)."""

    matter_id: str
    block: str
    county: str | None
    last_at: datetime
    version: int
    keys: tuple[int, ...]  # its candidate keys: what a later report finds it by
    aliases: tuple[str, ...]  # ids merged into it
    state: str  # MatterState.to_dict() as JSON

    @classmethod
    def of(cls, m: MatterState, aliases: Iterable[str]) -> Evicted:
        return cls(m.matter_id, m.block, m.county, m.last_at, m.version, tuple(m.keys),
                   tuple(sorted(aliases)), json.dumps(m.to_dict(), ensure_ascii=False))  # fmt: skip

    def matter(self) -> MatterState:
        return MatterState.from_dict(json.loads(self.state))


class MemoryArchive:
    """Evicted matters in memory, for ``minqing replay`` (the worker uses the warehouse's,
    warehouse/matter_archive.py, with the same ``store`` and ``lookup``). Holds at most
    ``cap`` matters, the most recently evicted, so a long replay stays bounded.

    >>> a = MemoryArchive(cap=1)
    >>> a.store([Evicted("M1", "t", None, datetime(2024, 1, 1), 1, (5, 6), (), "{}")])
    1
    >>> [e.matter_id for e in a.lookup(("t",), (6, 7), 4)], a.lookup(("u",), (6,), 4)
    (['M1'], [])
    """

    def __init__(self, cap: int = 50_000) -> None:
        self.cap = cap
        self.rows: dict[str, Evicted] = {}  # in eviction order: the oldest first
        self.by_key: dict[int, set[str]] = {}

    def store(self, records: list[Evicted]) -> int:
        for e in records:
            self._forget(e.matter_id)
            self.rows[e.matter_id] = e
            for k in e.keys:
                self.by_key.setdefault(k, set()).add(e.matter_id)
        while len(self.rows) > self.cap:
            self._forget(next(iter(self.rows)))
        return len(records)

    def _forget(self, matter_id: str) -> None:
        old = self.rows.pop(matter_id, None)
        for k in old.keys if old else ():
            ids = self.by_key[k]
            ids.discard(matter_id)
            if not ids:
                del self.by_key[k]

    def lookup(
        self, townships: tuple[str, ...], keys: tuple[int, ...], limit: int
    ) -> list[Evicted]:
        """As warehouse/matter_archive.py ``lookup``: most shared keys, then lowest id."""
        shared: dict[str, int] = {}
        for k in keys:
            for i in self.by_key.get(k, ()):
                if not townships or self.rows[i].block in townships:
                    shared[i] = shared.get(i, 0) + 1
        best = sorted(shared, key=lambda i: (-shared[i], i))[:limit]
        return [self.rows[i] for i in best]


@dataclass
class ClusterState:
    blocks: dict[str, dict[str, MatterState]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # merged-away id -> surviving id
    newest: datetime | None = None
    # Analysts' cannot-links (models/cluster_ops.py move_out): report id -> report ids it
    # must never share a matter with again. Saved; few (one set per correction).
    apart: dict[str, set[str]] = field(default_factory=dict)
    # Caches, never saved (see the module docstring).
    where: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    seen: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    index: CandidateIndex = field(default_factory=CandidateIndex, repr=False, compare=False)
    # Matters evicted since the worker last took them (when evicting with ``archive``): never
    # saved, the worker stores them in the warehouse (``take_evicted``).
    evicted: list[Evicted] = field(default_factory=list, repr=False, compare=False)
    # Reports whose matter id the last update changed by merging (never saved; may repeat
    # when one merge follows another): the worker re-points just these in the warehouse,
    # not every report of the surviving matter.
    moved: list[str] = field(default_factory=list, repr=False, compare=False)

    def matter(self, matter_id: str) -> MatterState | None:
        """An open matter by id, following merges."""
        matter_id = self.aliases.get(matter_id, matter_id)
        block = self.where.get(matter_id)
        return None if block is None else self.blocks[block].get(matter_id)

    def matters(self) -> Iterable[MatterState]:
        for block in sorted(self.blocks):
            yield from self.blocks[block].values()

    def n_matters(self) -> int:
        return len(self.where)

    def put(self, m: MatterState) -> None:
        """Add a matter not in the state yet, as the most recently active of its block."""
        self.blocks.setdefault(m.block, {})[m.matter_id] = m
        self.index.add(m.block, m, m.keys)
        self.where[m.matter_id] = m.block
        for rid in m.report_ids:
            self.seen[rid] = m.matter_id

    def touch(self, m: MatterState, report_id: str, new_keys: Iterable[int]) -> None:
        """``m`` grew by ``report_id``: it moves to the end of its block, its new keys indexed."""
        block = self.blocks[m.block]
        block[m.matter_id] = block.pop(m.matter_id)
        self.index.add(m.block, m, new_keys)
        self.seen[report_id] = m.matter_id

    def drop(self, m: MatterState, forget_aliases: bool = True) -> None:
        """Forget ``m``: its index entries, reports and (unless told) the aliases to it."""
        block = self.blocks.get(m.block, {})
        block.pop(m.matter_id, None)
        if not block:
            self.blocks.pop(m.block, None)
        self.index.remove(m.block, m, m.keys)
        self.where.pop(m.matter_id, None)
        for rid in m.report_ids:
            if self.seen.get(rid) == m.matter_id:
                del self.seen[rid]
        if forget_aliases:
            for old in [a for a, b in self.aliases.items() if b == m.matter_id]:
                del self.aliases[old]

    def evict(self, horizon: float, per_block: int, archive: bool = False) -> int:
        """Drop matters quiet since before ``horizon`` and the least active beyond ``per_block``;
        with ``archive``, keep what the warehouse needs to revive them in ``evicted``."""
        gone: dict[str, MatterState] = {}
        for block in list(self.blocks):
            matters = self.blocks[block]
            while matters:
                first = next(iter(matters.values()))
                if first.last_ts >= horizon and len(matters) <= per_block:
                    break
                self.drop(first, forget_aliases=False)
                gone[first.matter_id] = first
        if gone:  # one pass over the aliases for all, not one per matter dropped
            into: dict[str, list[str]] = {}
            # Most evicted matters absorbed none: a scan in C tells, before one in Python.
            if not gone.keys().isdisjoint(self.aliases.values()):
                for old in [a for a, b in self.aliases.items() if b in gone]:
                    into.setdefault(self.aliases.pop(old), []).append(old)
            if archive:
                self.evicted += [Evicted.of(m, into.get(m.matter_id, ())) for m in gone.values()]
        return len(gone)

    def take_evicted(self) -> list[Evicted]:
        """The matters evicted since the last call, for the warehouse; forgotten here."""
        out, self.evicted = self.evicted, []
        return out

    def restore(self, e: Evicted) -> MatterState:
        """Put an evicted matter back, with its aliases (the worker found it in the archive)."""
        m = e.matter()
        self.put(m)
        self.aliases.update(dict.fromkeys(e.aliases, m.matter_id))
        return m

    def to_json(self) -> str:
        blocks = {b: [m.to_dict() for m in ms.values()] for b, ms in sorted(self.blocks.items())}
        body: dict[str, Any] = {
            "newest": self.newest.isoformat() if self.newest else None,
            "aliases": sorted(self.aliases.items()), "blocks": blocks,
        }  # fmt: skip
        if self.apart:  # only when there are any: older saved states stay byte-identical
            body["apart"] = sorted((k, sorted(v)) for k, v in self.apart.items())
        return dump_state(KIND, body)

    @classmethod
    def from_json(cls, data: str | bytes) -> ClusterState:
        body = load_state(KIND, data)
        newest = datetime.fromisoformat(body["newest"]) if body["newest"] else None
        state = cls(aliases=dict(body["aliases"]), newest=newest)
        state.apart = {k: set(v) for k, v in body.get("apart", [])}
        for matters in body["blocks"].values():
            for d in matters:
                state.put(MatterState.from_dict(d))
        return state


def extract(state: ClusterState, blocks: Iterable[str]) -> ClusterState:
    """The part of ``state`` in ``blocks`` (a copy): their matters and the aliases into them."""
    part = ClusterState(newest=state.newest)
    for b in blocks:
        for m in state.blocks.get(b, {}).values():
            part.put(MatterState.from_dict(m.to_dict()))  # a copy: the parts share nothing
    part.aliases = {a: s for a, s in state.aliases.items() if s in part.where}
    part.apart = {r: set(o) for r, o in state.apart.items() if r in part.seen}
    return part


def combine(states: Iterable[ClusterState]) -> ClusterState:
    """One state (a copy) from block states; their blocks must not overlap."""
    out = ClusterState()
    for s in states:
        for b in sorted(s.blocks):
            for m in s.blocks[b].values():
                out.put(MatterState.from_dict(m.to_dict()))
        out.aliases.update(s.aliases)
        for r, others in s.apart.items():
            out.apart.setdefault(r, set()).update(others)
        if s.newest is not None and (out.newest is None or s.newest > out.newest):
            out.newest = s.newest
    return out
