"""Deadlines and escalation: per-level time limits, an optional working-hours calendar.

An open alert always has one current deadline: to acknowledge (raised,
reopened), to act (acknowledged, assigned: work must start) or to resolve (in
progress). Each rung of the escalation ladder (township -> county joint-conference
office -> owning leader -> city) gets a full window from the moment it took
over; when the window passes, the alert climbs one rung. ``due_escalations`` is
pure, so a worker restarted from saved state escalates exactly as before.

>>> from datetime import datetime, timezone
>>> from models.routing import Route
>>> t0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)
>>> s = CaseState(status="raised", level="red", opened_at=t0, step_at=t0,
...               route=Route(office="o", lead_unit="t", leaders=["l"], city="c"))
>>> d = Deadlines(DeadlineConfig())
>>> [(e.step, e.at.strftime("%H:%M")) for e in d.due_escalations(s, t0.replace(hour=9))]
[(1, '08:30'), (2, '09:00')]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from minqing.errors import ConfigError
from minqing.records import Level
from models.lifecycle import CaseState
from models.routing import ladder, read_toml

KIND_OF_STATUS = {
    "raised": "ack",
    "reopened": "ack",
    "acknowledged": "act",
    "assigned": "act",
    "in_progress": "resolve",
}
KIND_ZH = {"ack": "签收", "act": "处置", "resolve": "办结"}
WORKING_HOUR_LEVELS: tuple[Level, ...] = ("yellow", "blue")


class Calendar(BaseModel):
    """Working hours: windows of the listed levels only count time inside them."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "Asia/Shanghai"
    weekdays: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])  # ISO, Monday = 1
    start: time = time(8, 30)
    end: time = time(17, 30)
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)  # make-up working days (调休)
    levels: list[Level] = Field(default_factory=lambda: list(WORKING_HOUR_LEVELS))

    @field_validator("weekdays")
    @classmethod
    def _some_days(cls, v: list[int]) -> list[int]:
        if not v or any(d < 1 or d > 7 for d in v):
            raise ValueError("weekdays must be ISO weekdays 1..7, at least one")
        return v

    def is_workday(self, d: date) -> bool:
        return d in self.workdays or (d.isoweekday() in self.weekdays and d not in self.holidays)

    @property
    def day_hours(self) -> float:
        return (datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
                ).total_seconds() / 3600  # fmt: skip


class DeadlineConfig(BaseModel):
    """Hours to acknowledge and to act, days to resolve, by level (defaults from the sources)."""

    model_config = ConfigDict(extra="forbid")

    ack_hours: dict[str, float] = Field(
        default_factory=lambda: {"red": 0.5, "orange": 1.0, "yellow": 4.0, "blue": 24.0}
    )
    act_hours: dict[str, float] = Field(
        default_factory=lambda: {"red": 2.0, "orange": 4.0, "yellow": 12.0, "blue": 24.0}
    )
    resolve_days: dict[str, float] = Field(
        default_factory=lambda: {"red": 15.0, "orange": 15.0, "yellow": 30.0, "blue": 30.0}
    )
    calendar: Calendar | None = None  # fmt: skip


@dataclass(frozen=True)
class Escalation:
    step: int
    at: datetime
    kind: str
    due_at: datetime


def add_working(start: datetime, hours: float, cal: Calendar) -> datetime:
    """``start`` plus ``hours`` of working time (the result in ``start``'s timezone).

    >>> from datetime import timezone
    >>> fri = datetime(2024, 5, 3, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    >>> add_working(fri, 10, Calendar(holidays=[date(2024, 5, 6)])).isoformat()
    '2024-05-07T10:00:00+08:00'
    """
    tz = ZoneInfo(cal.timezone)
    local, left = start.astimezone(tz), timedelta(hours=hours)
    for _ in range(3700):  # ten years of days: a calendar with no working day is refused earlier
        if cal.is_workday(local.date()):
            opens = datetime.combine(local.date(), cal.start, tz)
            closes = datetime.combine(local.date(), cal.end, tz)
            local = max(local, opens)
            if local < closes:
                if left <= closes - local:
                    return (local + left).astimezone(start.tzinfo)
                left -= closes - local
        local = datetime.combine(local.date() + timedelta(days=1), time(0), tz)
    raise ConfigError("the working-hours calendar has no working time / 工作日历没有工作时间")


class Deadlines:
    """Deadline arithmetic over case states; pure."""

    def __init__(self, cfg: DeadlineConfig) -> None:
        self.cfg = cfg

    def window_end(self, start: datetime, kind: str, level: Level) -> datetime:
        """When a window of ``kind`` opened at ``start`` closes, for an alert of ``level``."""
        table = {"ack": self.cfg.ack_hours, "act": self.cfg.act_hours}.get(kind)
        amount = table.get(level, 24.0) if table else self.cfg.resolve_days.get(level, 30.0)
        cal = self.cfg.calendar
        if cal is None or level not in cal.levels:
            return start + timedelta(hours=amount if table else amount * 24)
        return add_working(start, amount if table else amount * cal.day_hours, cal)

    def current(self, state: CaseState) -> tuple[str, datetime] | None:
        """The deadline the current rung must meet, or None when nothing is due."""
        kind = KIND_OF_STATUS.get(state.status)
        if kind is None or state.step_at is None:
            return None
        return kind, self.window_end(state.step_at, kind, state.level)

    def original(self, state: CaseState, kind: str) -> datetime | None:
        """The deadline as first set when the alert opened (what on-time KPIs measure)."""
        if state.opened_at is None:
            return None
        return self.window_end(state.opened_at, kind, state.level)

    def due_escalations(self, state: CaseState, now: datetime) -> list[Escalation]:
        """The rungs to climb by ``now``, in order; each at the time its deadline passed."""
        top = len(ladder(state.route)) - 1 if state.route else 0
        probe, out = state.model_copy(), []
        while probe.step < top:
            due = self.current(probe)
            if due is None or due[1] > now:
                break
            probe.step, probe.step_at = probe.step + 1, due[1]
            out.append(Escalation(probe.step, due[1], due[0], due[1]))
        return out


def load_deadlines(path: Path, time_limits: dict[str, float] | None = None) -> DeadlineConfig:
    """[deadlines] of configs/routing.toml; act hours default to minqing.toml [time_limits]."""
    data: dict[str, Any] = dict(read_toml(path).get("deadlines", {}))
    if time_limits and "act_hours" not in data:
        data["act_hours"] = dict(time_limits)
    try:
        return DeadlineConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"invalid deadlines / 时限配置无效 {path}: {e}") from e
