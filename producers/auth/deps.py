"""FastAPI dependencies: ``principal``, ``require(role..., scope_of=...)`` and ``audit``.

The ``AuthService`` lives on ``app.state.auth`` (``install_auth``); an app
without one answers 500 rather than serve anything unauthenticated.

``require`` answers 401 without valid credentials, 403 for a role not listed,
403 for a cookie session's unsafe request without the right ``X-CSRF-Token``,
and 404 when ``scope_of`` names a path parameter (``matter_id``) whose matter
lies outside the caller's scope: a matter out of scope and a matter that does
not exist look the same. Denials by role or scope are written to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from producers.auth.keys import same
from producers.auth.models import STAFF_ROLES, Principal, Role
from producers.auth.ratelimit import RateLimiter, retry_after
from producers.auth.service import CSRF_COOKIE, CSRF_HEADER, AuthFailed, AuthService
from warehouse.scope import visible_matter

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STAFF = STAFF_ROLES


# Chinese for the errors Starlette raises itself (unknown path, wrong method...).
STATUS_ZH = {404: "未找到", 405: "不支持该请求方法", 400: "请求有误", 413: "请求体过大"}


def install_auth(app: FastAPI, service: AuthService) -> None:
    """Put ``service`` on the app, and answer every HTTP error in the flat bilingual shape."""
    app.state.auth = service
    app.add_exception_handler(StarletteHTTPException, flat_error)


async def flat_error(_: Request, exc: Exception) -> JSONResponse:
    """``{"message_en", "message_zh", "errors"}`` at the top, like the intake's own errors."""
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.detail, dict):
        body = exc.detail
    else:
        zh = STATUS_ZH.get(exc.status_code, str(exc.detail))
        body = {"message_en": str(exc.detail), "message_zh": zh, "errors": []}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def auth_of(request: Request) -> AuthService:
    service = getattr(request.app.state, "auth", None)
    if not isinstance(service, AuthService):
        raise RuntimeError("no AuthService on app.state.auth: call install_auth(app, ...)")
    return service


def problem(status: int, en: str, zh: str, field: str = "") -> HTTPException:
    """A bilingual HTTP error (FastAPI wraps it in ``{"detail": ...}``)."""
    errors = [{"field": field, "message_en": en, "message_zh": zh}] if field else []
    detail = {"message_en": en, "message_zh": zh, "errors": errors}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return HTTPException(status_code=status, detail=detail, headers=headers)


def principal(request: Request) -> Principal:
    """The caller (anonymous when no credentials were sent); 401 for bad credentials."""
    try:
        return auth_of(request).authenticate(request)
    except AuthFailed as e:
        raise problem(401, e.en, e.zh, "authorization") from e


Caller = Annotated[Principal, Depends(principal)]


def require(*roles: Role, scope_of: str | None = None) -> Callable[..., Principal]:
    """A dependency admitting only ``roles`` (and, with ``scope_of``, matters in scope)."""
    allowed = frozenset(roles)

    def dependency(request: Request, who: Caller) -> Principal:
        if not who.authenticated:
            raise problem(401, "sign in first", "请先登录", "authorization")
        if who.role not in allowed:
            deny(request, who, "role")
            raise problem(403, "your role may not do this", "您的角色无权执行此操作")
        check_csrf(request, who)
        if scope_of is not None:
            check_matter(request, who, request.path_params.get(scope_of, ""))
        return who

    dependency.__name__ = f"require_{'_'.join(sorted(allowed))}"
    return dependency


def check_csrf(request: Request, who: Principal) -> None:
    """Cookie sessions must echo their CSRF token in a header on unsafe methods."""
    if who.via != "session" or request.method in SAFE_METHODS:
        return
    header = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (header and same(header, cookie) and same(header, who.csrf)):
        raise problem(403, "missing or wrong CSRF token", "缺少或错误的 CSRF 令牌", "x-csrf-token")


def check_matter(request: Request, who: Principal, matter_id: str) -> None:
    backend = auth_of(request).store.backend
    if not visible_matter(backend, matter_id, who.scope):
        deny(request, who, "scope", matter_id)
        raise problem(404, "no such matter", "未找到该事项")


def deny(request: Request, who: Principal, why: str, target: str = "") -> None:
    auth_of(request).audit.record(
        who, "denied", target or request.url.path, why=why, method=request.method,
        path=request.url.path,
    )  # fmt: skip


def audit(action: str, target: str | None = None) -> Callable[..., None]:
    """A dependency appending (caller, ``action``, path parameter ``target``) to the log.

    List it after the route's ``require(...)`` so refused requests are not logged as views.
    """

    def dependency(request: Request, who: Caller) -> None:
        name = str(request.path_params.get(target, "")) if target else request.url.path
        query = dict(request.query_params)
        auth_of(request).audit.record(who, action, name, query=query, path=request.url.path)

    dependency.__name__ = f"audit_{action.replace(':', '_')}"
    return dependency


def record(request: Request, who: Principal, action: str, target: str, **detail: Any) -> None:
    """Append an audit row from inside an endpoint (when the target is known only there)."""
    auth_of(request).audit.record(who, action, target, **detail)


def throttle(limiter: RateLimiter, key: str, what_en: str, what_zh: str) -> None:
    """429 with Retry-After when ``key`` has used up its requests for now."""
    wait = limiter.check(key)
    if wait > 0:
        seconds = retry_after(wait)
        exc = problem(429, f"too many requests ({what_en}); retry in {seconds} s",
                      f"请求过于频繁（{what_zh}），请 {seconds} 秒后再试")  # fmt: skip
        exc.headers = {"Retry-After": seconds}
        raise exc
