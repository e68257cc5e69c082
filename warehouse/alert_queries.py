"""Read side of the alert lifecycle: cases, the matter's file, inbox, silences, delivery log.

Everything reads with FINAL, so rows written twice (a retried flush, a replay
after a crash) show once. SQL runs on ClickHouse 18.16 and chdb 26 alike.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from warehouse.backend import Backend
from warehouse.queries import ID_CHUNK, jsonable
from warehouse.rows import utc_naive
from warehouse.scope import ScopeFilter, and_where, visible_matter

Row = dict[str, Any]
CASE_COLUMNS = (
    "matter_id, alert_id, version, status, level, title, category, township, risk, step, "
    "due_kind, due_at, lead_unit, co_units, leaders, opened_at, updated_at"
)
TRANSITION_COLUMNS = (
    "event_id, action, from_status, to_status, level, step, actor, at, note, action_id, "
    "lead_unit, co_units, leaders, recipients, satisfied, deadline, due_at, on_time"
)
SILENCE_COLUMNS = (
    "silence_id, version, matter_id, region, category, starts_at, ends_at, reason, "
    "created_by, created_at"
)
OPEN = ("raised", "reopened", "acknowledged", "assigned", "in_progress")


class AlertQueries:
    """Lifecycle queries over one backend's database."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.db = backend.database

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[Row]:
        return [jsonable(r) for r in self.backend.query(sql, params)]

    def case(self, matter_id: str, scope: ScopeFilter | None = None) -> Row | None:
        """The latest lifecycle snapshot of a matter, or None (also when outside ``scope``)."""
        if not visible_matter(self.backend, matter_id, scope):
            return None
        sql = (
            f"SELECT {CASE_COLUMNS} FROM {self.db}.alert_cases FINAL "
            "WHERE matter_id = %(m)s ORDER BY version DESC LIMIT 1"
        )
        rows = self._rows(sql, {"m": matter_id})
        return rows[0] if rows else None

    def case_states(self, since: datetime) -> list[str]:
        """Saved states to re-hydrate: every case still open, and the rest updated since."""
        sql = (
            f"SELECT state FROM {self.db}.alert_cases FINAL "
            "WHERE status IN %(open)s OR updated_at >= %(since)s ORDER BY matter_id"
        )
        params = {"open": OPEN, "since": utc_naive(since)}
        return [r["state"] for r in self.backend.query(sql, params)]

    def snapshot(self, name: str) -> str | None:
        """The newest saved body of a named state, or None."""
        sql = (
            f"SELECT body FROM {self.db}.alerting_snapshots FINAL "
            "WHERE name = %(n)s ORDER BY version DESC LIMIT 1"
        )
        rows = self.backend.query(sql, {"n": name})
        return str(rows[0]["body"]) if rows else None

    def file(self, matter_id: str, scope: ScopeFilter | None = None) -> dict[str, Any]:
        """The matter's one file (一案一档): case, events, transitions, requests.

        Outside ``scope`` it is empty, as for a matter without an alert.
        """
        if not visible_matter(self.backend, matter_id, scope):
            return {"case": None, "events": [], "transitions": [], "actions": []}
        return {
            "case": self.case(matter_id),
            "events": self._by_matter(
                "event_id, kind, level, at, actor, note", "alert_events", matter_id
            ),
            "transitions": self._by_matter(TRANSITION_COLUMNS, "alert_transitions", matter_id),
            "actions": self._by_matter(
                "action_id, action, actor, at, note", "alert_actions", matter_id
            ),
        }

    def _by_matter(self, columns: str, table: str, matter_id: str) -> list[Row]:
        sql = (
            f"SELECT {columns} FROM {self.db}.{table} FINAL "
            f"WHERE matter_id = %(m)s ORDER BY at, {columns.split(',')[0]}"
        )
        return self._rows(sql, {"m": matter_id})

    def action_outcome(self, action_id: str) -> Row | None:
        """What the worker did with a request: its transition, or None while pending."""
        sql = (
            f"SELECT {TRANSITION_COLUMNS} FROM {self.db}.alert_transitions FINAL "
            "WHERE action_id = %(a)s ORDER BY at LIMIT 1"
        )
        rows = self._rows(sql, {"a": action_id})
        return rows[0] if rows else None

    def action_matter(self, action_id: str, scope: ScopeFilter | None = None) -> str | None:
        """The matter a lifecycle request was about, if the request exists and is in scope."""
        sql = f"SELECT matter_id FROM {self.db}.alert_actions WHERE action_id = %(a)s LIMIT 1"
        rows = self.backend.query(sql, {"a": action_id})
        if not rows or not visible_matter(self.backend, rows[0]["matter_id"], scope):
            return None
        return str(rows[0]["matter_id"])

    def inbox(self, recipient: str, limit: int = 50) -> list[Row]:
        """The recipient's notifications, newest first (the in-app channel)."""
        sql = (
            f"SELECT notification_id, kind, created_at, matter_ids, items, body "
            f"FROM {self.db}.notifications FINAL WHERE recipient = %(r)s "
            "ORDER BY created_at DESC, notification_id DESC LIMIT %(n)s"
        )
        rows = self._rows(sql, {"r": recipient, "n": max(1, min(int(limit), 1000))})
        return [{**r, "items": json.loads(r["items"])} for r in rows]

    def silences(
        self, active_at: datetime | None = None, scope: ScopeFilter | None = None
    ) -> list[Row]:
        """Silences (only those in force at ``active_at`` when given), newest first.

        In a ``scope``: those of its regions and matters, and the county-wide ones
        (by category only), which apply to everyone.
        """
        where: list[str] = []
        params: dict[str, Any] = {}
        if active_at is not None:
            where.append("starts_at <= %(t)s AND ends_at > %(t)s")
            params["t"] = utc_naive(active_at)
        if scope is not None:
            clause, more = scope.clause(self.db, "region", "matter_id")
            where.append(f"({clause} OR (region = '' AND matter_id = ''))")
            params.update(more)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        sql = (
            f"SELECT {SILENCE_COLUMNS} FROM {self.db}.silences FINAL {clause}"
            "ORDER BY created_at DESC, silence_id"
        )
        return self._rows(sql, params or None)

    def silence(self, silence_id: str) -> Row | None:
        sql = f"SELECT {SILENCE_COLUMNS} FROM {self.db}.silences FINAL WHERE silence_id = %(s)s"
        rows = self._rows(sql, {"s": silence_id})
        return rows[0] if rows else None

    def sent_keys(self, keys: list[str]) -> set[str]:
        """Which delivery idempotency keys the log already holds as sent."""
        found: set[str] = set()
        unique = sorted(set(keys))
        for start in range(0, len(unique), ID_CHUNK):
            sql = (
                f"SELECT delivery_id FROM {self.db}.deliveries FINAL "
                "WHERE delivery_id IN %(ids)s AND status = 'sent'"
            )
            chunk = tuple(unique[start : start + ID_CHUNK])
            found.update(r["delivery_id"] for r in self.backend.query(sql, {"ids": chunk}))
        return found

    def notifications_since(self, since: datetime) -> list[str]:
        """Notification records (JSON) created since ``since``: the redelivery sweep's input."""
        sql = (
            f"SELECT notification_id, recipient, kind, created_at, items, body "
            f"FROM {self.db}.notifications FINAL WHERE created_at >= %(t)s "
            "ORDER BY created_at, notification_id"
        )
        rows = self._rows(sql, {"t": utc_naive(since)})
        return [json.dumps({**r, "items": json.loads(r["items"])}) for r in rows]

    def area_cases(self, areas: list[str], now: datetime, top: int = 5,
                   scope: ScopeFilter | None = None) -> dict[str, Any]:  # fmt: skip
        """A leader's digest: open cases in the areas, the overdue ones, the top risks."""
        if not areas:
            return {"open": [], "overdue": [], "top": []}
        where, params = ["status IN %(open)s"], {"open": OPEN}
        and_where(where, params, scope, self.db, "alert_cases")
        sql = (
            f"SELECT {CASE_COLUMNS} FROM {self.db}.alert_cases FINAL "
            f"WHERE {' AND '.join(where)} ORDER BY risk DESC, matter_id"
        )
        rows = [r for r in self._rows(sql, params)
                if any(r["township"].startswith(a) for a in areas)]  # fmt: skip
        stamp = jsonable(utc_naive(now))
        overdue = [r for r in rows if r["due_at"] is not None and r["due_at"] < stamp]
        return {"open": rows, "overdue": overdue, "top": rows[:top]}
