"""Alert policy: one open alert per matter, raised at a minimum level, updated on change.

An alert is raised (kind "raised", version 1) when a matter's level first
reaches ``cfg.min_level``. Later level changes update the same alert (version
+1, kind "level_changed"), up or down, but never below ``min_level``: once
raised, only a person closes an alert, so a lower score (possible only after a
config or model change, since the rule is monotone in a growing matter) leaves
it at ``min_level``. Scores of an older matter version than the alert already
reflects (an at-least-once redelivery) are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from minqing.config import AlertConfig
from minqing.records import LEVELS, Alert, AlertEvent, AlertOut, Level, Matter, RiskScore
from models.base import dump_state, load_state


@dataclass
class OpenAlert:
    alert: Alert
    matter_version: int
    last_seen: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert": self.alert.model_dump(mode="json"),
            "matter_version": self.matter_version,
            "last_seen": self.last_seen.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OpenAlert:
        alert = Alert.model_validate(d["alert"])
        return cls(alert, int(d["matter_version"]), datetime.fromisoformat(d["last_seen"]))


@dataclass
class AlertState:
    """Open alerts by matter id, forgotten once their matter is idle ``retain_days``."""

    open: dict[str, OpenAlert] = field(default_factory=dict)
    newest: datetime | None = None

    def to_json(self) -> str:
        return dump_state("alert", {
            "newest": self.newest.isoformat() if self.newest else None,
            "open": [a.to_dict() for a in self.open.values()],
        })  # fmt: skip

    @classmethod
    def from_json(cls, data: str | bytes) -> AlertState:
        body = load_state("alert", data)
        state = cls(newest=datetime.fromisoformat(body["newest"]) if body["newest"] else None)
        for d in body["open"]:
            a = OpenAlert.from_dict(d)
            state.open[a.alert.matter_id] = a
        return state


def rank(level: Level) -> int:
    """Position of a level, "none" = 0 ... "red" = 4.

    >>> rank("none"), rank("orange")
    (0, 3)
    """
    return LEVELS.index(level)


def alert_id_for(matter_id: str) -> str:
    """The alert of a matter keeps the matter's hash.

    >>> alert_id_for("M5573e39b6600")
    'A5573e39b6600'
    """
    return "A" + matter_id[1:]


class AlertPolicy:
    """``update(state, score, matter) -> (state, AlertOut | None)``; see the module docstring."""

    def __init__(self, cfg: AlertConfig, retain_days: float = 90.0) -> None:
        # retain_days must exceed the clustering window, or a revived matter re-raises.
        self.cfg = cfg
        self._retain = timedelta(days=retain_days)

    def init(self) -> AlertState:
        return AlertState()

    def update(self, state: AlertState, score: RiskScore, matter: Matter,
               merged_from: Sequence[str] = ()) -> tuple[AlertState, AlertOut | None]:  # fmt: skip
        """``merged_from``: matters merged into ``matter``; their alerts are forgotten here
        (the lifecycle closes them), so ``matter`` keeps or raises the one open alert."""
        for gone in merged_from:
            state.open.pop(gone, None)
        self._advance(state, matter.last_seen)
        current = state.open.get(matter.matter_id)
        if current is None:
            if rank(score.level) < rank(self.cfg.min_level):
                return state, None
            out = self._raise(score, matter)
            state.open[matter.matter_id] = OpenAlert(out.alert, matter.version, matter.last_seen)
            return state, out
        if matter.version < current.matter_version:
            return state, None
        current.matter_version, current.last_seen = matter.version, matter.last_seen
        level = max(score.level, self.cfg.min_level, key=rank)
        if level == current.alert.level:
            return state, None
        out = self._change(current.alert, level, score, matter)
        current.alert = out.alert
        return state, out

    def _advance(self, state: AlertState, at: datetime) -> None:
        before = state.newest
        if before is not None and at <= before:
            return
        state.newest = at
        # The sweep reads every open alert; with a retention of days, once per hour of event
        # time is enough, and it depends on event times only, so a replay sweeps alike.
        if before is not None and _hour(before) == _hour(at):
            return
        for mid in [mid for mid, a in state.open.items() if a.last_seen < at - self._retain]:
            del state.open[mid]

    def _raise(self, score: RiskScore, matter: Matter) -> AlertOut:
        alert = Alert(
            alert_id=alert_id_for(matter.matter_id), matter_id=matter.matter_id, version=1,
            level=score.level, risk=score.risk, status="raised", title=matter.title,
            category=matter.category, township=matter.township,
            explanation=score.explanation, raised_at=score.scored_at,
            updated_at=score.scored_at,
        )  # fmt: skip
        return AlertOut(alert=alert, event=_event(alert, "raised", ""))

    def _change(self, old: Alert, level: Level, score: RiskScore, matter: Matter) -> AlertOut:
        alert = old.model_copy(update={
            "version": old.version + 1, "level": level, "risk": score.risk,
            "title": matter.title, "category": matter.category, "township": matter.township,
            "explanation": score.explanation, "updated_at": score.scored_at,
        })  # fmt: skip
        return AlertOut(alert=alert, event=_event(alert, "level_changed", f"{old.level}->{level}"))


def _hour(at: datetime) -> int:
    return int(at.timestamp() // 3600)


def _event(alert: Alert, kind: str, note: str) -> AlertEvent:
    return AlertEvent(
        event_id=f"{alert.alert_id}-{alert.version}", alert_id=alert.alert_id,
        matter_id=alert.matter_id, kind=kind, level=alert.level, at=alert.updated_at,
        note=note,
    )  # fmt: skip
