"""Typed message records: the one schema shared by the API, files and topics.

Bytes exist only at the edges (``to_bytes`` / ``from_bytes``); everything in
between passes these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StringConstraints

Category = Literal[
    "land_requisition",
    "demolition",
    "wage_arrears",
    "enterprise_restructuring",
    "environment",
    "property_management",
    "neighbour_dispute",
    "public_services",
    "social_security",
    "shortage",
    "other",
]
Signal = Literal[
    "collective_petition",
    "petition_upward",
    "gathering",
    "blocking",
    "banners_online",
    "self_harm_threat",
    "violence_threat",
]
Channel = Literal["form", "phone", "letter", "visit", "online", "import"]
Level = Literal["none", "blue", "yellow", "orange", "red"]
LEVELS: tuple[Level, ...] = ("none", "blue", "yellow", "orange", "red")
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}(\d{3}(\d{3})?)?$")]
AlertStatus = Literal["raised", "acknowledged", "assigned", "in_progress", "resolved", "closed"]
ReportStatus = Literal["received", "in_matter", "alert_raised", "being_handled", "handled"]

REPORT_FIELDS = (
    "report_id",
    "received_at",
    "informant_id",
    "region_code",
    "region_text",
    "category",
    "title",
    "content",
    "people_involved",
    "signals",
    "channel",
)


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")


R = TypeVar("R", bound=Record)


def from_bytes(cls: type[R], data: bytes | str) -> R:
    """Parse one message; raises pydantic.ValidationError on bad input."""
    return cls.model_validate_json(data)


class Report(Record):
    """An informant's report, exactly the JSON fields of the intake contract."""

    report_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    received_at: AwareDatetime | None = None
    informant_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    region_code: RegionCode | None = None
    region_text: Annotated[str, StringConstraints(max_length=200)] | None = None
    category: Category | None = None
    title: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    content: Annotated[str, StringConstraints(max_length=2000)]
    people_involved: Annotated[StrictInt, Field(ge=0)] | None = None
    signals: list[Signal] = Field(default_factory=list)
    channel: Channel = "form"


class Place(Record):
    """Where a report is, as far as its code or text tells."""

    village: str | None = None
    township: str | None = None
    county: str | None = None
    name: str | None = None


class Accepted(Record):
    """A report after validation and normalisation, keyed for clustering."""

    report: Report
    place: Place
    receipt: str = ""


class Matter(Record):
    """A snapshot of one matter (事项) after a report joined it."""

    matter_id: str
    version: int
    title: str
    category: str | None
    keywords: list[str] = Field(default_factory=list)
    township: str | None = None
    county: str | None = None
    n_reports: int
    n_informants: int
    n_villages: int
    people_max: int
    signals: list[Signal] = Field(default_factory=list)
    first_seen: datetime
    last_seen: datetime


class MatterUpdate(Record):
    """Output of clustering: which matter a report joined, and the matter after it."""

    accepted: Accepted
    matter: Matter
    similarity: float
    new_matter: bool
    # The matter ids merged into this one by this version: by the clusterer (a report
    # bridged two matters, or revived a closed one) or by an analyst's correction
    # (streams/corrections.py, which also sets the correction's id). Their alerts close.
    merged_from: list[str] = Field(default_factory=list)
    correction_id: str = ""


class RiskScore(Record):
    """Output of risk scoring for one matter version."""

    matter_id: str
    version: int
    report_id: str
    risk: float
    level: Level
    factors: list[str] = Field(default_factory=list)
    explanation: str = ""
    scored_at: datetime
    model: str = "rule-v1"


class Scored(Record):
    """What the risk stage emits: the matter and its score (the alert stage needs both)."""

    matter: Matter
    score: RiskScore
    merged_from: list[str] = Field(default_factory=list)  # as MatterUpdate.merged_from


class Alert(Record):
    """The one open alert of a matter (a level change updates it, never duplicates it)."""

    alert_id: str
    matter_id: str
    version: int
    level: Level
    risk: float
    status: AlertStatus
    title: str
    category: str | None
    township: str | None
    explanation: str
    raised_at: datetime
    updated_at: datetime


class AlertEvent(Record):
    """One transition of an alert: the matter's file (一案一档)."""

    event_id: str
    alert_id: str
    matter_id: str
    kind: str
    level: Level
    at: datetime
    actor: str = "system"
    note: str = ""


class AlertOut(Record):
    """What the alert stage emits: the alert row and the event that changed it."""

    alert: Alert
    event: AlertEvent


class FieldError(Record):
    field: str
    message_en: str
    message_zh: str


class DeadLetter(Record):
    """A message that could not be processed, with the reason (never silently dropped)."""

    dlq_id: str
    topic: str
    reason_en: str
    reason_zh: str
    errors: list[FieldError] = Field(default_factory=list)
    payload: str
    at: datetime


def report_dict(report: Report) -> dict[str, Any]:
    """The report as its JSON contract (ISO 8601 time with offset)."""
    return report.model_dump(mode="json")


# --- Alert lifecycle, routing and notification (the closed loop) -------------------------

CaseStatus = Literal[
    "none",
    "raised",
    "acknowledged",
    "assigned",
    "in_progress",
    "resolved",
    "followed_up",
    "closed",
    "reopened",
]
ActionKind = Literal["acknowledge", "assign", "start", "resolve", "follow_up", "close", "reopen"]
ACTIONS: tuple[ActionKind, ...] = (
    "acknowledge",
    "assign",
    "start",
    "resolve",
    "follow_up",
    "close",
    "reopen",
)


class Assignment(Record):
    """ "One list, two hand-overs" (一单双交): the lead unit, co-handling units and leaders."""

    lead_unit: str
    co_units: list[str] = Field(default_factory=list)
    leaders: list[str] = Field(default_factory=list)


class AlertAction(Record):
    """A person's lifecycle action on a matter's alert, as the API received it."""

    action_id: str
    matter_id: str
    action: ActionKind
    actor: str
    at: AwareDatetime
    note: str = ""
    assignment: Assignment | None = None
    satisfied: bool | None = None


class Silence(Record):
    """Mutes notifications matching a matter, a region-code prefix or a category until ends_at."""

    silence_id: str
    version: int = 1
    matter_id: str | None = None
    region: str | None = None
    category: str | None = None
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    created_at: datetime


class MatterSeen(Record):
    """A matter grew (a report joined): what the lifecycle needs to reopen a resolved alert."""

    matter_id: str
    version: int
    n_reports: int
    signals: list[str] = Field(default_factory=list)
    last_seen: datetime
    # The matters merged into this one by this version: their open alerts close.
    merged_from: list[str] = Field(default_factory=list)


class AlertTransition(Record):
    """The structured side of one lifecycle event: who, when, what, why, and to whom."""

    event_id: str
    alert_id: str
    matter_id: str
    action: str
    from_status: CaseStatus
    to_status: CaseStatus
    level: Level
    seq: int = 0  # the case's event counter: orders transitions within one second
    step: int = 0
    actor: str = "system"
    at: datetime
    note: str = ""
    action_id: str = ""
    township: str = ""
    category: str = ""
    lead_unit: str = ""
    co_units: list[str] = Field(default_factory=list)
    leaders: list[str] = Field(default_factory=list)
    recipients: list[str] = Field(default_factory=list)
    satisfied: bool | None = None
    deadline: str = ""  # "ack" | "resolve" when this transition met (or missed) a deadline
    due_at: datetime | None = None
    on_time: bool = False


class AlertCase(Record):
    """A queryable snapshot of one matter's alert lifecycle (the warehouse copy of the state)."""

    matter_id: str
    alert_id: str
    version: int
    status: CaseStatus
    level: Level
    title: str
    category: str = ""
    township: str = ""
    risk: float = 0.0
    step: int = 0
    due_kind: str = ""
    due_at: datetime | None = None
    lead_unit: str = ""
    co_units: list[str] = Field(default_factory=list)
    leaders: list[str] = Field(default_factory=list)
    opened_at: datetime
    updated_at: datetime
    state: str


class AlertingSnapshot(Record):
    """A saved model state that is not per matter (the notification noise state)."""

    name: str
    version: int
    body: str
    updated_at: datetime


class Notice(Record):
    """One thing one recipient should hear about, before grouping, silences and inhibition."""

    notice_id: str
    recipient: str
    matter_id: str
    alert_id: str
    kind: str
    level: Level
    title: str
    township: str = ""
    category: str = ""
    step: int = 0
    at: datetime
    note: str = ""
    immediate: bool = False


class Notification(Record):
    """What is sent to one recipient: a group of notices, a reminder, or a leader's digest."""

    notification_id: str
    recipient: str
    kind: Literal["alert", "reminder", "digest"]
    created_at: datetime
    items: list[Notice] = Field(default_factory=list)
    body: str = ""


class Suppression(Record):
    """A notice that was not sent, and why (a silence, or a higher-level alert)."""

    notice_id: str
    recipient: str
    matter_id: str
    kind: str
    level: Level
    at: datetime
    reason: Literal["silenced", "inhibited"]
    source: str


class Delivery(Record):
    """The delivery log: one row per (notification, recipient, channel), the idempotency key."""

    delivery_id: str
    notification_id: str
    recipient: str
    channel: str
    status: Literal["sent", "failed"]
    attempts: int
    at: datetime
    error: str = ""


class AlertingInput(Record):
    """One message on the ``alert_actions`` topic: everything the alerting worker acts on."""

    kind: Literal["alert", "matter", "action", "silence", "tick"]
    at: datetime
    alert: AlertOut | None = None
    matter: MatterSeen | None = None
    action: AlertAction | None = None
    silence: Silence | None = None


OutcomeKind = Literal["incident", "resolved", "nothing"]


class Outcome(Record):
    """What happened to a matter, recorded by an analyst: the risk model's labels."""

    outcome_id: str
    matter_id: str
    outcome: OutcomeKind
    incident_kind: str = ""  # e.g. collective_petition, gathering, blocking
    t_incident: AwareDatetime | None = None
    note: str = ""
    recorded_by: str
    recorded_at: AwareDatetime


# --- Analysts' corrections of the clustering (merge two matters, move a report out) ------

CorrectionKind = Literal["merge", "move_out"]
CorrectionStatus = Literal["queued", "applied", "rejected"]


class Correction(Record):
    """An analyst's correction of the clustering, as requested and then as the worker applied it.

    The API writes version 1 (queued); the worker writes version 2, applied or rejected.
    An applied one also says where the clustering stood (``as_of``, the cluster clock)
    and names the reports involved (``anchors``: one report of each merged matter;
    ``apart``: the reports a moved report must never share a matter with again), so a
    restarted worker re-applies it whatever the matters' ids are by then.
    """

    correction_id: str
    version: int = 1
    kind: CorrectionKind
    matter_id: str
    other: str = ""  # merge: the other matter
    report_id: str = ""  # move_out: the report taken out
    reason: str = ""
    actor: str
    at: AwareDatetime
    status: CorrectionStatus = "queued"
    note: str = ""  # why it was rejected, "english / 中文"
    as_of: datetime | None = None
    anchors: list[str] = Field(default_factory=list)
    apart: list[str] = Field(default_factory=list)
    result: list[str] = Field(default_factory=list)  # the matter ids it left
    applied_at: datetime | None = None
