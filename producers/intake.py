"""The intake web app: report API, status by receipt, the form, alerts and matters."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Protocol
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import make_asgi_app
from pydantic import ValidationError

from minqing import metrics
from minqing.config import Config
from minqing.normalise import normalise
from minqing.receipts import new_report_id, receipt_for
from minqing.records import AlertStatus, Level, Report
from minqing.settings import Settings
from minqing.validation import explain
from producers.outbox import Outbox
from web.routes import mount_ui

log = logging.getLogger(__name__)


class Queries(Protocol):
    def report_status(self, receipt: str) -> dict[str, Any] | None: ...
    def list_alerts(
        self, limit: int = 100, min_level: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]: ...
    def get_matter(self, matter_id: str) -> dict[str, Any] | None: ...


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


def parse_report(body: bytes, tz: ZoneInfo) -> Report | JSONResponse:
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
) -> FastAPI:
    app = FastAPI(title="Minqing 民情", version="0.1.0")
    secret = settings.receipt_secret.get_secret_value()
    tz = ZoneInfo(settings.timezone)

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

    @app.post("/api/v1/reports", status_code=201)
    async def submit(request: Request) -> Any:
        try:
            body = await read_limited(request, settings.max_body_bytes)
        except BodyTooLarge:
            kb = settings.max_body_bytes // 1024
            metrics.REPORTS_REFUSED.labels("413").inc()
            return error(413, f"body larger than {kb} KB", f"请求体超过 {kb} KB")
        report = parse_report(body, tz)
        if isinstance(report, JSONResponse):
            metrics.REPORTS_REFUSED.labels(str(report.status_code)).inc()
            return report
        assert report.report_id is not None
        receipt = receipt_for(report.report_id, secret)
        outbox.put(report.report_id, receipt, report.to_bytes())
        metrics.REPORTS_ACCEPTED.inc()
        return JSONResponse(
            {
                "report_id": report.report_id,
                "receipt": receipt,
                "status_url": f"/api/v1/reports/{receipt}",
            },
            status_code=201,
        )

    _read_routes(app, outbox, queries)
    for router in routers:
        app.include_router(router)
    app.mount("/metrics", make_asgi_app())
    mount_ui(app, settings, config, queries)

    return app


def _read_routes(app: FastAPI, outbox: Outbox, queries: Queries) -> None:
    @app.get("/api/v1/reports/{receipt}")
    def status(receipt: str) -> Any:
        found = queries.report_status(receipt)
        if found:
            return {"receipt": receipt, "status": found["status"]}
        if outbox.lookup(receipt):
            return {"receipt": receipt, "status": "received"}
        return error(404, "no report with this receipt", "未找到该回执号对应的报告")

    @app.get("/api/v1/alerts")
    def alerts(
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        min_level: Level | None = None,
        status: AlertStatus | None = None,
    ) -> Any:
        items = queries.list_alerts(limit=limit, min_level=min_level, status=status)
        return {"items": items, "count": len(items)}

    @app.get("/api/v1/matters/{matter_id}")
    def matter(matter_id: str) -> Any:
        found = queries.get_matter(matter_id)
        return found if found else error(404, "no such matter", "未找到该事项")

    @app.get("/healthz")
    def health() -> dict[str, Any]:
        return {"status": "ok", "outbox_depth": outbox.depth()}
