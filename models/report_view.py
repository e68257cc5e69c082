"""What the clusterer reads from one report, computed once: texts, vectors, names, words, keys.

Vectors are hashed character 2-3-grams (``gram_hashes``), unit length, kept as
int32 buckets and float32 weights: the title and the opening of the content
apart, because a title is the informant's own one-line summary of the matter
and a content mostly tells circumstances. Index keys (models/candidates.py)
are hashes of the names found (and their character pairs) and the title's
telling words, tagged by what they are, so a word and a name never share a key.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from minqing.records import Accepted
from models import kernels
from models.entities import Entity, scan
from models.kernels import HIGH
from models.textproc import Words, idf, normalize

Idx = npt.NDArray[np.int32]
Val = npt.NDArray[np.float32]
_PEOPLE = re.compile(r"(\d+)\s*(?:多|余|来)?\s*(?:名|户|人|位|家)")
# Counts of people above this are years, amounts or house numbers, not people.
MAX_PEOPLE = 20000
# Title words at least this telling (jieba IDF) are index keys; 问题, 小区 ... are not.
TELLING = 6.0
# Names are looked for in the title and this much of the content (they come early).
NAME_CHARS = 100
_SPECIFIC = re.compile(r"\d|[镇乡道县]$")  # a numbered unit (a7县) or a town


class Vec(NamedTuple):
    """A sparse vector: sorted bucket indices and their weights (a tuple: cheap to make)."""

    idx: Idx
    val: Val

    @staticmethod
    def empty() -> Vec:
        return Vec(np.zeros(0, np.int32), np.zeros(0, np.float32))


def _points(text: str) -> npt.NDArray[np.uint64]:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)


def vectorize_pair(title: str, content: str) -> tuple[Vec, Vec]:
    """``vectorize`` of both texts in one pass over ``title + " " + content`` (the space keeps
    every n-gram on its side; content buckets are shifted past the title's until the end).

    >>> t, c = vectorize_pair("乌川湖 涵洞", "反对兴建涵洞")
    >>> alone = vectorize("乌川湖 涵洞"), vectorize("反对兴建涵洞")
    >>> t.idx.tolist() == alone[0].idx.tolist(), c.val.tolist() == alone[1].val.tolist()
    (True, True)
    """
    grams = kernels.gram_buckets(_points(f"{title} {content}"), len(title))
    cut = int(grams.searchsorted(HIGH))
    if cut == 0 or cut == grams.size:
        return vectorize(title), vectorize(content)
    return Vec(*kernels.unit_counts(grams[:cut], 0)), Vec(*kernels.unit_counts(grams[cut:], HIGH))


def vectorize(text: str) -> Vec:
    """Unit vector of sublinear hashed 2-3-gram counts of normalised ``text``.

    >>> v = vectorize("乌川湖 涵洞 涵洞")
    >>> round(float(np.dot(v.val, v.val)), 5), v.idx.dtype.name, bool((np.diff(v.idx) > 0).all())
    (1.0, 'int32', True)
    """
    cps = _points(text)
    grams = kernels.gram_buckets(cps, cps.size)
    if grams.size == 0:  # 停电 vs 停 电: single characters still match
        grams = kernels.char_buckets(cps)
    if grams.size == 0:
        return Vec.empty()
    return Vec(*kernels.unit_counts(grams, 0))


def _tagged(tag: int, s: str) -> int:
    """A key for string ``s`` of kind ``tag``, the same in every process (``hash`` is salted).

    >>> _tagged(1, "景蓉华") == _tagged(1, "景蓉华") != _tagged(2, "景蓉华")
    True
    """
    return (tag << 40) | zlib.crc32(s.encode("utf-8"))


def people_in(text: str) -> int | None:
    """The largest count of people a text states (30多户村民, 200名业主), if any.

    >>> people_in("已有30多户村民 200名业主"), people_in("没有数字")
    (200, None)
    """
    counts = [int(n) for n in _PEOPLE.findall(text) if 0 < int(n) <= MAX_PEOPLE]
    return max(counts) if counts else None


@dataclass(slots=True)
class Report:
    """One report as the clusterer sees it (read-only by convention; slots: cheap to make)."""

    key: str
    ts: float
    at: datetime
    block: str  # the township code, "" when unplaced
    village: str | None
    county: str | None
    category: str | None
    informant: str
    title: str  # normalised
    bare: str  # normalised, place names taken out: what the title vector is made of
    text: str  # normalised title and content opening: what is kept for corrections
    tvec: Vec
    cvec: Vec
    names: tuple[Entity, ...]
    units: tuple[str, ...]
    spec_units: frozenset[str]
    words: tuple[str, ...]
    widf: tuple[float, ...]  # IDF of each word
    people: int | None
    keys: tuple[int, ...]


def specific_units(units: Iterable[str]) -> frozenset[str]:
    """Units below the city: a7县, 安沙镇 (a市 is shared by most reports of a city).

    >>> sorted(specific_units(["a市", "a7县", "安沙镇"]))
    ['a7县', '安沙镇']
    """
    return frozenset(u for u in units if _SPECIFIC.search(u))


def index_keys(names: list[Entity], words: list[str], widf: tuple[float, ...]) -> tuple[int, ...]:
    """Candidate keys: name cores, their character pairs (so 景蓉花 still finds 景蓉华) and the
    title's telling words; distinct, in a stable order.

    >>> len(index_keys([Entity("compound", "景蓉华", "苑")], ["物业", "停车费"], (4.0, 9.0)))
    4
    """
    keys = []
    for e in names:
        if len(e.core) >= 2:
            keys.append(_tagged(1, e.core))
            keys += [_tagged(4, e.core[i : i + 2]) for i in range(len(e.core) - 1)]
    keys += [_tagged(2, w) for w, x in zip(words, widf, strict=True) if x >= TELLING]
    return tuple(dict.fromkeys(keys))


def prepare(item: Accepted, key: str, at: datetime, words_of: Words,
            content_chars: int) -> Report:  # fmt: skip
    """Everything the clusterer needs from one report (pure; the report is not changed)."""
    r, place = item.report, item.place
    title = normalize(r.title)
    content = normalize(r.content[:content_chars])
    names, units = scan(f"{title} {content[:NAME_CHARS]}")
    words = words_of(title)
    bare = words_of.without_places(title)
    words += [e.name for e in names if e.name not in words and e.kind != "village"]
    people = max(r.people_involved or 0, people_in(content) or 0) or None
    widf = tuple(idf(w) for w in words)
    tvec, cvec = vectorize_pair(bare, content)
    return Report(
        key=key, ts=at.timestamp(), at=at, block=place.township or "", village=place.village,
        county=place.county, category=r.category, informant=r.informant_id, title=title,
        bare=bare, text=f"{title} {content}".strip(), tvec=tvec, cvec=cvec,
        names=tuple(names), units=tuple(units), spec_units=specific_units(units),
        words=tuple(words), widf=widf, people=people,
        keys=index_keys(names, words, widf),
    )  # fmt: skip


def vsum(a: Vec, b: Vec, cap: int, sign: float = 1.0) -> Vec:
    """``a + sign * b`` keeping the ``cap`` heaviest entries (ties: lower bucket); zeros dropped.

    >>> a = Vec(np.array([1, 5], np.int32), np.array([1.0, 2.0], np.float32))
    >>> s = vsum(a, Vec(np.array([5, 7], np.int32), np.array([1.0, 1.0], np.float32)), 2)
    >>> s.idx.tolist(), s.val.tolist()
    ([1, 5], [1.0, 3.0])
    """
    if a.idx.size == 0 and sign > 0 and b.idx.size <= cap:
        return b  # a new sum: nothing to add up
    return Vec(*kernels.sparse_add(a.idx, a.val, b.idx, b.val, sign, cap))


def norm(v: Vec) -> float:
    return float(kernels.norm32(v.val))
