"""Text helpers: normalisation and n-grams, and the hashing saved states depend on."""

from __future__ import annotations

import numpy as np

from models.text import char_ngrams, hashed_ngrams, normalize


def test_normalize_unifies_width_case_punctuation_and_space() -> None:
    assert normalize("ＡＢＣ１２３，　枫桥镇！！\n\t涵洞（渗水）") == "abc123 枫桥镇 涵洞 渗水"
    assert normalize("“停水”……三天了？") == "停水 三天了"
    assert normalize("  ") == ""


def test_char_ngrams_stay_inside_clauses() -> None:
    grams = char_ngrams("停水 三天", 2, 3)
    assert grams == ["停水", "三天"]
    assert all(" " not in g for g in char_ngrams(normalize("河水发黑，发臭。鱼死了"), 2, 3))
    assert char_ngrams("停", 2, 3) == []


def test_hashed_ngrams_match_char_ngrams_one_to_one() -> None:
    text = normalize("上游化工厂夜里偷排废水，河水发黑发臭，abc 12")
    grams = char_ngrams(text, 2, 3)
    buckets = hashed_ngrams(text, 2, 3, 18)
    assert len(buckets) == len(grams)
    for gram, bucket in zip(grams, buckets.tolist(), strict=True):
        assert hashed_ngrams(gram, len(gram), len(gram), 18).tolist() == [bucket]


def test_hashing_is_pinned() -> None:
    # Saved cluster states hold these buckets: changing the hash invalidates them.
    assert hashed_ngrams("涵洞 ab", 2, 3, 18).tolist() == PINNED
    assert hashed_ngrams("", 2, 3, 18).dtype == np.int64


PINNED = [114102, 27071]
