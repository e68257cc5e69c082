"""Informant enrollment: an admin issues a code, the informant's phone trades it for a token.

The code is one-time and expires (``MINQING_ENROLLMENT_DAYS``); the device token
it buys identifies a pseudonymous informant id (``inf-...``) that the admin's
record links to nothing else the system stores. Revoking an enrollment revokes
every device enrolled with it. Codes and tokens are stored as SHA-256 only.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from producers.auth import keys
from producers.auth.store import Clock, is_expired, utc_now
from warehouse.backend import Backend
from warehouse.queries import jsonable
from warehouse.rows import utc_naive

Row = dict[str, Any]
ENROLLMENT_COLUMNS = (
    "enrollment_id, version, code_hash, informant_id, region, note, created_by, "
    "created_at, expires_at, used, revoked"
)
DEVICE_COLUMNS = "device_id, version, token_hash, enrollment_id, informant_id, created_at, revoked"


class Enrollments:
    """Codes, devices and their revocation, over one backend."""

    def __init__(self, backend: Backend, now: Clock = utc_now) -> None:
        self.backend, self.db, self.now = backend, backend.database, now
        # One redemption at a time in this process, so a code cannot be used twice at once.
        self._lock = threading.Lock()

    def _rows(self, sql: str, params: Row | None = None) -> list[Row]:
        return self.backend.query(sql, params)

    def issue(self, created_by: str, days: float, region: str = "", note: str = "") -> Row:
        """A new code for one informant: {enrollment_id, code, informant_id, expires_at}."""
        code, now = keys.new_code(), self.now()
        row = {"enrollment_id": keys.new_id("enr"), "version": 1,
               "code_hash": keys.digest(code), "informant_id": keys.pseudonym(),
               "region": region, "note": note, "created_by": created_by,
               "created_at": utc_naive(now), "expires_at": utc_naive(now + timedelta(days=days)),
               "used": 0, "revoked": 0}  # fmt: skip
        self.backend.insert("informant_enrollments", [row])
        public = {k: row[k] for k in ("enrollment_id", "informant_id", "region", "expires_at")}
        return {**jsonable(public), "code": code}

    def redeem(self, code: str) -> Row | None:
        """Trade a valid code for a device token: {device_token, informant_id}, else None."""
        with self._lock:
            enrollment = self._usable(keys.normal_code(code))
            if enrollment is None:
                return None
            self._next(enrollment, used=1)
            token = keys.new_token(keys.DEVICE_PREFIX)
            device = {"device_id": keys.new_id("dev"), "version": 1,
                      "token_hash": keys.digest(token),
                      "enrollment_id": enrollment["enrollment_id"],
                      "informant_id": enrollment["informant_id"],
                      "created_at": utc_naive(self.now()), "revoked": 0}  # fmt: skip
            self.backend.insert("devices", [device])
        return {"device_token": token, "informant_id": enrollment["informant_id"]}

    def _usable(self, code: str) -> Row | None:
        sql = (
            f"SELECT {ENROLLMENT_COLUMNS} FROM {self.db}.informant_enrollments FINAL "
            "WHERE code_hash = %(h)s LIMIT 1"
        )
        rows = self._rows(sql, {"h": keys.digest(code)})
        if not rows:
            return None
        row = rows[0]
        bad = row["used"] or row["revoked"] or is_expired(row["expires_at"], self.now())
        return None if bad else row

    def _next(self, row: Row, **changes: Any) -> None:
        self.backend.insert("informant_enrollments", [{**row, **changes,
                                                       "version": row["version"] + 1}])  # fmt: skip

    def device(self, token: str) -> Row | None:
        """The device of a valid token whose enrollment is not revoked."""
        sql = (
            f"SELECT {DEVICE_COLUMNS} FROM {self.db}.devices FINAL WHERE token_hash = %(h)s LIMIT 1"
        )
        rows = self._rows(sql, {"h": keys.digest(token)})
        if not rows or rows[0]["revoked"] or self._revoked(rows[0]["enrollment_id"]):
            return None
        return rows[0]

    def _revoked(self, enrollment_id: str) -> bool:
        row = self._one_enrollment(enrollment_id)
        return row is None or bool(row["revoked"])

    def _one_enrollment(self, enrollment_id: str) -> Row | None:
        sql = (
            f"SELECT {ENROLLMENT_COLUMNS} FROM {self.db}.informant_enrollments FINAL "
            "WHERE enrollment_id = %(e)s"
        )
        rows = self._rows(sql, {"e": enrollment_id})
        return rows[0] if rows else None

    def revoke(self, enrollment_id: str) -> bool:
        """Revoke a code and every device enrolled with it; False when unknown."""
        row = self._one_enrollment(enrollment_id)
        if row is None:
            return False
        self._next(row, revoked=1)
        sql = f"SELECT {DEVICE_COLUMNS} FROM {self.db}.devices FINAL WHERE enrollment_id = %(e)s"
        devices = self._rows(sql, {"e": enrollment_id})
        if devices:
            self.backend.insert("devices", [{**d, "version": d["version"] + 1, "revoked": 1}
                                            for d in devices])  # fmt: skip
        return True

    def listing(self, limit: int = 500) -> list[Row]:
        """Enrollments for the admin page, newest first; never the code hash."""
        sql = (
            "SELECT enrollment_id, informant_id, region, note, created_by, created_at, "
            f"expires_at, used, revoked FROM {self.db}.informant_enrollments FINAL "
            "ORDER BY created_at DESC, enrollment_id LIMIT %(n)s"
        )
        rows = [jsonable(r) for r in self._rows(sql, {"n": limit})]
        return [{**r, "used": bool(r["used"]), "revoked": bool(r["revoked"])} for r in rows]
