"""``mount_ui``: the pages, their static files and the read-only JSON the pages need.

Call it once from ``create_web_app``. It may be called before or after the
intake's own routes: its routes are moved to the front, so ``GET /`` serves
the new form and ``/api/v1/alerts/stream`` wins over any ``/api/v1/alerts/{id}``.
A second call is a no-op.
"""

from __future__ import annotations

import gzip
import json
import logging
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse

from minqing.config import Config
from minqing.records import LEVELS
from minqing.settings import Settings
from producers.auth import STAFF, Principal, audit, require
from producers.auth.deps import auth_of
from producers.auth.service import AuthFailed
from warehouse.scope import ScopeFilter
from web.assets import Assets, Pages, send
from web.export import MEDIA_TYPES, STATUS_ZH, WRITERS, Formatter
from web.queries import AlertFilter, UiQueries
from web.service import UiData
from web.stream import SSE_HEADERS, alert_events

log = logging.getLogger(__name__)
PAGES = ("form", "login", "analyst", "matter", "map", "trends", "kpi", "leader")
# Pages for staff: without a staff sign-in they redirect to the sign-in page. The pages
# hold no data themselves; their JSON endpoints check the caller again, with its scope.
STAFF_PAGES = frozenset({"analyst", "matter", "map", "trends", "kpi", "leader"})
Staff = Annotated[Principal, Depends(require(*STAFF))]
ListName = Literal["alerts", "matters", "reports", "trends", "townships", "kpi"]


def boot_config(settings: Settings, config: Config) -> dict[str, Any]:
    """What every page needs up front, inlined so a phone makes one request less."""
    return {
        "tz": settings.timezone,
        "categories": config.categories,
        "signals": config.signals,
        "levels": config.levels,
        "level_order": list(LEVELS),
        "statuses": STATUS_ZH,
        "time_limits": config.time_limits,
        "thresholds": {lv: getattr(config.risk, lv) for lv in LEVELS[1:]},
        # False in production: the form asks for an enrollment code before the first report.
        "open_intake": settings.open_intake,
    }


def mount_ui(app: FastAPI, settings: Settings, config: Config, queries: object) -> None:
    """Add the UI to ``app``; ``queries`` is the intake's warehouse/queries.py ``Queries``."""
    if getattr(app.state, "minqing_ui", False):
        return
    backend, get_matter = getattr(queries, "backend", None), getattr(queries, "get_matter", None)
    if backend is None or get_matter is None:
        raise TypeError("mount_ui needs warehouse.queries.Queries (its backend and get_matter)")
    data = UiData(UiQueries(backend, settings.timezone), config, get_matter)
    assets = Assets()
    pages = Pages(assets, boot_config(settings, config))
    before = list(app.router.routes)
    app.include_router(page_router(assets, pages))
    app.include_router(api_router(data, config, settings.timezone))
    added = [r for r in app.router.routes if r not in before]
    app.router.routes[:] = added + before
    app.state.minqing_ui = True
    log.info("UI mounted: %d pages, %d static files", len(pages.pages), len(assets.files))


def page_router(assets: Assets, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(name: str) -> Any:
        def serve(request: Request) -> Response:
            if name in STAFF_PAGES and not signed_in_staff(request):
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            return pages.response(name, request)

        return serve

    for name in PAGES:
        path = "/" if name == "form" else f"/{name}"
        router.add_api_route(path, page(name), methods=["GET"], name=f"page_{name}")

    @router.get("/sw.js")
    def service_worker(request: Request) -> Response:
        return pages.worker(request)

    @router.get("/ui/{rel:path}")
    def static(rel: str, request: Request) -> Response:
        return assets.response(rel, request)

    return router


def signed_in_staff(request: Request) -> bool:
    try:
        return auth_of(request).authenticate(request).is_staff
    except AuthFailed:
        return False


def api_router(data: UiData, config: Config, tz: str) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["ui"])
    _regions_route(router, data)
    _alert_routes(router, data)
    _figure_routes(router, data)
    _export_route(router, data, config, tz)
    return router


def _regions_route(router: APIRouter, data: UiData) -> None:
    tree_body = json.dumps(data.tree, ensure_ascii=False, separators=(",", ":")).encode()
    tree_gz = gzip.compress(tree_body, 9, mtime=0)

    @router.get("/regions")
    def regions(request: Request) -> Response:
        """County -> townships -> villages for the picker; cached for an hour on the phone."""
        return send(tree_body, tree_gz, "application/json", request, "public, max-age=3600")


def _alert_routes(router: APIRouter, data: UiData) -> None:
    @router.get("/alerts/feed")
    def alerts_feed(who: Staff, f: Annotated[AlertFilter, Query()]) -> Any:
        items = data.alerts(f, who.scope)
        return {"items": items, "count": len(items)}

    @router.get("/alerts/stream")
    def alerts_stream(
        request: Request, who: Staff, f: Annotated[AlertFilter, Query()]
    ) -> StreamingResponse:
        # The scope is fixed when the stream opens; a revoked session ends at the next
        # reconnect (EventSource reconnects every few minutes through most proxies).
        stream = alert_events(request, lambda: data.alerts(f, who.scope))
        return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)


def _figure_routes(router: APIRouter, data: UiData) -> None:
    @router.get("/trends")
    def trends(who: Staff, days: Annotated[int, Query(ge=1, le=366)] = 30) -> Any:
        return data.trends(days, who.scope)

    @router.get("/map")
    def map_data(who: Staff) -> Any:
        return data.map_data(who.scope)

    @router.get("/townships")
    def townships(who: Staff) -> Any:
        return {"items": data.townships(who.scope)}

    @router.get("/leaders", dependencies=[Depends(require("admin"))])
    def leaders() -> Any:
        """Leaders and their areas (configs/routing.toml): admins pick whose view to see."""
        return {"items": data.leaders}

    @router.get("/overview")
    def overview(who: Staff) -> Any:
        return data.overview(who.scope)


def _export_route(router: APIRouter, data: UiData, config: Config, tz: str) -> None:
    labels = {"category": config.categories, "level": config.levels, "status": STATUS_ZH}
    labels["signals"] = config.signals

    @router.get("/export/{name}.{fmt}", dependencies=[Depends(audit("export", "name"))])
    def export(
        who: Staff,
        name: ListName,
        fmt: Literal["csv", "xlsx"],
        f: Annotated[AlertFilter, Query()],
        matter_id: Annotated[str | None, Query(max_length=64)] = None,
        days: Annotated[int, Query(ge=1, le=366)] = 30,
        lang: Literal["zh", "en"] = "zh",
    ) -> Response:
        if name == "reports" and not matter_id:
            body = {"message_en": "matter_id is required", "message_zh": "请指定事项编号"}
            return JSONResponse({**body, "errors": []}, status_code=422)
        rows = _export_rows(data, name, f, matter_id or "", days, who.scope)
        content = WRITERS[fmt](Formatter(lang, tz, labels), name, rows)
        filename = f"minqing-{name}.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        return Response(content, media_type=MEDIA_TYPES[fmt], headers=headers)


def _export_rows(
    data: UiData, name: str, f: AlertFilter, matter_id: str, days: int, scope: ScopeFilter | None
) -> list[dict[str, Any]]:
    if name == "alerts":
        return data.alerts(f, scope)
    if name == "matters":
        return data.matters(f.limit, f.township, scope)
    if name == "reports":
        return data.matter_reports(matter_id, scope)
    if name == "trends":
        return data.trend_rows(days, scope)
    if name == "townships":
        return data.townships(scope)
    return data.kpi_rows(scope)
