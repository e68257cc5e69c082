"""Pure shaping of warehouse rows for the pages: deadlines, overdue, order, names, figures.

A deadline is the alert's ``raised_at`` plus the time limit of its current
level (configs/minqing.toml [time_limits], in hours): an alert that escalates
gets the shorter limit, counted from when it was first raised.

>>> row = {"level": "red", "risk": 0.9, "status": "raised", "township": "1",
...        "raised_at": "2024-05-01T08:00:00+00:00"}
>>> now = datetime(2024, 5, 1, 11, 0, tzinfo=UTC)
>>> out = enrich(row, now, {"red": 2}, {"1": "枫桥镇"})
>>> out["deadline"], out["overdue"], out["township_name"]
('2024-05-01T10:00:00+00:00', True, '枫桥镇')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from minqing.records import LEVELS

Row = dict[str, Any]
DONE = ("resolved", "followed_up", "closed")


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def deadline_of(row: Row, limits: Mapping[str, float]) -> datetime | None:
    """The lifecycle's ``due_at`` when the row carries one, else raised_at + the level's limit."""
    if "due_at" in row:
        return parse_time(row["due_at"])
    raised = parse_time(row.get("raised_at"))
    hours = limits.get(str(row.get("level")))
    if raised is None or hours is None:
        return None
    return raised + timedelta(hours=hours)


def enrich(row: Row, now: datetime, limits: Mapping[str, float], names: Mapping[str, str]) -> Row:
    """The row plus deadline, overdue, seconds left and the township's name."""
    deadline = deadline_of(row, limits)
    is_open = row.get("status") not in DONE
    return {
        **row,
        "township_name": names.get(row.get("township") or "", row.get("township") or ""),
        "deadline": deadline.isoformat() if deadline else None,
        "seconds_left": int((deadline - now).total_seconds()) if deadline else None,
        "overdue": bool(deadline and is_open and deadline < now),
    }


def feed(
    rows: Iterable[Row],
    now: datetime,
    limits: Mapping[str, float],
    names: Mapping[str, str],
    overdue_only: bool = False,
) -> list[Row]:
    """Enriched alerts, highest risk first, then the nearest deadline."""
    out = [enrich(r, now, limits, names) for r in rows]
    if overdue_only:
        out = [r for r in out if r["overdue"]]
    far = datetime.max.replace(tzinfo=UTC).isoformat()
    return sorted(out, key=lambda r: (-float(r["risk"]), r["deadline"] or far, r["alert_id"]))


def level_rank(level: str | None) -> int:
    return LEVELS.index(level) if level in LEVELS else 0  # type: ignore[arg-type]


def township_stats(alerts: Iterable[Row], reports: Mapping[str, int]) -> dict[str, Row]:
    """Per township: open alerts, overdue, highest level and risk, reports this week."""
    stats: dict[str, Row] = {}
    for code, n in reports.items():
        stats[code] = blank_stats(code, n)
    for a in alerts:
        if a["status"] in DONE:
            continue
        s = stats.setdefault(a.get("township") or "", blank_stats(a.get("township") or "", 0))
        s["open_alerts"] += 1
        s["overdue"] += int(bool(a.get("overdue")))
        s["max_risk"] = max(s["max_risk"], float(a["risk"]))
        if level_rank(a["level"]) > level_rank(s["level"]):
            s["level"] = a["level"]
    return stats


def blank_stats(code: str, reports: int) -> Row:
    return {
        "code": code,
        "open_alerts": 0,
        "overdue": 0,
        "max_risk": 0.0,
        "level": "none",
        "reports_7d": reports,
    }


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def alert_figures(alerts: list[Row], actions: Mapping[str, Row], now: datetime) -> Row:
    """The office's figures from alerts and their events (化解率, 按期办结率, ...)."""
    by_status = Counter(str(a["status"]) for a in alerts)
    by_level = Counter(str(a["level"]) for a in alerts if a["status"] not in DONE)
    done = [a for a in alerts if a["status"] in DONE]
    due = [a for a in alerts if a.get("deadline") and parse_time(a["deadline"]) <= now]  # type: ignore[operator]
    acted_in_time = sum(1 for a in due if _before(actions, a, "first_action"))
    done_in_time = sum(1 for a in done if _before(actions, a, "done_at"))
    return {
        "alerts_total": len(alerts),
        "open_by_level": {lv: by_level.get(lv, 0) for lv in LEVELS[1:]},
        "by_status": dict(by_status),
        "overdue": sum(1 for a in alerts if a.get("overdue")),
        "resolution_rate": rate(len(done), len(alerts)),
        "on_time_completion_rate": rate(done_in_time, len(done)),
        "on_time_response_rate": rate(acted_in_time, len(due)),
    }


def _before(actions: Mapping[str, Row], alert: Row, key: str) -> bool:
    at = parse_time((actions.get(alert["alert_id"]) or {}).get(key))
    deadline = parse_time(alert.get("deadline"))
    return bool(at and deadline and at <= deadline)
