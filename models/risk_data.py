"""Reports, ground truth and outcomes, turned into the scored stream the risk model learns from.

Labels come from files (truth_matters.csv, truth_incidents.csv, as the scenario
generator writes them) or from outcome records ``{matter_id, outcome:
incident|resolved|nothing, t_incident}``. The stream pairs every report with
its matter's snapshot after it, grouped either by the true matters (risk
measured apart from clustering) or by the real clusterer (end to end).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

from minqing.config import Config
from minqing.errors import ModelError
from minqing.records import Accepted, Matter, Report, Signal
from minqing.regions import Regions
from models.lenient import coerce_report

SIGNAL_ORDER: tuple[Signal, ...] = get_args(Signal)
OUTCOMES = ("incident", "resolved", "nothing")


@dataclass(frozen=True)
class Outcome:
    """How a matter ended: an incident at ``t_incident``, or none."""

    escalates: bool
    t_incident: datetime | None = None


@dataclass(frozen=True)
class Truth:
    matter_of: dict[str, str]  # report_id -> true matter id
    outcomes: dict[str, Outcome]  # true matter id -> outcome


def read_truth(folder: Path) -> Truth:
    """truth_matters.csv and truth_incidents.csv of a folder; ModelError when missing."""
    try:
        with (folder / "truth_matters.csv").open(encoding="utf-8") as f:
            matter_of = {r["report_id"]: r["matter_id"] for r in csv.DictReader(f)}
        with (folder / "truth_incidents.csv").open(encoding="utf-8") as f:
            outcomes = {
                r["matter_id"]: _outcome(r["escalates"] == "1", r.get("t_incident") or "")
                for r in csv.DictReader(f)
            }
    except (OSError, KeyError) as e:
        raise ModelError(f"cannot read ground truth / 无法读取真值文件 in {folder}: {e}") from e
    return Truth(matter_of, outcomes)


def _outcome(escalates: bool, at: str) -> Outcome:
    if escalates and not at:
        raise ModelError("an escalating matter needs its t_incident / 升级事项缺少发生时间")
    return Outcome(escalates, datetime.fromisoformat(at) if escalates else None)


def outcomes_from_records(records: Iterable[Mapping[str, Any]]) -> dict[str, Outcome]:
    """Outcome records (the outcomes API's shape) by matter id.

    >>> o = outcomes_from_records([{"matter_id": "M1", "outcome": "incident",
    ...     "t_incident": "2026-01-05T09:00:00+08:00"}, {"matter_id": "M2", "outcome": "resolved"}])
    >>> o["M1"].escalates, o["M2"].escalates
    (True, False)
    """
    out = {}
    for r in records:
        if r["outcome"] not in OUTCOMES:
            raise ModelError(f"unknown outcome / 未知结果: {r['outcome']} (use {OUTCOMES})")
        out[str(r["matter_id"])] = _outcome(r["outcome"] == "incident", r.get("t_incident") or "")
    return out


def read_reports(path: Path) -> list[Report]:
    """Valid reports of a JSONL file (repaired as replay does), in event-time order."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as f:
            raws = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read reports / 无法读取报告 {path}: {e}") from e
    reports = [coerce_report(raw)[0] for raw in raws if isinstance(raw, dict)]
    timed = [r for r in reports if r.received_at is not None]
    return sorted(timed, key=lambda r: (r.received_at, r.report_id or ""))


@dataclass
class _Group:
    matter_id: str
    title: str
    first: datetime
    last: datetime
    township: str | None
    county: str | None
    version: int = 0
    informants: set[str] = field(default_factory=set)
    villages: set[str] = field(default_factory=set)
    signals: set[str] = field(default_factory=set)
    categories: Counter[str] = field(default_factory=Counter)
    people_max: int = 0

    def add(self, item: Accepted, at: datetime) -> Matter:
        r = item.report
        self.version += 1
        self.last = max(self.last, at)
        self.informants.add(r.informant_id)
        if item.place.village:
            self.villages.add(item.place.village)
        self.signals.update(r.signals)
        if r.category:
            self.categories[r.category] += 1
        self.people_max = max(self.people_max, r.people_involved or 0)
        category = self.categories.most_common(1)[0][0] if self.categories else None
        return Matter(
            matter_id=self.matter_id, version=self.version, title=self.title, category=category,
            township=self.township, county=self.county, n_reports=self.version,
            n_informants=len(self.informants), n_villages=len(self.villages),
            people_max=self.people_max, signals=[s for s in SIGNAL_ORDER if s in self.signals],
            first_seen=self.first, last_seen=self.last,
        )  # fmt: skip


def true_stream(reports: list[Report], regions: Regions,
                matter_of: Mapping[str, str]) -> Iterator[tuple[Matter, Accepted]]:  # fmt: skip
    """Each report with its TRUE matter's snapshot after it (reports without truth skipped)."""
    groups: dict[str, _Group] = {}
    for r in reports:
        mid = matter_of.get(r.report_id or "")
        if mid is None or r.received_at is None:
            continue
        place = regions.locate(r.region_code, r.region_text)
        item = Accepted(report=r, place=place)
        g = groups.get(mid)
        if g is None:
            g = _Group(mid, r.title, r.received_at, r.received_at, place.township, place.county)
            groups[mid] = g
        yield g.add(item, r.received_at), item


def real_clusterer(config: Config, regions: Regions) -> Any:
    """The clusterer replay uses: ``models.clustering.Clusterer``, else the baseline one."""
    import models.clustering as c

    if hasattr(c, "Clusterer"):
        return c.Clusterer.from_config(config, regions)
    return c.BaselineClusterer(config.clustering)


def clustered_stream(reports: list[Report], clusterer: Any,
                     regions: Regions) -> Iterator[tuple[Matter, Accepted]]:  # fmt: skip
    """Each report with the matter ``clusterer`` put it in (as replay does)."""
    state = clusterer.init()
    for r in reports:
        item = Accepted(report=r, place=regions.locate(r.region_code, r.region_text))
        state, update = clusterer.update(state, item)
        yield update.matter, item
