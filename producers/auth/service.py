"""``AuthService``: who a request comes from, sign-in and sign-out, and the abuse limits.

Credentials, in order: ``Authorization: Bearer <token>`` (a staff API token
``mqs_...`` or an informant device token ``mqd_...``), else the session cookie
set at sign-in. A bearer token that is wrong, revoked or expired is a 401; a
stale or forged cookie is simply no session (the form keeps working). The
session cookie is signed (itsdangerous, ``MINQING_SESSION_SECRET``) and names a
random session id whose hash is in the ``sessions`` table, so sign-out and an
admin disabling the account end it. It also carries the CSRF token the pages
echo in ``X-CSRF-Token`` (double submit, bound to the session).

Lookups are cached for ``MINQING_AUTH_CACHE_SECONDS``; every revocation made
through this process clears the cache at once.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from minqing.errors import ConfigError
from minqing.settings import Settings
from models.routing import Leader, load_routing
from producers.auth import keys
from producers.auth.audit import AuditLog
from producers.auth.enrollment import Enrollments
from producers.auth.models import ANONYMOUS, Principal, principal_of
from producers.auth.passwords import hash_password, needs_rehash, verify_password
from producers.auth.ratelimit import RateLimiter
from producers.auth.store import AuthStore, User
from warehouse.backend import Backend

log = logging.getLogger(__name__)
SESSION_COOKIE, CSRF_COOKIE, CSRF_HEADER = "mq_session", "mq_csrf", "x-csrf-token"
CACHE_LIMIT = 10_000


class AuthFailed(Exception):
    """Credentials were given but are not valid (answered 401)."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


@dataclass
class Limits:
    ip: RateLimiter
    informant: RateLimiter
    login: RateLimiter

    @classmethod
    def from_settings(cls, s: Settings) -> Limits:
        return cls(RateLimiter(s.rate_ip_per_minute), RateLimiter(s.rate_informant_per_minute),
                   RateLimiter(s.rate_login_per_minute))  # fmt: skip


@dataclass
class AuthService:
    settings: Settings
    store: AuthStore
    enrollments: Enrollments
    audit: AuditLog
    leaders: dict[str, Leader]
    limits: Limits
    _cache: dict[str, tuple[float, Principal | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, settings: Settings, backend: Backend) -> AuthService:
        return cls(settings, AuthStore(backend), Enrollments(backend), AuditLog(backend),
                   _leaders(settings.config_dir), Limits.from_settings(settings))  # fmt: skip

    @property
    def _serializer(self) -> URLSafeTimedSerializer:
        secret = self.settings.session_secret.get_secret_value()
        return URLSafeTimedSerializer(secret, salt="minqing-session")

    def authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthFailed("use Authorization: Bearer <token>",
                                 "认证头格式应为 Authorization: Bearer <令牌>")  # fmt: skip
            return self._bearer(token.strip())
        cookie = request.cookies.get(SESSION_COOKIE)
        return self._session(cookie) if cookie else ANONYMOUS

    def _bearer(self, token: str) -> Principal:
        found = self._cached("t:" + keys.digest(token), lambda: self._lookup_token(token))
        if found is None:
            raise AuthFailed("invalid, revoked or expired token", "令牌无效、已撤销或已过期")
        return found

    def _lookup_token(self, token: str) -> Principal | None:
        if token.startswith(keys.DEVICE_PREFIX):
            device = self.enrollments.device(token)
            if device is None:
                return None
            iid = device["informant_id"]
            return Principal(role="informant", name=iid, via="device", informant_id=iid)
        user = self.store.token_user(token) if token.startswith(keys.STAFF_PREFIX) else None
        return principal_of(user, self.leaders, "token") if user else None

    def _session(self, cookie: str) -> Principal:
        try:
            data = self._serializer.loads(cookie, max_age=int(self.settings.session_hours * 3600))
            sid, csrf = str(data["sid"]), str(data["csrf"])
        except (BadSignature, KeyError, TypeError):
            return ANONYMOUS
        user = self._cached("s:" + keys.digest(sid), lambda: self._session_user(sid))
        return principal_of_session(user, csrf) if user else ANONYMOUS

    def _session_user(self, sid: str) -> Principal | None:
        user = self.store.session_user(sid)
        return principal_of(user, self.leaders, "session") if user else None

    def _cached(self, key: str, load: Any) -> Principal | None:
        now, ttl = time.monotonic(), self.settings.auth_cache_seconds
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        with self._lock:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = (now + ttl, value)
        return value

    def forget(self) -> None:
        """Drop every cached lookup: called after any revocation or account change."""
        with self._lock:
            self._cache.clear()

    def login(self, username: str, password: str) -> tuple[Principal, str] | None:
        """Check a password; on success open a session and return (principal, cookie)."""
        user = self.store.user_by_name(username)
        ok = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or user.disabled:
            return None
        if needs_rehash(user.password_hash):
            user = self.store.save_user(_with_hash(user, hash_password(password)))
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        self.store.open_session(user, sid, self.settings.session_hours)
        cookie = self._serializer.dumps({"sid": sid, "csrf": csrf})
        return principal_of(user, self.leaders, "session", csrf), cookie

    def logout(self, request: Request) -> None:
        cookie = request.cookies.get(SESSION_COOKIE)
        try:
            sid = str(self._serializer.loads(cookie or "")["sid"])
        except (BadSignature, KeyError, TypeError):
            return
        self.store.close_session(sid)
        self.forget()

    def set_cookies(self, response: Response, cookie: str, csrf: str) -> None:
        secure, age = self.settings.env == "production", int(self.settings.session_hours * 3600)
        # Lax: links from a notification e-mail open the page signed in; cross-site POSTs
        # carry no cookie, and every unsafe request needs the CSRF header anyway.
        response.set_cookie(SESSION_COOKIE, cookie, max_age=age, httponly=True,
                            samesite="lax", secure=secure, path="/")  # fmt: skip
        response.set_cookie(CSRF_COOKIE, csrf, max_age=age, httponly=False,
                            samesite="lax", secure=secure, path="/")  # fmt: skip

    @staticmethod
    def clear_cookies(response: Response) -> None:
        for name in (SESSION_COOKIE, CSRF_COOKIE):
            response.delete_cookie(name, path="/")


def principal_of_session(who: Principal, csrf: str) -> Principal:
    """A cached session principal with this cookie's CSRF token."""
    return replace(who, csrf=csrf)


def _with_hash(user: User, password_hash: str) -> User:
    return replace(user, password_hash=password_hash)


def _leaders(config_dir: Path) -> dict[str, Leader]:
    try:
        return dict(load_routing(config_dir / "routing.toml").leaders)
    except ConfigError as e:
        log.warning("no leaders for sign-in (routing.toml): %s / 未读取到领导配置", e)
        return {}


def client_ip(request: Request) -> str:
    """The caller's address as uvicorn resolved it (it trusts X-Forwarded-For from
    the local proxy only: ``--forwarded-allow-ips``, 127.0.0.1 by default)."""
    return request.client.host if request.client else "unknown"
