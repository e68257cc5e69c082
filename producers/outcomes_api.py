"""Outcomes API: analysts record what happened to a matter; the system reports its accuracy."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field, field_validator

from minqing.records import Outcome, OutcomeKind
from producers.alerts_api import User
from producers.auth import STAFF, Principal, require
from warehouse import outcomes
from warehouse.backend import Backend


class OutcomeIn(BaseModel):
    outcome: OutcomeKind
    incident_kind: str = Field(default="", max_length=64)
    t_incident: AwareDatetime | None = None
    note: str = Field(default="", max_length=2000)

    @field_validator("t_incident")
    @classmethod
    def _storable(cls, at: datetime | None) -> datetime | None:
        # The warehouse's DateTime spans 1970..2105; outside it the insert fails (a 5xx).
        if at is not None and not 1970 < at.year < 2105:
            raise ValueError("must be between 1971 and 2104 / 发生时间须在1971至2104年之间")
        return at


def _check(body: OutcomeIn) -> JSONResponse | None:
    if body.outcome == "incident" and body.t_incident is None:
        return JSONResponse(
            {"message_en": "t_incident: required when the outcome is an incident",
             "message_zh": "发生群体性事件时必须填写发生时间",
             "errors": [{"field": "t_incident", "message_en": "required for an incident",
                         "message_zh": "发生时间为必填项"}]},
            status_code=422,
        )  # fmt: skip
    return None


def outcomes_router(backend: Backend) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["outcomes"])

    # Analysts record outcomes; any staff reads them, only for matters in their scope.
    office = require("analyst", "admin", scope_of="matter_id")

    @router.post("/matters/{matter_id}/outcome", status_code=201,
                 dependencies=[Depends(office)])  # fmt: skip
    def record(matter_id: str, body: OutcomeIn, user: User) -> Any:
        refused = _check(body)
        if refused is not None:
            return refused
        item = Outcome(
            # Time-ordered ids: the latest of two outcomes in one second still wins.
            outcome_id=f"o-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}",
            matter_id=matter_id, recorded_by=user, recorded_at=datetime.now(UTC),
            **body.model_dump(),
        )  # fmt: skip
        outcomes.record(backend, item)
        return item.model_dump(mode="json")

    @router.get("/matters/{matter_id}/outcome",
                dependencies=[Depends(require(*STAFF, scope_of="matter_id"))])  # fmt: skip
    def latest(matter_id: str) -> Any:
        rows = outcomes.latest_outcomes(backend, matter_id)
        if not rows:
            return JSONResponse({"message_en": "no outcome recorded",
                                 "message_zh": "尚未登记结果"}, status_code=404)  # fmt: skip
        return rows[0]

    @router.get("/risk/accuracy")
    def accuracy(who: Annotated[Principal, Depends(require(*STAFF))]) -> dict[str, Any]:
        # Only the caller's regions: a township's accuracy must not reveal others' matters.
        return {"months": outcomes.live_accuracy(backend, who.scope)}

    return router
