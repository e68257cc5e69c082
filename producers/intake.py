"""The intake web app: report API, status by receipt, the form, alerts and matters.

Access control is producers/auth: ``create_web_app`` installs an ``AuthService``
on ``app.state.auth`` and mounts sign-in, enrollment and the admin endpoints.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Protocol
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import make_asgi_app
from pydantic import ValidationError

from minqing import metrics
from minqing.config import Config
from minqing.errors import WarehouseError
from minqing.normalise import normalise
from minqing.receipts import new_report_id, receipt_for
from minqing.records import AlertStatus, Level, Report
from minqing.settings import Settings
from minqing.validation import explain
from producers.auth import STAFF, AuthService, Principal, audit, install_auth, require
from producers.auth.admin import admin_router
from producers.auth.deps import Caller
from producers.auth.gate import admit_submitter, receipt_owner, throttle_informant
from producers.auth.routes import auth_router
from producers.outbox import Outbox
from warehouse.scope import ScopeFilter
from web.routes import mount_ui

log = logging.getLogger(__name__)


class Queries(Protocol):
    """warehouse/queries.py's ``Queries`` (mount_ui also needs its ``backend``)."""

    def report_status(
        self, receipt: str, informant_id: str | None = None
    ) -> dict[str, Any] | None: ...
    def list_alerts(
        self,
        limit: int = 100,
        min_level: str | None = None,
        status: str | None = None,
        scope: ScopeFilter | None = None,
    ) -> list[dict[str, Any]]: ...
    def get_matter(
        self, matter_id: str, scope: ScopeFilter | None = None
    ) -> dict[str, Any] | None: ...


def error(
    status: int, en: str, zh: str, errors: list[dict[str, str]] | None = None
) -> JSONResponse:
    body = {"message_en": en, "message_zh": zh, "errors": errors or []}
    return JSONResponse(body, status_code=status)


class BodyTooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing early once it passes the limit (no need to buffer 1 GB)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def parse_report(body: bytes, tz: ZoneInfo, informant_id: str = "") -> Report | JSONResponse:
    try:
        data = json.loads(body)
    except ValueError as e:
        return error(
            400,
            f"malformed JSON: {e}",
            "JSON 格式错误，无法解析",
            [{"field": "body", "message_en": str(e), "message_zh": "JSON 格式错误"}],
        )
    if not isinstance(data, dict):
        return error(422, "the body must be a JSON object", "请求体必须是 JSON 对象")
    if informant_id:
        data["informant_id"] = informant_id  # a device reports as its own pseudonym
    try:
        report = Report.model_validate(data)
    except ValidationError as e:
        errs = [fe.model_dump() for fe in explain(e)]
        return error(422, "invalid report: see errors", "报告内容有误，请查看各字段提示", errs)
    return normalise(report).model_copy(
        update={
            "report_id": report.report_id or new_report_id(),
            "received_at": report.received_at or datetime.now(tz),
        }
    )


def create_web_app(
    settings: Settings,
    config: Config,
    outbox: Outbox,
    queries: Queries,
    routers: Sequence[APIRouter] = (),
    auth: AuthService | None = None,
) -> FastAPI:
    app = FastAPI(title="Minqing 民情", version="0.1.0")
    if auth is None:
        backend = getattr(queries, "backend", None)
        if backend is None:
            raise TypeError("create_web_app needs warehouse.queries.Queries (its backend)")
        auth = AuthService.build(settings, backend)
    install_auth(app, auth)
    _error_handlers(app)
    _submit_route(app, settings, outbox)
    _read_routes(app, outbox, queries, settings.open_alert_list)
    app.include_router(auth_router())
    app.include_router(admin_router())
    for router in routers:
        app.include_router(router)
    app.mount("/metrics", make_asgi_app())
    mount_ui(app, settings, config, queries)
    return app


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = [
            {
                "field": ".".join(str(p) for p in e["loc"]),
                "message_en": e["msg"],
                "message_zh": "参数无效",
            }
            for e in exc.errors()
        ]
        return error(422, "invalid request", "请求参数无效", errs)

    @app.exception_handler(WarehouseError)
    async def warehouse_down(_: Request, exc: WarehouseError) -> JSONResponse:
        log.error("warehouse error answering a request: %s", exc)
        en, zh = "the warehouse is unavailable; try again", "数据仓库暂时不可用，请稍后重试"
        return error(503, en, zh)


def _submit_route(app: FastAPI, settings: Settings, outbox: Outbox) -> None:
    secret = settings.receipt_secret.get_secret_value()
    tz = ZoneInfo(settings.timezone)

    @app.post("/api/v1/reports", status_code=201)
    async def submit(request: Request, who: Caller) -> Any:
        admit_submitter(request, who)
        try:
            body = await read_limited(request, settings.max_body_bytes)
        except BodyTooLarge:
            kb = settings.max_body_bytes // 1024
            metrics.REPORTS_REFUSED.labels("413").inc()
            return error(413, f"body larger than {kb} KB", f"请求体超过 {kb} KB")
        report = parse_report(body, tz, who.informant_id)
        if isinstance(report, JSONResponse):
            metrics.REPORTS_REFUSED.labels(str(report.status_code)).inc()
            return report
        throttle_informant(request, who, report.informant_id)
        return _accept(report, outbox, secret)


def _accept(report: Report, outbox: Outbox, secret: str) -> JSONResponse:
    assert report.report_id is not None
    receipt = receipt_for(report.report_id, secret)
    outbox.put(report.report_id, receipt, report.to_bytes())
    metrics.REPORTS_ACCEPTED.inc()
    body = {"report_id": report.report_id, "receipt": receipt,
            "status_url": f"/api/v1/reports/{receipt}"}  # fmt: skip
    return JSONResponse(body, status_code=201)


Staff = Annotated[Principal, Depends(require(*STAFF))]


def _read_routes(app: FastAPI, outbox: Outbox, queries: Queries, open_list: bool) -> None:
    @app.get("/api/v1/reports/{receipt}")
    def status(receipt: str, request: Request, who: Caller) -> Any:
        own = receipt_owner(request, who)
        found = queries.report_status(receipt, own)
        if found:
            return {"receipt": receipt, "status": found["status"]}
        if outbox.lookup(receipt) and own in (None, outbox.informant_of(receipt)):
            return {"receipt": receipt, "status": "received"}
        return error(404, "no report with this receipt", "未找到该回执号对应的报告")

    @app.get("/healthz")
    def health() -> dict[str, Any]:
        return {"status": "ok", "outbox_depth": outbox.depth()}

    _staff_routes(app, queries, open_list)


def alert_list_reader(open_list: bool) -> Callable[..., Principal]:
    """Staff only; in development's open mode also anyone, for the alert list alone.

    The list carries titles, levels and places, never who reported; production
    (MINQING_ENV=production) never opens it.
    """
    staff = require(*STAFF)

    def dependency(request: Request, who: Caller) -> Principal:
        return who if open_list and not who.authenticated else staff(request, who)

    dependency.__name__ = "require_staff_or_open_list"
    return dependency


def _staff_routes(app: FastAPI, queries: Queries, open_list: bool = False) -> None:
    reader = alert_list_reader(open_list)

    @app.get("/api/v1/alerts")
    def alerts(
        who: Principal = Depends(reader),  # noqa: B008 (a per-app dependency)
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        min_level: Level | None = None,
        status: AlertStatus | None = None,
    ) -> Any:
        # The open list (development only, see alert_list_reader) covers the whole county.
        scope = who.scope if who.authenticated else None
        items = queries.list_alerts(limit, min_level, status, scope)
        return {"items": items, "count": len(items)}

    @app.get(
        "/api/v1/matters/{matter_id}",
        dependencies=[Depends(require(*STAFF, scope_of="matter_id")),
                      Depends(audit("view_matter", "matter_id"))],
    )  # fmt: skip
    def matter(matter_id: str, who: Staff) -> Any:
        found = queries.get_matter(matter_id, who.scope)
        return found if found else error(404, "no such matter", "未找到该事项")
