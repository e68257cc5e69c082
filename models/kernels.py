"""The clusterer's inner loops over sparse vectors, compiled (numba).

Each report is turned into n-gram vectors, compared with a handful of matters and
added to one; done with numpy, that is some 150 small array calls per report, whose
fixed cost (about a microsecond each) was a third of the clusterer's time. Here each
step is one call. Inputs and outputs are plain arrays; models/report_view.py wraps them
in ``Vec``. Compiled code is cached next to this file (``cache=True``), so only the
first process after a change compiles (a few seconds).

Sparse vectors are (sorted distinct int32 buckets, float32 weights).
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

BITS = 20
HIGH = 1 << BITS  # content buckets are shifted past the title's in one space
_P, _G2, _G3 = np.uint64(1_000_003), np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
_SHIFT = np.uint64(64 - BITS)
_SPACE = np.uint64(32)
Idx = npt.NDArray[np.int32]
Val = npt.NDArray[np.float32]
Points = npt.NDArray[np.uint32]


@nb.njit(cache=True)
def gram_buckets(cps: npt.NDArray[np.uint64], n: int) -> npt.NDArray[np.int64]:
    """Buckets of the character 2- and 3-grams of code points ``cps`` not crossing a
    space (32), sorted; those starting at or after ``n`` (past the title) shifted by HIGH."""
    m = cps.size
    out = np.empty(max(2 * m - 3, 0), np.int64)
    k = 0
    for i in range(m - 1):
        a, b = cps[i], cps[i + 1]
        if a == _SPACE or b == _SPACE:
            continue
        h2 = a * _P + b
        shift = 0 if i < n else HIGH
        out[k] = np.int64((h2 * _G2) >> _SHIFT) + shift
        k += 1
        if i + 2 < m and cps[i + 2] != _SPACE:
            out[k] = np.int64(((h2 * _P + cps[i + 2]) * _G3) >> _SHIFT) + shift
            k += 1
    grams = out[:k].copy()
    grams.sort()
    return grams


@nb.njit(cache=True)
def char_buckets(cps: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """Buckets of the single characters but spaces, sorted (for texts with no n-gram)."""
    out = np.empty(cps.size, np.int64)
    k = 0
    for c in cps:
        if c != _SPACE:
            out[k] = np.int64((c * _G2) >> _SHIFT)
            k += 1
    grams = out[:k].copy()
    grams.sort()
    return grams


@nb.njit(cache=True)
def unit_counts(b: npt.NDArray[np.int64], offset: int) -> tuple[Idx, Val]:
    """Sorted buckets ``b`` (minus ``offset``) as a unit vector of 1 + log(count)."""
    idx = np.empty(b.size, np.int32)
    val = np.empty(b.size, np.float64)
    k = -1
    for i in range(b.size):
        if i == 0 or b[i] != b[i - 1]:
            k += 1
            idx[k] = b[i] - offset
            val[k] = 0.0
        val[k] += 1.0
    k += 1
    total = 0.0
    for i in range(k):
        val[i] = 1.0 + np.log(val[i])
        total += val[i] * val[i]
    return idx[:k].copy(), (val[:k] / np.sqrt(total)).astype(np.float32)


@nb.njit(cache=True)
def sparse_add(ai: Idx, av: Val, bi: Idx, bv: Val, sign: float, cap: int) -> tuple[Idx, Val]:
    """``a + sign * b`` keeping the ``cap`` heaviest entries (ties: the lower bucket), zeros
    (below 1e-6) dropped."""
    idx = np.empty(ai.size + bi.size, np.int32)
    val = np.empty(ai.size + bi.size, np.float64)
    i = j = k = 0
    while i < ai.size or j < bi.size:
        if j == bi.size or (i < ai.size and ai[i] < bi[j]):
            idx[k], x = ai[i], np.float64(av[i])
            i += 1
        elif i == ai.size or bi[j] < ai[i]:
            idx[k], x = bi[j], np.float64(np.float32(sign * bv[j]))
            j += 1
        else:
            idx[k], x = ai[i], np.float64(av[i]) + np.float64(np.float32(sign * bv[j]))
            i += 1
            j += 1
        if abs(x) > 1e-6:
            val[k] = x
            k += 1
    idx, val = idx[:k], val[:k]
    if k > cap:
        keep = np.sort(np.argsort(-np.abs(val), kind="mergesort")[:cap])
        idx, val = idx[keep], val[keep]
    return idx.copy(), val.astype(np.float32)


@nb.njit(cache=True)
def norm32(v: Val) -> float:
    """Euclidean norm of float32 weights, summed in float64."""
    total = 0.0
    for x in v:
        total += np.float64(x) * np.float64(x)
    return float(np.sqrt(total))


@nb.njit(cache=True)
def sparse_dot(ai: Idx, av: Val, bi: Idx, bv: Val) -> float:
    """a . b in float64 (both sorted)."""
    i = j = 0
    total = 0.0
    while i < ai.size and j < bi.size:
        if ai[i] < bi[j]:
            i += 1
        elif bi[j] < ai[i]:
            j += 1
        else:
            total += np.float64(av[i]) * np.float64(bv[j])
            i += 1
            j += 1
    return total


@nb.njit(cache=True)
def segment_dots(
    qi: Idx, qv: Val, idx: Idx, val: Val, lengths: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """The dot of query (qi, qv) with each of the sorted segments ``idx``/``val`` is cut
    into (``lengths``); products in float32, sums in float64, in order. A merge of two
    sorted lists (the query is skipped ahead to each segment's start), not a search each."""
    out = np.zeros(lengths.size, np.float64)
    at = 0
    for s in range(lengths.size):
        end = at + lengths[s]
        total = 0.0
        p = np.searchsorted(qi, idx[at]) if at < end else qi.size
        j = at
        while j < end and p < qi.size:
            if idx[j] < qi[p]:
                j += 1
            elif qi[p] < idx[j]:
                p += 1
            else:
                total += np.float64(np.float32(qv[p] * val[j]))
                j += 1
                p += 1
        out[s] = total
        at = end
    return out


@nb.njit(cache=True)
def map_points(cps: Points, table: Points) -> Points:
    """Each code point through ``table``; those beyond it (outside the BMP) kept as they are."""
    out = np.empty_like(cps)
    for i in range(cps.size):
        c = cps[i]
        out[i] = table[c] if c < table.size else c
    return out


def warm() -> None:
    """Compile (or load from the cache) every loop now, so that the first report a worker
    reads does not wait seconds for it.

    >>> warm()
    """
    one = np.ones(1, np.int32), np.ones(1, np.float32)
    unit_counts(gram_buckets(np.array([65, 66, 67], np.uint64), 1), 0)
    char_buckets(np.array([65], np.uint64))
    sparse_add(*one, *one, 1.0, 1)
    sparse_dot(*one, *one)
    segment_dots(*one, *one, np.ones(1, np.int64))
    map_points(np.array([65], np.uint32), np.arange(128, dtype=np.uint32))
