"""The alert lifecycle API: actions, silences, inbox, KPIs, leaders' digests.

Lifecycle state has one writer, the alerting worker. An action here is checked
against the latest state (409 when it cannot apply now), written to the
warehouse as a request (``alert_actions``) and published to the
``alert_actions`` topic; the answer is 202 with the action id, and
``GET /api/v1/alert-actions/{id}`` tells what the worker did with it. The acting
user is the signed-in account (producers/auth): ``current_user`` gives its name,
and every route states the roles it admits and checks the caller's scope; a
matter outside it answers 404, like a matter that does not exist.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from kafka import KafkaProducer
from kafka.errors import KafkaError
from pydantic import BaseModel, Field

from minqing.errors import AlertError, IntakeError
from minqing.records import ActionKind, AlertAction, AlertingInput, Assignment, Silence
from models.lifecycle import check
from models.lifecycle import require as complete
from models.routing import Router
from producers.auth import STAFF, Principal, audit, require
from producers.auth.deps import record
from producers.auth.policy import ACTION_ROLES, in_range, may_silence
from warehouse.alert_queries import AlertQueries
from warehouse.backend import Backend
from warehouse.kpis import kpis
from warehouse.rows import alert_action_row, silence_row

log = logging.getLogger(__name__)
ALERTING_KEY = b"alerting"  # the same key as streams.escalation: one ordered stream
SLUGS: dict[ActionKind, str] = {
    "acknowledge": "acknowledge", "assign": "assign", "start": "start", "resolve": "resolve",
    "follow_up": "follow-up", "close": "close", "reopen": "reopen",
}  # fmt: skip


class Publisher(Protocol):
    def publish(self, key: bytes, value: bytes) -> None: ...


class KafkaPublisher:
    """Publishes to one topic and waits for the broker's acknowledgement."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self._producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", retries=5,
                                       client_id="minqing-alert-api")  # fmt: skip

    def publish(self, key: bytes, value: bytes) -> None:
        try:
            self._producer.send(self.topic, key=key, value=value).get(timeout=10)
        except KafkaError as e:
            raise IntakeError(f"cannot publish to {self.topic}: {e}") from e

    def close(self) -> None:
        self._producer.close(timeout=5)


class ActionBody(BaseModel):
    note: str = Field(default="", max_length=2000)
    lead_unit: str | None = None
    co_units: list[str] = Field(default_factory=list)
    leaders: list[str] = Field(default_factory=list)
    satisfied: bool | None = None


class SilenceBody(BaseModel):
    matter_id: str | None = None
    region: Annotated[str, Field(pattern=r"^\d{2,12}$")] | None = None
    category: str | None = None
    hours: float = Field(default=24.0, gt=0, le=24 * 90)
    reason: str = Field(min_length=1, max_length=500)


Staff = Annotated[Principal, Depends(require(*STAFF))]
Office = Annotated[Principal, Depends(require("analyst", "admin"))]


def current_user(who: Staff) -> str:
    """The acting user's name (signed-in staff only): every action records who did it."""
    return who.name


User = Annotated[str, Depends(current_user)]


def error(status: int, en: str, zh: str) -> JSONResponse:
    return JSONResponse({"message_en": en, "message_zh": zh, "errors": []}, status_code=status)


def _bilingual(e: Exception) -> tuple[str, str]:
    en, _, zh = str(e).partition(" / ")
    return en, zh or en


def alerts_router(backend: Backend, publisher: Publisher, router: Router,
                  now: Callable[[], datetime] | None = None) -> APIRouter:  # fmt: skip
    """All lifecycle endpoints under /api/v1; include with ``app.include_router``."""
    api = APIRouter(prefix="/api/v1", tags=["alerts"])
    clock = now or (lambda: datetime.now(UTC))
    queries = AlertQueries(backend)
    send = _sender(backend, publisher, clock)
    for action, slug in SLUGS.items():
        endpoint = _action_endpoint(action, queries, send, clock)
        guard = [Depends(require(*ACTION_ROLES[action], scope_of="matter_id")),
                 Depends(audit(f"lifecycle:{action}", "matter_id"))]  # fmt: skip
        api.add_api_route(f"/matters/{{matter_id}}/alert/{slug}", endpoint, methods=["POST"],
                          status_code=202, name=f"alert_{action}", dependencies=guard)  # fmt: skip
    _read_routes(api, queries, router, backend, clock)
    _silence_routes(api, queries, send, clock)
    return api


Send = Callable[[str, Any, AlertingInput], None]


def _sender(backend: Backend, publisher: Publisher, clock: Callable[[], datetime]) -> Send:
    def send(table: str, row: Any, inp: AlertingInput) -> None:
        backend.insert(table, [row])  # the request, recorded even if the broker is down
        publisher.publish(ALERTING_KEY, inp.to_bytes())

    return send


def _action_endpoint(action: ActionKind, queries: AlertQueries, send: Send,
                     clock: Callable[[], datetime]) -> Callable[..., Any]:  # fmt: skip
    def endpoint(matter_id: str, body: ActionBody, who: Staff) -> Any:
        user = who.name
        case = queries.case(matter_id, who.scope)
        if case is None:
            return error(404, "no alert on this matter", "该事项没有预警")
        act = _make_action(action, matter_id, body, user, clock())
        try:
            check(case["status"], action)
            complete(action, act.note, act.assignment or _placeholder(action), act.satisfied)
        except AlertError as e:
            return error(409 if "cannot" in str(e) else 422, *_bilingual(e))
        inp = AlertingInput(kind="action", at=act.at, action=act)
        send("alert_actions", alert_action_row(act), inp)
        return {"action_id": act.action_id, "status": "queued",
                "outcome_url": f"/api/v1/alert-actions/{act.action_id}"}  # fmt: skip

    endpoint.__name__ = f"alert_{action}"
    return endpoint


def _placeholder(action: ActionKind) -> Assignment | None:
    # Assign without a lead unit takes the route's units and leaders, filled in by the worker.
    return Assignment(lead_unit="(route)") if action == "assign" else None


def _make_action(action: ActionKind, matter_id: str, body: ActionBody, user: str,
                 at: datetime) -> AlertAction:  # fmt: skip
    assignment = None
    if body.lead_unit:
        assignment = Assignment(lead_unit=body.lead_unit, co_units=body.co_units,
                                leaders=body.leaders)  # fmt: skip
    return AlertAction(action_id=uuid.uuid4().hex, matter_id=matter_id, action=action,
                       actor=user, at=at, note=body.note,
                       assignment=assignment, satisfied=body.satisfied)  # fmt: skip


def _read_routes(api: APIRouter, queries: AlertQueries, router: Router, backend: Backend,
                 clock: Callable[[], datetime]) -> None:  # fmt: skip
    @api.get("/matters/{matter_id}/file",
             dependencies=[Depends(require(*STAFF, scope_of="matter_id")),
                           Depends(audit("view_case_file", "matter_id"))])  # fmt: skip
    def case_file(matter_id: str, who: Staff) -> Any:
        found = queries.file(matter_id, who.scope)
        return found if found["case"] else error(404, "no alert on this matter", "该事项没有预警")

    @api.get("/alert-actions/{action_id}")
    def outcome(action_id: str, who: Staff) -> Any:
        if queries.action_matter(action_id, who.scope) is None:
            return error(404, "no such action", "未找到该操作")
        t = queries.action_outcome(action_id)
        status = "pending" if t is None else "rejected" if t["action"] == "reject" else "done"
        return {"action_id": action_id, "status": status, "transition": t}

    _report_routes(api, queries, router, backend, clock)


def _report_routes(api: APIRouter, queries: AlertQueries, router: Router, backend: Backend,
                   clock: Callable[[], datetime]) -> None:  # fmt: skip
    @api.get("/inbox/{recipient}")
    def inbox(recipient: str, who: Staff,
              limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> Any:  # fmt: skip
        if who.scope is not None and recipient not in who.recipients:
            return error(404, "no such inbox", "未找到该收件箱")
        items = queries.inbox(recipient, limit)
        return {"recipient": recipient, "items": items, "count": len(items)}

    @api.get("/kpis")
    def kpi(who: Staff, start: datetime, end: datetime,
            by: Literal["region", "unit", "all"] = "region") -> Any:  # fmt: skip
        start, end = in_range(start, "start"), in_range(end, "end")
        return {"start": start.isoformat(), "end": end.isoformat(), "by": by,
                "items": kpis(backend, start, end, by, who.scope)}  # fmt: skip

    @api.get("/leaders/{leader_id}/digest")
    def digest(leader_id: str, who: Annotated[Principal, Depends(require("leader", "admin"))],
               top: Annotated[int, Query(ge=1, le=50)] = 5) -> Any:  # fmt: skip
        leader = router.cfg.leaders.get(leader_id)
        if leader is None or (who.role == "leader" and who.leader_id != leader_id):
            return error(404, "no such leader", "未找到该领导")
        body = queries.area_cases(leader.areas, clock(), top, who.scope)
        return {"leader": leader_id, "name": leader.name, "areas": leader.areas, **body}


def _silence_routes(api: APIRouter, queries: AlertQueries, send: Send,
                    clock: Callable[[], datetime]) -> None:  # fmt: skip
    @api.post("/silences", status_code=201)
    def create(body: SilenceBody, who: Office, request: Request) -> Any:
        if not (body.matter_id or body.region or body.category):
            return error(422, "a silence needs a matter, region or category",
                         "屏蔽规则须指定事项、区域或类别")  # fmt: skip
        may_silence(who, body.matter_id, body.region, queries.case)
        s = _new_silence(body, who.name, clock())
        record(request, who, "lifecycle:silence", s.silence_id, matter_id=body.matter_id,
               region=body.region, category=body.category, hours=body.hours)  # fmt: skip
        send("silences", silence_row(s), AlertingInput(kind="silence", at=s.created_at, silence=s))
        return s.model_dump(mode="json")

    @api.get("/silences")
    def listing(who: Office, active: bool = True) -> Any:
        items = queries.silences(clock() if active else None, who.scope)
        return {"items": items, "count": len(items)}

    _expire_route(api, queries, send, clock)


def _expire_route(api: APIRouter, queries: AlertQueries, send: Send,
                  clock: Callable[[], datetime]) -> None:  # fmt: skip
    @api.post("/silences/{silence_id}/expire")
    def expire(silence_id: str, who: Office, request: Request) -> Any:
        row = queries.silence(silence_id)
        visible = {r["silence_id"] for r in queries.silences(None, who.scope)} if row else set()
        if row is None or (who.scope is not None and silence_id not in visible):
            return error(404, "no such silence", "未找到该屏蔽规则")
        s = _expired(row, who.name, clock())
        record(request, who, "lifecycle:expire_silence", silence_id)
        send("silences", silence_row(s), AlertingInput(kind="silence", at=s.ends_at, silence=s))
        return s.model_dump(mode="json")


def _new_silence(body: SilenceBody, user: str, at: datetime) -> Silence:
    return Silence(silence_id=uuid.uuid4().hex, matter_id=body.matter_id, region=body.region,
                   category=body.category, starts_at=at, ends_at=at + timedelta(hours=body.hours),
                   reason=body.reason, created_by=user, created_at=at)  # fmt: skip


def _expired(row: dict[str, Any], user: str, at: datetime) -> Silence:
    """The next version of a silence, ending now (the worker drops it on receipt)."""
    matchers = {k: row[k] or None for k in ("matter_id", "region", "category")}
    reason = f"{row['reason']} (expired by {user})"
    return Silence.model_validate(
        {**row, **matchers, "version": row["version"] + 1, "ends_at": at, "reason": reason}
    )
