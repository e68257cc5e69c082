"""Alert lifecycle, routing and deadlines: the pure rules of the closed loop."""

from __future__ import annotations

import doctest
from datetime import date, time, timedelta
from types import ModuleType

import pytest

import models.deadlines
import models.lifecycle
import models.noise
import models.routing
import notify.channels
import notify.config
import notify.delivery
import notify.render
import streams.alerting
from minqing.errors import AlertError
from models.casework import CaseModel
from models.deadlines import Calendar, DeadlineConfig
from models.lifecycle import CaseState, transition
from models.routing import ladder
from tests.alerting_world import (
    FENGQIAO,
    T0,
    action,
    alert_input,
    case_model,
    grown,
    hours,
    router,
    tick,
)

DOCTESTED = [models.lifecycle, models.routing, models.deadlines, models.noise, notify.render,
             notify.channels, notify.config, notify.delivery, streams.alerting]  # fmt: skip


@pytest.mark.parametrize("module", DOCTESTED)
def test_doctests(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def drive(model: CaseModel, *inputs):  # type: ignore[no-untyped-def]
    state, outs = model.init(), []
    for inp in inputs:
        state, out = model.update(state, inp)
        outs.append(out)
    return state, outs


def test_raise_routes_to_township_and_office() -> None:
    state, (out,) = drive(case_model(), alert_input())
    assert (state.status, state.step, state.opened_at) == ("raised", 0, T0)
    assert [e.kind for e in out.events] == ["routed"]
    assert [n.recipient for n in out.notices] == ["fengqiao", "office"]
    t = out.transitions[0]
    assert (t.action, t.from_status, t.to_status, t.township) == (
        "raise",
        "none",
        "raised",
        FENGQIAO,
    )


def test_full_loop_and_every_event_recorded() -> None:
    state, outs = drive(
        case_model(), alert_input(), action("acknowledge", hours(0.2)),
        action("assign", hours(0.3), actor="li"), action("start", hours(1)),
        action("resolve", hours(5), note="已督促企业停产整改"),
        action("follow_up", hours(30), satisfied=True, note="群众满意"),
        action("close", hours(31)),
    )  # fmt: skip
    assert state.status == "closed"
    kinds = [e.kind for o in outs for e in o.events]
    assert kinds == ["routed", "acknowledged", "assigned", "started", "resolved", "followed_up",
                     "closed"]  # fmt: skip
    assign = outs[2]
    assert [n.recipient for n in assign.notices] == ["fengqiao", "eco", "leader"]  # 一单双交
    assert assign.transitions[0].actor == "li" and assign.transitions[0].lead_unit == "fengqiao"
    ack = outs[1].transitions[0]
    assert (ack.deadline, ack.on_time, ack.due_at) == ("ack", True, hours(0.5))
    resolve = outs[4].transitions[0]
    assert (resolve.deadline, resolve.on_time) == ("resolve", True)
    assert outs[5].transitions[0].satisfied is True
    assert len({e.event_id for o in outs for e in o.events}) == 7


def test_illegal_transition_is_rejected_with_a_clear_error() -> None:
    with pytest.raises(AlertError, match="cannot resolve an alert that is raised"):
        transition(CaseState(status="raised", alert_id="A1"), "resolve", "u", T0, "x")
    with pytest.raises(AlertError, match="needs a note"):
        transition(CaseState(status="in_progress", alert_id="A1"), "resolve", "u", T0)
    state, outs = drive(case_model(), alert_input(), action("close", hours(1)))
    assert state.status == "raised" and "cannot close" in outs[1].rejected


def test_unsatisfied_follow_up_reopens() -> None:
    state, outs = drive(
        case_model(), alert_input(), action("assign", hours(0.1), lead_unit="fengqiao"),
        action("resolve", hours(1), note="已处理"),
        action("follow_up", hours(2), satisfied=False, note="仍有异味"),
    )  # fmt: skip
    assert state.status == "reopened" and state.reopens == 1 and state.step == 0
    assert [e.kind for e in outs[3].events] == ["followed_up", "reopened"]
    assert outs[3].events[1].actor == "system"
    assert {n.kind for n in outs[3].notices} == {"reopened"}


def test_new_reports_reopen_a_resolved_matter_only() -> None:
    model = case_model()
    state, _ = drive(model, alert_input(), grown(3, hours(0.5)),
                     action("assign", hours(1), lead_unit="fengqiao"),
                     action("resolve", hours(2), note="已处理"))  # fmt: skip
    assert state.resolved_version == 3
    same, out = model.update(state, grown(3, hours(3)))
    assert same.status == "resolved" and not out.changed
    again, out = model.update(state, grown(4, hours(4)))
    assert again.status == "reopened" and out.events[0].kind == "reopened"
    assert again.opened_at == hours(4)


def test_level_change_updates_the_same_case_and_never_duplicates() -> None:
    model = case_model()
    state, outs = drive(
        model, alert_input(level="yellow"), alert_input(level="red", version=2, at=hours(1))
    )
    assert state.level == "red" and state.alert_version == 2
    assert outs[1].transitions[0].action == "level"
    assert {n.kind for n in outs[1].notices} == {"level_changed"}
    again, out = model.update(state, alert_input(level="red", version=2, at=hours(1)))
    assert not out.changed and again is state
    assert model.alert_row(state).version > 2  # lifecycle rows win over the policy's


def test_escalation_climbs_one_rung_per_missed_deadline() -> None:
    model = case_model()
    state, _ = drive(model, alert_input())
    steps = []
    for h in (0.4, 0.6, 1.1, 1.6, 9.0):
        state, out = model.update(state, tick(hours(h)))
        steps.append([(n.recipient, n.step) for n in out.notices])
    assert steps == [[], [("office", 1)], [("leader", 2)], [("city", 3)], []]
    assert model.next_due(state) is None


def test_acknowledging_stops_ack_escalation_and_act_deadline_follows() -> None:
    model = case_model()
    state, _ = drive(model, alert_input(), action("acknowledge", hours(0.2)))
    state, out = model.update(state, tick(hours(1.9)))
    assert not out.notices
    state, out = model.update(state, tick(hours(2.1)))
    assert [(n.recipient, n.kind) for n in out.notices] == [("office", "escalated")]
    assert "act overdue" in out.events[0].note


def test_jump_past_several_deadlines_escalates_each_once() -> None:
    model = case_model()
    state, _ = drive(model, alert_input())
    state, out = model.update(state, tick(hours(5)))
    assert [e.at for e in out.events] == [hours(0.5), hours(1), hours(1.5)]
    _, out = model.update(state, tick(hours(5)))
    assert not out.events


def test_routing_tree_liaison_leaders_and_joint_conference() -> None:
    r = router()
    env = r.route(FENGQIAO + "201", "environment", "red")
    assert (env.lead_unit, env.co_units, env.leaders) == ("fengqiao", ["eco"], ["leader"])
    other = r.route("330681110", "demolition", "yellow")
    assert (other.lead_unit, other.leaders, other.joint, other.queue) == ("office", [], True, "jc")
    assert [g.name for g in ladder(other)] == ["township", "county", "city"]
    assert ladder(other)[0].recipients == ["office", "jc"]
    assert r.route(None, None, "blue").lead_unit == "office"


def test_working_hours_calendar_pauses_yellow_but_not_red() -> None:
    cal = Calendar(start=time(9), end=time(17), holidays=[date(2026, 11, 3)])
    model = case_model(DeadlineConfig(calendar=cal))
    friday_late = T0 + timedelta(days=4, hours=7)  # Friday 16:00 Shanghai
    yellow = CaseState(status="raised", level="yellow", opened_at=friday_late, step_at=friday_late)
    red = yellow.model_copy(update={"level": "red"})
    due_yellow = model.deadlines.current(yellow)
    due_red = model.deadlines.current(red)
    assert due_yellow is not None and due_red is not None
    # 4 working hours: 1 on Friday, 3 on Monday from 09:00 -> Monday 12:00 Shanghai.
    assert due_yellow[1] == friday_late + timedelta(days=2, hours=20)
    assert due_red[1] == friday_late + timedelta(minutes=30)


def test_calendar_without_working_days_is_refused() -> None:
    with pytest.raises(ValueError):
        Calendar(weekdays=[])
