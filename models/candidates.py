"""Which open matters a new report is compared with: a bounded set, whatever the history.

Per block (a township, or "" for matters with no place) an inverted index maps
hashed keys (names, telling title words, title 3-grams: models/report_view.py)
to the open matters that used them. A report looks its keys up in its own
block, the neighbouring townships and the unplaced block (every block when it
has no place itself); a key shared by more than ``posting_cap`` matters says
little and is skipped, so each look-up touches at most ``keys x posting_cap``
entries. The ``limit`` matters with most shared keys (then most recent, then
lowest id) are the candidates. Results depend only on which matters are open and
their keys, never on the order the index was built in, so a restored state
finds exactly what the saved one would have.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from itertools import chain
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.matter_state import MatterState


class CandidateIndex:
    """Block -> key -> the open matters (the objects: no look-up by id) that used the key.

    >>> index = CandidateIndex()
    >>> index.add("t1", "M1", [1, 2]); index.add("t1", "M2", [2]); index.add("", "M3", [2])
    >>> sorted(index.hits([1, 2], ["t1", ""], cap=5).items())
    [('M1', 2), ('M2', 1), ('M3', 1)]
    >>> sorted(index.hits([1, 2], ["t1"], cap=1).items())  # key 2 is too common in t1
    [('M1', 1)]
    """

    def __init__(self) -> None:
        self.postings: dict[str, dict[int, set[MatterState]]] = {}

    def add(self, block: str, matter: MatterState, keys: Iterable[int]) -> None:
        post = self.postings.setdefault(block, {})
        for k in keys:
            s = post.get(k)
            if s is None:
                post[k] = {matter}
            else:
                s.add(matter)

    def remove(self, block: str, matter: MatterState, keys: Iterable[int]) -> None:
        post = self.postings.get(block, {})
        for k in keys:
            s = post.get(k)
            if s is not None:
                s.discard(matter)
                if not s:
                    del post[k]

    def hits(self, keys: Iterable[int], blocks: Iterable[str], cap: int) -> dict[MatterState, int]:
        """Matter -> number of the report's keys it shares (keys shared by at most ``cap``)."""
        keys = tuple(keys)
        shared = []
        for b in blocks:
            post = self.postings.get(b)
            if post:
                shared += [s for s in map(post.get, keys) if s is not None and len(s) <= cap]
        out: Counter[MatterState] = Counter()
        out.update(chain.from_iterable(shared))  # counted in C: tens of matters per report
        return out

    def blocks(self) -> list[str]:
        return sorted(self.postings)


def top(hits: dict[MatterState, int], limit: int) -> list[MatterState]:
    """The ``limit`` best by shared keys, then most recent, then id: a total order, so the
    result never depends on set or dict iteration order (nor on Python's salted hashes).

    >>> from collections import namedtuple
    >>> M = namedtuple("M", "last_ts matter_id")
    >>> a, b, c = (M(last_ts=t, matter_id=i) for t, i in ((1, "a"), (2, "b"), (2, "c")))
    >>> [m.matter_id for m in top({a: 2, b: 1, c: 1}, 2)]
    ['a', 'b']
    """
    if len(hits) > limit:
        # Only matters sharing as many keys as the limit-th best can make it: rank those.
        floor = sorted(hits.values(), reverse=True)[limit - 1]
        hits = {m: n for m, n in hits.items() if n >= floor}
    return heapq.nsmallest(limit, hits, key=lambda m: (-hits[m], -m.last_ts, m.matter_id))
