"""A rebuildable inverted index of open matter centroids, for fast exact dot products.

Scanning every centroid for every report costs O(all entries); the index looks
up only the postings of the report's own n-grams. Centroids changed since the
last rebuild are computed directly until enough changes pile up. The index is a
cache derived from the state and never saved: a restored state rebuilds it.

Results are bit-for-bit the same whichever path a matter takes: both add a
matter's products in ascending bucket order, and adding 0.0 is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from models.vectors import BITS, Idx, SparseVec, Val

# Rebuild after this many centroid changes, plus one per REBUILD_SHARE indexed matters.
REBUILD_MIN = 64
REBUILD_SHARE = 16


class Indexed(Protocol):
    matter_id: str
    stamp: int
    total: SparseVec


class CentroidIndex:
    def __init__(self) -> None:
        self.feat: Idx = np.zeros(0, dtype=np.int64)
        self.slot: Idx = np.zeros(0, dtype=np.int64)
        self.val: Val = np.zeros(0, dtype=np.float64)
        self.slots: dict[str, tuple[int, int]] = {}  # matter id -> (slot, stamp)
        self.changes = 0
        # One dense scratch row, filled with the query and cleared after use.
        self._scratch = np.zeros(1 << BITS, dtype=np.float64)

    def slot_of(self, m: Indexed) -> int:
        """The matter's slot, or -1 when it changed since the index was built."""
        s = self.slots.get(m.matter_id)
        return s[0] if s is not None and s[1] == m.stamp else -1

    def dots(self, q: SparseVec, matters: Sequence[Indexed]) -> Val:
        """``[q . m.total for m in matters]``."""
        slots = np.fromiter((self.slot_of(m) for m in matters), dtype=np.int64, count=len(matters))
        out = np.zeros(len(matters), dtype=np.float64)
        indexed = slots >= 0
        if indexed.any():
            out[indexed] = self._indexed_dots(q)[slots[indexed]]
        if not indexed.all():
            out[~indexed] = self._direct_dots(
                q, [m.total for m, i in zip(matters, indexed, strict=False) if not i]
            )
        return out

    def _indexed_dots(self, q: SparseVec) -> Val:
        lo = np.searchsorted(self.feat, q.idx, side="left")
        counts = np.searchsorted(self.feat, q.idx, side="right") - lo
        n = int(counts.sum())
        # Positions lo[i] .. lo[i]+counts[i]-1 for each query bucket i, in one array.
        starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
        pos = starts + np.arange(n)
        products = np.repeat(q.val, counts) * self.val[pos]
        n_slots = len(self.slots)
        return np.bincount(self.slot[pos], weights=products, minlength=n_slots).astype(np.float64)

    def _direct_dots(self, q: SparseVec, others: list[SparseVec]) -> Val:
        lengths = np.fromiter((o.idx.size for o in others), dtype=np.int64, count=len(others))
        idx = np.concatenate([o.idx for o in others])
        val = np.concatenate([o.val for o in others])
        self._scratch[q.idx] = q.val
        products = self._scratch[idx] * val
        self._scratch[q.idx] = 0.0
        owner = np.repeat(np.arange(len(others)), lengths)
        return np.bincount(owner, weights=products, minlength=len(others)).astype(np.float64)

    def changed(self, matters: Iterable[Indexed]) -> None:
        """Note one centroid change; rebuild from ``matters`` once enough piled up."""
        self.changes += 1
        if self.changes >= REBUILD_MIN + len(self.slots) // REBUILD_SHARE:
            self.rebuild(matters)

    def rebuild(self, matters: Iterable[Indexed]) -> None:
        """Index exactly ``matters``: keep unchanged entries, merge in the changed ones."""
        slots, remap, fresh = self._renumber(matters)
        kept = remap[self.slot] >= 0
        first = len(slots)
        for m in fresh:
            slots[m.matter_id] = (len(slots), m.stamp)
        owners = np.repeat(np.arange(first, len(slots)), [m.total.idx.size for m in fresh])
        feat = np.concatenate([self.feat[kept], *(m.total.idx for m in fresh)])
        slot = np.concatenate([remap[self.slot[kept]], owners])
        val = np.concatenate([self.val[kept], *(m.total.val for m in fresh)])
        # Stable, and the kept part is already sorted: timsort merges in about linear time.
        order = np.argsort(feat, kind="stable")
        self.feat, self.slot, self.val = feat[order], slot[order], val[order]
        self.slots, self.changes = slots, 0

    def _renumber(
        self, matters: Iterable[Indexed]
    ) -> tuple[dict[str, tuple[int, int]], Idx, list[Indexed]]:
        """New slots of the unchanged matters, old slot -> new slot (-1: gone), the rest."""
        remap = np.full(len(self.slots), -1, dtype=np.int64)
        slots: dict[str, tuple[int, int]] = {}
        fresh: list[Indexed] = []
        for m in matters:
            s = self.slot_of(m)
            if s >= 0:
                remap[s] = len(slots)
                slots[m.matter_id] = (len(slots), m.stamp)
            else:
                fresh.append(m)
        return slots, remap, fresh
