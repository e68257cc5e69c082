"""One matter's alert from raise to close: lifecycle + routing + deadlines, as one stream model.

``update(state, AlertingInput) -> (state, CaseOut)``: an alert from the alert
policy opens (or updates the level of) the case and routes it; a person's action
moves it through the lifecycle; a grown matter may reopen it; a grown matter
that absorbed this case's matter (``MatterSeen.merged_from``) closes it; a tick
escalates it when a deadline has passed. The output says what to record (events,
transitions, the alert row, the snapshot) and whom to tell (notices).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from minqing.errors import AlertError
from minqing.records import (
    Alert,
    AlertAction,
    AlertCase,
    AlertEvent,
    AlertingInput,
    AlertOut,
    AlertStatus,
    AlertTransition,
    Assignment,
    CaseStatus,
    MatterSeen,
    Notice,
)  # fmt: skip
from models import lifecycle
from models.deadlines import KIND_ZH, Deadlines, Escalation
from models.lifecycle import DONE, CaseState, event, transition
from models.routing import Router, ladder

ALERT_STATUS: dict[str, AlertStatus] = {"reopened": "raised", "followed_up": "resolved"}
VERSION_SPAN = 1_000_000  # alert rows: policy version * span + lifecycle seq, so ours win


@dataclass
class CaseOut:
    events: list[AlertEvent] = field(default_factory=list)
    transitions: list[AlertTransition] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    changed: bool = False
    quiet: bool = False  # acted on: stop reminders
    ended: bool = False  # resolved or closed: its inhibition ends
    rejected: str = ""


class CaseModel:
    """See the module docstring; pure and deterministic."""

    def __init__(self, router: Router, deadlines: Deadlines) -> None:
        self.router, self.deadlines = router, deadlines

    def init(self) -> CaseState:
        return CaseState()

    def update(self, state: CaseState, inp: AlertingInput) -> tuple[CaseState, CaseOut]:
        if inp.kind == "alert" and inp.alert is not None:
            return self._on_alert(state, inp.alert)
        if inp.kind == "matter" and inp.matter is not None:
            return self._on_matter(state, inp.matter)
        if inp.kind == "action" and inp.action is not None:
            return self._on_action(state, inp.action)
        if inp.kind == "tick":
            return self._on_tick(state, inp.at)
        return state, CaseOut()

    def _on_alert(self, state: CaseState, out: AlertOut) -> tuple[CaseState, CaseOut]:
        a = out.alert
        if state.status != "none" and a.version <= state.alert_version:
            return state, CaseOut()  # a redelivered or older alert version
        new = state.model_copy(deep=True)
        new.alert_version, new.level, new.risk, new.title = a.version, a.level, a.risk, a.title
        new.explanation, new.category, new.township = (
            a.explanation,
            a.category or "",
            a.township or "",
        )
        new.route = self.router.route(new.township, new.category, new.level)
        if state.status == "none":
            return new, self._open(new, a)
        res = CaseOut(changed=True)
        note = out.event.note or f"{state.level}->{a.level}"
        res.transitions.append(self._row(new, out.event, "level", new.status))
        if new.status not in DONE:
            res.notices = self._notices(new, out.event, "level_changed", self._informed(new), note)
        return new, res

    def _open(self, new: CaseState, a: Alert) -> CaseOut:
        new.matter_id, new.alert_id, new.status = a.matter_id, a.alert_id, "raised"
        new.raised_at = new.opened_at = new.step_at = a.raised_at
        route = new.route
        assert route is not None
        to = _unique([route.lead_unit, route.office, route.queue])
        note = f"routed to {', '.join(to)} via {' > '.join(route.path)}"
        ev = event(new, "routed", a.raised_at, note=note)
        res = CaseOut(events=[ev], changed=True)
        res.transitions.append(self._row(new, ev, "raise", "none", recipients=to))
        res.notices = self._notices(new, ev, "raised", to, a.explanation)
        return res

    def _on_matter(self, state: CaseState, seen: MatterSeen) -> tuple[CaseState, CaseOut]:
        if state.status == "none":
            return state, CaseOut()
        if state.matter_id != seen.matter_id:
            return self._on_merged(state, seen)
        before = state.status
        new, ev = lifecycle.reopen_on_reports(state, seen)
        res = CaseOut(changed=new is not state)
        if ev is not None:
            self._after(before, new, ev, "reopen", res)
        return new, res

    def _on_merged(self, state: CaseState, seen: MatterSeen) -> tuple[CaseState, CaseOut]:
        """This case's matter was merged into ``seen``'s: close its alert, quietly (whoever
        was told about it hears of the matter through the surviving matter's alert)."""
        if state.matter_id not in seen.merged_from:
            return state, CaseOut()
        new, ev = lifecycle.close_merged(state, seen.matter_id, seen.last_seen)
        if ev is None:
            return state, CaseOut()
        row = self._row(new, ev, "merge", state.status)
        return new, CaseOut(events=[ev], transitions=[row], changed=True, ended=True)

    def _on_action(self, state: CaseState, act: AlertAction) -> tuple[CaseState, CaseOut]:
        if state.status == "none":
            return state, CaseOut(rejected="no alert on this matter / 该事项没有预警")
        assignment = act.assignment
        if act.action == "assign" and assignment is None and state.route is not None:
            r = state.route
            assignment = Assignment(lead_unit=r.lead_unit, co_units=r.co_units, leaders=r.leaders)
        try:
            new, ev = transition(state, act.action, act.actor, act.at, act.note,
                                 assignment=assignment, satisfied=act.satisfied)  # fmt: skip
        except AlertError as e:
            return state, CaseOut(rejected=str(e))
        res = CaseOut(changed=True)
        self._after(state.status, new, ev, act.action, res, act, state)
        if act.action == "follow_up":
            before = new.status
            new, again = lifecycle.reopen_if_unsatisfied(new, act.at)
            if again is not None:
                self._after(before, new, again, "reopen", res)
        return new, res

    def _after(self, before: CaseStatus, new: CaseState, ev: AlertEvent, action: str,
               res: CaseOut, act: AlertAction | None = None,
               old: CaseState | None = None) -> None:  # fmt: skip
        """Record one transition and tell whom it concerns."""
        res.events.append(ev)
        row = self._row(new, ev, action, before, act=act)
        if old is not None and action in ("acknowledge", "assign") and old.acked_at is None:
            row = self._deadline(row, old, "ack", ev.at)
        if action == "resolve" and old is not None:
            row = self._deadline(row, old, "resolve", ev.at)
        to = self._recipients(new, action)
        res.transitions.append(row.model_copy(update={"recipients": to}))
        res.notices += self._notices(new, ev, _NOTICE_KIND.get(action, ""), to, ev.note)
        res.quiet = res.quiet or action in ("acknowledge", "assign")
        res.ended = res.ended or new.status in DONE

    def _recipients(self, s: CaseState, action: str) -> list[str]:
        a, r = s.assignment, s.route
        handlers = [a.lead_unit, *a.co_units, *a.leaders] if a else []
        if action == "assign":
            return _unique(handlers)  # one list, two hand-overs: units and leader at once
        if action == "resolve":
            return [r.office] if r else []
        if action == "reopen":
            return _unique([*handlers, r.lead_unit if r else "", r.office if r else ""])
        return []

    def _on_tick(self, state: CaseState, at: datetime) -> tuple[CaseState, CaseOut]:
        due = self.deadlines.due_escalations(state, at)
        if not due:
            return state, CaseOut()
        new, res = state.model_copy(deep=True), CaseOut(changed=True)
        for esc in due:
            self._escalate(new, esc, at, res)
        return new, res

    def _escalate(self, new: CaseState, esc: Escalation, at: datetime, res: CaseOut) -> None:
        before = new.status
        new.step, new.step_at = esc.step, esc.at
        rung = ladder(new.route)[esc.step] if new.route else None
        to = rung.recipients if rung else []
        overdue = f"{esc.kind} overdue since {esc.due_at.isoformat()} / 逾期未{KIND_ZH[esc.kind]}"
        ev = event(new, "escalated", esc.at, note=f"to {rung.name if rung else '?'}: {overdue}")
        res.events.append(ev)
        res.transitions.append(self._row(new, ev, "escalate", before, recipients=to))
        res.notices += self._notices(new, ev, "escalated", to, overdue, at=at)

    def _informed(self, s: CaseState) -> list[str]:
        """Everyone already told about an open alert: rungs climbed so far and its handlers."""
        rungs = ladder(s.route)[: s.step + 1] if s.route else []
        a = s.assignment
        handlers = [a.lead_unit, *a.co_units, *a.leaders] if a else []
        office = [s.route.office] if s.route else []
        return _unique([*(x for r in rungs for x in r.recipients), *office, *handlers])

    def _notices(self, s: CaseState, ev: AlertEvent, kind: str, to: list[str], note: str,
                 at: datetime | None = None) -> list[Notice]:  # fmt: skip
        if not kind:
            return []
        return [Notice(notice_id=f"{ev.event_id}:{r}", recipient=r, matter_id=s.matter_id,
                       alert_id=s.alert_id, kind=kind, level=s.level, title=s.title,
                       township=s.township, category=s.category, step=s.step, at=at or ev.at,
                       note=note) for r in to]  # fmt: skip

    def _row(self, s: CaseState, ev: AlertEvent, action: str, before: CaseStatus,
             recipients: list[str] | None = None, act: AlertAction | None = None,
             ) -> AlertTransition:  # fmt: skip
        a = s.assignment
        return AlertTransition(
            event_id=ev.event_id, alert_id=s.alert_id, matter_id=s.matter_id, action=action,
            from_status=before, to_status=s.status, level=s.level, seq=s.seq, step=s.step,
            actor=ev.actor,
            at=ev.at, note=ev.note, action_id=act.action_id if act else "", township=s.township,
            category=s.category, lead_unit=a.lead_unit if a else "",
            co_units=a.co_units if a else [], leaders=a.leaders if a else [],
            recipients=recipients or [], satisfied=s.satisfied if action == "follow_up" else None,
        )  # fmt: skip

    def _deadline(self, row: AlertTransition, old: CaseState, kind: str,
                  at: datetime) -> AlertTransition:  # fmt: skip
        due = self.deadlines.original(old, kind)
        on_time = due is not None and at <= due
        return row.model_copy(update={"deadline": kind, "due_at": due, "on_time": on_time})

    def next_due(self, state: CaseState) -> datetime | None:
        """When this case next escalates (None: closed, or already at the top rung)."""
        top = len(ladder(state.route)) - 1 if state.route else 0
        due = self.deadlines.current(state)
        return due[1] if due is not None and state.step < top else None

    def alert_row(self, s: CaseState) -> Alert:
        """The alerts-table row for the case (same alert id; a version above the policy's)."""
        at = s.updated_at or s.raised_at
        assert at is not None and s.raised_at is not None
        return Alert(alert_id=s.alert_id, matter_id=s.matter_id,
                     version=s.alert_version * VERSION_SPAN + s.seq, level=s.level, risk=s.risk,
                     status=ALERT_STATUS.get(s.status, s.status),  # type: ignore[arg-type]
                     title=s.title, category=s.category or None, township=s.township or None,
                     explanation=s.explanation, raised_at=s.raised_at, updated_at=at)  # fmt: skip

    def snapshot(self, s: CaseState) -> AlertCase:
        """The warehouse copy of the state (also what the API and KPIs query)."""
        due, a = self.deadlines.current(s), s.assignment
        assert s.opened_at is not None
        return AlertCase(
            matter_id=s.matter_id, alert_id=s.alert_id, version=s.seq * VERSION_SPAN
            + s.matter_version % VERSION_SPAN, status=s.status, level=s.level, title=s.title,
            category=s.category, township=s.township, risk=s.risk, step=s.step,
            due_kind=due[0] if due else "", due_at=due[1] if due else None,
            lead_unit=a.lead_unit if a else "", co_units=a.co_units if a else [],
            leaders=a.leaders if a else [], opened_at=s.opened_at,
            updated_at=s.updated_at or s.opened_at, state=s.to_json(),
        )  # fmt: skip


_NOTICE_KIND = {"assign": "assigned", "resolve": "resolved", "reopen": "reopened"}


def _unique(items: list[str]) -> list[str]:
    return [x for i, x in enumerate(items) if x and x not in items[:i]]
