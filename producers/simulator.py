"""Simulated informant reports over the demo region, for demos, tests and evaluation.

Matters (事项) at named factories, compounds, roads and projects: growing ones spread to
more informants, villages and people until reports state intent to act together; small
ones stay calm or get solved. One ``Random(seed)`` drives everything: same seed, same reports.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from operator import attrgetter
from pathlib import Path
from random import Random
from typing import get_args

from minqing.errors import IntakeError
from minqing.records import Category, Channel, Report, Signal
from minqing.regions import Region, Regions
from producers import phrasebook as pb

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
_code = attrgetter("code")

TZ = timezone(timedelta(hours=8))
DEFAULT_START = datetime(2026, 11, 1, 8, 0, tzinfo=TZ)
CATEGORIES: tuple[Category, ...] = get_args(Category)
# Causes the sources name for collective petitions; the others rarely mobilise a crowd.
HOT: tuple[Category, ...] = (
    "land_requisition", "demolition", "wage_arrears", "enterprise_restructuring",
    "environment", "property_management", "social_security",
)  # fmt: skip
BIG_OK = frozenset(("environment", "public_services", "shortage", "social_security"))
# Intent to act together, in every form but the threats (self-harm is added on its own).
ESCALATION: tuple[Signal, ...] = tuple(s for s in get_args(Signal) if not s.endswith("_threat"))
# Per kind of matter: villages reached, peak people involved, number of reports (inclusive).
SHAPES: dict[str, tuple[tuple[int, int], tuple[int, int], tuple[int, int]]] = {
    "growing": ((3, 5), (40, 300), (6, 11)),
    "big_calm": ((1, 3), (50, 600), (3, 6)),
    "solved": ((1, 1), (2, 12), (2, 3)),
    "small": ((1, 1), (2, 12), (1, 3)),
}


@dataclass
class SimConfig:
    seed: int = 7
    n_matters: int = 40
    growing_share: float = 0.3
    start: datetime = DEFAULT_START
    days: float = 7.0

    def __post_init__(self) -> None:
        bad = self.n_matters < 0 or not 0 <= self.growing_share <= 1 or self.days <= 0
        if bad or self.start.tzinfo is None:
            raise IntakeError(f"invalid simulator settings / 模拟参数无效: {self}")


@dataclass(frozen=True)
class Beat:
    """One report of a matter, before it is put into words."""

    hours: float  # after the matter's start
    stage: str  # first | more | intent | calm | solved | big_calm
    village: Region
    informant: str
    people: int | None
    signals: tuple[Signal, ...] = ()


@dataclass(frozen=True)
class Matter:
    key: str
    kind: str  # growing | small | solved | big_calm
    category: Category
    problem: pb.Problem
    slots: dict[str, str]
    start_hours: float
    beats: list[Beat]


class World:
    """The region, as the simulator needs it, and the one random source everything comes from."""

    def __init__(self, regions: Regions, seed: int) -> None:
        self.rng, self.regions = Random(seed), regions
        towns = sorted(regions.townships(), key=_code)
        self.villages = {t.code: sorted(regions.villages(t.code), key=_code) for t in towns}
        self.towns = [t for t in towns if self.villages[t.code]]
        if not self.towns:
            raise IntakeError("no villages to simulate / 区划文件中没有村居，无法模拟")
        every = [v for t in self.towns for v in self.villages[t.code]]  # sorted: codes nest
        self.index = {v.code: i for i, v in enumerate(every)}

    def informant(self, village: Region) -> str:
        # Each village has two informants (信息员 and 代办员), pseudonymous and stable.
        return f"inf-{2 * self.index[village.code] + self.rng.randint(1, 2):04d}"

    def grow(self, villages: list[Region], peak: int, n: int, span: float) -> list[Beat]:
        rng = self.rng
        path = tuple(rng.sample(ESCALATION, rng.randint(2, 3)))
        first, n_quiet = rng.randint(4, 12), round(0.6 * (n - 1)) + 1
        places = _grow_villages(n, villages, rng)
        beats = []
        for i, (hours, village) in enumerate(zip(_grow_times(n, span, rng), places, strict=True)):
            j = i - n_quiet  # index among the reports that state intent
            stage = "first" if i == 0 else "intent" if j >= 0 else "more"
            signals = _grow_signals(path, j, i == n - 1, rng) if j >= 0 else ()
            people = pb.round_people(first + (peak - first) * (i / (n - 1)) ** 1.3)
            beats.append(Beat(hours, stage, village, self.informant(village), people, signals))
        return beats

    def calm(self, kind: str, villages: list[Region], peak: int, span: float) -> list[Beat]:
        rng = self.rng
        n = rng.randint(*SHAPES[kind][2])
        times = [0.0, *sorted(rng.uniform(0.5, span) for _ in range(n - 1))]
        last = "solved" if kind == "solved" else "calm"
        beats = []
        for i, hours in enumerate(times):
            stage = "big_calm" if kind == "big_calm" else last if i == n - 1 else "calm"
            people = pb.round_people(peak * rng.uniform(0.6, 1.0)) if kind == "big_calm" else None
            if people is None and rng.random() < 0.7:
                people = rng.randint(1, peak)  # the form's field is optional: some leave it blank
            village = villages[i % len(villages)]
            beats.append(Beat(hours, stage, village, self.informant(village), people))
        return beats

    def matter(self, key: str, kind: str, cat: Category, within: float, size: int = 0) -> Matter:
        """A new matter in one township; growing ones reach 3-5 of its villages."""
        rng, (reach, peaks, sizes) = self.rng, SHAPES[kind]
        town = rng.choice(self.towns)
        pool = self.villages[town.code]
        villages = rng.sample(pool, min(rng.randint(*reach), len(pool)))
        peak = rng.randint(*peaks)
        home = pb.short_name(villages[0].name)
        problem, slots = pb.matter_slots(cat, town.name, home, peak, kind == "growing", rng)
        if kind == "growing":
            span = min(rng.uniform(12.0, 72.0), 0.9 * within)
            beats = self.grow(villages, peak, size or rng.randint(*sizes), span)
        else:
            beats = self.calm(kind, villages, peak, min(48.0, 0.9 * within))
        start = rng.uniform(0.0, max(0.0, within - beats[-1].hours))
        return Matter(key, kind, cat, problem, slots, start, beats)

    def where(self, m: Matter, b: Beat) -> tuple[str | None, str | None]:
        """Mostly a village code; some write only the village name; a few say neither."""
        u, short = self.rng.random(), pb.short_name(b.village.name)
        if u < 0.04 and m.kind != "growing":
            return None, None
        # Name-only reports use a name the region file places back at this very village.
        names = [n for n in (short, b.village.name) if self.regions.match_text(n) == b.village.code]
        if u < 0.18 and names:
            return None, names[0]
        return b.village.code, short if u > 0.7 else None

    def report(self, m: Matter, b: Beat, report_id: str, when: datetime) -> Report:
        rng = self.rng
        channel: Channel = rng.choices(("form", "phone", "visit"), weights=(75, 15, 10))[0]
        style = channel if channel != "form" else rng.choice(("terse", "normal", "normal", "long"))
        here = pb.short_name(b.village.name)
        slots = m.slots | {"here": here, "people": str(b.people or m.slots["n"])}
        title, content = pb.words(m.problem, b.stage, b.signals, slots, style, rng)
        code, text = self.where(m, b)
        # A few informants leave the category to the office, but not on a matter heating up.
        category = None if m.kind != "growing" and rng.random() < 0.04 else m.category
        return Report(
            report_id=report_id, received_at=when, informant_id=b.informant, region_code=code,
            region_text=text, category=category, title=title, content=content,
            people_involved=b.people, signals=list(b.signals), channel=channel,
        )  # fmt: skip


def _grow_times(n: int, span: float, rng: Random) -> list[float]:
    # Gaps shrink as the matter heats up: a rising rate of reports is itself a signal.
    gaps = [rng.expovariate(1.0) * (1.0 - 0.75 * i / n) for i in range(1, n)]
    total = sum(gaps) or 1.0
    return [span * t / total for t in itertools.accumulate([0.0, *gaps])]


def _grow_villages(n: int, villages: list[Region], rng: Random) -> list[Region]:
    """Home first; each time the matter reaches a new village, that village reports."""
    out, seen = [], 0
    for i in range(n):
        reach = 1 + round(i / max(1, n - 1) * (len(villages) - 1))
        out.append(villages[reach - 1] if reach > seen else rng.choice(villages[:reach]))
        seen = max(seen, reach)
    return out


def _grow_signals(path: tuple[Signal, ...], j: int, last: bool, rng: Random) -> tuple[Signal, ...]:
    """Intent builds up along the matter's path: the newest step, sometimes an earlier one."""
    unlocked = path[: j + 1]
    chosen = {unlocked[-1]} | ({rng.choice(unlocked)} if rng.random() < 0.5 else set())
    if last and rng.random() < 0.2:
        chosen.add("self_harm_threat")
    return tuple(s for s in (*path, "self_harm_threat") if s in chosen)


def _calm_kind(category: Category, rng: Random) -> str:
    u = rng.random()
    return "big_calm" if category in BIG_OK and u < 0.3 else "solved" if u < 0.6 else "small"


def _at(mb: tuple[Matter, Beat]) -> float:
    return mb[0].start_hours + mb[1].hours


def daytime(start: datetime, hours: float) -> datetime:
    """Informants report from 07:00 to 22:00: ``hours`` counts only those waking hours."""
    day0 = start.replace(hour=7, minute=0, second=0, microsecond=0)
    awake = min(max((start - day0).total_seconds() / 3600, 0.0), 15.0) + hours
    day, hour = divmod(awake, 15.0)
    return (day0 + timedelta(days=day, hours=hour)).replace(microsecond=0)


def matters(cfg: SimConfig, world: World) -> list[Matter]:
    """The first growing_share are growing (in hot categories); the rest cover all 11."""
    n_grow, rng = round(cfg.n_matters * cfg.growing_share), world.rng
    hot, calm = rng.sample(HOT, len(HOT)), rng.sample(CATEGORIES, len(CATEGORIES))
    out = []
    for i in range(cfg.n_matters):
        category = hot[i % len(hot)] if i < n_grow else calm[(i - n_grow) % len(calm)]
        kind = "growing" if i < n_grow else _calm_kind(category, rng)
        out.append(world.matter(f"{kind}-{i:03d}-{category}", kind, category, cfg.days * 15))
    return out


def scenario(cfg: SimConfig, regions: Regions) -> list[tuple[Report, str]]:
    """Reports with their matter key, sorted by time; report ids follow that order."""
    world = World(regions, cfg.seed)
    ms = matters(cfg, world)
    # Sorting on waking hours is sorting on time: daytime() keeps order.
    beats = sorted(((m, b) for m in ms for b in m.beats), key=_at)
    out = []
    for n, (m, b) in enumerate(beats, 1):
        when = daytime(cfg.start, m.start_hours + b.hours)
        out.append((world.report(m, b, f"sim-{cfg.seed}-{n}", when), m.key))
    log.debug("simulated %d reports over %d matters (seed %d)", len(out), len(ms), cfg.seed)
    return out


def simulate(cfg: SimConfig, regions: Regions) -> list[Report]:
    """A full scenario sorted by received_at."""
    return [r for r, _ in scenario(cfg, regions)]


def truth(cfg: SimConfig, regions: Regions) -> dict[str, str]:
    """report_id -> matter key: which reports belong together (for clustering evaluation)."""
    return {r.report_id or "": key for r, key in scenario(cfg, regions)}


def episode(e: int, world: World) -> Iterator[tuple[Matter, Beat]]:
    """One hot matter (8-10 reports), each report after 1-2 background ones in time order."""
    rng, cat = world.rng, world.rng.choice(HOT)
    hot = world.matter(f"live{e:04d}-growing-{cat}", "growing", cat, 72.0, rng.randint(8, 10))
    background = []
    for k in range(6):
        category = rng.choice(CATEGORIES)
        kind = _calm_kind(category, rng)
        background.append(world.matter(f"live{e:04d}-{kind}-{k}-{category}", kind, category, 72.0))
    noise = sorted(((m, b) for m in background for b in m.beats), key=_at)
    for b in hot.beats:
        for _ in range(rng.randint(1, 2)):
            if noise:
                yield noise.pop(0)
        yield hot, b
    yield from noise


def live_stream(cfg: SimConfig, regions: Regions, now: Clock) -> Iterator[tuple[Report, str]]:
    """live_feed with each report's matter key (ground truth for tests and evaluation)."""
    world = World(regions, cfg.seed)
    beats = itertools.chain.from_iterable(episode(e, world) for e in itertools.count())
    for n, (m, b) in enumerate(beats, 1):
        when = now()
        # A naive clock is read as Beijing time: a Report needs an aware time.
        when = when if when.tzinfo else when.replace(tzinfo=TZ)
        yield world.report(m, b, f"sim-{cfg.seed}-live-{n}", when), m.key


def live_feed(cfg: SimConfig, regions: Regions, now: Clock) -> Iterator[Report]:
    """An endless deterministic stream stamped with now(); the caller paces it."""
    return (r for r, _ in live_stream(cfg, regions, now))


def write_jsonl(reports: Iterable[Report], path: Path) -> int:
    """One JSON object per line, exactly the Report fields, UTF-8; returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for report in reports:
            f.write(report.model_dump_json() + "\n")
            n += 1
    return n
