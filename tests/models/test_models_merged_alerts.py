"""A matter merged into another closes its open alert: pure rules (models/casework.py,
models/lifecycle.py, models/alerting.py); the agent and warehouse in tests/streams."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from minqing.config import AlertConfig
from minqing.errors import AlertError
from minqing.records import AlertingInput, Matter, RiskScore
from models.alerting import AlertPolicy
from models.casework import CaseModel
from models.lifecycle import CaseState, close_merged, transition
from tests.alerting_world import MID, T0, action, alert_input, case_model, grown, hours

INTO = "M0000000000aa"  # the surviving matter


def drive(model: CaseModel, *inputs: AlertingInput) -> CaseState:
    state = model.init()
    for inp in inputs:
        state, _ = model.update(state, inp)
    return state


def test_an_open_alert_closes_as_merged_once_and_quietly() -> None:
    model = case_model()
    state = drive(model, alert_input(), action("assign", hours(1), lead_unit="fengqiao"))
    closed, out = model.update(state, grown(5, hours(2), matter_id=INTO, merged_from=[MID]))
    assert (closed.status, closed.merged_into, closed.closed_at) == ("closed", INTO, hours(2))
    (ev,) = out.events
    assert (ev.kind, ev.actor, ev.matter_id, ev.at) == ("merged", "system", MID, hours(2))
    assert INTO in ev.note and "已并入事项" in ev.note and "merged into" in ev.note
    (t,) = out.transitions
    assert (t.action, t.from_status, t.to_status, t.event_id) == (
        "merge", "assigned", "closed", ev.event_id)  # fmt: skip
    assert out.notices == [] and t.recipients == []  # nobody is told twice
    assert out.changed and out.ended  # reminders and inhibition of the old matter end
    assert model.alert_row(closed).status == "closed"
    # The same update again (a redelivery): nothing more.
    again, out2 = model.update(closed, grown(5, hours(2), matter_id=INTO, merged_from=[MID]))
    assert again is closed and not out2.changed and out2.events == out2.transitions == []


@pytest.mark.parametrize("status", ["raised", "reopened", "acknowledged", "in_progress"])
def test_every_open_status_closes(status: str) -> None:
    state = CaseState(matter_id=MID, alert_id="A1", status=status, level="red")  # type: ignore[arg-type]
    new, ev = close_merged(state, INTO, T0)
    assert new.status == "closed" and ev is not None and ev.event_id == "A1-L1"
    assert state.status == status  # the given state is not changed


def test_a_resolved_alert_keeps_its_follow_up() -> None:
    model = case_model()
    state = drive(model, alert_input(), action("assign", hours(1), lead_unit="fengqiao"),
                  action("resolve", hours(2), note="已处理"))  # fmt: skip
    same, out = model.update(state, grown(5, hours(3), matter_id=INTO, merged_from=[MID]))
    assert same.status == "resolved" and not out.changed


def test_a_merged_alert_cannot_be_reopened_and_is_left_alone() -> None:
    model = case_model()
    state = drive(model, alert_input(), grown(5, hours(1), matter_id=INTO, merged_from=[MID]))
    with pytest.raises(AlertError, match=f"merged into {INTO}"):
        transition(state, "reopen", "wang", hours(2), "还没解决")
    after, out = model.update(state, action("reopen", hours(2), note="还没解决"))
    assert after.status == "closed" and "已并入事项" in out.rejected
    same, out = model.update(state, grown(9, hours(3)))  # a late version of its own matter
    assert same.status == "closed" and out.events == []


def test_other_matters_updates_and_the_survivors_own_are_as_before() -> None:
    model = case_model()
    state = drive(model, alert_input())
    same, out = model.update(state, grown(5, hours(1), matter_id=INTO, merged_from=["M-x"]))
    assert same is state and not out.changed  # not merged into it
    survivor = drive(model, alert_input(matter_id=INTO))
    grew, out = model.update(survivor, grown(5, hours(1), matter_id=INTO, merged_from=[MID]))
    assert grew.status == "raised" and out.events == [] and grew.matter_version == 5


def test_the_policy_forgets_a_merged_matters_alert(make_matter: Callable[..., Matter]) -> None:
    policy = AlertPolicy(AlertConfig(min_level="yellow"))
    gone, kept = make_matter(matter_id="M-gone"), make_matter(matter_id="M-kept")
    state = policy.init()
    for m in (gone, kept):
        state, out = policy.update(state, score(m), m)
        assert out is not None
    grown_kept = kept.model_copy(update={"version": 2})
    state, out = policy.update(state, score(grown_kept), grown_kept, ["M-gone"])
    assert sorted(state.open) == ["M-kept"] and out is None  # same level: no new event
    state, out = policy.update(state, score(grown_kept), grown_kept, ["M-gone"])
    assert sorted(state.open) == ["M-kept"] and out is None  # redelivered: the same


def score(m: Matter) -> RiskScore:
    return RiskScore(matter_id=m.matter_id, version=m.version, report_id="r", risk=0.7,
                     level="orange", scored_at=m.last_seen)  # fmt: skip
