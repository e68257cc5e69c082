"""The compiled loops (models/kernels.py) against plain numpy written the obvious way."""

from __future__ import annotations

import numpy as np
import pytest

from models import kernels
from models.report_view import Vec, vectorize, vectorize_pair, vsum

BITS = kernels.BITS


def _sparse(rng: np.random.Generator, k: int, space: int = 5000) -> Vec:
    idx = np.sort(rng.choice(space, k, replace=False)).astype(np.int32)
    return Vec(idx, rng.normal(size=k).astype(np.float32))


def _reference_vector(text: str) -> tuple[list[int], list[float]]:
    cps = [ord(c) for c in text]
    grams = []
    for n in (2, 3):
        for i in range(len(cps) - n + 1):
            if 32 not in cps[i : i + n]:
                h = 0
                for c in cps[i : i + n]:
                    h = (h * 1_000_003 + c) % 2**64
                mult = 0x9E3779B97F4A7C15 if n == 2 else 0xC2B2AE3D27D4EB4F
                grams.append(((h * mult) % 2**64) >> (64 - BITS))
    idx, counts = np.unique(np.array(grams, dtype=np.int64), return_counts=True)
    val = 1.0 + np.log(counts)
    return idx.tolist(), (val / np.linalg.norm(val)).tolist()


TEXTS = ["乌川湖 涵洞", "拖欠工资 拖欠工资 瑞祥五金厂", "ab", "停车费a2区"]


@pytest.mark.parametrize("text", TEXTS)
def test_vectors_are_hashed_gram_counts(text: str) -> None:
    idx, val = _reference_vector(text)
    v = vectorize(text)
    assert v.idx.tolist() == idx
    assert np.allclose(v.val, val, atol=1e-7)
    assert v.idx.dtype == np.int32 and v.val.dtype == np.float32


def test_a_text_with_no_gram_falls_back_to_characters() -> None:
    assert vectorize("停 电").idx.size == 2
    assert vectorize("").idx.size == 0 and vectorize(" ").idx.size == 0


def test_the_pair_is_each_text_alone() -> None:
    t, c = vectorize_pair("景蓉华苑 停车费", "物业乱收停车费 业主不满")
    assert t.idx.tolist() == vectorize("景蓉华苑 停车费").idx.tolist()
    assert c.val.tolist() == vectorize("物业乱收停车费 业主不满").val.tolist()
    empty_title = vectorize_pair("停", "物业乱收停车费")
    assert empty_title[0].idx.tolist() == vectorize("停").idx.tolist()


def _reference_sum(a: Vec, b: Vec, cap: int, sign: float) -> tuple[list[int], list[float]]:
    total: dict[int, float] = {}
    for i, x in zip(a.idx.tolist(), a.val.tolist(), strict=True):
        total[i] = total.get(i, 0.0) + x
    for i, x in zip(b.idx.tolist(), (sign * b.val).tolist(), strict=True):
        total[i] = total.get(i, 0.0) + x
    kept = sorted((i, x) for i, x in total.items() if abs(x) > 1e-6)
    if len(kept) > cap:
        kept = sorted(sorted(kept, key=lambda p: (-abs(p[1]), p[0]))[:cap])
    return [i for i, _ in kept], [x for _, x in kept]


def test_sums_keep_the_heaviest_and_drop_zeros() -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        a, b = _sparse(rng, int(rng.integers(0, 200))), _sparse(rng, int(rng.integers(1, 60)))
        sign, cap = float(rng.choice([1.0, -1.0])), int(rng.integers(3, 200))
        if rng.random() < 0.2:  # taking a member out again: exact zeros
            b, sign = Vec(a.idx[: b.idx.size].copy(), a.val[: b.idx.size].copy()), -1.0
        idx, val = _reference_sum(a, b, cap, sign)
        got = vsum(a, b, cap, sign)
        assert got.idx.tolist() == idx
        assert np.allclose(got.val, val, atol=1e-6)


def test_dots_match_dense_products() -> None:
    rng = np.random.default_rng(11)
    q = _sparse(rng, 40, 300)
    segments = [_sparse(rng, int(rng.integers(0, 50)), 300) for _ in range(6)]
    dense_q = np.zeros(300)
    dense_q[q.idx] = q.val
    dots = kernels.segment_dots(
        q.idx, q.val, np.concatenate([s.idx for s in segments]),
        np.concatenate([s.val for s in segments]),
        np.array([s.idx.size for s in segments], dtype=np.int64),
    )  # fmt: skip
    for s, d in zip(segments, dots, strict=True):
        assert d == pytest.approx(float(dense_q[s.idx] @ s.val), abs=1e-5)
        assert kernels.sparse_dot(q.idx, q.val, s.idx, s.val) == pytest.approx(d, abs=1e-5)
    assert kernels.norm32(q.val) == pytest.approx(float(np.linalg.norm(q.val)), rel=1e-6)
