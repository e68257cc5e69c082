"""Accounts and tokens for tests that call protected endpoints (plain functions, no fixtures).

Every protected route needs a principal now; tests make real accounts in the
test's own warehouse database and call with ``Authorization: Bearer ...``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from minqing.settings import Settings
from producers.auth import AuthService, Role, install_auth
from producers.auth.store import AuthStore
from warehouse.backend import Backend

COUNTY, FENGQIAO, PAITOU = "330681", "330681109", "330681115"


def install(app: FastAPI, backend: Backend, settings: Settings | None = None) -> AuthService:
    """An AuthService on a bare app (``create_web_app`` installs its own)."""
    service = AuthService.build(settings or Settings(), backend)
    install_auth(app, service)
    return service


def auth_of(app: Any) -> AuthService:
    service: AuthService = app.state.auth
    return service


def token(backend: Backend, username: str, role: Role = "admin", **grants: Any) -> str:
    """A new account (or the existing one of that name) and a fresh API token for it."""
    store = AuthStore(backend)
    user = store.user_by_name(username)
    if user is None:
        if role == "analyst":
            grants.setdefault("regions", (COUNTY,))
        user = store.create_user(username, role, "test-password-1", **grants)
    return store.issue_token(user, "test")[1]


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def headers(backend: Backend, username: str = "admin", role: Role = "admin",
            **grants: Any) -> dict[str, str]:  # fmt: skip
    return bearer(token(backend, username, role, **grants))
