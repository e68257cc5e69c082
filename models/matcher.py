"""Is a report about this open matter? Evidence for a pair, and a fitted logistic score.

Each feature is a plain number an analyst can read: how alike the titles and
the contents are, how many telling words and names they share, whether they
name different places or different organisations of the same kind, where the
reports come from, their categories, how long the matter has been quiet, and
whether the informant reported it before. The weights and the threshold are
fitted on labelled pairs (bench/fit_matcher.py), not set by hand; they live in
the [clustering] config.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import repeat
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from models import kernels
from models.entities import similarity
from models.kernels import BITS
from models.matter_state import MatterState
from models.report_view import Report, Val

FEATURES = (
    "title_cos", "title_max", "content_cos", "words", "name_match", "name_conflict",
    "village_conflict", "unit_match", "unit_conflict", "same_village", "same_town",
    "other_town", "category_same", "category_diff", "log_gap_days", "same_informant", "log_size",
)  # fmt: skip
RECENT_TITLES = 4  # title_max compares with the newest members' titles
STRONG = frozenset(("compound", "company", "project", "school", "market", "hospital"))
ALIKE = 0.6  # names this alike or more are the same (one character in four may differ)
SHIFT = 1 << BITS  # content buckets go after title buckets in one index space


def word_share(words: Sequence[str], widf: Sequence[float], matter_words: dict[str, int]) -> float:
    """Share of the report's title words (weighted by IDF) the matter has used.

    >>> word_share(["景蓉华苑", "物业"], [12.0, 4.0], {"景蓉华苑": 2})
    0.75
    """
    total = sum(widf)
    if total == 0:
        return 0.0
    return sum(x for w, x in zip(words, widf, strict=True) if w in matter_words) / total


def name_evidence(r: Report, m: MatterState) -> tuple[float, float, float]:
    """(best likeness of same-kind names but villages, 1.0 if both name an organisation or a
    site of one kind but none alike, 1.0 if both name villages or groups but none alike)."""
    best: dict[str, float] = {}
    for e in r.names:
        cores = m.cores.get(e.kind)
        if cores:
            s = 1.0 if e.core in cores else max(map(similarity, repeat(e.core), cores))
            if s > best.get(e.kind, -1.0):
                best[e.kind] = s
    # A village names a place, not a matter: it only counts against (village_conflict).
    match, conflict = 0.0, 0.0
    for k, s in best.items():
        if k != "village" and s > match:
            match = s
        if k in STRONG and s < ALIKE:
            conflict = 1.0
    return match, conflict, float(best.get("village", 1.0) < ALIKE)


def pair_features(r: Report, m: MatterState, cos: tuple[float, float, float]) -> list[float]:
    """The FEATURES of one (report, matter) pair, in order; ``cos``: title, title max, content."""
    match, conflict, vconflict = name_evidence(r, m) if r.names and m.names else (0.0, 0.0, 0.0)
    ru, mu = r.spec_units, m.spec_units
    shared = bool(ru & mu)
    placed = bool(r.block) and bool(m.block)
    cats = m.categories
    gap = max(0.0, r.ts - m.last_ts) / 86400.0
    return [
        *cos[:2], cos[2], word_share(r.words, r.widf, m.words), match, conflict, vconflict,
        float(shared), float(bool(ru) and bool(mu) and not shared),
        float(r.village is not None and r.village in m.villages),
        float(placed and r.block == m.block), float(placed and r.block != m.block),
        float(r.category is not None and r.category in cats),
        float(r.category is not None and bool(cats) and r.category not in cats),
        math.log1p(gap), float(r.informant in m.informants), math.log1p(len(m.members)),
    ]  # fmt: skip


class TextBlock(NamedTuple):
    """One matter's vectors as the matcher compares them, concatenated once per change: the
    title sum, the newest titles, then the content sum shifted past the title space."""

    idx: npt.NDArray[np.int32]
    val: Val
    lengths: list[int]
    tnorm: float
    cnorm: float


def text_block(m: MatterState) -> TextBlock:
    """``m``'s block, cached on the matter until it changes (``MatterState.add`` clears it)."""
    if m.text_block is None:
        vecs = [m.tsum, *(x.tvec() for x in m.members[-RECENT_TITLES:]), m.csum]
        idx = np.concatenate([v.idx for v in vecs])
        idx[idx.size - m.csum.idx.size :] += SHIFT
        m.text_block = TextBlock(idx, np.concatenate([v.val for v in vecs]),
                                 [v.idx.size for v in vecs], m.tnorm, m.cnorm)  # fmt: skip
    block: TextBlock = m.text_block
    return block


def text_cosines(r: Report, matters: Sequence[MatterState]) -> tuple[list[float], ...]:
    """Per matter: title cosine to the sum of its titles, the best to its newest titles, and
    content cosine to the sum of its contents; in one compiled pass (the content space is
    shifted past the title space, so one query holds both)."""
    blocks = [text_block(m) for m in matters]
    dots = kernels.segment_dots(
        np.concatenate((r.tvec.idx, r.cvec.idx + SHIFT)),
        np.concatenate((r.tvec.val, r.cvec.val)), np.concatenate([b.idx for b in blocks]),
        np.concatenate([b.val for b in blocks]),
        np.array([n for b in blocks for n in b.lengths], dtype=np.int64),
    ).tolist()  # fmt: skip
    tc, tm, cc, at = [], [], [], 0
    for b in blocks:
        end = at + len(b.lengths) - 1
        tc.append(dots[at] / max(b.tnorm, 1e-12))
        tm.append(max(dots[at + 1 : end]))
        cc.append(dots[end] / max(b.cnorm, 1e-12))
        at = end + 1
    return tc, tm, cc


def feature_matrix(r: Report, matters: Sequence[MatterState]) -> npt.NDArray[np.float64]:
    """One row of FEATURES per candidate matter."""
    if not matters:
        return np.zeros((0, len(FEATURES)))
    tc, tm, cc = text_cosines(r, matters)
    rows = [pair_features(r, m, (a, b, c)) for m, a, b, c in zip(matters, tc, tm, cc, strict=True)]
    return np.array(rows, dtype=np.float64)


class Matcher:
    """P(same matter) = logistic(bias + weights . features), with one set of weights for
    reports with a place and one for reports without (only their text can tell)."""

    def __init__(self, weights: dict[str, float], bias: float,
                 weights_unplaced: dict[str, float], bias_unplaced: float) -> None:  # fmt: skip
        self.w = np.array([weights.get(f, 0.0) for f in FEATURES], dtype=np.float64)
        self.wu = np.array([weights_unplaced.get(f, 0.0) for f in FEATURES], dtype=np.float64)
        self.bias, self.bias_unplaced = bias, bias_unplaced

    def probabilities(self, x: npt.NDArray[np.float64], placed: bool) -> npt.NDArray[np.float64]:
        w, b = (self.w, self.bias) if placed else (self.wu, self.bias_unplaced)
        # minimum/maximum, not np.clip: the same numbers without clip's Python wrapper.
        z = np.minimum(np.maximum(x @ w + b, -30.0), 30.0)
        return 1.0 / (1.0 + np.exp(-z))
