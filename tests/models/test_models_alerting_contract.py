"""The shared model contract for the alerting models: deterministic, exact save/restore."""

from __future__ import annotations

from typing import Any

import pytest

from minqing.records import AlertingInput, Notice
from models.base import StreamModel
from models.casework import CaseModel
from models.lifecycle import CaseState
from models.noise import GroupingConfig, Noise, NoiseEvent, NoiseState, Settled, Tick
from tests.alerting_world import action, alert_input, case_model, grown, hours, tick

KINDS = ["cases", "noise"]


def case_events() -> list[AlertingInput]:
    return [
        alert_input(level="yellow"), tick(hours(3)),
        alert_input(level="red", version=2, at=hours(4)),
        tick(hours(4.6)), action("acknowledge", hours(5)), grown(2, hours(5.5)),
        action("assign", hours(6)), action("start", hours(7)), tick(hours(20)),
        action("resolve", hours(30), note="已处理"), grown(3, hours(31)), tick(hours(40)),
        action("assign", hours(41), lead_unit="fengqiao", co_units=["eco"]),
        action("resolve", hours(42), note="再次处理"),
        action("follow_up", hours(50), satisfied=True), action("close", hours(51)),
    ]  # fmt: skip


def noise_events() -> list[NoiseEvent]:
    model, state = case_model(), CaseState()
    events: list[NoiseEvent] = []
    for inp in case_events():
        state, out = model.update(state, inp)
        events += [*out.notices, Tick(inp.at)]
        if out.quiet or out.ended:
            events.append(Settled(state.matter_id, out.ended))
    return events


def build(kind: str) -> tuple[Any, list[Any]]:
    if kind == "cases":
        return case_model(), case_events()
    return Noise(GroupingConfig(repeat_interval_seconds=3600)), noise_events()


def run(model: Any, state: Any, events: list[Any]) -> tuple[Any, list[Any]]:
    outs = []
    for ev in events:
        state, out = model.update(state, ev)
        outs.append(out)
    return state, outs


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic(kind: str) -> None:
    (a, events), (b, _) = build(kind), build(kind)
    state_a, outs_a = run(a, a.init(), events)
    state_b, outs_b = run(b, b.init(), events)
    assert outs_a == outs_b and state_a.to_json() == state_b.to_json()
    assert len(events) > 10


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cut", [0, 1, 5, 9, 13])
def test_state_round_trips(kind: str, cut: int) -> None:
    model, events = build(kind)
    state, _ = run(model, model.init(), events[:cut])
    saved = state.to_json()
    restored = type(state).from_json(saved.encode("utf-8"))
    assert restored.to_json() == saved
    after, outs = run(model, state, events[cut:])
    restored_after, outs_restored = run(model, restored, events[cut:])
    assert outs_restored == outs and restored_after.to_json() == after.to_json()


@pytest.mark.parametrize("kind", KINDS)
def test_events_are_not_mutated(kind: str) -> None:
    model, events = build(kind)
    before = [repr(e) for e in events]
    run(model, model.init(), events)
    assert [repr(e) for e in events] == before


def test_models_fit_the_protocol() -> None:
    cases: StreamModel[CaseState, [AlertingInput], Any] = case_model()
    noise: StreamModel[NoiseState, [Notice], Any] = Noise(GroupingConfig())
    for model in (cases, noise):
        state = model.init()
        assert type(state).from_json(state.to_json()) == state
    assert isinstance(cases, CaseModel)
