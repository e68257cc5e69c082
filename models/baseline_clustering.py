"""The baseline clusterer (kept as a benchmark reference): single pass over character n-grams.

A report joins the most similar open matter of its township (any open matter
when it has no township) seen within the window, if the cosine similarity of
its hashed n-gram vector to the matter's centroid reaches the threshold;
otherwise it opens a new matter. Matters idle longer than the window are
evicted, so the state stays bounded. A report id seen before (an at-least-once
redelivery) returns its matter unchanged instead of counting twice.

``MatterUpdate.similarity`` is to the matter joined or, for a new matter, to
the closest candidate that was not close enough (0.0 when there was none).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from minqing.config import ClusteringConfig
from minqing.records import Accepted, MatterUpdate
from models.base import dump_state, load_state
from models.index import CentroidIndex
from models.matters import OpenMatter, Texts, open_matter
from models.text import normalize
from models.vectors import SparseVec, add, featurize

log = logging.getLogger(__name__)

# Event time of a report without one, before any report had a time.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class BaselineState:
    """Open matters in creation order, and which open matter each report joined."""

    matters: dict[str, OpenMatter] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)
    newest: datetime | None = None
    # A cache, never saved: results are the same with or without it.
    index: CentroidIndex = field(default_factory=CentroidIndex, repr=False, compare=False)
    stamps: int = field(default=0, repr=False, compare=False)

    def stamp(self, m: OpenMatter) -> None:
        """Mark a new centroid of ``m`` (the index then recomputes it)."""
        self.stamps += 1
        m.stamp = self.stamps
        self.index.changed(self.matters.values())

    def to_json(self) -> str:
        return dump_state("cluster", {
            "newest": self.newest.isoformat() if self.newest else None,
            "matters": [m.to_dict() for m in self.matters.values()],
        })  # fmt: skip

    @classmethod
    def from_json(cls, data: str | bytes) -> BaselineState:
        body = load_state("cluster", data)
        state = cls(newest=datetime.fromisoformat(body["newest"]) if body["newest"] else None)
        for d in body["matters"]:
            state.stamps += 1
            m = OpenMatter.from_dict(d, state.stamps)
            state.matters[m.matter_id] = m
            state.seen.update(dict.fromkeys(m.report_ids, m.matter_id))
        return state


def report_key(item: Accepted) -> str:
    """The report id, or a stable stand-in for a report that has none."""
    if item.report.report_id:
        return item.report.report_id
    return "R" + hashlib.sha1(item.report.to_bytes()).hexdigest()[:16]


class BaselineClusterer:
    """``update(state, accepted) -> (state, MatterUpdate)``; see the module docstring."""

    def __init__(self, cfg: ClusteringConfig) -> None:
        self.cfg = cfg
        self._window = timedelta(days=cfg.window_days).total_seconds()
        self._ngrams = (cfg.ngram_min, cfg.ngram_max)

    def init(self) -> BaselineState:
        return BaselineState()

    def update(self, state: BaselineState, item: Accepted) -> tuple[BaselineState, MatterUpdate]:
        key = report_key(item)
        if key in state.seen:
            matter = state.matters[state.seen[key]].snapshot()
            log.info("report %s already in matter %s: not counted again", key, matter.matter_id)
            return state, MatterUpdate(accepted=item, matter=matter, similarity=1.0,
                                       new_matter=False)  # fmt: skip
        at = item.report.received_at or state.newest or EPOCH
        self._advance(state, at)
        texts = self._texts(item)
        vec = featurize(texts.title, texts.content, *self._ngrams)
        best, similarity = self._best(state, item.place.township, at, vec)
        if best is not None and similarity >= self.cfg.threshold:
            best.total = add(best.total, vec)
            best.add(item, key, texts, at)
            joined, new = best, False
        else:
            joined, new = open_matter(item, key, texts, at, vec, self._ngrams), True
            state.matters[joined.matter_id] = joined
        state.seen[key] = joined.matter_id
        state.stamp(joined)
        return state, MatterUpdate(accepted=item, matter=joined.snapshot(),
                                   similarity=round(similarity, 6), new_matter=new)  # fmt: skip

    def _texts(self, item: Accepted) -> Texts:
        content = item.report.content[: self.cfg.content_chars]
        return Texts(normalize(item.report.title), normalize(content))

    def _advance(self, state: BaselineState, at: datetime) -> None:
        """Move the clock to ``at`` if later, and evict matters idle past the window."""
        if state.newest is not None and at <= state.newest:
            return
        state.newest = at
        horizon = at.timestamp() - self._window
        for mid in [mid for mid, m in state.matters.items() if m.last_ts < horizon]:
            for rid in state.matters.pop(mid).report_ids:
                state.seen.pop(rid, None)

    def _best(self, state: BaselineState, township: str | None, at: datetime,
              vec: SparseVec) -> tuple[OpenMatter | None, float]:  # fmt: skip
        """The most similar candidate matter (first one on ties) and its similarity."""
        horizon = at.timestamp() - self._window
        candidates = [
            m for m in state.matters.values()
            if m.last_ts >= horizon and (township is None or m.township == township)
        ]  # fmt: skip
        if not candidates:
            return None, 0.0
        norms = np.fromiter((m.total.norm for m in candidates), np.float64, len(candidates))
        dots = state.index.dots(vec, candidates)
        sims = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
        best = int(np.argmax(sims))
        return candidates[best], float(sims[best])
