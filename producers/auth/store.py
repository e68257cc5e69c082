"""Accounts, API tokens and sessions in the warehouse (migration 4).

ClickHouse has no UPDATE worth using: a change is the next ``version`` of a row
(ReplacingMergeTree keeps the highest after FINAL). Lookups filter only on
columns that never change between versions (ids, hashes, usernames) and check
``revoked``/``disabled``/``expires_at`` after FINAL, so a half-merged table can
never make a revoked token look valid. Usernames are unique because ``create_user``
looks first under a process lock; accounts are created by admins, rarely.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from minqing.errors import IntakeError
from producers.auth import keys
from producers.auth.models import ACCOUNT_ROLES, Role, User
from producers.auth.passwords import hash_password
from warehouse.backend import Backend
from warehouse.queries import jsonable
from warehouse.rows import utc_naive

Row = dict[str, Any]
Clock = Callable[[], datetime]
USER_COLUMNS = (
    "user_id, version, username, display_name, role, password_hash, regions, units, "
    "leader_id, disabled"
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class AccountError(IntakeError):
    """An account change that cannot be made (bilingual message)."""


class AuthStore:
    """Reads and writes the account tables of one backend."""

    def __init__(self, backend: Backend, now: Clock = utc_now) -> None:
        self.backend, self.db, self.now = backend, backend.database, now
        self._lock = threading.Lock()

    def _one(self, sql: str, params: Row) -> Row | None:
        rows = self.backend.query(sql, params)
        return rows[0] if rows else None

    # --- users ---------------------------------------------------------------------------
    def user(self, user_id: str) -> User | None:
        sql = f"SELECT {USER_COLUMNS} FROM {self.db}.users FINAL WHERE user_id = %(u)s"
        row = self._one(sql, {"u": user_id})
        return User.from_row(row) if row else None

    def user_by_name(self, username: str) -> User | None:
        sql = (
            f"SELECT {USER_COLUMNS} FROM {self.db}.users FINAL WHERE username = %(n)s "
            "ORDER BY user_id LIMIT 1"
        )
        row = self._one(sql, {"n": username})
        return User.from_row(row) if row else None

    def users(self) -> list[User]:
        sql = f"SELECT {USER_COLUMNS} FROM {self.db}.users FINAL ORDER BY username"
        return [User.from_row(r) for r in self.backend.query(sql)]

    def has_users(self) -> bool:
        return bool(self.backend.query(f"SELECT user_id FROM {self.db}.users LIMIT 1"))

    def create_user(self, username: str, role: Role, password: str, **grants: Any) -> User:
        """A new account; AccountError when the name is taken or the role unknown."""
        if role not in ACCOUNT_ROLES:
            raise AccountError(f"no accounts for role {role} / 该角色不能创建账号: {role}")
        with self._lock:
            if self.user_by_name(username) is not None:
                raise AccountError(f"username {username} is taken / 用户名 {username} 已存在")
            user = User(keys.new_id("u"), username, role, password_hash=hash_password(password),
                        **grants)  # fmt: skip
            self._write_user(user, created=True)
        return user

    def save_user(self, user: User) -> User:
        """The next version of an account (disable, new password, new grants)."""
        newer = replace(user, version=user.version + 1)
        self._write_user(newer, created=False)
        return newer

    def _write_user(self, user: User, created: bool) -> None:
        at = utc_naive(self.now())
        row = {**user.__dict__, "regions": list(user.regions), "units": list(user.units),
               "disabled": int(user.disabled), "updated_at": at}  # fmt: skip
        row["created_at"] = at if created else self._created(user.user_id) or at
        self.backend.insert("users", [row])

    def _created(self, user_id: str) -> datetime | None:
        sql = f"SELECT min(created_at) AS at FROM {self.db}.users WHERE user_id = %(u)s"
        row = self._one(sql, {"u": user_id})
        return row["at"] if row else None

    # --- API tokens ----------------------------------------------------------------------
    def issue_token(self, user: User, name: str, days: float | None = None) -> tuple[str, str]:
        """A new API token for an account: (token_id, token). The token is shown once."""
        token, token_id, now = keys.new_token(keys.STAFF_PREFIX), keys.new_id("tok"), self.now()
        expires = utc_naive(now + timedelta(days=days)) if days else None
        row = {"token_id": token_id, "version": 1, "token_hash": keys.digest(token),
               "user_id": user.user_id, "name": name, "created_at": utc_naive(now),
               "expires_at": expires, "revoked": 0}  # fmt: skip
        self.backend.insert("api_tokens", [row])
        return token_id, token

    def token_user(self, token: str) -> User | None:
        """The account of a valid (not revoked, not expired) token whose account is enabled."""
        sql = (
            f"SELECT user_id, revoked, expires_at FROM {self.db}.api_tokens FINAL "
            "WHERE token_hash = %(h)s LIMIT 1"
        )
        row = self._one(sql, {"h": keys.digest(token)})
        if row is None or row["revoked"] or is_expired(row["expires_at"], self.now()):
            return None
        return self._enabled(row["user_id"])

    def revoke_token(self, token_id: str) -> bool:
        sql = f"SELECT * FROM {self.db}.api_tokens FINAL WHERE token_id = %(t)s"
        row = self._one(sql, {"t": token_id})
        if row is None:
            return False
        row.pop("ingested_at", None)
        self.backend.insert("api_tokens", [{**row, "version": row["version"] + 1, "revoked": 1}])
        return True

    def tokens(self, user_id: str) -> list[Row]:
        sql = (
            "SELECT token_id, name, created_at, expires_at, revoked "
            f"FROM {self.db}.api_tokens FINAL WHERE user_id = %(u)s ORDER BY created_at"
        )
        return [jsonable(r) for r in self.backend.query(sql, {"u": user_id})]

    # --- sessions ------------------------------------------------------------------------
    def open_session(self, user: User, session_id: str, hours: float) -> None:
        now = self.now()
        row = {"session_hash": keys.digest(session_id), "version": 1, "user_id": user.user_id,
               "created_at": utc_naive(now), "expires_at": utc_naive(now + timedelta(hours=hours)),
               "revoked": 0}  # fmt: skip
        self.backend.insert("sessions", [row])

    def session_user(self, session_id: str) -> User | None:
        sql = (
            f"SELECT user_id, revoked, expires_at FROM {self.db}.sessions FINAL "
            "WHERE session_hash = %(h)s"
        )
        row = self._one(sql, {"h": keys.digest(session_id)})
        if row is None or row["revoked"] or is_expired(row["expires_at"], self.now()):
            return None
        return self._enabled(row["user_id"])

    def close_session(self, session_id: str) -> None:
        sql = f"SELECT * FROM {self.db}.sessions FINAL WHERE session_hash = %(h)s"
        row = self._one(sql, {"h": keys.digest(session_id)})
        if row is not None:
            row.pop("ingested_at", None)
            self.backend.insert("sessions", [{**row, "version": row["version"] + 1, "revoked": 1}])

    def _enabled(self, user_id: str) -> User | None:
        user = self.user(user_id)
        return user if user is not None and not user.disabled else None


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    if expires_at is None:
        return False
    aware = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
    return aware <= now
