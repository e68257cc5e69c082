"""Closed matters in the warehouse (``matter_archive_states``, ``matter_archive_keys``:
migrations 8 and 9).

The clusterer evicts matters quiet for its window and hands their compact state
over (``models.cluster_state.Evicted``); the worker stores it here and, when a
report opens a new matter, looks up the archived matters of its townships that
share most of its candidate keys (``lookup``: two indexed queries, at most
``limit`` states read back), so the clusterer can revive the one it is about.

``matter_archive_states`` is keyed on the matter id (ReplacingMergeTree by version: a
matter evicted again after a revival replaces its older row), 32 rows per granule so
that reading a few states by id reads little else; the key table is ordered by
(key, township) so a look-up reads only the rows of the report's keys.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from warehouse.archive_keys import KEYS_TABLE, ArchiveIndex
from warehouse.backend import Backend
from warehouse.rows import utc_naive

if TYPE_CHECKING:  # the models are imported only by the worker that archives
    from models.cluster_state import Evicted

log = logging.getLogger(__name__)
Row = dict[str, Any]
TABLE = "matter_archive_states"
COLUMNS = "matter_id, version, township, county, last_seen, aliases, keys, state"


def archive_rows(records: list[Evicted]) -> tuple[list[Row], list[Row]]:
    """The rows of both tables for ``records``."""
    rows = [{"matter_id": e.matter_id, "version": e.version, "township": e.block,
             "county": e.county, "last_seen": utc_naive(e.last_at), "aliases": list(e.aliases),
             "keys": list(e.keys), "state": e.state} for e in records]  # fmt: skip
    keys = [{"key": k, "township": e.block, "matter_id": e.matter_id, "version": e.version}
            for e in records for k in e.keys]  # fmt: skip
    return rows, keys


def store(backend: Backend, records: list[Evicted]) -> int:
    """Write evicted matters (idempotent: the same matter and version twice is one row)."""
    if not records:
        return 0
    rows, keys = archive_rows(records)
    # Keys first: a look-up that finds a key always finds its matter's row (or none yet).
    backend.insert(KEYS_TABLE, keys)
    backend.insert(TABLE, rows)
    log.debug("archived %d matters", len(rows))
    return len(rows)


def evicted_from_row(row: Row) -> Evicted:
    from models.cluster_state import Evicted

    at = row["last_seen"]
    if isinstance(at, datetime) and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return Evicted(str(row["matter_id"]), str(row["township"]), row["county"], at,
                   int(row["version"]), tuple(int(k) for k in row["keys"]),
                   tuple(row["aliases"]), str(row["state"]))  # fmt: skip


def lookup(
    backend: Backend, townships: tuple[str, ...], keys: tuple[int, ...], limit: int
) -> list[Evicted]:
    """Archived matters of ``townships`` (empty: any) sharing most of ``keys`` (then lowest
    id), at most ``limit``, each at its latest version."""
    if not keys or limit <= 0:
        return []
    db = backend.database
    where = "key IN %(keys)s" + (" AND township IN %(towns)s" if townships else "")
    sql = (
        f"SELECT matter_id, uniqExact(key) AS shared FROM {db}.{KEYS_TABLE} WHERE {where} "
        "GROUP BY matter_id ORDER BY shared DESC, matter_id LIMIT %(limit)s"
    )
    params = {"keys": tuple(keys), "towns": tuple(townships), "limit": limit}  # IN: tuples
    ids = [str(r["matter_id"]) for r in backend.query(sql, params)]
    found = read_states(backend, ids)
    return [found[i] for i in ids if i in found]


def read_states(backend: Backend, ids: list[str]) -> dict[str, Evicted]:
    """The archived states of ``ids`` at their latest versions, by id (absent: not stored)."""
    if not ids:
        return {}
    # Not FINAL: merging the parts for a few ids costs more than keeping each id's newest
    # row (as web/queries.py reads matters).
    rows = backend.query(
        f"SELECT {COLUMNS} FROM {backend.database}.{TABLE} WHERE matter_id IN %(ids)s "
        "ORDER BY matter_id, version DESC LIMIT 1 BY matter_id",
        {"ids": tuple(ids)},
    )
    return {str(r["matter_id"]): evicted_from_row(r) for r in rows}


class ArchiveStore:
    """The worker's handle: ``store`` and ``lookup`` on one backend; placed look-ups are
    ranked in memory and read only the states not held (warehouse/archive_keys.py)."""

    def __init__(self, backend: Backend, index: ArchiveIndex | None = None) -> None:
        self.backend = backend
        self.index = index or ArchiveIndex(backend)

    def store(self, records: list[Evicted]) -> int:
        n = store(self.backend, records)
        self.index.add(records)
        return n

    def lookup(
        self, townships: tuple[str, ...], keys: tuple[int, ...], limit: int
    ) -> list[Evicted]:
        if not townships or not keys or limit <= 0:
            return lookup(self.backend, townships, keys, limit)  # unplaced: every township
        ranked = self.index.rank(townships, keys, limit)
        held = {i: self.index.state(i, v) for i, v in ranked}
        read = read_states(self.backend, [i for i, e in held.items() if e is None])
        for e in read.values():
            self.index.remember(e)
        found = [held[i] or read.get(i) for i, _ in ranked]
        return [e for e in found if e is not None]
