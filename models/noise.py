"""Noise control: grouping per recipient, silences and inhibition (as Alertmanager does).

``update(state, event) -> (state, NoiseOut)`` over four kinds of event:

* a ``Notice`` (one thing one recipient should hear): dropped if a silence
  matches it (by matter, region-code prefix and/or category, until it expires) or
  if a higher-level notice of the same matter is still in force (inhibition, until
  the alert is resolved); else queued in the recipient's group. Kinds in
  ``immediate_kinds`` (escalations, assignments, reopenings) send the group now.
* a ``Tick``: a group is sent ``group_wait`` after its first notice, then no more
  often than ``group_interval``; alerts nobody acted on are repeated every
  ``repeat_interval``; expired silences are dropped; leaders' digests fall due.
* ``Settled``: the matter was acted on (no more reminders) or ended (resolved:
  its inhibition ends too).
* a ``Silence``: created, replaced or expired (``ends_at`` in the past).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from minqing.records import LEVELS, Level, Notice, Notification, Silence, Suppression
from models.base import dump_state, load_state

# Lifecycle notices carry an instruction, not news of a level: a higher level never hides them.
NEVER_INHIBITED = ("escalated", "assigned", "reopened", "resolved")


class GroupingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_wait_seconds: float = 30
    group_interval_seconds: float = 300
    repeat_interval_seconds: float = 4 * 3600
    immediate_kinds: list[str] = Field(
        default_factory=lambda: ["escalated", "assigned", "reopened"]
    )


class DigestConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    hour: int = 8
    timezone: str = "Asia/Shanghai"
    top: int = 5


class Group(BaseModel):
    pending: list[Notice] = Field(default_factory=list)
    first_pending_at: datetime | None = None
    last_sent_at: datetime | None = None
    active: dict[str, Notice] = Field(default_factory=dict)
    seq: int = 0


class NoiseState(BaseModel):
    groups: dict[str, Group] = Field(default_factory=dict)
    levels: dict[str, Level] = Field(default_factory=dict)
    silences: dict[str, Silence] = Field(default_factory=dict)
    digests: dict[str, str] = Field(default_factory=dict)

    def to_json(self) -> str:
        return dump_state("noise", self.model_dump(mode="json"))

    @classmethod
    def from_json(cls, data: str | bytes) -> Self:
        return cls.model_validate(load_state("noise", data))


@dataclass(frozen=True)
class Tick:
    at: datetime


@dataclass(frozen=True)
class Settled:
    matter_id: str
    ended: bool


@dataclass
class NoiseOut:
    notifications: list[Notification] = field(default_factory=list)
    suppressed: list[Suppression] = field(default_factory=list)
    digests: list[tuple[str, str]] = field(default_factory=list)  # (leader, local date)
    # Whether the event changed the state: the caller persists the state only then,
    # instead of serialising it twice per event to compare (see PROFILE.md, proposal 1).
    changed: bool = False


NoiseEvent = Notice | Silence | Tick | Settled


def rank(level: str) -> int:
    return LEVELS.index(level)  # type: ignore[arg-type]


def silences_notice(s: Silence, n: Notice) -> bool:
    """True if the silence has not expired at the notice's time and all its matchers match.

    A silence is in force from when the worker receives it (the stream is ordered):
    notices carry their event's time, which may be a little earlier than that.

    >>> from datetime import timezone
    >>> t = datetime(2024, 5, 1, tzinfo=timezone.utc)
    >>> s = Silence(silence_id="s", region="330681109", starts_at=t, ends_at=t + timedelta(hours=1),
    ...             reason="已在处置", created_by="wang", created_at=t)
    >>> n = Notice(notice_id="n", recipient="r", matter_id="M1", alert_id="A1", kind="raised",
    ...            level="red", title="x", township="330681109", at=t)
    >>> silences_notice(s, n), silences_notice(s, n.model_copy(update={"township": "330681110"}))
    (True, False)
    """
    if n.at >= s.ends_at or not (s.matter_id or s.region or s.category):
        return False
    return (
        (not s.matter_id or s.matter_id == n.matter_id)
        and (not s.region or n.township.startswith(s.region))
        and (not s.category or s.category == n.category)
    )


class Noise:
    """The noise-control model; see the module docstring."""

    def __init__(self, cfg: GroupingConfig, digest: DigestConfig | None = None,
                 leaders: list[str] | None = None) -> None:  # fmt: skip
        self.cfg, self.digest, self.leaders = cfg, digest or DigestConfig(enabled=False), leaders
        self._wait = timedelta(seconds=cfg.group_wait_seconds)
        self._interval = timedelta(seconds=cfg.group_interval_seconds)
        self._repeat = timedelta(seconds=cfg.repeat_interval_seconds)

    def init(self) -> NoiseState:
        return NoiseState()

    def update(self, state: NoiseState, event: NoiseEvent) -> tuple[NoiseState, NoiseOut]:
        out = NoiseOut()
        if isinstance(event, Notice):
            self._notice(state, event, out)
        elif isinstance(event, Silence):
            out.changed = _silence(state, event)
        elif isinstance(event, Settled):
            out.changed = _settle(state, event)
        else:
            self._tick(state, event.at, out)
        return state, out

    def _notice(self, state: NoiseState, n: Notice, out: NoiseOut) -> None:
        silence = next((s for s in state.silences.values() if silences_notice(s, n)), None)
        if silence is not None:
            out.suppressed.append(_suppressed(n, "silenced", silence.silence_id))
            return
        top = state.levels.get(n.matter_id, "none")
        if rank(n.level) < rank(top) and n.kind not in NEVER_INHIBITED:
            out.suppressed.append(_suppressed(n, "inhibited", f"{top} alert"))
            return
        out.changed = True
        state.levels[n.matter_id] = max(top, n.level, key=rank)
        group = state.groups.setdefault(n.recipient, Group())
        keep = []
        for p in group.pending:
            if p.matter_id == n.matter_id and rank(p.level) < rank(n.level):
                out.suppressed.append(_suppressed(p, "inhibited", f"{n.level} alert"))
            elif not (p.matter_id == n.matter_id and p.kind == n.kind):
                keep.append(p)
        group.pending = [*keep, n]
        group.first_pending_at = group.first_pending_at or n.at
        if n.immediate or n.kind in self.cfg.immediate_kinds:
            out.notifications.append(self._flush(n.recipient, group, n.at))

    def _tick(self, state: NoiseState, now: datetime, out: NoiseOut) -> None:
        expired = [sid for sid, s in state.silences.items() if s.ends_at <= now]
        for sid in expired:
            del state.silences[sid]
        for recipient in sorted(state.groups):
            group = state.groups[recipient]
            due = self._due(group)
            if due is not None and due <= now:
                out.notifications.append(self._flush(recipient, group, now))
        out.digests.extend(self._digests(state, now))
        # A flush moves the group's seq and times; a digest due marks its day.
        out.changed = bool(expired or out.notifications or out.digests)

    def _due(self, g: Group) -> datetime | None:
        if g.pending and g.first_pending_at is not None:
            due = g.first_pending_at + self._wait
            return max(due, g.last_sent_at + self._interval) if g.last_sent_at else due
        if g.active and g.last_sent_at is not None:
            return g.last_sent_at + self._repeat
        return None

    def _flush(self, recipient: str, g: Group, now: datetime) -> Notification:
        kind: Literal["alert", "reminder"] = "alert" if g.pending else "reminder"
        items = g.pending or list(g.active.values())
        g.seq += 1
        g.active.update({n.matter_id: n for n in items if n.kind != "resolved"})
        g.pending, g.first_pending_at, g.last_sent_at = [], None, now
        key = hashlib.sha1("|".join(n.notice_id for n in items).encode()).hexdigest()[:8]
        return Notification(notification_id=f"{recipient}:{g.seq}:{key}", recipient=recipient,
                            kind=kind, created_at=now, items=items)  # fmt: skip

    def _digests(self, state: NoiseState, now: datetime) -> list[tuple[str, str]]:
        if not self.digest.enabled or not self.leaders:
            return []
        local = now.astimezone(ZoneInfo(self.digest.timezone))
        if local.hour < self.digest.hour:
            return []
        today = local.date().isoformat()
        due = [(lid, today) for lid in self.leaders if state.digests.get(lid) != today]
        state.digests.update(due)
        return due

    def next_due(self, state: NoiseState, now: datetime) -> datetime | None:
        """The earliest time a Tick would send something (``now`` if already due)."""
        times = [d for g in state.groups.values() if (d := self._due(g)) is not None]
        # _digests only touches ``digests``: copying that dict, not the whole state, is enough.
        if self._digests(NoiseState(digests=dict(state.digests)), now):
            times.append(now)
        return min(times, default=None)


def _silence(state: NoiseState, s: Silence) -> bool:
    """Create, replace or expire a silence; True if that changed the state."""
    old = state.silences.pop(s.silence_id, None)
    new = s if s.ends_at > s.starts_at else None
    if new is not None:
        state.silences[s.silence_id] = new
    # Re-inserting moves the silence to the end, which decides which silence a
    # suppression names: any pop or insert counts as a change.
    return old is not None or new is not None


def _settle(state: NoiseState, event: Settled) -> bool:
    """Stop reminders of the matter (and end its inhibition if it ended); True if any did."""
    changed = False
    for g in state.groups.values():
        changed |= g.active.pop(event.matter_id, None) is not None
    if event.ended:
        changed |= state.levels.pop(event.matter_id, None) is not None
    return changed


def _suppressed(n: Notice, reason: str, source: str) -> Suppression:
    return Suppression(notice_id=n.notice_id, recipient=n.recipient, matter_id=n.matter_id,
                       kind=n.kind, level=n.level, at=n.at, reason=reason,  # type: ignore[arg-type]
                       source=source)  # fmt: skip
