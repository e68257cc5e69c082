"""One open matter: its members and what they add up to (vectors, names, words, counts).

Members are kept (compactly: normalised text, names, words, the counts they
add) so an analyst's correction can take a report out again exactly
(``rebuild``). Sums keep their heaviest entries only and counters their most
frequent items, so a long-lived matter stays small.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, get_args

from minqing.records import Matter, Signal
from models import kernels
from models.base import pack_array, unpack_array
from models.entities import Entity
from models.report_view import Report, Vec, norm, specific_units, vectorize, vsum
from models.textproc import idf

SIGNAL_ORDER: tuple[Signal, ...] = get_args(Signal)
TITLE_NNZ, CONTENT_NNZ = 256, 512
MAX_NAMES, MAX_UNITS, MAX_WORDS, MAX_KEYS = 32, 16, 64, 512
N_KEYWORDS = 5


def matter_id_for(report_id: str) -> str:
    """Deterministic id from the first report's id.

    >>> matter_id_for("r1")
    'M5573e39b6600'
    """
    return "M" + hashlib.sha1(report_id.encode("utf-8")).hexdigest()[:12]


@dataclass(slots=True)
class Member:
    """What one report added to its matter."""

    key: str
    at: datetime
    informant: str
    block: str
    village: str | None
    category: str | None
    people: int | None
    signals: tuple[str, ...]
    title: str  # as the informant wrote it
    ntitle: str  # normalised, place names taken out (what its title vector is made of)
    ncontent: str  # normalised opening of the content
    names: tuple[Entity, ...]
    units: tuple[str, ...]
    words: tuple[str, ...]
    keys: tuple[int, ...]
    # The title's vector, a cache (never saved: vectorised again when first needed).
    _tvec: Vec | None = field(default=None, compare=False, repr=False)

    def tvec(self) -> Vec:
        if self._tvec is None:
            self._tvec = vectorize(self.ntitle)
        return self._tvec

    def to_list(self) -> list[Any]:
        names = [[e.kind, e.core, e.tail] for e in self.names]
        return [self.key, self.at.isoformat(), self.informant, self.block, self.village,
                self.category, self.people, list(self.signals), self.title, self.ntitle,
                self.ncontent, names, list(self.units), list(self.words),
                [str(k) for k in self.keys]]  # fmt: skip

    @classmethod
    def from_list(cls, d: list[Any]) -> Member:
        return cls(d[0], datetime.fromisoformat(d[1]), d[2], d[3], d[4], d[5], d[6],
                   tuple(d[7]), d[8], d[9], d[10], tuple(Entity(*e) for e in d[11]),
                   tuple(d[12]), tuple(d[13]), tuple(int(k) for k in d[14]))  # fmt: skip


def member_of(r: Report, title: str, signals: list[str]) -> Member:
    content = r.text[len(r.title) :].strip()
    return Member(r.key, r.at, r.informant, r.block, r.village, r.category, r.people,
                  tuple(signals), title, r.bare, content, r.names, r.units, r.words,
                  r.keys)  # fmt: skip


def _bump(counter: Counter[Any], items: Any, cap: int) -> None:
    """Count ``items``; beyond ``cap`` distinct items, new ones are not counted."""
    for x in items:
        if x in counter or len(counter) < cap:
            counter[x] += 1


@dataclass(eq=False)  # compared and hashed by identity: the index keeps the objects
class MatterState:
    matter_id: str
    block: str
    county: str | None
    first_at: datetime
    last_at: datetime
    version: int = 0
    members: list[Member] = field(default_factory=list)
    tsum: Vec = field(default_factory=Vec.empty)
    csum: Vec = field(default_factory=Vec.empty)
    rep: int = 0  # the member whose title represents the matter
    names: Counter[Entity] = field(default_factory=Counter)
    units: Counter[str] = field(default_factory=Counter)
    words: Counter[str] = field(default_factory=Counter)
    keys: dict[int, None] = field(default_factory=dict)  # index keys, in order
    # Counts over the members, never saved (recounted on load).
    informants: Counter[str] = field(default_factory=Counter, compare=False)
    villages: Counter[str] = field(default_factory=Counter, compare=False)
    categories: Counter[str] = field(default_factory=Counter, compare=False)
    signals: Counter[str] = field(default_factory=Counter, compare=False)
    spec_units: set[str] = field(default_factory=set, compare=False)
    cores: dict[str, set[str]] = field(default_factory=dict, compare=False)  # kind -> name cores
    people_max: int = field(default=0, compare=False)
    # Caches, never saved: norms of the sums, times as numbers, the representative's vector.
    tnorm: float = field(default=0.0, compare=False)
    cnorm: float = field(default=0.0, compare=False)
    last_ts: float = field(default=0.0, compare=False)
    rep_vec: Vec | None = field(default=None, compare=False, repr=False)
    # The matcher's text block (models/matcher.py), built when first compared after a change.
    text_block: Any = field(default=None, compare=False, repr=False)

    def add(self, m: Member, tvec: Vec, cvec: Vec) -> None:
        """Count one more member (its vectors given, as the caller has them already)."""
        m._tvec = tvec
        self.text_block = None
        self.version += 1
        self.members.append(m)
        self.first_at, self.last_at = min(self.first_at, m.at), max(self.last_at, m.at)
        self.last_ts = self.last_at.timestamp()
        self.tsum = vsum(self.tsum, tvec, TITLE_NNZ)
        self.csum = vsum(self.csum, cvec, CONTENT_NNZ)
        self.tnorm, self.cnorm = norm(self.tsum), norm(self.csum)
        self._count(m)
        _bump(self.names, m.names, MAX_NAMES)
        self._index_names(m.names)
        _bump(self.units, m.units, MAX_UNITS)
        self.spec_units |= specific_units(m.units)
        _bump(self.words, m.words, MAX_WORDS)
        for k in m.keys:
            if len(self.keys) < MAX_KEYS:
                self.keys.setdefault(k)
        self._pick_rep(tvec)

    def _index_names(self, names: Iterable[Entity]) -> None:
        for e in names:
            if e in self.names:
                self.cores.setdefault(e.kind, set()).add(e.core)

    def _count(self, m: Member) -> None:
        self.informants[m.informant] += 1
        if m.village:
            self.villages[m.village] += 1
        if m.category:
            self.categories[m.category] += 1
        self.signals.update(m.signals)
        self.people_max = max(self.people_max, m.people or 0)

    def _pick_rep(self, tvec: Vec) -> None:
        """Keep as representative whichever title, the current one or the newest, is nearer the
        centre of the titles (cheap: the two are compared, not all members)."""
        if len(self.members) == 1:
            self.rep, self.rep_vec = 0, tvec
            return
        if self.rep_vec is None:
            self.rep_vec = self.members[self.rep].tvec()
        if _dot(tvec, self.tsum) > _dot(self.rep_vec, self.tsum) + 1e-6:
            self.rep, self.rep_vec = len(self.members) - 1, tvec

    def absorb(self, other: MatterState) -> None:
        """Take all of ``other``'s members (a merge); ``other`` is then dropped by the caller."""
        for m in other.members:
            self.add(m, vectorize(m.ntitle), vectorize(m.ncontent))

    @property
    def report_ids(self) -> list[str]:
        return [m.key for m in self.members]

    def keywords(self, limit: int = N_KEYWORDS) -> list[str]:
        """Words the members keep using, most telling first (count x IDF; first seen on ties)."""
        need = 2 if len(self.members) > 1 else 1
        scored = [(-n * idf(w), i, w) for i, (w, n) in enumerate(self.words.items()) if n >= need]
        return [w for _, _, w in sorted(scored)[:limit]]

    def snapshot(self) -> Matter:
        cats = self.categories
        # Every field is built right here, so pydantic's checks are skipped (a tenth of the cost).
        return Matter.model_construct(
            matter_id=self.matter_id, version=self.version, title=self.members[self.rep].title,
            category=max(cats, key=cats.__getitem__) if cats else None,  # first on ties
            keywords=self.keywords(), township=self.block or None, county=self.county,
            n_reports=len(self.members), n_informants=len(self.informants),
            n_villages=len(self.villages), people_max=self.people_max,
            signals=[s for s in SIGNAL_ORDER if s in self.signals],
            first_seen=self.first_at, last_seen=self.last_at,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        vecs = [pack_array(self.tsum.idx, "<i4"), pack_array(self.csum.idx, "<i4"),
                pack_array(self.tsum.val, "<f4"), pack_array(self.csum.val, "<f4")]  # fmt: skip
        return {
            "id": self.matter_id, "block": self.block, "county": self.county,
            "first": self.first_at.isoformat(), "last": self.last_at.isoformat(),
            "version": self.version, "rep": self.rep,
            "members": [m.to_list() for m in self.members], "vec": vecs,
            "names": [[e.kind, e.core, e.tail, n] for e, n in self.names.items()],
            "units": list(self.units.items()), "words": list(self.words.items()),
            "keys": [str(k) for k in self.keys],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MatterState:
        ti, ci, tv, cv = d["vec"]
        first, last = datetime.fromisoformat(d["first"]), datetime.fromisoformat(d["last"])
        m = cls(d["id"], d["block"], d["county"], first, last, d["version"],
                [Member.from_list(x) for x in d["members"]],
                Vec(unpack_array(ti, "<i4"), unpack_array(tv, "<f4")),
                Vec(unpack_array(ci, "<i4"), unpack_array(cv, "<f4")), d["rep"],
                Counter({Entity(k, c, t): n for k, c, t, n in d["names"]}),
                Counter(dict(d["units"])), Counter(dict(d["words"])),
                dict.fromkeys(int(k) for k in d["keys"]))  # fmt: skip
        m.tnorm, m.cnorm, m.last_ts = norm(m.tsum), norm(m.csum), last.timestamp()
        for x in m.members:
            m._count(x)
            m.spec_units |= specific_units(x.units)
        m._index_names(m.names)
        return m


def _dot(a: Vec, b: Vec) -> float:
    """a . b for sparse vectors with sorted indices."""
    return float(kernels.sparse_dot(a.idx, a.val, b.idx, b.val))


def new_matter(m: Member, block: str, county: str | None, tvec: Vec, cvec: Vec) -> MatterState:
    matter = MatterState(matter_id_for(m.key), block, county, m.at, m.at)
    matter.add(m, tvec, cvec)
    return matter


def rebuild(matter: MatterState, members: list[Member]) -> MatterState:
    """The matter as if only ``members`` had joined it (in their order); same id and block."""
    fresh = MatterState(matter.matter_id, matter.block, matter.county, members[0].at,
                        members[0].at)  # fmt: skip
    for m in members:
        fresh.add(m, vectorize(m.ntitle), vectorize(m.ncontent))
    fresh.version = matter.version + 1
    return fresh
