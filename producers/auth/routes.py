"""Sign-in, sign-out, "who am I", and an informant's enrollment (code -> device token).

Sign-in takes JSON only (a cross-site HTML form cannot send it without a CORS
preflight, which this app never grants), is rate-limited per IP and per
username, and answers the same for a wrong name and a wrong password.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from producers.auth.deps import Caller, auth_of, problem, record, require, throttle
from producers.auth.models import ROLES, Principal
from producers.auth.service import client_ip

USERNAME = r"^[A-Za-z0-9_.@-]{2,64}$"


class LoginBody(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class EnrollBody(BaseModel):
    code: Annotated[str, Field(min_length=4, max_length=40)]


def auth_router() -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["auth"])
    _sign_in_routes(api)
    _session_routes(api)
    return api


def _sign_in_routes(api: APIRouter) -> None:
    @api.post("/auth/login")
    def login(body: LoginBody, request: Request, response: Response) -> Any:
        auth = auth_of(request)
        throttle(auth.limits.login, "ip:" + client_ip(request), "sign-in", "登录")
        throttle(auth.limits.login, "user:" + body.username.lower(), "sign-in", "登录")
        done = auth.login(body.username, body.password)
        if done is None:
            record(request, Principal(), "login_failed", body.username)
            raise problem(401, "wrong username or password", "用户名或密码错误", "password")
        who, cookie = done
        auth.set_cookies(response, cookie, who.csrf)
        record(request, who, "login", who.name)
        return {**who.me(), "csrf": who.csrf}

    _enroll_route(api)


def _enroll_route(api: APIRouter) -> None:
    @api.post("/enroll", status_code=201)
    def enroll(body: EnrollBody, request: Request) -> Any:
        """An informant's phone trades a one-time code for its device token."""
        auth = auth_of(request)
        throttle(auth.limits.login, "enroll:" + client_ip(request), "enrollment", "登记")
        device = auth.enrollments.redeem(body.code)
        if device is None:
            raise problem(403, "this code is unknown, used, expired or revoked",
                          "登记码无效、已使用、已过期或已撤销", "code")  # fmt: skip
        record(request, Principal(role="informant", name=device["informant_id"]), "enroll",
               device["informant_id"])  # fmt: skip
        return device


def _session_routes(api: APIRouter) -> None:
    @api.post("/auth/logout")
    def logout(request: Request, response: Response,
               who: Annotated[Principal, Depends(require(*ROLES))]) -> Any:  # fmt: skip
        auth = auth_of(request)
        auth.logout(request)
        auth.clear_cookies(response)
        record(request, who, "logout", who.name)
        return {"signed_out": True}

    @api.get("/auth/me")
    def me(request: Request, who: Caller) -> Any:
        if not who.authenticated:
            raise problem(401, "not signed in", "尚未登录", "authorization")
        return {**who.me(), "open_intake": auth_of(request).settings.open_intake}
