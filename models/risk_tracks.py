"""One matter's risk history, as the feature tracker keeps it (bounded and saved exactly)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from minqing.records import Accepted, Matter
from models.intent import IntentClassifier, IntentReading, read, simplify
from models.risk_cues import CUES, read_cues

DANGER = frozenset(("self_harm_threat", "violence_threat"))
WEEK, DAY = 7 * 86400.0, 86400.0
RECENT_MAX = 2000
NO_READING = IntentReading((), 0, 0.0)
NO_CUES = (0,) * len(CUES)
_I = {c: i for i, c in enumerate(CUES)}


@dataclass(frozen=True)
class Observation:
    """What the tracker takes from one report (``signals`` None: only the matter is known)."""

    ts: float
    informant: str | None
    village: str | None
    township: str | None
    people: int | None
    signals: tuple[str, ...] | None
    reading: IntentReading
    cues: tuple[int, ...]


def observation(matter: Matter, at: datetime, accepted: Accepted | None = None,
                clf: IntentClassifier | None = None) -> Observation:  # fmt: skip
    """The observation of the report that made ``matter``; without it, what the matter tells."""
    if accepted is None:
        return Observation(at.timestamp(), None, None, matter.township, None, None, NO_READING,
                           NO_CUES)  # fmt: skip
    r, place = accepted.report, accepted.place
    text = f"{r.title}。{r.content}"
    cues = read_cues(text)
    return Observation(
        at.timestamp(), r.informant_id, place.village, place.township or matter.township,
        r.people_involved, tuple(r.signals), read(text, clf), tuple(cues[c] for c in CUES),
    )  # fmt: skip


def signature(text: str) -> tuple[str, ...]:
    """Sorted character bigrams of a title's letters and digits.

    >>> signature("宏达，五金厂")
    ('五金', '宏达', '达五', '金厂')
    """
    s = "".join(c for c in text if c.isalnum())
    return tuple(sorted({s[i : i + 2] for i in range(len(s) - 1)}))


@dataclass(frozen=True)
class Closed:
    """A matter solved at a place: a similar one there later is a repeat."""

    ts: float
    township: str
    category: str | None
    signature: tuple[str, ...]

    def to_list(self) -> list[Any]:
        return [self.ts, self.township, self.category, list(self.signature)]

    @classmethod
    def from_list(cls, d: list[Any]) -> Closed:
        return cls(float(d[0]), d[1], d[2], tuple(d[3]))


@dataclass
class MatterTrack:
    township: str | None
    category: str | None
    signature: tuple[str, ...]
    first_ts: float
    last_ts: float
    prev_ts: float
    version: int = 0
    recent: list[tuple[float, str, str, int]] = field(default_factory=list)
    people_hist: list[tuple[float, int]] = field(default_factory=list)
    people_max: int = 0
    villages: set[str] = field(default_factory=set)
    townships: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    intent_informants: set[str] = field(default_factory=set)
    signals_seen: set[str] = field(default_factory=set)
    danger: bool = False
    score: float = 0.0
    denied: int = 0
    repeat_closed: bool = False
    repeat_words: bool = False
    reopened: bool = False
    answered_ts: float | None = None
    solved_ts: float | None = None
    last_intent_ts: float | None = None
    no_answer: int = 0
    angry: int = 0
    dissatisfied: int = 0
    calm: int = 0

    @classmethod
    def start(cls, matter: Matter, obs: Observation) -> MatterTrack:
        ts = min(obs.ts, matter.first_seen.timestamp())
        return cls(obs.township or matter.township, matter.category,
                   signature(simplify(matter.title)), ts, ts, ts)  # fmt: skip

    def add(self, matter: Matter, obs: Observation) -> None:
        """Count one more report (``matter`` is the snapshot after it)."""
        self.version = matter.version
        self.prev_ts, self.last_ts = self.last_ts, max(self.last_ts, obs.ts)
        signals = obs.signals if obs.signals is not None else tuple(
            s for s in matter.signals if s not in self.signals_seen
        )  # fmt: skip
        self.signals_seen.update(matter.signals)
        said = set(obs.reading.kinds) | set(signals)
        informant = obs.informant or f"#{matter.n_informants}"
        self._remember(obs, informant, int(bool(said)))
        self.kinds |= said
        if said:
            self.intent_informants.add(informant)
            self.last_intent_ts = obs.ts
        self.danger = self.danger or bool(said & DANGER)
        self.score = max(self.score, obs.reading.score)
        self.denied += obs.reading.denied
        self.category = matter.category or self.category
        self._cues(obs)

    def _remember(self, obs: Observation, informant: str, intent: int) -> None:
        self.recent.append((obs.ts, informant, obs.village or "", intent))
        horizon = self.last_ts - WEEK
        if self.recent[0][0] < horizon or len(self.recent) > RECENT_MAX:
            self.recent = [e for e in self.recent if e[0] >= horizon][-RECENT_MAX:]
        self.people_max = max(self.people_max, obs.people or 0)
        self.people_hist.append((obs.ts, self.people_max))
        # Keep one entry older than two days: the anchor for growth over 24 h.
        old = [i for i, (ts, _) in enumerate(self.people_hist) if ts < self.last_ts - 2 * DAY]
        if len(old) > 1:
            del self.people_hist[: old[-1]]
        if obs.village:
            self.villages.add(obs.village)
        if obs.township:
            self.townships.add(obs.township)

    def _cues(self, obs: Observation) -> None:
        c = obs.cues
        if self.solved_ts is not None and not (c[_I["solved"]] or c[_I["answered"]]):
            self.reopened = True
        if c[_I["answered"]] or c[_I["solved"]]:
            self.answered_ts = obs.ts
        if c[_I["solved"]]:
            self.solved_ts = obs.ts
        self.no_answer += c[_I["no_answer"]]
        self.angry += c[_I["angry"]]
        self.dissatisfied += c[_I["dissatisfied"]]
        self.calm += c[_I["calm"]]
        self.repeat_words = self.repeat_words or c[_I["repeat"]] > 0

    def counts(self, now: float) -> tuple[int, int, int, int]:
        """Reports in the last hour, day, week, and in the day before the last."""
        n1 = n24 = n7 = prev = 0
        for ts, *_ in self.recent:
            age = now - ts
            n1 += age < 3600.0
            n24 += age < DAY
            n7 += age < WEEK
            prev += DAY <= age < 2 * DAY
        return n1, n24, n7, prev

    def recent_distinct(self, since: float) -> tuple[int, int, int]:
        """Distinct informants and villages, and reports stating intent, since ``since``."""
        window = [e for e in self.recent if e[0] >= since]
        return (len({e[1] for e in window}), len({e[2] for e in window if e[2]}),
                sum(e[3] for e in window))  # fmt: skip

    def people_before(self, t: float) -> int:
        """The people estimate as it stood at ``t``; the first one given when none was by then.

        A blank estimate is unknown, not zero people: a matter whose first reports left it
        blank has not grown from nothing when a later one gives 300.
        """
        first = next((p for _, p in self.people_hist if p > 0), 0)
        return max((p for ts, p in self.people_hist if ts <= t), default=0) or first

    def to_dict(self) -> dict[str, Any]:
        d = dict(vars(self))
        for k, v in d.items():
            if isinstance(v, set):
                d[k] = sorted(v)
        d["signature"] = list(self.signature)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MatterTrack:
        d = dict(d)
        for k in ("villages", "townships", "kinds", "intent_informants", "signals_seen"):
            d[k] = set(d[k])
        d["signature"] = tuple(d["signature"])
        d["recent"] = [tuple(e) for e in d["recent"]]
        d["people_hist"] = [tuple(e) for e in d["people_hist"]]
        return cls(**d)
