"""The scenario generator: deterministic, valid records, truth that matches its mechanisms."""

from __future__ import annotations

import argparse
import csv
import doctest
import itertools
import json
from collections import defaultdict
from pathlib import Path

import pytest

import producers.scenario_plans
import producers.scenarios
from minqing.config import load_config
from minqing.errors import IntakeError
from minqing.records import Report
from minqing.regions import Regions
from minqing.settings import Settings
from models.intent import read
from producers.scenarios import PRESETS, Scenario, ScenarioConfig, generate, preset, write_scenario

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture(scope="module")
def regions() -> Regions:
    return Regions.from_csv(load_config(CONFIGS).region_file)


@pytest.fixture(scope="module")
def scenario(regions: Regions) -> Scenario:
    return generate(preset("train", seed=3, n_matters=160, days=30.0), regions)


def by_matter(sc: Scenario) -> dict[str, list[Report]]:
    out: dict[str, list[Report]] = defaultdict(list)
    for r in sc.reports:
        out[sc.matter_of[r.report_id or ""]].append(r)
    return out


def kinds(sc: Scenario) -> dict[str, str]:
    return {t.matter_id: t.kind for t in sc.truths}


def test_doctests() -> None:
    for module in (producers.scenarios, producers.scenario_plans):
        result = doctest.testmod(module)
        assert result.attempted >= 1 and result.failed == 0


def test_same_seed_same_scenario(regions: Regions, scenario: Scenario) -> None:
    again = generate(preset("train", seed=3, n_matters=160, days=30.0), regions)
    assert [r.to_bytes() for r in again.reports] == [r.to_bytes() for r in scenario.reports]
    assert again.truths == scenario.truths
    other = generate(preset("train", seed=4, n_matters=160, days=30.0), regions)
    assert [r.title for r in other.reports] != [r.title for r in scenario.reports]


def test_reports_are_valid_ordered_and_all_have_truth(scenario: Scenario) -> None:
    ids = [r.report_id for r in scenario.reports]
    assert len(set(ids)) == len(ids) and set(scenario.matter_of) == set(ids)
    times = [r.received_at for r in scenario.reports]
    assert all(a is not None and b is not None and a <= b for a, b in itertools.pairwise(times))
    for r in scenario.reports:
        assert Report.model_validate_json(r.to_bytes()) == r
        assert r.received_at is not None and 7 <= r.received_at.hour < 22  # informants' day
    assert {t.matter_id for t in scenario.truths} == set(scenario.matter_of.values())


def test_outcomes_follow_the_kinds(scenario: Scenario) -> None:
    for t in scenario.truths:
        assert (t.t_incident is not None) == (t.kind in producers.scenarios.ESCALATING)
    share = sum(t.t_incident is not None for t in scenario.truths) / len(scenario.truths)
    assert 0.05 < share < 0.35


def test_slow_burns_spread_grow_and_state_intent_before_the_incident(scenario: Scenario) -> None:
    groups, kind = by_matter(scenario), kinds(scenario)
    outcome = {t.matter_id: t.t_incident for t in scenario.truths}
    burns = [m for m, k in kind.items() if k == "slow_burn"]
    assert burns
    for m in burns:
        t_inc = outcome[m]
        assert t_inc is not None
        before = [r for r in groups[m] if r.received_at is not None and r.received_at < t_inc]
        assert len(before) >= 3
        assert len({r.informant_id for r in before}) >= 2
        people = [r.people_involved for r in before if r.people_involved]
        assert people and max(people) >= people[0]
    intent = [
        any(read(f"{r.title}。{r.content}").kinds or r.signals for r in groups[m]) for m in burns
    ]
    assert sum(intent) / len(intent) > 0.8


def test_confusers_look_like_risk_but_do_not_escalate(scenario: Scenario) -> None:
    groups, kind = by_matter(scenario), kinds(scenario)
    seasonal = [m for m, k in kind.items() if k == "seasonal"]
    assert seasonal and all(len(groups[m]) >= 4 for m in seasonal)
    negated = [m for m, k in kind.items() if k == "negated"]
    assert negated
    said = [read(f"{r.title}。{r.content}") for m in negated for r in groups[m]]
    assert any(s.denied for s in said) and not any(s.kinds for s in said)
    defused = [m for m, k in kind.items() if k == "defused"]
    assert defused and all(
        any("答复" in r.content or "座谈会" in r.content for r in groups[m]) for m in defused
    )


def test_a_repeat_comes_back_at_the_same_place(regions: Regions) -> None:
    sc = generate(preset("train", seed=5, n_matters=300, days=60.0), regions)
    groups, kind = by_matter(sc), kinds(sc)
    for m in (m for m, k in kind.items() if k in ("repeat_flare", "repeat_calm")):
        first = m.removesuffix("b").replace("repeat-", "repeat_closed-")
        assert first in groups
        assert groups[first][-1].received_at < groups[m][0].received_at  # type: ignore[operator]


def test_presets_differ_and_validate() -> None:
    assert PRESETS["shifted"].mix != PRESETS["train"].mix
    assert PRESETS["shifted"].tick_rate != PRESETS["train"].tick_rate
    with pytest.raises(IntakeError):
        ScenarioConfig(days=0)
    with pytest.raises(IntakeError):
        preset("nonsense")


def test_files_and_main(tmp_path: Path, regions: Regions) -> None:
    args = argparse.Namespace(seed=7, n_matters=40, days=10.0, output=tmp_path, preset="shifted")
    assert producers.scenarios.main(Settings(config_dir=CONFIGS), args) == 0
    lines = (tmp_path / "reports.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(Report.model_validate(json.loads(line)) for line in lines)
    with (tmp_path / "truth_matters.csv").open(encoding="utf-8") as f:
        matters = list(csv.DictReader(f))
    with (tmp_path / "truth_incidents.csv").open(encoding="utf-8") as f:
        incidents = list(csv.DictReader(f))
    assert len(matters) == len(lines)
    assert {r["matter_id"] for r in matters} == {r["matter_id"] for r in incidents}
    for r in incidents:
        assert r["escalates"] in ("0", "1") and bool(r["t_incident"]) == (r["escalates"] == "1")
    again = tmp_path / "again"
    write_scenario(generate(preset("shifted", seed=7, n_matters=40, days=10.0), regions), again)
    assert (again / "reports.jsonl").read_bytes() == (tmp_path / "reports.jsonl").read_bytes()
