"""The plans of a SYNTHETIC scenario: which reports each true matter gets, and its incident.

See ``producers.scenarios`` for the kinds of matter and where their mechanisms
come from. Times here are waking hours (15 a day) after the scenario's start.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from random import Random
from typing import TYPE_CHECKING

from minqing.records import Category, Signal
from minqing.regions import Region, Regions
from producers import phrasebook as pb

if TYPE_CHECKING:
    from producers.scenarios import ScenarioConfig

DAY = 15.0  # waking hours in a day
HOT: tuple[Category, ...] = (
    "land_requisition", "demolition", "wage_arrears", "enterprise_restructuring",
    "environment", "property_management", "social_security",
)  # fmt: skip
ANY: tuple[Category, ...] = (*HOT, "neighbour_dispute", "public_services", "shortage", "other")
BIG: tuple[Category, ...] = (*HOT, "public_services", "shortage", "other")
SEASONAL: tuple[Category, ...] = ("wage_arrears", "shortage", "social_security")
PATH: tuple[Signal, ...] = (
    "collective_petition", "petition_upward", "gathering", "blocking", "banners_online",
)  # fmt: skip
AFTER: tuple[Signal, ...] = ("gathering", "blocking", "collective_petition")
LONE: tuple[Signal, ...] = ("petition_upward", "banners_online", "self_harm_threat")


@dataclass(frozen=True)
class Beat:
    """One report of a plan, before it is put into words."""

    hours: float
    stage: str
    village: Region
    people: int | None
    intents: tuple[Signal, ...] = ()  # intent stated in the text
    ticked: tuple[Signal, ...] = ()  # the signal boxes the informant ticked


@dataclass
class Plan:
    """One true matter: its reports and whether (and when) it ends in an incident."""

    key: str
    kind: str
    category: Category
    problem: pb.Problem
    slots: dict[str, str]
    villages: list[Region]
    beats: list[Beat] = field(default_factory=list)
    t_incident: float | None = None
    lone: bool = False  # one informant only (a family's own matter)

    def shifted(self, by: float) -> Plan:
        beats = [replace(b, hours=b.hours + by) for b in self.beats]
        t = None if self.t_incident is None else self.t_incident + by
        return replace(self, beats=beats, t_incident=t)


def timeline(n: int, span: float, accel: float, rng: Random) -> list[float]:
    """``n`` sorted times in [0, span], the first at 0, denser towards the end when accel > 1.

    >>> t = timeline(5, 10.0, 2.0, Random(1))
    >>> len(t), t[0], all(a <= b for a, b in zip(t, t[1:])), max(t) <= 10.0
    (5, 0.0, True, True)
    """
    return [0.0, *sorted(span * rng.random() ** (1.0 / accel) for _ in range(n - 1))]


class Drawer:
    """Draws plans kind by kind from one random source."""

    def __init__(self, cfg: ScenarioConfig, regions: Regions, rng: Random) -> None:
        self.cfg, self.rng = cfg, rng
        towns = sorted(regions.townships(), key=lambda r: r.code)
        pools = {t.code: sorted(regions.villages(t.code), key=lambda r: r.code) for t in towns}
        self.towns = [(t, pools[t.code]) for t in towns if pools[t.code]]
        self.span = cfg.days * DAY
        self.peaks = sorted(rng.uniform(0.2, 0.8) * self.span for _ in range(2))

    def draw(self, i: int, kind: str) -> list[Plan]:
        """The plans of one drawn matter (a repeat is two), placed in time."""
        plans: list[Plan] = getattr(self, "_" + kind)(i)
        if kind == "seasonal":
            return plans  # anchored at a season's peak already
        last = max(b.hours for p in plans for b in p.beats)
        start = self.rng.uniform(0.0, max(0.0, self.span - last))
        return [p.shifted(start) for p in plans]

    def _new(self, i: int, kind: str, cats: tuple[Category, ...], n_villages: int,
             peak: int, grows: bool = True) -> Plan:  # fmt: skip
        rng = self.rng
        town, pool = rng.choice(self.towns)
        villages = rng.sample(pool, min(n_villages, len(pool)))
        cat = rng.choice(cats)
        home = pb.short_name(villages[0].name)
        problem, slots = pb.matter_slots(cat, town.name, home, peak, grows, rng)
        slots["category"] = cat
        return Plan(f"s{self.cfg.seed}-{kind}-{i:04d}", kind, cat, problem, slots, villages)

    def _beat(self, t: float, stage: str, village: Region, people: int | None,
              intents: tuple[Signal, ...] = ()) -> Beat:  # fmt: skip
        ticked = intents if intents and self.rng.random() < self.cfg.tick_rate else ()
        if stage == "negated" and self.rng.random() < 0.25:
            ticked = (self.rng.choice(PATH),)  # a box ticked because the word was said
        return Beat(t, stage, village, people, intents, ticked)

    def _spread(self, villages: list[Region], u: float) -> Region:
        reach = 1 + round(min(u, 1.0) * (len(villages) - 1))
        return villages[reach - 1] if self.rng.random() < 0.5 else self.rng.choice(villages[:reach])

    def _step(
        self, u: float, onset: float, path: tuple[Signal, ...]
    ) -> tuple[str, tuple[Signal, ...]]:
        """Stage and stated intent of a precursor at fraction ``u`` of the fuse."""
        rng = self.rng
        if u >= onset and rng.random() < 0.75:
            k = 1 + int((u - onset) / (1.0 - onset) * len(path))
            said = {path[min(k, len(path)) - 1], rng.choice(path[:k])}
            if rng.random() < 0.08:
                said.add("self_harm_threat")
            return "intent", tuple(s for s in (*path, "self_harm_threat") if s in said)
        return ("no_answer" if u > 0.25 and rng.random() < 0.35 else "more"), ()

    def _build_up(
        self, p: Plan, span: float, n: int, stop: float = 1.0, first: str = "first"
    ) -> None:
        """Precursors over [0, stop * span): spread, growth, no answer, then (mostly) intent."""
        rng = self.rng
        path = tuple(rng.sample(PATH, rng.randint(2, 3)))
        onset, low, peak = rng.uniform(0.35, 0.75), rng.randint(3, 12), int(p.slots["n"])
        if rng.random() < self.cfg.silent_share:
            onset = 2.0  # intent never voiced: only spread, growth and silence tell
        for j, t in enumerate(timeline(n, stop * span * 0.97, 2.0, rng)):
            u = t / span
            people = pb.round_people(low + (peak - low) * u**1.3)
            stage, intents = (first, ()) if j == 0 else self._step(u, onset, path)
            village = self._spread(p.villages, u)
            p.beats.append(self._beat(t, stage, village, people, intents))

    def _aftermath(self, p: Plan, at_least: int = 0) -> None:
        """Reports of the incident itself (after it: never a warning)."""
        assert p.t_incident is not None
        for _ in range(self.rng.randint(at_least, 2)):
            t = p.t_incident + self.rng.uniform(0.2, 8.0)
            said = (self.rng.choice(AFTER),)
            p.beats.append(
                self._beat(t, "incident", self.rng.choice(p.villages), int(p.slots["n"]), said)
            )

    def _n(self, lo: int, hi: int, least: int) -> int:
        return max(least, round(self.rng.randint(lo, hi) * self.cfg.rate))

    def _slow_burn(self, i: int) -> list[Plan]:
        p = self._new(i, "slow_burn", HOT, self.rng.randint(3, 6), self.rng.randint(40, 400))
        span = self.rng.uniform(*self.cfg.lead_days) * DAY
        self._build_up(p, span, self._n(6, 16, 4))
        p.t_incident = span
        self._aftermath(p)
        return [p]

    def _sudden(self, i: int) -> list[Plan]:
        p = self._new(i, "sudden", HOT, self.rng.randint(1, 2), self.rng.randint(20, 200))
        span = self.rng.uniform(2.0, 14.0)
        p.beats.append(self._beat(0.0, "first", p.villages[0], None))
        if self.rng.random() < 0.5:
            p.beats.append(
                self._beat(self.rng.uniform(0.3, 0.9) * span, "more", p.villages[-1], None)
            )
        p.t_incident = span
        self._aftermath(p, at_least=1)
        return [p]

    def _defused(self, i: int) -> list[Plan]:
        rng = self.rng
        p = self._new(i, "defused", HOT, rng.randint(3, 6), rng.randint(40, 400))
        span, stop = rng.uniform(*self.cfg.lead_days) * DAY, rng.uniform(0.55, 0.9)
        self._build_up(p, span, self._n(6, 14, 4), stop)
        self._close(p, p.beats[-1].hours + rng.uniform(1.0, 10.0), solved=rng.random() < 0.7)
        return [p]

    def _close(self, p: Plan, t: float, solved: bool) -> None:
        """The office answers at ``t``; a solved matter gets its last report later."""
        village = self.rng.choice(p.villages)
        p.beats.append(self._beat(t, "answered", village, None))
        if solved:
            later = t + self.rng.uniform(5.0, 40.0)
            p.beats.append(self._beat(later, "solved", village, None))

    def _big_calm(self, i: int) -> list[Plan]:
        rng = self.rng
        p = self._new(i, "big_calm", BIG, rng.randint(2, 4), rng.randint(80, 800))
        times = timeline(self._n(4, 10, 3), rng.uniform(2.0, 10.0) * DAY, 1.0, rng)
        for j, t in enumerate(times):
            stage = (
                "first" if j == 0 else rng.choices(("big_calm", "no_answer", "more"), (6, 2, 2))[0]
            )
            people = pb.round_people(int(p.slots["n"]) * rng.uniform(0.6, 1.0))
            p.beats.append(self._beat(t, stage, p.villages[j % len(p.villages)], people))
        self._close(p, times[-1] + rng.uniform(1.0, 20.0), solved=rng.random() < 0.6)
        return [p]

    def _angry_small(self, i: int) -> list[Plan]:
        rng = self.rng
        p = self._new(i, "angry_small", ANY, 1, rng.randint(1, 6), grows=False)
        p.lone = True
        for t in timeline(rng.randint(1, 3), rng.uniform(0.0, 2.0) * DAY, 1.0, rng):
            stage = rng.choices(("angry", "lone", "negated"), (5, 3, 2))[0]
            threat: tuple[Signal, ...] = (rng.choice(LONE),)
            people = None if rng.random() < 0.5 else rng.randint(1, 3)
            p.beats.append(
                self._beat(t, stage, p.villages[0], people, threat if stage == "lone" else ())
            )
        return [p]

    def _seasonal(self, i: int) -> list[Plan]:
        rng = self.rng
        p = self._new(i, "seasonal", SEASONAL, rng.randint(2, 5), rng.randint(20, 200))
        begin = rng.choice(self.peaks) + rng.uniform(-1.2, 0.3) * DAY
        times = timeline(self._n(5, 12, 4), rng.uniform(0.8, 2.0) * DAY, 1.0, rng)
        for j, t in enumerate(times):
            soft: tuple[Signal, ...] = ("collective_petition",) if rng.random() < 0.2 else ()
            stage = "more" if j and rng.random() < 0.2 else "seasonal"
            people = pb.round_people(int(p.slots["n"]) * rng.uniform(0.3, 1.0))
            p.beats.append(
                self._beat(
                    begin + t,
                    stage,
                    self._spread(p.villages, t / times[-1] if times[-1] else 0),
                    people,
                    soft if stage == "seasonal" else (),
                )
            )
        self._close(p, begin + times[-1] + rng.uniform(2.0, 10.0), solved=True)
        return [p]

    def _negated(self, i: int) -> list[Plan]:
        rng = self.rng
        p = self._new(i, "negated", BIG, rng.randint(1, 2), rng.randint(5, 60))
        times = timeline(rng.randint(2, 4), rng.uniform(0.5, 4.0) * DAY, 1.0, rng)
        for j, t in enumerate(times):
            stage = "first" if j == 0 else rng.choice(("negated", "negated", "calm"))
            p.beats.append(
                self._beat(t, stage, p.villages[j % len(p.villages)], rng.randint(3, 60))
            )
        if rng.random() < 0.6:
            self._close(p, times[-1] + rng.uniform(2.0, 20.0), solved=rng.random() < 0.5)
        return [p]

    def _background(self, i: int) -> list[Plan]:
        rng = self.rng
        p = self._new(i, "background", ANY, 1, rng.randint(1, 15), grows=False)
        p.lone = rng.random() < 0.5
        times = timeline(rng.randint(1, 3), rng.uniform(0.2, 5.0) * DAY, 1.0, rng)
        for j, t in enumerate(times):
            stage = (
                "first" if j == 0 else rng.choices(("calm", "no_answer", "solved"), (5, 1, 2))[0]
            )
            people = None if rng.random() < 0.3 else rng.randint(1, int(p.slots["n"]))
            p.beats.append(self._beat(t, stage, p.villages[0], people))
        return [p]

    def _repeat(self, i: int) -> list[Plan]:
        """A closed matter, then the same grievance at the same place weeks later."""
        rng = self.rng
        old = self._new(i, "repeat_closed", HOT, rng.randint(1, 3), rng.randint(10, 150))
        for t in timeline(rng.randint(2, 4), rng.uniform(0.5, 3.0) * DAY, 1.0, rng):
            old.beats.append(self._beat(t, "first" if t == 0 else "calm", old.villages[0], None))
        self._close(old, old.beats[-1].hours + rng.uniform(2.0, 15.0), solved=True)
        gap = old.beats[-1].hours + rng.uniform(7.0, 35.0) * DAY
        flare = rng.random() < self.cfg.repeat_escalates
        new = replace(
            old,
            key=f"s{self.cfg.seed}-repeat-{i:04d}b",
            kind="repeat_flare" if flare else "repeat_calm",
            beats=[],
        )
        if flare:
            span = rng.uniform(1.0, 3.0) * DAY
            self._build_up(new, span, self._n(4, 9, 3), first="repeat")
            new.t_incident = span
            self._aftermath(new)
        else:
            new.beats.append(self._beat(0.0, "repeat", new.villages[0], None))
            self._close(new, rng.uniform(2.0, 30.0), solved=rng.random() < 0.6)
        return [old, new.shifted(gap)]
