"""Clustering reports into matters (事项): one concrete problem at one concrete place.

``Clusterer.update(state, accepted) -> (state, MatterUpdate)`` (models/base.py):

1. A report id seen before (an at-least-once redelivery) returns its matter, not counted again.
2. The clock moves to the report's time; matters quiet for ``matter_window_days``
   are evicted, and each block keeps at most ``max_open_per_block`` open matters.
3. The report is read once (models/report_view.py): normalised text, hashed
   n-gram vectors, place and organisation names, title words, index keys.
4. Candidates come from the block index (models/candidates.py): at most
   ``max_candidates`` matters, whatever the history.
5. Each candidate gets P(same matter) from the fitted matcher (models/matcher.py).
   The best at ``match_threshold`` or above (``match_threshold_unplaced`` for a
   report with no place) is joined; otherwise a new matter opens.
6. Any other candidate at ``merge_threshold`` or above is the same matter as
   well: the report bridges them and they merge (the older matter's id survives).
   ``MatterUpdate.merged_from`` names the ids merged away, so alerts close theirs and
   the warehouse re-points their reports (streams/agents.py, streams/alerting.py).

``MatterUpdate.similarity`` is that probability for the matter joined, or the
best one that fell short for a new matter (0.0 with no candidate). Analyst
corrections (merge, move out) are in models/cluster_ops.py.

Closed matters come back (issue 3): with ``archive`` on, evicted matters are kept in
``state.evicted`` for the worker to store (``take_evicted``, warehouse/matter_archive.py).
A report that opened a new matter is then compared with the archived matters the
worker fetched by ``archive_query`` (its blocks and keys: a bounded look-up); the best
one at the join threshold comes back with its old id and takes the report (``revive``),
so alerts and history continue and the return is a repeat of the old matter; the matter
the report had just opened is merged into it (named in ``merged_from``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from minqing.config import ClusteringConfig, Config
from minqing.records import Accepted, MatterUpdate
from minqing.regions import Regions, name_variants
from models import kernels
from models.baseline_clustering import EPOCH, BaselineClusterer, BaselineState, report_key
from models.candidates import top
from models.cluster_ops import absorb_into, kept_apart, relocate
from models.cluster_state import ClusterState, Evicted, combine, extract
from models.matcher import FEATURES, Matcher, feature_matrix
from models.matter_state import MatterState, member_of, new_matter
from models.report_view import Report, prepare
from models.textproc import Words

__all__ = ["EPOCH", "ArchiveQuery", "BaselineClusterer", "BaselineState", "ClusterState",
           "Clusterer", "Evicted", "combine", "extract", "report_key"]  # fmt: skip
log = logging.getLogger(__name__)
Probs = npt.NDArray[np.float64]
GAP = FEATURES.index("log_gap_days")
REVIVE_GAP_DAYS = 14.0  # an archived matter is compared as if quiet this long (``revive``)


class ArchiveQuery(NamedTuple):
    """Which archived matters a new matter's report may be one of: those of ``townships``
    (empty: any) sharing most of ``keys``, at most ``limit`` of them."""

    townships: tuple[str, ...]
    keys: tuple[int, ...]
    limit: int


def place_names(regions: Regions | None) -> list[str]:
    """Every village's and township's short and long forms (for the segmenter)."""
    words: set[str] = set()
    for r in regions.by_code.values() if regions else ():
        if r.level in ("village", "township"):
            words |= name_variants(r.name)
    return sorted(words)


def office_words(extra_file: Path | None) -> list[str]:
    """An office's list of names (compounds, companies), one a line, # for comments."""
    if extra_file is None or not extra_file.is_file():
        return []
    lines = extra_file.read_text(encoding="utf-8").splitlines()
    return sorted({w.strip() for w in lines if w.strip() and not w.startswith("#")})


class Clusterer:
    """See the module docstring."""

    def __init__(self, cfg: ClusteringConfig, regions: Regions | None = None,
                 user_words: Iterable[str] = ()) -> None:  # fmt: skip
        self.cfg = cfg
        self.window = cfg.matter_window_days * 86400.0
        # On in the worker, which stores evicted matters and looks them up (module docstring).
        self.archive = False
        self.words = Words(user_words, place_names(regions))
        self.matcher = Matcher(cfg.match_weights, cfg.match_bias, cfg.match_weights_unplaced,
                               cfg.match_bias_unplaced)  # fmt: skip
        near: dict[str, set[str]] = {}
        for a, bs in cfg.neighbours.items():
            for b in bs:
                near.setdefault(a, set()).add(b)
                near.setdefault(b, set()).add(a)
        self.neighbours = {a: sorted(bs) for a, bs in near.items()}

    @classmethod
    def from_config(cls, config: Config, regions: Regions | None = None) -> Clusterer:
        """The clusterer as configured, with the office's extra names if it lists any."""
        cfg = config.clustering
        extra = config.config_dir / cfg.user_words_file if cfg.user_words_file else None
        kernels.warm()
        return cls(cfg, regions, office_words(extra))

    def init(self) -> ClusterState:
        return ClusterState()

    def update(self, state: ClusterState, item: Accepted) -> tuple[ClusterState, MatterUpdate]:
        key = report_key(item)
        state.moved = []
        known = state.matter(state.seen.get(key, ""))
        if known is not None:
            log.info("report %s already in matter %s: not counted again", key, known.matter_id)
            return state, MatterUpdate(accepted=item, matter=known.snapshot(), similarity=1.0,
                                       new_matter=False)  # fmt: skip
        r = self.read(state, item, key)
        candidates = self.candidates(state, r)
        probs = self.matcher.probabilities(feature_matrix(r, candidates), bool(r.block))
        matter, p, new, merged = self._place(state, r, item, candidates, probs)
        # Every field is made right here with its type: pydantic's checks are skipped.
        return state, MatterUpdate.model_construct(accepted=item, matter=matter.snapshot(),
                                                   similarity=round(p, 6), new_matter=new,
                                                   merged_from=merged)  # fmt: skip

    def read(self, state: ClusterState, item: Accepted, key: str) -> Report:
        """Move the clock to the report's time (evicting the idle) and read the report."""
        at = item.report.received_at or state.newest or EPOCH
        if state.newest is None or at > state.newest:
            # Evicting at most once a minute of event time costs nothing and decides the
            # same after a restore (the minute follows from the saved clock).
            if (
                state.newest is None
                or int(at.timestamp()) // 60 > int(state.newest.timestamp()) // 60
            ):
                state.evict(at.timestamp() - self.window, self.cfg.max_open_per_block,
                            self.archive)  # fmt: skip
            state.newest = at
        return prepare(item, key, at, self.words, self.cfg.match_content_chars)

    def search_blocks(self, state: ClusterState, block: str) -> list[str]:
        """Own township, its neighbours and the unplaced; every block for an unplaced report."""
        if not block:
            return sorted(state.blocks)
        return [block, *self.neighbours.get(block, ()), ""]

    def candidates(self, state: ClusterState, r: Report) -> list[MatterState]:
        """The open matters ``r`` is compared with (at most ``max_candidates``)."""
        hits = state.index.hits(r.keys, self.search_blocks(state, r.block), self.cfg.posting_cap)
        recent = state.blocks.get(r.block, {})
        for m in islice(reversed(recent.values()), self.cfg.recent_per_block):
            hits.setdefault(m, 0)
        return top(hits, self.cfg.max_candidates)

    def _place(
        self, state: ClusterState, r: Report, item: Accepted, candidates: list[MatterState],
        probs: Probs,
    ) -> tuple[MatterState, float, bool, list[str]]:  # fmt: skip
        """Join the best candidate (merging any it bridges to) or open a new matter; also
        the ids merged away (``MatterUpdate.merged_from``)."""
        member = member_of(r, item.report.title, list(item.report.signals))
        order = (-probs).argsort(kind="stable")
        best = float(probs[order[0]]) if len(order) else 0.0
        if best < (self.cfg.match_threshold if r.block else self.cfg.match_threshold_unplaced):
            matter = new_matter(member, r.block, r.county, r.tvec, r.cvec)
            state.put(matter)
            return matter, best, True, []
        matter = candidates[int(order[0])]
        matter.add(member, r.tvec, r.cvec)
        state.touch(matter, r.key, r.keys)
        if r.block and not matter.block:
            relocate(state, matter, r.block)
        merged: list[str] = []
        for i in order[1:]:
            if probs[i] >= self.cfg.merge_threshold:
                matter = _absorb(state, matter, candidates[int(i)], merged)
        return matter, best, False, merged

    def take_evicted(self, state: ClusterState) -> list[Evicted]:
        """Matters evicted since the last call (with ``archive`` on), for the warehouse."""
        return state.take_evicted()

    def archive_query(self, state: ClusterState, update: MatterUpdate) -> ArchiveQuery | None:
        """What to fetch from the archive for ``update``'s report: None unless it opened a
        new matter (a report that joined an open matter is not looked up at all)."""
        fresh = state.matter(update.matter.matter_id) if update.new_matter else None
        if fresh is None or len(fresh.members) != 1 or not fresh.keys:
            return None
        towns = tuple(self.search_blocks(state, fresh.block)) if fresh.block else ()
        return ArchiveQuery(towns, tuple(fresh.keys), self.cfg.max_candidates)

    def revive(
        self, state: ClusterState, update: MatterUpdate, archived: Sequence[Evicted]
    ) -> tuple[ClusterState, MatterUpdate]:
        """Bring back the archived matter ``update``'s report is about, if any: it keeps its
        id and absorbs the matter the report had just opened. Otherwise ``update`` as is."""
        q = self.archive_query(state, update)
        fresh = state.matter(update.matter.matter_id)
        cands = sorted((e for e in archived if state.matter(e.matter_id) is None
                        and (not q or not q.townships or e.block in q.townships)),
                       key=lambda e: (e.matter_id, -e.version))  # fmt: skip
        cands = [e for i, e in enumerate(cands) if i == 0 or cands[i - 1].matter_id != e.matter_id]
        if q is None or fresh is None or not cands:
            return state, update
        first = fresh.members[0]
        r = prepare(update.accepted, first.key, first.at, self.words, self.cfg.match_content_chars)
        x = feature_matrix(r, [e.matter() for e in cands])
        # The gap was fitted on matters quiet for less than a window; a closed one has been
        # quiet longer, which is exactly the return we look for: judge it as if quiet for
        # REVIVE_GAP_DAYS, so names, place and text decide, as for an open matter.
        x[:, GAP] = np.minimum(x[:, GAP], math.log1p(REVIVE_GAP_DAYS))
        probs = self.matcher.probabilities(x, bool(r.block))
        best = self._revivable(state, fresh, cands, probs, bool(r.block))
        if best is None:
            return state, update
        p = float(probs[best])
        merged = list(update.merged_from)
        matter = _absorb(state, state.restore(cands[best]), fresh, merged)
        log.info("matter %s revived by report %s (p=%.3f) / 已关闭事项 %s 因新报告重新打开",
                 matter.matter_id, r.key, p, matter.matter_id)  # fmt: skip
        return state, MatterUpdate(accepted=update.accepted, matter=matter.snapshot(),
                                   similarity=round(p, 6), new_matter=False,
                                   merged_from=merged)  # fmt: skip

    def _revivable(self, state: ClusterState, fresh: MatterState, cands: Sequence[Evicted],
                   probs: Probs, placed: bool) -> int | None:  # fmt: skip
        """The best archived candidate at the join threshold that an analyst did not keep
        apart from ``fresh`` (a correction outlives the eviction), if any."""
        threshold = self.cfg.match_threshold if placed else self.cfg.match_threshold_unplaced
        for i in np.argsort(-probs, kind="stable"):
            if probs[i] < threshold:
                return None
            if not kept_apart(state, cands[int(i)].matter(), fresh):
                return int(i)
        return None


def _absorb(state: ClusterState, a: MatterState, b: MatterState, merged: list[str]) -> MatterState:
    """``absorb_into``, appending the id it merged away (if any) to ``merged`` and its
    reports to ``state.moved``.

    Which id survives is ``absorb_into``'s rule (the older), so the joined matter may be the
    one that goes; matters an analyst kept apart stay two, and nothing is appended.
    """
    keep = absorb_into(state, a, b)
    gone = b if keep is a else a
    if gone is not keep and state.matter(gone.matter_id) is keep:
        merged.append(gone.matter_id)
        state.moved += gone.report_ids
    return keep
