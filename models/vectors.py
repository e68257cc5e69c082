"""Sparse hashed n-gram vectors as (sorted bucket indices, weights) numpy pairs.

Dense vectors of 2**18 floats per matter would not fit thousands of open
matters; scipy matrices cost more to grow row by row than these plain arrays.
Dot products with many of them: models/index.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from models.text import hashed_ngrams

Idx = npt.NDArray[np.int64]
Val = npt.NDArray[np.float64]

BITS = 18
# The title is the informant's own one-line summary: count its n-grams twice.
TITLE_WEIGHT = 2
# A centroid keeps its heaviest entries only, so a long-lived matter stays small.
MAX_NNZ = 4096


@dataclass(frozen=True)
class SparseVec:
    idx: Idx
    val: Val

    @cached_property
    def norm(self) -> float:
        return float(np.sqrt(np.dot(self.val, self.val)))


def featurize(title: str, content: str, lo: int, hi: int) -> SparseVec:
    """Unit vector of sublinear n-gram counts of normalised title (x2) and content.

    >>> v = featurize("乌川湖 涵洞", "反对兴建涵洞", 2, 3)
    >>> round(v.norm, 6), bool((np.diff(v.idx) > 0).all())
    (1.0, True)
    """
    parts = [hashed_ngrams(title, lo, hi, BITS)] * TITLE_WEIGHT
    parts.append(hashed_ngrams(content, lo, hi, BITS))
    grams = np.concatenate(parts)
    if grams.size == 0:
        # Too short for n-grams: single characters still let "停电" ~ "停 电" match.
        grams = hashed_ngrams(f"{title} {content}".strip(), 1, 1, BITS)
    idx, counts = np.unique(grams, return_counts=True)
    val = 1.0 + np.log(counts)
    norm = np.sqrt(np.dot(val, val))
    return SparseVec(idx, val / norm if norm > 0 else val)


def add(total: SparseVec, v: SparseVec) -> SparseVec:
    """``total + v``, keeping the MAX_NNZ heaviest entries (ties: lower index).

    >>> a = SparseVec(np.array([1, 5]), np.array([1.0, 2.0]))
    >>> s = add(a, SparseVec(np.array([5, 7]), np.array([1.0, 1.0])))
    >>> s.idx.tolist(), s.val.tolist()
    ([1, 5, 7], [1.0, 3.0, 1.0])
    """
    idx, inverse = np.unique(np.concatenate((total.idx, v.idx)), return_inverse=True)
    weights = np.concatenate((total.val, v.val))
    val: Val = np.bincount(inverse, weights=weights, minlength=idx.size).astype(np.float64)
    if idx.size > MAX_NNZ:
        keep = np.sort(np.lexsort((idx, -val))[:MAX_NNZ])
        idx, val = idx[keep], val[keep]
    return SparseVec(idx, val)
