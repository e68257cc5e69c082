"""Text normalisation and character n-grams for matching Chinese reports.

Kept deliberately small: word segmentation (jieba), traditional -> simplified
and entity extraction come later.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import numpy.typing as npt

# Any run of punctuation, symbols, underscores or white space becomes one space,
# so n-grams never straddle a sentence or clause boundary.
_SEPARATORS = re.compile(r"[\W_]+")

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(1_000_003)
_SPACE = 32


def normalize(text: str) -> str:
    """NFKC (full width -> half width), lower-case latin, punctuation -> single spaces.

    >>> normalize("Ａ７县，  江背镇！！ＡＢＣ")
    'a7县 江背镇 abc'
    >>> normalize("“涵洞”…")
    '涵洞'
    """
    text = unicodedata.normalize("NFKC", text).lower()
    return _SEPARATORS.sub(" ", text).strip()


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams of lengths lo..hi that do not cross a space, shortest first.

    >>> char_ngrams("乌川湖 涵洞", 2, 3)
    ['乌川', '川湖', '涵洞', '乌川湖']
    """
    out: list[str] = []
    for n in range(lo, hi + 1):
        out.extend(text[i : i + n] for i in range(len(text) - n + 1) if " " not in text[i : i + n])
    return out


def hashed_ngrams(text: str, lo: int, hi: int, bits: int) -> npt.NDArray[np.int64]:
    """Stable hash buckets (0 .. 2**bits - 1) of ``char_ngrams(text, lo, hi)``, same order.

    Vectorised over the code points, so long texts cost no Python loop per n-gram,
    and stable across processes (unlike ``hash``).

    >>> h = hashed_ngrams("乌川湖 涵洞", 2, 3, 18)
    >>> len(h), int(h.max()) < 2**18
    (4, True)
    >>> bool((hashed_ngrams("涵洞", 2, 2, 18) == h[2]).all())
    True
    """
    cps = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    spaces = np.concatenate(([0], np.cumsum(cps == _SPACE)))
    parts: list[npt.NDArray[np.uint64]] = []
    for n in range(lo, hi + 1):
        m = len(cps) - n + 1
        if m <= 0:
            continue
        h = np.full(m, n, dtype=np.uint64)
        for k in range(n):
            h = h * _PRIME + cps[k : k + m]
        parts.append(h[spaces[n:] - spaces[: len(spaces) - n] == 0])
    if not parts:
        return np.zeros(0, dtype=np.int64)
    mixed = np.concatenate(parts) * _GOLDEN
    return (mixed >> np.uint64(64 - bits)).astype(np.int64)
