"""Risk features of a matter, kept up to date report by report (incremental, bounded, exact).

Per matter: report counts over 1 h, 24 h and 7 d and their acceleration; distinct
informants, villages and townships; the people-involved estimate and its growth
over 24 h; intent to act together from the text (``models.intent``) and from the
signal boxes; the category; whether a similar matter at the same place was
closed before, or this one came back after it was solved; time open without an
answer against the answer time limit; complaints, anger and dissatisfaction
(``models.risk_cues``). Counts enter on a log scale, so a linear model sees
diminishing returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from minqing.records import Matter
from models.risk_tracks import Closed, MatterTrack, Observation

FEATURES = (
    "n_1h", "n_24h", "n_7d", "n_total", "accel_24h",
    "informants", "informants_24h", "villages", "villages_24h", "townships",
    "people", "people_growth_24h", "pace",
    "intent_kinds", "intent_24h", "intent_informants", "intent_now", "intent_score", "danger",
    "denied", "collective_cause", "repeat_closed", "repeat_words", "reopened",
    "answered", "intent_after_answer", "solved", "overdue_days", "no_answer", "angry",
    "dissatisfied", "calm", "age_hours", "gap_hours", "same_cause_72h",
)  # fmt: skip
# Causes that touch many households at once (the domain notes' usual sources of collective
# petitions).
COLLECTIVE_CAUSES = frozenset((
    "land_requisition", "demolition", "wage_arrears", "enterprise_restructuring",
    "environment", "property_management",
))  # fmt: skip
HOUR, DAY = 3600.0, 86400.0
IDLE_DAYS, CLOSED_DAYS, CLOSED_MAX = 30.0, 180.0, 2000
REPEAT_SIMILARITY = 0.3
WAVE = 72 * HOUR


def log1p(x: float) -> float:
    return math.log1p(max(0.0, x))


@dataclass
class FeatureState:
    """Tracks by matter id, recently closed matters (to tell a repeat), and by cause the
    matters reported on in the last 72 h (a county-wide wave: a season, a shortage)."""

    tracks: dict[str, MatterTrack] = field(default_factory=dict)
    closed: list[Closed] = field(default_factory=list)
    next_sweep: float = 0.0
    by_cause: dict[str, list[tuple[float, str]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tracks": [[k, t.to_dict()] for k, t in self.tracks.items()],
            "closed": [c.to_list() for c in self.closed],
            "next_sweep": self.next_sweep,
            "by_cause": [[k, [list(e) for e in v]] for k, v in self.by_cause.items()],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureState:
        tracks = {k: MatterTrack.from_dict(t) for k, t in d["tracks"]}
        by_cause = {k: [(float(ts), str(m)) for ts, m in v] for k, v in d["by_cause"]}
        closed = [Closed.from_list(c) for c in d["closed"]]
        return cls(tracks, closed, float(d["next_sweep"]), by_cause)

    def observe(self, matter: Matter, obs: Observation, limit_hours: float) -> list[float]:
        """Fold one report into its matter's track; the matter's features after it."""
        self._sweep(obs.ts)
        track = self.tracks.get(matter.matter_id)
        if track is None:
            track = MatterTrack.start(matter, obs)
            track.repeat_closed = self._was_closed(track, obs.ts)
            self.tracks[matter.matter_id] = track
        if matter.version > track.version:
            solved_before = track.solved_ts is not None
            track.add(matter, obs)
            if track.solved_ts is not None and not solved_before:
                self._close(track)
            self._wave(track.category, matter.matter_id, obs.ts)
        elsewhere = self._elsewhere(track.category, matter.matter_id, obs.ts)
        return [*vector(track, matter, obs, limit_hours), log1p(elsewhere)]

    def _wave(self, category: str | None, matter_id: str, ts: float) -> None:
        if category is not None:
            seen = self.by_cause.setdefault(category, [])
            seen.append((ts, matter_id))
            if seen[0][0] < ts - WAVE:
                seen[:] = [e for e in seen if e[0] >= ts - WAVE]

    def _elsewhere(self, category: str | None, matter_id: str, now: float) -> int:
        """Other matters of the same cause reported on within the last 72 h."""
        seen = self.by_cause.get(category or "", [])
        return len({m for ts, m in seen if m != matter_id and ts >= now - WAVE})

    def follow_up(self, matter_id: str, satisfied: bool) -> None:
        """A follow-up visit's verdict (the alert lifecycle's 回访): dissatisfaction raises risk."""
        track = self.tracks.get(matter_id)
        if track is not None and not satisfied:
            track.dissatisfied += 1

    def _was_closed(self, track: MatterTrack, now: float) -> bool:
        return any(
            c.township == track.township and c.ts < now
            and (c.category is None or track.category is None or c.category == track.category)
            and jaccard(c.signature, track.signature) >= REPEAT_SIMILARITY
            for c in self.closed
        )  # fmt: skip

    def _close(self, track: MatterTrack) -> None:
        if track.township is None or track.solved_ts is None:
            return
        self.closed.append(Closed(track.solved_ts, track.township, track.category, track.signature))
        del self.closed[:-CLOSED_MAX]

    def _sweep(self, now: float) -> None:
        """Once a (data) day, forget matters idle a month and closures older than half a year."""
        if now < self.next_sweep:
            return
        self.next_sweep = now + DAY
        for key in [k for k, t in self.tracks.items() if t.last_ts < now - IDLE_DAYS * DAY]:
            del self.tracks[key]
        self.closed = [c for c in self.closed if c.ts >= now - CLOSED_DAYS * DAY]


def jaccard(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Jaccard similarity of two bigram signatures.

    >>> round(jaccard(("五金", "宏达", "达五"), ("五金", "宏达", "金厂")), 2)
    0.5
    """
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 0.0


def cause(category: str | None) -> float:
    """1 for a cause that touches many households, -1 for another, 0 when not given.

    >>> cause("demolition"), cause("neighbour_dispute"), cause(None)
    (1.0, -1.0, 0.0)
    """
    return 0.0 if category is None else 1.0 if category in COLLECTIVE_CAUSES else -1.0


def pace(t: MatterTrack, n_reports: int, now: float) -> float:
    """How much shorter the last gap is than the matter's mean gap (log; > 0: quickening).

    >>> t = MatterTrack(None, None, (), 0.0, 30 * HOUR, 29 * HOUR)
    >>> round(pace(t, 4, 30 * HOUR), 2)
    1.7
    """
    if n_reports < 3:
        return 0.0
    mean_gap = (now - t.first_ts) / HOUR / (n_reports - 1)
    return log1p(mean_gap) - log1p((now - t.prev_ts) / HOUR)


def vector(t: MatterTrack, matter: Matter, obs: Observation, limit_hours: float) -> list[float]:
    """The FEATURES of a track at the time of ``obs``, in order."""
    now = max(obs.ts, t.last_ts)
    n1, n24, n7, prev24 = t.counts(now)
    inf24, vil24, int24 = t.recent_distinct(now - DAY)
    age_h = (now - t.first_ts) / HOUR
    overdue = 0.0 if t.answered_ts is not None else max(0.0, age_h - limit_hours) / 24.0
    after = t.answered_ts is not None and (t.last_intent_ts or 0.0) > t.answered_ts
    return [
        log1p(n1), log1p(n24), log1p(n7), log1p(matter.n_reports), log1p(n24) - log1p(prev24),
        log1p(matter.n_informants), log1p(inf24), log1p(max(matter.n_villages, len(t.villages))),
        log1p(vil24), float(len(t.townships) > 1),
        log1p(t.people_max), log1p(t.people_max) - log1p(t.people_before(now - DAY)),
        pace(t, matter.n_reports, now),
        float(min(len(t.kinds), 5)), log1p(int24), log1p(len(t.intent_informants)),
        float(bool(obs.reading.kinds or obs.signals)), t.score, float(t.danger),
        log1p(t.denied), cause(t.category),
        float(t.repeat_closed), float(t.repeat_words), float(t.reopened),
        float(t.answered_ts is not None), float(after), float(t.solved_ts is not None),
        log1p(min(overdue, 30.0)), log1p(t.no_answer), log1p(t.angry), log1p(t.dissatisfied),
        log1p(t.calm),
        log1p(age_h), log1p((now - t.prev_ts) / HOUR),
    ]  # fmt: skip
