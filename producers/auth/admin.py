"""Admin endpoints: accounts, API tokens, informant enrollment and the audit log.

Passwords, tokens and enrollment codes appear once, in the answer that creates
them; the warehouse keeps only their hashes. Every change is audited.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from producers.auth import keys
from producers.auth.deps import auth_of, problem, record, require
from producers.auth.models import Principal, Role, User
from producers.auth.passwords import MIN_LENGTH
from producers.auth.policy import in_range
from producers.auth.service import AuthService
from producers.auth.store import AccountError

Admin = Annotated[Principal, Depends(require("admin"))]
REGION = r"^\d{6}(\d{3}(\d{3})?)?$"
NAME = r"^[A-Za-z0-9_.@-]{2,64}$"
UNIT = r"^[A-Za-z0-9_.-]{1,64}$"


class NewUser(BaseModel):
    username: Annotated[str, Field(pattern=NAME)]
    role: Role
    display_name: Annotated[str, Field(max_length=64)] = ""
    password: Annotated[str, Field(min_length=MIN_LENGTH, max_length=256)] | None = None
    regions: list[Annotated[str, Field(pattern=REGION)]] = Field(default=[], max_length=50)
    units: list[Annotated[str, Field(pattern=UNIT)]] = Field(default=[], max_length=50)
    leader_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{0,64}$")] = ""

    @model_validator(mode="after")
    def _grants_fit_role(self) -> NewUser:
        need = {"analyst": self.regions, "unit_handler": self.units, "leader": self.leader_id}
        if self.role == "informant":
            raise ValueError("informants enrol a device / 信息员通过登记码登记，不建账号")
        if self.role in need and not need[self.role]:
            field = {"analyst": "regions", "unit_handler": "units", "leader": "leader_id"}
            raise ValueError(f"role {self.role} needs {field[self.role]} / 该角色须指定授权范围")
        return self


class NewToken(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=64)] = "api"
    days: Annotated[float, Field(gt=0, le=3650)] | None = None


class NewEnrollment(BaseModel):
    region: Annotated[str, Field(pattern=REGION)] | None = None
    note: Annotated[str, Field(max_length=200)] = ""


def admin_router() -> APIRouter:
    api = APIRouter(prefix="/api/v1/admin", tags=["admin"])
    _user_routes(api)
    _enrollment_routes(api)

    @api.get("/audit")
    def audit_log(request: Request, who: Admin,
                  actor: Annotated[str | None, Query(max_length=64)] = None,
                  action: Annotated[str | None, Query(max_length=64)] = None,
                  target: Annotated[str | None, Query(max_length=200)] = None,
                  since: AwareDatetime | None = None,
                  limit: Annotated[int, Query(ge=1, le=10_000)] = 200) -> Any:  # fmt: skip
        since = in_range(since, "since") if since else None
        items = auth_of(request).audit.search(actor, action, target, since, limit)
        return {"items": items, "count": len(items)}

    return api


def _user_routes(api: APIRouter) -> None:
    @api.get("/users")
    def users(request: Request, who: Admin) -> Any:
        items = [u.public() for u in auth_of(request).store.users()]
        return {"items": items, "count": len(items)}

    @api.post("/users", status_code=201)
    def create(body: NewUser, request: Request, who: Admin) -> Any:
        auth, password = auth_of(request), body.password or keys.new_password()
        user = _create(auth, body, password)
        record(request, who, "admin:create_user", user.username, role=user.role)
        shown = {"password": password} if body.password is None else {}
        return {**user.public(), **shown}

    _disable_route(api)
    _token_routes(api)
    _revoke_token_route(api)


def _create(auth: AuthService, body: NewUser, password: str) -> User:
    if body.role == "leader" and body.leader_id not in auth.leaders:
        raise problem(422, f"no leader {body.leader_id} in routing.toml",
                      f"routing.toml 中没有领导 {body.leader_id}", "leader_id")  # fmt: skip
    try:
        return auth.store.create_user(
            body.username, body.role, password, display_name=body.display_name,
            regions=tuple(body.regions), units=tuple(body.units), leader_id=body.leader_id,
        )  # fmt: skip
    except AccountError as e:
        raise problem(409, *_split(e), "username") from e


def _disable_route(api: APIRouter) -> None:
    @api.post("/users/{username}/disable")
    def disable(username: str, request: Request, who: Admin) -> Any:
        auth = auth_of(request)
        user = auth.store.user_by_name(username)
        if user is None:
            raise problem(404, "no such user", "未找到该用户")
        auth.store.save_user(replace(user, disabled=True))
        auth.forget()
        record(request, who, "admin:disable_user", username)
        return {"username": username, "disabled": True}


def _token_routes(api: APIRouter) -> None:
    @api.post("/users/{username}/tokens", status_code=201)
    def issue(username: str, body: NewToken, request: Request, who: Admin) -> Any:
        auth = auth_of(request)
        user = auth.store.user_by_name(username)
        if user is None or user.disabled:
            raise problem(404, "no such user", "未找到该用户")
        token_id, token = auth.store.issue_token(user, body.name, body.days)
        record(request, who, "admin:issue_token", username, token_id=token_id)
        return {"token_id": token_id, "token": token, "username": username}

    @api.get("/users/{username}/tokens")
    def tokens(username: str, request: Request, who: Admin) -> Any:
        auth = auth_of(request)
        user = auth.store.user_by_name(username)
        if user is None:
            raise problem(404, "no such user", "未找到该用户")
        items = auth.store.tokens(user.user_id)
        return {"items": items, "count": len(items)}


def _revoke_token_route(api: APIRouter) -> None:
    @api.post("/tokens/{token_id}/revoke")
    def revoke(token_id: str, request: Request, who: Admin) -> Any:
        auth = auth_of(request)
        if not auth.store.revoke_token(token_id):
            raise problem(404, "no such token", "未找到该令牌")
        auth.forget()
        record(request, who, "admin:revoke_token", token_id)
        return {"token_id": token_id, "revoked": True}


def _enrollment_routes(api: APIRouter) -> None:
    @api.get("/enrollments")
    def listing(request: Request, who: Admin) -> Any:
        items = auth_of(request).enrollments.listing()
        return {"items": items, "count": len(items)}

    @api.post("/enrollments", status_code=201)
    def issue(body: NewEnrollment, request: Request, who: Admin) -> Any:
        auth = auth_of(request)
        days = auth.settings.enrollment_days
        out = auth.enrollments.issue(who.name, days, body.region or "", body.note)
        record(request, who, "admin:issue_enrollment", out["enrollment_id"])
        return out

    @api.post("/enrollments/{enrollment_id}/revoke")
    def revoke(enrollment_id: str, request: Request, who: Admin) -> Any:
        auth = auth_of(request)
        if not auth.enrollments.revoke(enrollment_id):
            raise problem(404, "no such enrollment", "未找到该登记")
        auth.forget()
        record(request, who, "admin:revoke_enrollment", enrollment_id)
        return {"enrollment_id": enrollment_id, "revoked": True}


def _split(e: Exception) -> tuple[str, str]:
    en, _, zh = str(e).partition(" / ")
    return en, zh or en
