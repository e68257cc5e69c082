"""Recorded outcomes of matters, and the system's live accuracy computed from them.

Outcomes are the risk model's labels: an analyst says a collective incident
happened (when, what kind), the matter was resolved, or nothing happened.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from minqing.records import Outcome
from warehouse.backend import Backend
from warehouse.scope import ScopeFilter, and_where


def _naive(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt.astimezone(UTC).replace(tzinfo=None)


def outcome_row(o: Outcome) -> dict[str, Any]:
    row = o.model_dump()
    row["t_incident"] = _naive(o.t_incident)
    row["recorded_at"] = _naive(o.recorded_at)
    return row


def record(backend: Backend, outcome: Outcome) -> None:
    backend.insert("outcomes", [outcome_row(outcome)])


def latest_outcomes(backend: Backend, matter_id: str | None = None,
                    scope: ScopeFilter | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The newest recorded outcome of each matter (an analyst may correct an earlier one),
    of the matters in ``scope`` (None: all)."""
    parts: list[str] = ["matter_id = %(m)s"] if matter_id else []
    params: dict[str, Any] = {"m": matter_id} if matter_id else {}
    and_where(parts, params, scope, backend.database, "outcomes")
    where = f"WHERE {' AND '.join(parts)}" if parts else ""
    sql = (
        f"SELECT matter_id, outcome, incident_kind, t_incident, recorded_by, recorded_at, note "
        f"FROM {backend.database}.outcomes FINAL {where} "
        "ORDER BY matter_id, recorded_at DESC, outcome_id DESC LIMIT 1 BY matter_id"
    )
    return backend.query(sql, params or None)


REPORT_COLUMNS = (
    "report_id", "received_at", "informant_id", "region_code", "region_text", "category",
    "title", "content", "people_involved", "signals", "channel", "matter_id",
)  # fmt: skip


def matter_reports(backend: Backend, since: datetime | None = None) -> list[dict[str, Any]]:
    """Every report that joined a matter (with the matter the live clusterer put it in), in
    time order: what ``minqing train`` replays to learn from the recorded outcomes.

    All of them, not only those of matters with an outcome: features such as the same
    cause reported elsewhere, or a similar matter closed before, need the whole stream.
    """
    parts, params = ["version > 0", "matter_id != ''"], {}
    if since is not None:
        parts.append("received_at >= %(since)s")
        params["since"] = _naive(since)
    sql = (
        f"SELECT {', '.join(REPORT_COLUMNS)} FROM {backend.database}.reports FINAL "
        f"WHERE {' AND '.join(parts)} ORDER BY received_at, report_id"
    )
    return backend.query(sql, params or None)


def first_warnings(backend: Backend, scope: ScopeFilter | None = None) -> dict[str, datetime]:
    """When each matter (in ``scope``; None: all) first reached orange or red."""
    parts: list[str] = ["level IN ('orange', 'red')"]
    params: dict[str, Any] = {}
    and_where(parts, params, scope, backend.database, "risk_scores")
    sql = (
        f"SELECT matter_id, min(scored_at) AS first_at FROM {backend.database}.risk_scores "
        f"WHERE {' AND '.join(parts)} GROUP BY matter_id"
    )
    return {r["matter_id"]: r["first_at"] for r in backend.query(sql, params or None)}


def live_accuracy(backend: Backend, scope: ScopeFilter | None = None) -> list[dict[str, Any]]:
    """By month of the outcome: precision of orange/red warnings and their lead times, over the
    matters in ``scope`` (a township analyst sees the figures of their own townships)."""
    return accuracy_by_month(latest_outcomes(backend, scope=scope), first_warnings(backend, scope))


def accuracy_by_month(
    outcomes: list[dict[str, Any]], warned: dict[str, datetime]
) -> list[dict[str, Any]]:
    """Pure aggregation behind ``live_accuracy``.

    >>> t = datetime(2026, 5, 3, tzinfo=UTC)
    >>> rows = [{"matter_id": "a", "outcome": "incident", "t_incident": t,
    ...          "recorded_at": t}, {"matter_id": "b", "outcome": "nothing",
    ...          "t_incident": None, "recorded_at": t}]
    >>> out = accuracy_by_month(rows, {"a": datetime(2026, 5, 1, tzinfo=UTC), "b": t})
    >>> out[0]["precision"], out[0]["recall"], out[0]["median_lead_hours"]
    (0.5, 1.0, 48.0)
    """
    months: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for o in outcomes:
        at = o["t_incident"] or o["recorded_at"]
        m = months[at.strftime("%Y-%m")]
        hit = o["outcome"] == "incident"
        first = warned.get(o["matter_id"])
        if first is not None:
            m["warned"].append(hit)
        if hit:
            m["incidents"].append(first is not None and first <= at)
            if first is not None and first <= at:
                m["leads"].append((at - first).total_seconds() / 3600)
    return [_month_row(k, v) for k, v in sorted(months.items())]


def _month_row(month: str, m: dict[str, list[Any]]) -> dict[str, Any]:
    warned, incidents, leads = m["warned"], m["incidents"], sorted(m["leads"])
    return {
        "month": month,
        "warnings_with_outcome": len(warned),
        "precision": round(sum(warned) / len(warned), 4) if warned else None,
        "incidents": len(incidents),
        "recall": round(sum(incidents) / len(incidents), 4) if incidents else None,
        "median_lead_hours": round(statistics.median(leads), 2) if leads else None,
    }
