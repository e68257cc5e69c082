"""Read-only warehouse queries the pages need beyond warehouse/queries.py.

SQL runs on ClickHouse 18.16 and chdb 26 alike: plain types, FINAL on every
ReplacingMergeTree read (or LIMIT BY for the latest matter version), params as
``%(name)s``. Nothing here returns informant_id or report content.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from minqing.records import LEVELS, Level
from warehouse.backend import Backend
from warehouse.queries import ALERT_COLUMNS, MATTER_COLUMNS, jsonable
from warehouse.scope import ScopeFilter, and_where
from warehouse.scope import where as scope_where

Row = dict[str, Any]
DONE = ("resolved", "followed_up", "closed")
MAX_ROWS = 5000
# "Since" over the time-ordered read models (warehouse/read_models.py), not a full scan.
# matters_by_time needs no FINAL (uniqExact ignores a row written twice), and every row
# with first_seen >= since also has last_seen >= since, which is its sort key.
BY_TIME = {
    "reports": ("reports_by_time FINAL", ""),
    "matters": ("matters_by_time", " AND last_seen >= %(since)s"),
}


class AlertFilter(BaseModel):
    """The dashboard's filters; ``status="open"`` means anything not resolved or closed."""

    model_config = ConfigDict(frozen=True)

    township: Annotated[str | None, Field(pattern=r"^\d{6}(\d{3}(\d{3})?)?$")] = None
    category: Annotated[str | None, Field(pattern=r"^[a-z_]{1,40}$")] = None
    min_level: Level | None = None
    status: Annotated[str | None, Field(pattern=r"^[a-z_]{1,32}$")] = None
    overdue: bool = False
    limit: Annotated[int, Field(ge=1, le=MAX_ROWS)] = 500


def _utc_naive(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None, microsecond=0)


class UiQueries:
    """Queries over one backend's database, for the UI endpoints."""

    def __init__(self, backend: Backend, timezone: str = "Asia/Shanghai") -> None:
        self.backend = backend
        self.db = backend.database
        self.tz = timezone

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[Row]:
        return [jsonable(r) for r in self.backend.query(sql, params)]

    def alerts(self, f: AlertFilter, scope: ScopeFilter | None = None) -> list[Row]:
        """Latest version of each alert matching the SQL filters (overdue is computed later)."""
        where: list[str] = []
        params: dict[str, Any] = {"limit": max(1, min(f.limit, MAX_ROWS))}
        and_where(where, params, scope, self.db, "alerts")
        for column in ("township", "category"):
            if getattr(f, column):
                where.append(f"{column} = %({column})s")
                params[column] = getattr(f, column)
        if f.min_level is not None:
            where.append("level IN %(levels)s")
            params["levels"] = LEVELS[LEVELS.index(f.min_level) :]
        if f.status == "open":
            where.append("status NOT IN %(done)s")
            params["done"] = DONE
        elif f.status:
            where.append("status = %(status)s")
            params["status"] = f.status
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        sql = (
            f"SELECT {ALERT_COLUMNS} FROM {self.db}.alerts FINAL {clause}"
            "ORDER BY risk DESC, raised_at, alert_id LIMIT %(limit)s"
        )
        return self._rows(sql, params)

    def case_deadlines(self, matter_ids: list[str]) -> dict[str, Row]:
        """The lifecycle's current deadline per matter (alert_cases), once that table exists.

        The lifecycle knows the real deadline (acknowledge within 30 min, resolve within
        15 days, ...); the config's time limit is only the fallback for matters it has not
        seen yet, so every page shows the same deadline.
        """
        if not matter_ids or not self._has_table("alert_cases"):
            return {}
        sql = (
            f"SELECT matter_id, due_kind, due_at FROM {self.db}.alert_cases FINAL "
            "WHERE matter_id IN %(ids)s"
        )
        rows = self._rows(sql, {"ids": tuple(sorted(set(matter_ids)))})
        return {r["matter_id"]: r for r in rows}

    def _has_table(self, name: str) -> bool:
        sql = "SELECT name FROM system.tables WHERE database = %(db)s AND name = %(t)s"
        return bool(self.backend.query(sql, {"db": self.db, "t": name}))

    def matters(
        self, limit: int = 1000, township: str | None = None, scope: ScopeFilter | None = None
    ) -> list[Row]:
        """Latest version of each matter, most recently active first."""
        params: dict[str, Any] = {"limit": max(1, min(limit, MAX_ROWS))}
        parts: list[str] = []
        if township:
            parts.append("township = %(township)s")
            params["township"] = township
        and_where(parts, params, scope, self.db, "matters")
        return self._recent_matters(" AND ".join(parts) or "1", params)

    def _recent_matters(self, where: str, params: dict[str, Any]) -> list[Row]:
        """The ``limit`` matters seen last, from their newest rows (matters_by_time).

        A matter's last_seen never goes down from one version to the next, so the
        newest version of a matter seen since a time is among the rows since then, and
        the top ``limit`` found there are the top ``limit`` of all: a matter with no
        row since then was seen before every one found. The window widens until it
        holds ``limit`` matters (or is everything). No FINAL: LIMIT 1 BY keeps one row
        of the top version, and a version written twice is the same row twice.
        """
        rows: list[Row] = []
        for days in (1, 7, 30, 365, None):
            since = "" if days is None else f"last_seen >= now() - {days * 86400} AND "
            sql = (
                f"SELECT {MATTER_COLUMNS} FROM ("
                f"SELECT {MATTER_COLUMNS} FROM {self.db}.matters_by_time WHERE {since}{where} "
                "ORDER BY matter_id, version DESC LIMIT 1 BY matter_id"
                ") ORDER BY last_seen DESC, matter_id LIMIT %(limit)s"
            )
            rows = self._rows(sql, params)
            if len(rows) >= params["limit"]:
                break
        return rows

    def daily(
        self, table: str, key: str, time_col: str, since: datetime, scope: ScopeFilter | None = None
    ) -> list[Row]:
        """Rows of (day, key, n) per local day since ``since``; ``key`` is a trusted SQL text."""
        count = "uniqExact(matter_id)" if table == "matters" else "count()"
        in_scope, params = scope_where(scope, self.db, table)
        source, also = BY_TIME.get(table, (f"{table} FINAL", ""))
        sql = (
            f"SELECT toString(toDate({time_col}, %(tz)s)) AS day, {key} AS key, {count} AS n "
            f"FROM {self.db}.{source} WHERE {time_col} >= %(since)s{also} AND {in_scope} "
            "GROUP BY day, key ORDER BY day, key"
        )
        return self._rows(sql, {**params, "tz": self.tz, "since": _utc_naive(since)})

    def trends(
        self, days: int, now: datetime, scope: ScopeFilter | None = None
    ) -> dict[str, list[Row]]:
        """Daily counts: reports by category and township, alerts by level, new matters."""
        since = now - timedelta(days=days)
        series = {
            "reports_by_category": ("reports", "ifNull(category, 'other')", "received_at"),
            "reports_by_township": ("reports", "ifNull(township, '')", "received_at"),
            "alerts_by_level": ("alerts", "level", "raised_at"),
            "new_matters": ("matters", "''", "first_seen"),
        }
        return {
            name: self.daily(table, key, col, since, scope)
            for name, (table, key, col) in series.items()
        }

    def report_counts(self, now: datetime, scope: ScopeFilter | None = None) -> Row:
        """Reports in the last day, week and 30 days, and those that stated a collective intent."""
        in_scope, params = scope_where(scope, self.db, "reports")
        sql = (
            "SELECT countIf(received_at >= %(day)s) AS day,"
            " countIf(received_at >= %(week)s) AS week, count() AS month,"
            " countIf(has(signals, 'collective_petition')) AS collective,"
            " countIf(length(signals) > 0) AS with_signals"
            f" FROM {self.db}.reports_by_time FINAL WHERE received_at >= %(month)s AND {in_scope}"
        )
        for k, d in (("day", 1), ("week", 7), ("month", 30)):
            params[k] = _utc_naive(now - timedelta(days=d))
        return self._rows(sql, params)[0]

    def matter_counts(self, since: datetime, scope: ScopeFilter | None = None) -> Row:
        in_scope, params = scope_where(scope, self.db, "matters")
        sql = (
            "SELECT uniqExact(matter_id) AS active, uniqExactIf(matter_id, version = 1 "
            f"AND first_seen >= %(since)s) AS new FROM {self.db}.matters_by_time "
            f"WHERE last_seen >= %(since)s AND {in_scope}"
        )
        return self._rows(sql, {**params, "since": _utc_naive(since)})[0]

    def action_times(self, scope: ScopeFilter | None = None) -> dict[str, Row]:
        """Per alert: when a person first acted on it and when it was first resolved or closed."""
        in_scope, params = scope_where(scope, self.db, "alert_events")
        sql = (
            "SELECT alert_id, min(at) AS first_action, minIf(at, kind IN %(done)s) AS done_at "
            f"FROM {self.db}.alert_events FINAL WHERE kind NOT IN %(system)s AND {in_scope} "
            "GROUP BY alert_id"
        )
        params.update({"done": DONE, "system": ("raised", "level_changed")})
        rows = self._rows(sql, params)
        epoch = datetime(1970, 1, 1, tzinfo=UTC).isoformat()
        for r in rows:
            # minIf over no rows gives the zero DateTime, i.e. "never".
            r["done_at"] = None if r["done_at"] == epoch else r["done_at"]
        return {r["alert_id"]: r for r in rows}
