"""The alert lifecycle of one matter: a state machine with the matter's one file (一案一档).

raised -> acknowledged -> assigned -> in_progress -> resolved -> followed_up -> closed,
and reopened (which then needs acknowledging again) from resolved, followed_up or
closed: by a person, or automatically when new reports join a resolved matter
or the follow-up visit (回访) finds the reporter unsatisfied. Assigning also counts
as acknowledging. Every transition returns the AlertEvent that records it. When its
matter is merged into another, an open alert closes for good (``close_merged``, event
"merged"): the other matter's alert goes on for both.

>>> from datetime import datetime, timezone
>>> t = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)
>>> s = CaseState(matter_id="M1", alert_id="A1", status="raised", level="red")
>>> s, e = transition(s, "acknowledge", "wang", t, "收到")
>>> (s.status, e.kind, e.actor, e.event_id)
('acknowledged', 'acknowledged', 'wang', 'A1-L1')
>>> try:
...     transition(s, "close", "wang", t)
... except AlertError as e:
...     print(e)
cannot close an alert that is acknowledged / 当前状态为「已签收」，不能「结案」
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel

from minqing.errors import AlertError
from minqing.records import ActionKind, AlertEvent, Assignment, CaseStatus, Level, MatterSeen
from models.base import dump_state, load_state
from models.routing import Route

ALLOWED: dict[ActionKind, tuple[CaseStatus, ...]] = {
    "acknowledge": ("raised", "reopened"),
    "assign": ("raised", "reopened", "acknowledged", "assigned", "in_progress"),
    "start": ("assigned",),
    "resolve": ("assigned", "in_progress"),
    "follow_up": ("resolved",),
    "close": ("followed_up",),
    "reopen": ("resolved", "followed_up", "closed"),
}
TARGET: dict[ActionKind, CaseStatus] = {
    "acknowledge": "acknowledged",
    "assign": "assigned",
    "start": "in_progress",
    "resolve": "resolved",
    "follow_up": "followed_up",
    "close": "closed",
    "reopen": "reopened",
}
EVENT_KIND: dict[ActionKind, str] = {
    "acknowledge": "acknowledged",
    "assign": "assigned",
    "start": "started",
    "resolve": "resolved",
    "follow_up": "followed_up",
    "close": "closed",
    "reopen": "reopened",
}
DONE: tuple[CaseStatus, ...] = ("resolved", "followed_up", "closed")
OPEN: tuple[CaseStatus, ...] = ("raised", "reopened", "acknowledged", "assigned", "in_progress")
STATUS_ZH: dict[str, str] = {
    "none": "无预警", "raised": "待签收", "acknowledged": "已签收", "assigned": "已交办",
    "in_progress": "办理中", "resolved": "已办结", "followed_up": "已回访", "closed": "已结案",
    "reopened": "已重启",
}  # fmt: skip
ACTION_ZH: dict[str, str] = {
    "acknowledge": "签收", "assign": "交办", "start": "开始办理", "resolve": "办结",
    "follow_up": "回访", "close": "结案", "reopen": "重启",
}  # fmt: skip


class CaseState(BaseModel):
    """Everything the lifecycle, routing and deadlines know about one matter's alert."""

    matter_id: str = ""
    alert_id: str = ""
    status: CaseStatus = "none"
    level: Level = "none"
    risk: float = 0.0
    title: str = ""
    category: str = ""
    township: str = ""
    explanation: str = ""
    alert_version: int = 0
    seq: int = 0
    raised_at: datetime | None = None
    opened_at: datetime | None = None
    acked_at: datetime | None = None
    started_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    step: int = 0
    step_at: datetime | None = None
    route: Route | None = None
    assignment: Assignment | None = None
    matter_version: int = 0
    resolved_version: int = 0
    reopens: int = 0
    satisfied: bool | None = None
    merged_into: str = ""  # closed because the matter was merged into this one

    def to_json(self) -> str:
        return dump_state("case", self.model_dump(mode="json"))

    @classmethod
    def from_json(cls, data: str | bytes) -> Self:
        return cls.model_validate(load_state("case", data))


def check(status: CaseStatus, action: ActionKind) -> None:
    """Raise AlertError unless ``action`` is allowed in ``status``.

    >>> check("resolved", "follow_up")
    >>> check("raised", "start")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    minqing.errors.AlertError: cannot start an alert that is raised / ...
    """
    if status not in ALLOWED[action]:
        raise AlertError(
            f"cannot {action} an alert that is {status} / "
            f"当前状态为「{STATUS_ZH[status]}」，不能「{ACTION_ZH[action]}」"
        )


def require(action: ActionKind, note: str, assignment: Assignment | None,
             satisfied: bool | None) -> None:  # fmt: skip
    if action in ("resolve", "reopen") and not note.strip():
        raise AlertError(
            f"{action} needs a note saying what was done or why / 请填写办理情况或原因"
        )
    if action == "assign" and (assignment is None or not assignment.lead_unit):
        raise AlertError("assign needs a lead unit / 交办需指定牵头单位")
    if action == "follow_up" and satisfied is None:
        raise AlertError("follow-up needs the reporter's satisfaction / 回访需记录是否满意")


def transition(
    state: CaseState, action: ActionKind, actor: str, at: datetime, note: str = "", *,
    assignment: Assignment | None = None, satisfied: bool | None = None,
) -> tuple[CaseState, AlertEvent]:  # fmt: skip
    """The state after a person's (or the system's) action, and its event; AlertError if illegal."""
    check(state.status, action)
    if state.merged_into:  # its alert goes on in the other matter's file, not here
        raise AlertError(f"the matter was merged into {state.merged_into} / "
                         f"该事项已并入事项 {state.merged_into}，请在该事项上办理")  # fmt: skip
    require(action, note, assignment, satisfied)
    new = state.model_copy(deep=True)
    new.status = TARGET[action]
    if action in ("acknowledge", "assign"):
        new.acked_at = new.acked_at or at
    if action == "assign":
        new.assignment = assignment
    elif action == "start":
        new.started_at = new.started_at or at
    elif action == "resolve":
        new.resolved_at, new.resolved_version = at, new.matter_version
    elif action == "follow_up":
        new.satisfied = satisfied
    elif action == "close":
        new.closed_at = at
    elif action == "reopen":
        _reopen(new, at)
    return new, event(new, EVENT_KIND[action], at, actor, note)


def _reopen(state: CaseState, at: datetime) -> None:
    # A reopened matter starts a new period: new deadlines from the bottom rung.
    state.opened_at, state.step, state.step_at = at, 0, at
    state.acked_at = state.started_at = state.resolved_at = state.closed_at = None
    state.satisfied = None
    state.reopens += 1


def event(state: CaseState, kind: str, at: datetime, actor: str = "system",
          note: str = "") -> AlertEvent:  # fmt: skip
    """The next event of the case (mutates ``state.seq`` and ``updated_at``: call on a copy)."""
    state.seq += 1
    state.updated_at = at
    return AlertEvent(
        event_id=f"{state.alert_id}-L{state.seq}", alert_id=state.alert_id,
        matter_id=state.matter_id, kind=kind, level=state.level, at=at, actor=actor, note=note,
    )  # fmt: skip


def reopen_on_reports(state: CaseState, seen: MatterSeen) -> tuple[CaseState, AlertEvent | None]:
    """Auto-reopen: new reports joined the matter after it was resolved."""
    if seen.version <= state.matter_version:
        return state, None
    new = state.model_copy(deep=True)
    new.matter_version = seen.version
    if new.status not in DONE or seen.version <= new.resolved_version or new.merged_into:
        return new, None
    note = f"new reports joined after resolution ({seen.n_reports} in all) / 办结后又有新反映"
    return transition(new, "reopen", "system", seen.last_seen, note)


def reopen_if_unsatisfied(state: CaseState, at: datetime) -> tuple[CaseState, AlertEvent | None]:
    """Auto-reopen: the follow-up visit found the reporter unsatisfied."""
    if state.status != "followed_up" or state.satisfied is not False:
        return state, None
    return transition(state, "reopen", "system", at, "follow-up unsatisfied / 回访不满意")


def close_merged(state: CaseState, into: str, at: datetime) -> tuple[CaseState, AlertEvent | None]:
    """Auto-close: the matter was merged into ``into``, whose alert goes on for both.

    Only an open alert closes (a resolved one still has its follow-up visit due); a
    case closed as merged already is left alone, so a redelivered update does nothing.
    """
    if state.status not in OPEN or state.merged_into:
        return state, None
    new = state.model_copy(deep=True)
    new.status, new.closed_at, new.merged_into = "closed", at, into
    note = (f"merged into matter {into}; the alert continues there / "
            f"已并入事项 {into}，预警在该事项继续")  # fmt: skip
    return new, event(new, "merged", at, "system", note)
