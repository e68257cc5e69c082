"""SYNTHETIC scenarios with ground truth for training and evaluating the risk model.

Not real data: every report, place name and incident here is invented. The
mechanisms come from docs (the domain notes, "what counts as rising risk"):

- slow_burn (escalates): more villages, informants and people, a rising rate of
  reports, complaints of no answer, then stated intent to act together; the
  incident (集体访, 聚集, 堵路 ...) happens at a known time.
- sudden (escalates): one or two calm reports, then the incident within hours.
- repeat: a matter closed before comes back at the same place; some flare up.
- defused (does not escalate): builds up like slow_burn, then the office answers.
- big_calm: many people and villages, calm words, answered.
- angry_small: one family, angry words, sometimes a lone threat.
- seasonal: bursts of many reports at a season's peak (wages before the
  festival, fertiliser in spring) that the office resolves.
- negated: intent mentioned only to be denied (不会去上访); informants sometimes
  tick the signal box anyway.
- background: the many small matters, answered or not.

One ``Random(seed)`` drives everything. Time runs on a waking-hours clock
(07:00-22:00, 15 hours a day) as informants report by day. Output: reports JSONL
(the intake's record format), truth_matters.csv (report_id, matter_id) and
truth_incidents.csv (matter_id, escalates, t_incident, kind).
"""

from __future__ import annotations

import argparse
import csv
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from random import Random

from minqing.config import load_config
from minqing.errors import IntakeError
from minqing.records import Channel, Report
from minqing.regions import Regions
from minqing.settings import Settings
from producers import phrasebook as pb
from producers import scenario_text as st
from producers.scenario_plans import DAY, Beat, Drawer, Plan

log = logging.getLogger(__name__)
TZ = timezone(timedelta(hours=8))
ESCALATING = frozenset(("slow_burn", "sudden", "repeat_flare"))
TRAIN_MIX = (
    ("background", 0.50), ("big_calm", 0.08), ("angry_small", 0.07), ("seasonal", 0.07),
    ("negated", 0.05), ("defused", 0.05), ("slow_burn", 0.12), ("sudden", 0.015),
    ("repeat", 0.045),
)  # fmt: skip
SHIFTED_MIX = (
    ("background", 0.44), ("big_calm", 0.11), ("angry_small", 0.09), ("seasonal", 0.09),
    ("negated", 0.06), ("defused", 0.06), ("slow_burn", 0.10), ("sudden", 0.015),
    ("repeat", 0.035),
)  # fmt: skip


@dataclass(frozen=True)
class ScenarioConfig:
    """What a scenario looks like; ``PRESETS`` holds the training and the held-out shapes."""

    seed: int = 11
    n_matters: int = 400
    days: float = 60.0
    start: datetime = datetime(2026, 1, 5, 8, 0, tzinfo=TZ)
    mix: tuple[tuple[str, float], ...] = TRAIN_MIX
    tick_rate: float = 0.6  # share of intent reports whose informant also ticks the signal box
    rate: float = 1.0  # multiplies how many reports a matter draws
    lead_days: tuple[float, float] = (2.5, 10.0)  # how long a slow burn smoulders (days)
    repeat_escalates: float = 0.5
    silent_share: float = 0.1  # build-ups in which nobody voices intent to act together
    category_blank: float = 0.04  # informants who leave the (optional) category to the office
    people_blank: float = 0.15  # ... and the people-involved estimate blank

    def __post_init__(self) -> None:
        bad = self.n_matters < 0 or self.days <= 0 or self.rate <= 0
        if bad or self.start.tzinfo is None or not 0 <= self.tick_rate <= 1:
            raise IntakeError(f"invalid scenario settings / 场景参数无效: {self}")


STRESS_MIX = (
    ("background", 0.44), ("big_calm", 0.10), ("angry_small", 0.09), ("seasonal", 0.08),
    ("negated", 0.07), ("defused", 0.08), ("slow_burn", 0.08), ("sudden", 0.025),
    ("repeat", 0.035),
)  # fmt: skip
PRESETS: dict[str, ScenarioConfig] = {
    "train": ScenarioConfig(),
    # Training variants: informants who tick the signal boxes nearly always, or hardly ever.
    "train-ticked": ScenarioConfig(seed=17, tick_rate=0.9, rate=0.8),
    # ... and sparse forms: boxes hardly ticked, category and people often left blank.
    "train-sparse": ScenarioConfig(
        seed=18, tick_rate=0.15, rate=1.1, category_blank=0.5, people_blank=0.6
    ),
    # Held out: another season, other shares, shorter fuses, busier informants.
    "shifted": ScenarioConfig(
        seed=101,
        n_matters=600,
        days=45.0,
        start=datetime(2026, 6, 1, 8, 0, tzinfo=TZ),
        mix=SHIFTED_MIX,
        tick_rate=0.35,
        rate=1.3,
        lead_days=(2.0, 8.0),
        repeat_escalates=0.4,
        silent_share=0.15,
        category_blank=0.2,
        people_blank=0.3,
    ),
    # Held out, harder on purpose: no box ever ticked, short fuses, many defused and sudden.
    "stress": ScenarioConfig(
        seed=202,
        n_matters=600,
        days=60.0,
        start=datetime(2026, 9, 7, 8, 0, tzinfo=TZ),
        mix=STRESS_MIX,
        tick_rate=0.0,
        rate=0.9,
        lead_days=(1.5, 6.0),
        repeat_escalates=0.5,
        silent_share=0.3,
        category_blank=0.3,
        people_blank=0.5,
    ),
}


VARIED = "train-varied"
NAMES = sorted([*PRESETS, VARIED])  # every preset ``preset`` and both command lines take


def varied(seed: int) -> ScenarioConfig:
    """A training scenario whose every parameter is drawn from ``Random(seed)``.

    Wide ranges (shares of each kind, fuses, boxes ticked, blanks, pace), so a model
    trained on several does not learn one county's shape, and the level thresholds
    chosen on them hold on shapes not seen.

    >>> varied(21) == varied(21), varied(21) != varied(22)
    (True, True)
    """
    rng = Random(seed * 7919)
    mix = tuple((k, round(w * rng.uniform(0.6, 1.6), 4)) for k, w in TRAIN_MIX)
    lo = rng.uniform(1.5, 3.0)
    return ScenarioConfig(
        seed=seed, days=rng.uniform(40.0, 70.0),
        start=datetime(2026, rng.randint(1, 12), rng.randint(1, 28), 8, 0, tzinfo=TZ),
        mix=mix, tick_rate=rng.uniform(0.0, 0.9), rate=rng.uniform(0.8, 1.4),
        lead_days=(lo, rng.uniform(lo + 4.0, 11.0)), repeat_escalates=rng.uniform(0.3, 0.6),
        silent_share=rng.uniform(0.05, 0.3), category_blank=rng.uniform(0.0, 0.4),
        people_blank=rng.uniform(0.1, 0.5),
    )  # fmt: skip


def preset(name: str, **overrides: object) -> ScenarioConfig:
    """A named preset with some fields replaced; ``train-varied`` draws its own from the seed.

    >>> preset("shifted", seed=5).seed, preset("shifted").tick_rate
    (5, 0.35)
    """
    if name == VARIED:
        base = varied(int(overrides.pop("seed", None) or 21))  # type: ignore[call-overload]
        return replace(base, **overrides)  # type: ignore[arg-type]
    if name not in PRESETS:
        raise IntakeError(f"unknown scenario preset / 未知场景: {name} (use {NAMES})")
    return replace(PRESETS[name], **overrides)  # type: ignore[arg-type]


def clock(start: datetime, hours: float) -> datetime:
    """The moment ``hours`` waking hours (07:00-22:00) after ``start``, to the second.

    >>> clock(datetime(2026, 1, 5, 8, tzinfo=TZ), 16.0).isoformat()
    '2026-01-06T09:00:00+08:00'
    """
    day0 = start.replace(hour=7, minute=0, second=0, microsecond=0)
    awake = min(max((start - day0).total_seconds() / 3600, 0.0), DAY) + hours
    day, hour = divmod(awake, DAY)
    return (day0 + timedelta(days=day, seconds=round(hour * 3600))).replace(microsecond=0)


@dataclass(frozen=True)
class Truth:
    """One true matter's outcome (t_incident None when it does not escalate)."""

    matter_id: str
    kind: str
    t_incident: datetime | None


@dataclass(frozen=True)
class Scenario:
    reports: list[Report]
    matter_of: dict[str, str]  # report_id -> true matter id
    truths: list[Truth]


def plans(cfg: ScenarioConfig, regions: Regions, rng: Random) -> list[Plan]:
    """Every true matter of the scenario, kinds drawn by ``cfg.mix``."""
    drawer = Drawer(cfg, regions, rng)
    kinds, weights = zip(*cfg.mix, strict=True)
    out: list[Plan] = []
    for i in range(cfg.n_matters):
        out.extend(drawer.draw(i, rng.choices(kinds, weights)[0]))
    return out


def generate(cfg: ScenarioConfig, regions: Regions) -> Scenario:
    """Reports in time order (ids follow it), their true matters and outcomes."""
    rng = Random(cfg.seed)
    ps = plans(cfg, regions, rng)
    beats = sorted(((b.hours, k, j) for k, p in enumerate(ps) for j, b in enumerate(p.beats)))
    index = _village_index(regions)
    reports, matter_of = [], {}
    for n, (hours, k, j) in enumerate(beats, 1):
        rid = f"sc{cfg.seed}-{n:05d}"
        when = clock(cfg.start, hours)
        reports.append(render(cfg, ps[k], ps[k].beats[j], rid, when, index, rng))
        matter_of[rid] = ps[k].key
    truths = [Truth(p.key, p.kind, _when(cfg, p.t_incident)) for p in ps]
    log.info("scenario seed %d: %d reports, %d matters", cfg.seed, len(reports), len(ps))
    return Scenario(reports, matter_of, truths)


def _when(cfg: ScenarioConfig, hours: float | None) -> datetime | None:
    return None if hours is None else clock(cfg.start, hours)


def _village_index(regions: Regions) -> dict[str, int]:
    villages = sorted(regions.villages(), key=lambda r: r.code)
    return {v.code: i for i, v in enumerate(villages)}


def render(cfg: ScenarioConfig, p: Plan, b: Beat, rid: str, when: datetime,
           index: dict[str, int], rng: Random) -> Report:  # fmt: skip
    """One report of a plan, in an informant's words."""
    channel: Channel = rng.choices(("form", "phone", "visit"), weights=(75, 15, 10))[0]
    style = channel if channel != "form" else rng.choice(("terse", "normal", "normal", "long"))
    here = pb.short_name(b.village.name)
    slots = p.slots | {
        "here": here, "people": str(b.people or p.slots["n"]),
        "days_waiting": str(rng.randint(3, 20)),
    }  # fmt: skip
    title, content = st.words(p.problem, b.stage, b.intents, slots, style, rng)
    code, text = _where(b, here, rng)
    informant = 2 * index[b.village.code] + (1 if p.lone else rng.randint(1, 2))
    category = None if rng.random() < cfg.category_blank else p.category
    people = None if rng.random() < cfg.people_blank else b.people
    return Report(
        report_id=rid, received_at=when, informant_id=f"inf-{informant:04d}",
        region_code=code, region_text=text, category=category, title=title, content=content,
        people_involved=people, signals=list(b.ticked), channel=channel,
    )  # fmt: skip


def _where(b: Beat, here: str, rng: Random) -> tuple[str | None, str | None]:
    """Mostly a village code, some only the village's name, a few neither."""
    u = rng.random()
    if u < 0.03:
        return None, None
    if u < 0.17:
        return None, here
    return b.village.code, here if u > 0.7 else None


def write_scenario(sc: Scenario, out_dir: Path) -> None:
    """reports.jsonl, truth_matters.csv and truth_incidents.csv in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "reports.jsonl").open("w", encoding="utf-8", newline="\n") as f:
        f.writelines(r.model_dump_json() + "\n" for r in sc.reports)
    with (out_dir / "truth_matters.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("report_id", "matter_id"))
        w.writerows(sorted(sc.matter_of.items()))
    with (out_dir / "truth_incidents.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("matter_id", "escalates", "t_incident", "kind"))
        for t in sc.truths:
            at = t.t_incident.isoformat() if t.t_incident else ""
            w.writerow((t.matter_id, int(t.t_incident is not None), at, t.kind))


def main(settings: Settings, args: argparse.Namespace) -> int:
    """``minqing scenarios``: args seed, n_matters, days, output (a folder), preset."""
    overrides = {k: getattr(args, k) for k in ("seed", "n_matters", "days")}
    cfg = preset(getattr(args, "preset", None) or "train", **{
        k: v for k, v in overrides.items() if v is not None
    })  # fmt: skip
    regions = Regions.from_csv(load_config(settings.config_dir).region_file)
    sc = generate(cfg, regions)
    write_scenario(sc, Path(args.output))
    n_esc = sum(t.t_incident is not None for t in sc.truths)
    log.info("wrote %d reports, %d matters (%d escalate) to %s",
             len(sc.reports), len(sc.truths), n_esc, args.output)  # fmt: skip
    return 0


def _cli(argv: list[str] | None = None) -> int:
    """``python -m producers.scenarios``, the same as ``minqing scenarios``."""
    p = argparse.ArgumentParser(prog="python -m producers.scenarios", description=__doc__)
    p.add_argument("--output", type=Path, required=True, help="folder to write")
    p.add_argument("--preset", default="train", choices=NAMES)
    p.add_argument("--seed", type=int)
    p.add_argument("--n-matters", dest="n_matters", type=int)
    p.add_argument("--days", type=float)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return main(Settings(), p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(_cli())
