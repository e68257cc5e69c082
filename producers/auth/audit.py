"""The audit log: who looked at which matter, exported what, acted on what, and when.

Rows are appended synchronously before the answer goes out: a view that could
not be recorded is not served (the warehouse error becomes a 503). Only admins
read the log (``GET /api/v1/admin/audit``). It records the account name and
role, never an IP address or a report's content.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from producers.auth import keys
from producers.auth.models import Principal
from producers.auth.store import Clock, utc_now
from warehouse.backend import Backend
from warehouse.queries import jsonable
from warehouse.rows import utc_naive

log = logging.getLogger(__name__)
Row = dict[str, Any]
DETAIL_LIMIT = 2000  # characters of detail JSON kept per row
AUDIT_COLUMNS = "audit_id, at, actor, role, action, target, detail"


def actor_of(who: Principal) -> str:
    return who.name or ("anonymous" if who.role is None else who.role)


class AuditLog:
    """Append and read ``audit_log`` rows."""

    def __init__(self, backend: Backend, now: Clock = utc_now) -> None:
        self.backend, self.db, self.now = backend, backend.database, now

    def record(self, who: Principal, action: str, target: str, **detail: Any) -> None:
        text = json.dumps(jsonable(detail), ensure_ascii=False, sort_keys=True)[:DETAIL_LIMIT]
        row = {"audit_id": keys.new_id("aud"), "at": utc_naive(self.now()),
               "actor": actor_of(who), "role": who.role or "anonymous", "action": action,
               "target": target[:500], "detail": text}  # fmt: skip
        self.backend.insert("audit_log", [row])
        log.debug("audit %s %s %s", row["actor"], action, row["target"])

    def search(self, actor: str | None = None, action: str | None = None,
               target: str | None = None, since: datetime | None = None,
               limit: int = 200) -> list[Row]:  # fmt: skip
        """Newest first; each filter is exact (``action`` also matches a prefix ending in ':')."""
        where, params = _filters(actor, action, target, since)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        sql = (
            f"SELECT {AUDIT_COLUMNS} FROM {self.db}.audit_log FINAL {clause}"
            "ORDER BY at DESC, audit_id DESC LIMIT %(n)s"
        )
        rows = self.backend.query(sql, {**params, "n": max(1, min(limit, 10_000))})
        return [{**jsonable(r), "detail": _loads(r["detail"])} for r in rows]


def _filters(actor: str | None, action: str | None, target: str | None,
             since: datetime | None) -> tuple[list[str], Row]:  # fmt: skip
    where: list[str] = []
    params: Row = {}
    for column, value in (("actor", actor), ("target", target)):
        if value:
            where.append(f"{column} = %({column})s")
            params[column] = value
    if action and action.endswith(":"):
        where.append("startsWith(action, %(action)s)")
        params["action"] = action
    elif action:
        where.append("action = %(action)s")
        params["action"] = action
    if since is not None:
        where.append("at >= %(since)s")
        params["since"] = utc_naive(since)
    return where, params


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text  # cut at DETAIL_LIMIT
