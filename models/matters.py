"""One open matter while it grows: counts, centroid and keywords, and its snapshot."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, get_args

from minqing.records import Accepted, Matter, Signal
from models.base import pack_array, unpack_array
from models.text import char_ngrams
from models.vectors import SparseVec

SIGNAL_ORDER: tuple[Signal, ...] = get_args(Signal)
N_KEYWORDS = 5
# Words that frame a message rather than name its matter; they split keyword runs.
FRAMING = (
    "关于", "投诉", "反映", "咨询", "希望", "请求", "建议", "要求", "请问", "举报",
    "强烈", "问题", "相关", "质疑", "我想", "的", "了", "吗", "呢", "吧", "啊", "和", "与", "及",
)  # fmt: skip


def matter_id_for(report_id: str) -> str:
    """Deterministic id from the first report's id.

    >>> matter_id_for("r1")
    'M5573e39b6600'
    """
    return "M" + hashlib.sha1(report_id.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Texts:
    """A report's normalised title and content prefix, as the clusterer sees them."""

    title: str
    content: str


@dataclass
class OpenMatter:
    matter_id: str
    title: str
    title_norm: str
    township: str | None
    county: str | None
    first_seen: datetime
    last_seen: datetime
    total: SparseVec
    last_ts: float = 0.0
    # Changes with every new centroid; the index cache tells stale entries by it.
    stamp: int = 0
    version: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    informants: set[str] = field(default_factory=set)
    villages: set[str] = field(default_factory=set)
    people_max: int = 0
    signals: set[str] = field(default_factory=set)
    report_ids: list[str] = field(default_factory=list)
    # n-grams of the first title -> how many member titles and contents contain them
    hits: dict[str, int] = field(default_factory=dict)

    def add(self, item: Accepted, report_id: str, texts: Texts, at: datetime) -> None:
        """Count one more member report (its vector is added by the caller)."""
        r = item.report
        self.version += 1
        self.report_ids.append(report_id)
        if r.category is not None:
            self.categories[r.category] += 1
        self.informants.add(r.informant_id)
        if item.place.village:
            self.villages.add(item.place.village)
        self.people_max = max(self.people_max, r.people_involved or 0)
        self.signals.update(r.signals)
        self.first_seen = min(self.first_seen, at)
        self.last_seen = max(self.last_seen, at)
        self.last_ts = self.last_seen.timestamp()
        for gram in self.hits:
            self.hits[gram] += (gram in texts.title) + (gram in texts.content)

    def snapshot(self) -> Matter:
        category = self.categories.most_common(1)[0][0] if self.categories else None
        return Matter(
            matter_id=self.matter_id,
            version=self.version,
            title=self.title,
            category=category,
            keywords=keywords(self.title_norm, self.hits),
            township=self.township,
            county=self.county,
            n_reports=len(self.report_ids),
            n_informants=len(self.informants),
            n_villages=len(self.villages),
            people_max=self.people_max,
            signals=[s for s in SIGNAL_ORDER if s in self.signals],
            first_seen=self.first_seen,
            last_seen=self.last_seen,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "matter_id": self.matter_id, "title": self.title, "title_norm": self.title_norm,
            "township": self.township, "county": self.county,
            "first_seen": self.first_seen.isoformat(), "last_seen": self.last_seen.isoformat(),
            "idx": pack_array(self.total.idx, "<i4"), "val": pack_array(self.total.val, "<f8"),
            "version": self.version, "categories": list(self.categories.items()),
            "informants": sorted(self.informants), "villages": sorted(self.villages),
            "people_max": self.people_max, "signals": sorted(self.signals),
            "report_ids": self.report_ids, "hits": list(self.hits.items()),
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any], stamp: int) -> OpenMatter:
        total = SparseVec(unpack_array(d["idx"], "<i4").astype("i8"), unpack_array(d["val"], "<f8"))
        last_seen = datetime.fromisoformat(d["last_seen"])
        return cls(
            d["matter_id"], d["title"], d["title_norm"], d["township"], d["county"],
            datetime.fromisoformat(d["first_seen"]), last_seen, total, last_seen.timestamp(),
            stamp, d["version"], Counter(dict(d["categories"])), set(d["informants"]),
            set(d["villages"]), d["people_max"], set(d["signals"]), list(d["report_ids"]),
            dict(d["hits"]),
        )  # fmt: skip


def open_matter(item: Accepted, report_id: str, texts: Texts, at: datetime,
                vec: SparseVec, ngrams: tuple[int, int]) -> OpenMatter:  # fmt: skip
    """A new matter whose first member is ``item``."""
    m = OpenMatter(
        matter_id=matter_id_for(report_id),
        title=item.report.title,
        title_norm=texts.title,
        township=item.place.township,
        county=item.place.county,
        first_seen=at,
        last_seen=at,
        total=vec,
        hits=dict.fromkeys(char_ngrams(texts.title, *ngrams), 0),
    )
    m.add(item, report_id, texts, at)
    return m


def keywords(title: str, hits: dict[str, int], limit: int = N_KEYWORDS) -> list[str]:
    """Runs of the title covered by n-grams seen at least twice across the matter.

    Twice means in two member titles, or in a title and a content: what the
    reports keep repeating. Framing words (投诉, 关于, 的 ...) split runs.

    >>> hits = {"投诉": 2, "乌川湖": 2, "川湖村": 2, "兴建": 1, "涵洞": 3}
    >>> keywords("投诉乌川湖村兴建涵洞", hits)
    ['涵洞', '乌川湖村']
    """
    score = [0] * len(title)
    for gram, n in hits.items():
        if n >= 2:
            for start in _find_all(title, gram):
                for i in range(start, start + len(gram)):
                    score[i] = max(score[i], n)
    for word in FRAMING:
        for start in _find_all(title, word):
            score[start : start + len(word)] = [0] * len(word)
    runs = _runs(title, score)
    runs.sort(key=lambda r: (-r[0], -len(r[2]), r[1]))
    out: list[str] = []
    for _, _, text in runs:
        if text not in out:
            out.append(text)
    return out[:limit]


def _find_all(text: str, sub: str) -> list[int]:
    out, i = [], text.find(sub)
    while i >= 0:
        out.append(i)
        i = text.find(sub, i + 1)
    return out


def _runs(title: str, score: list[int]) -> list[tuple[int, int, str]]:
    """(best score, start, text) of each maximal run of scored characters (>= 2 long)."""
    runs: list[tuple[int, int, str]] = []
    start = None
    for i, s in enumerate([*score, 0]):
        if s and start is None:
            start = i
        elif not s and start is not None:
            text = title[start:i].strip()
            if len(text) >= 2:
                runs.append((max(score[start:i]), start, text))
            start = None
    return runs
