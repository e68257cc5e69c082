"""Analysts correct the clustering: merge two matters, or move a report out of its matter.

Like a lifecycle action (producers/alerts_api.py): the request is checked against
the warehouse, recorded there (``matter_corrections``, queued), audited and
published to the ``matter_corrections`` topic under the matter's place, the key
its reports travel under, so it reaches the worker holding the matter's
clustering state (streams/corrections.py). The answer is 202 with the correction
id; ``GET /api/v1/corrections/{id}`` tells what the worker did with it. Only the
joint-conference office (analysts, admins) corrects, and only matters in its
scope: both matters of a merge must be; a matter outside it answers 404, like a
matter that does not exist.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from minqing.records import Correction
from minqing.validation import explain
from producers.alerts_api import Publisher, error
from producers.auth import Principal, require
from producers.auth.deps import deny, record
from streams.topics import partition_key
from warehouse import corrections
from warehouse.backend import Backend, Row
from warehouse.scope import visible_matter

log = logging.getLogger(__name__)
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
FIELD_ZH = {"other": "另一事项编号", "report_id": "报告编号", "reason": "理由"}
Office = Annotated[Principal, Depends(require("analyst", "admin"))]
Json = Annotated[Any, Body()]
M = TypeVar("M", bound=BaseModel)


class MergeIn(BaseModel):
    other: Id
    reason: Reason


class MoveOutIn(BaseModel):
    report_id: Id
    reason: Reason


def field_error(status: int, field: str, en: str, zh: str) -> JSONResponse:
    body = {"message_en": f"{field}: {en}", "message_zh": f"{FIELD_ZH.get(field, field)}{zh}",
            "errors": [{"field": field, "message_en": en, "message_zh": zh}]}  # fmt: skip
    return JSONResponse(body, status_code=status)


def parse(cls: type[M], body: Any) -> M | JSONResponse:
    """The body as ``cls``, or 422 naming each bad field in English and Chinese."""
    try:
        return cls.model_validate(body if isinstance(body, dict) else {})
    except ValidationError as e:
        errors = [x.model_dump() for x in explain(e, FIELD_ZH, pattern_zh="格式无效")]
        first = errors[0]
        return JSONResponse({"message_en": first["message_en"],
                             "message_zh": first["message_zh"], "errors": errors},
                            status_code=422)  # fmt: skip


def corrections_router(backend: Backend, publisher: Publisher,
                       now: Callable[[], datetime] | None = None) -> APIRouter:  # fmt: skip
    """The correction endpoints under /api/v1; include with ``app.include_router``."""
    api = APIRouter(prefix="/api/v1", tags=["corrections"])
    clock = now or (lambda: datetime.now(UTC))
    office = [Depends(require("analyst", "admin", scope_of="matter_id"))]
    send = _sender(backend, publisher)

    @api.post("/matters/{matter_id}/merge", status_code=202, dependencies=office)
    def merge(matter_id: str, body: Json, who: Office, request: Request) -> Any:
        got = parse(MergeIn, body)
        if isinstance(got, JSONResponse):
            return got
        if got.other == matter_id:
            return field_error(422, "other", "must be another matter", "须为另一个事项")
        place = _place(backend, matter_id)
        if isinstance(place, JSONResponse):
            return place
        refused = _visible(backend, request, who, got.other)
        if refused is not None:
            return refused
        c = _new(clock(), who, kind="merge", matter_id=matter_id, other=got.other,
                 reason=got.reason)  # fmt: skip
        return send(request, who, c, place)

    @api.post("/matters/{matter_id}/move-out", status_code=202, dependencies=office)
    def move_out(matter_id: str, body: Json, who: Office, request: Request) -> Any:
        got = parse(MoveOutIn, body)
        if isinstance(got, JSONResponse):
            return got
        place = _place(backend, matter_id)
        if isinstance(place, JSONResponse):
            return place
        if corrections.report_matter(backend, got.report_id) != matter_id:
            return field_error(422, "report_id", "is not a report of this matter",
                               "不是该事项的报告")  # fmt: skip
        c = _new(clock(), who, kind="move_out", matter_id=matter_id, report_id=got.report_id,
                 reason=got.reason)  # fmt: skip
        return send(request, who, c, place)

    _outcome_route(api, backend)
    return api


Send = Callable[[Request, Principal, Correction, Row], dict[str, str]]


def _sender(backend: Backend, publisher: Publisher) -> Send:
    def send(request: Request, who: Principal, c: Correction, place: Row) -> dict[str, str]:
        corrections.record(backend, c)  # the request, recorded even if the broker is down
        record(request, who, f"correction:{c.kind}", c.matter_id, correction_id=c.correction_id,
               other=c.other, report_id=c.report_id, reason=c.reason)  # fmt: skip
        publisher.publish(partition_key(place["township"], place["county"]), c.to_bytes())
        log.info("correction %s queued: %s %s", c.correction_id, c.kind, c.matter_id)
        return {"correction_id": c.correction_id, "status": "queued",
                "outcome_url": f"/api/v1/corrections/{c.correction_id}"}  # fmt: skip

    return send


def _new(at: datetime, who: Principal, **fields: Any) -> Correction:
    # Whole seconds, as the warehouse keeps them: the message and the row say the same.
    return Correction(correction_id=f"cor-{uuid.uuid4().hex}", actor=who.name,
                      at=at.replace(microsecond=0), **fields)  # fmt: skip


def _place(backend: Backend, matter_id: str) -> Row | JSONResponse:
    """The matter's township and county (its messages' key), or 404 when unknown."""
    place = corrections.matter_place(backend, matter_id)
    return error(404, "no such matter", "未找到该事项") if place is None else place


def _visible(backend: Backend, request: Request, who: Principal,
             matter_id: str) -> JSONResponse | None:  # fmt: skip
    """404 unless the other matter exists and lies in the caller's scope (the two look alike)."""
    if not visible_matter(backend, matter_id, who.scope):
        deny(request, who, "scope", matter_id)
        return field_error(404, "other", "no such matter", "未找到该事项")
    if corrections.matter_place(backend, matter_id) is None:
        return field_error(404, "other", "no such matter", "未找到该事项")
    return None


def _outcome_route(api: APIRouter, backend: Backend) -> None:
    @api.get("/corrections/{correction_id}")
    def outcome(correction_id: str, who: Office) -> Any:
        c = corrections.get(backend, correction_id)
        if c is None or not visible_matter(backend, c.matter_id, who.scope):
            return error(404, "no such correction", "未找到该更正")
        status = {"queued": "pending", "applied": "done"}.get(c.status, c.status)
        return {"correction_id": c.correction_id, "status": status, "kind": c.kind,
                "matter_id": c.matter_id, "other": c.other, "report_id": c.report_id,
                "result": c.result, "transition": {"note": c.note}}  # fmt: skip
