"""Read side for the HTTP API and the outbox.

Every query reads with FINAL (or takes the highest version) so rows written
twice never show twice. Results are JSON-friendly: datetimes become ISO 8601
strings with an offset. Nothing here returns informant_id: the system never
shows who reported.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from minqing.errors import WarehouseError
from minqing.records import LEVELS, ReportStatus
from warehouse.backend import Backend
from warehouse.migrations import TABLES
from warehouse.scope import ScopeFilter, and_where, visible_matter

Row = dict[str, Any]

# What a reporter is told for each alert status of the report's matter.
STATUS_OF_ALERT: dict[str, ReportStatus] = {
    "raised": "alert_raised",
    "acknowledged": "being_handled",
    "assigned": "being_handled",
    "in_progress": "being_handled",
    "resolved": "handled",
    "closed": "handled",
}
ALERT_COLUMNS = (
    "alert_id, matter_id, version, level, risk, status, title, category, township, "
    "explanation, raised_at, updated_at"
)
MATTER_COLUMNS = (
    "matter_id, version, title, category, keywords, township, county, n_reports, "
    "n_informants, n_villages, people_max, signals, first_seen, last_seen"
)
# Deliberately without informant_id and content.
REPORT_COLUMNS = "report_id, received_at, title, village, township"
RISK_COLUMNS = "version, report_id, risk, level, factors, explanation, scored_at, model"
EVENT_COLUMNS = "event_id, kind, level, at, actor, note"
ID_CHUNK = 1000  # ids per IN (...) so the SQL text stays small


def jsonable(value: Any) -> Any:
    """Datetimes to ISO strings (naive taken as UTC), lists and dicts recursively.

    >>> jsonable({"at": datetime(2024, 5, 1, 8, 0), "xs": [1]})
    {'at': '2024-05-01T08:00:00+00:00', 'xs': [1]}
    """
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class Queries:
    """Read-only queries over one backend's database."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.db = backend.database

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[Row]:
        return [jsonable(r) for r in self.backend.query(sql, params)]

    def present_report_ids(self, ids: list[str], processed: bool = False) -> set[str]:
        """Which of these report ids the warehouse holds (``processed``: in a matter)."""
        unique = sorted(set(ids))
        found: set[str] = set()
        for start in range(0, len(unique), ID_CHUNK):
            # A tuple renders as ('a', 'b'): IN needs a tuple on 18.16, not an array.
            chunk = tuple(unique[start : start + ID_CHUNK])
            sql = f"SELECT DISTINCT report_id FROM {self.db}.reports WHERE report_id IN %(ids)s"
            if processed:
                sql += " AND matter_id != ''"
            found.update(r["report_id"] for r in self.backend.query(sql, {"ids": chunk}))
        return found

    def report_status(self, receipt: str, informant_id: str | None = None) -> dict[str, Any] | None:
        """{receipt, report_id, status, matter_id}, or None; ``informant_id``: only theirs."""
        if not receipt:
            return None
        own = " AND informant_id = %(informant)s" if informant_id is not None else ""
        # The receipt's report id from its read model, then the report by primary key.
        sql = (
            f"SELECT report_id, matter_id FROM {self.db}.reports FINAL WHERE report_id IN "
            f"(SELECT report_id FROM {self.db}.reports_by_receipt WHERE receipt = %(receipt)s) "
            f"AND receipt = %(receipt)s{own} ORDER BY version DESC LIMIT 1"
        )
        rows = self._rows(sql, {"receipt": receipt, "informant": informant_id or ""})
        if not rows:
            return None
        matter_id = rows[0]["matter_id"] or None
        status: ReportStatus = "received"
        if matter_id is not None:
            alert = self._latest_alert(matter_id)
            status = STATUS_OF_ALERT.get(alert["status"], "in_matter") if alert else "in_matter"
        return {
            "receipt": receipt,
            "report_id": rows[0]["report_id"],
            "status": status,
            "matter_id": matter_id,
        }

    def list_alerts(
        self,
        limit: int = 100,
        min_level: str | None = None,
        status: str | None = None,
        scope: ScopeFilter | None = None,
    ) -> list[Row]:
        """Latest version of each alert in scope, highest risk then newest first."""
        where: list[str] = []
        params: dict[str, Any] = {"limit": max(1, min(int(limit), 10_000))}
        and_where(where, params, scope, self.db, "alerts")
        if min_level is not None:
            if min_level not in LEVELS:
                raise WarehouseError(f"unknown level {min_level!r}; one of {LEVELS}")
            where.append("level IN %(levels)s")
            params["levels"] = LEVELS[LEVELS.index(min_level) :]
        if status is not None:
            where.append("status = %(status)s")
            params["status"] = status
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        sql = (
            f"SELECT {ALERT_COLUMNS} FROM {self.db}.alerts FINAL {clause}"
            "ORDER BY risk DESC, updated_at DESC, alert_id LIMIT %(limit)s"
        )
        return self._rows(sql, params)

    def get_matter(self, matter_id: str, scope: ScopeFilter | None = None) -> dict[str, Any] | None:
        """Latest matter version with its reports, risk history, alert and events.

        None when unknown or outside ``scope``: the two look the same to the caller.
        """
        if not visible_matter(self.backend, matter_id, scope):
            return None
        sql = (
            f"SELECT {MATTER_COLUMNS} FROM {self.db}.matters FINAL "
            "WHERE matter_id = %(m)s ORDER BY version DESC LIMIT 1"
        )
        rows = self._rows(sql, {"m": matter_id})
        if not rows:
            return None
        return {
            **rows[0],
            "reports": self._by_matter(
                REPORT_COLUMNS, "reports", "received_at, report_id", matter_id
            ),
            "risk_history": self._by_matter(
                RISK_COLUMNS, "risk_scores", "version, model", matter_id
            ),
            "alert": self._latest_alert(matter_id),
            "events": self._by_matter(EVENT_COLUMNS, "alert_events", "at, event_id", matter_id),
        }

    def _by_matter(self, columns: str, table: str, order: str, matter_id: str) -> list[Row]:
        # reports is ordered by report_id: its read model names the matter's reports, and
        # matter_id is checked again on the latest version (a report may have moved on).
        ids = (
            f"report_id IN (SELECT report_id FROM {self.db}.reports_by_matter "
            "WHERE matter_id = %(m)s) AND "
            if table == "reports"
            else ""
        )
        sql = (
            f"SELECT {columns} FROM {self.db}.{table} FINAL "
            f"WHERE {ids}matter_id = %(m)s ORDER BY {order}"
        )
        return self._rows(sql, {"m": matter_id})

    def _latest_alert(self, matter_id: str) -> Row | None:
        # A matter has one open alert; after it closes a new one may follow, so newest wins.
        sql = (
            f"SELECT {ALERT_COLUMNS} FROM {self.db}.alerts FINAL "
            "WHERE matter_id = %(m)s ORDER BY updated_at DESC, version DESC LIMIT 1"
        )
        rows = self._rows(sql, {"m": matter_id})
        return rows[0] if rows else None

    def counts(self) -> dict[str, int]:
        """Rows per table after deduplication."""
        return {table: self._count(table) for table in TABLES}

    def _count(self, table: str) -> int:
        rows = self.backend.query(f"SELECT count() AS n FROM {self.db}.{table} FINAL")
        return int(rows[0]["n"])
