"""Pure conversions from records (minqing/records.py) to warehouse row dicts.

DateTime columns take naive UTC datetimes; both backends read a naive value
as UTC because every column is declared ``DateTime('UTC')``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from minqing.errors import WarehouseError
from minqing.records import (
    Accepted,
    Alert,
    AlertAction,
    AlertCase,
    AlertEvent,
    AlertingSnapshot,
    AlertOut,
    AlertTransition,
    DeadLetter,
    Delivery,
    Matter,
    MatterUpdate,
    Notification,
    Record,
    RiskScore,
    Scored,
    Silence,
    Suppression,
)

Row = dict[str, Any]

# Which tables each record type writes to (a record may fill two tables).
RECORD_TABLES: dict[type[Record], tuple[str, ...]] = {
    Accepted: ("reports",),
    MatterUpdate: ("reports", "matters"),
    Matter: ("matters",),
    RiskScore: ("risk_scores",),
    Scored: ("risk_scores",),  # its matter row already came with the MatterUpdate
    Alert: ("alerts",),
    AlertEvent: ("alert_events",),
    AlertOut: ("alerts", "alert_events"),
    DeadLetter: ("dead_letters",),
}


def utc_naive(dt: datetime) -> datetime:
    """A naive UTC datetime for a DateTime column; naive input is taken as UTC already.

    >>> from datetime import timedelta, timezone
    >>> utc_naive(datetime(2024, 5, 1, 8, 30, tzinfo=timezone(timedelta(hours=8))))
    datetime.datetime(2024, 5, 1, 0, 30)
    >>> utc_naive(datetime(2024, 5, 1, 8, 30, 15, 999))
    datetime.datetime(2024, 5, 1, 8, 30, 15)
    """
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    # DateTime has whole seconds; dropping microseconds keeps both backends identical.
    return dt.replace(microsecond=0)


def dump(record: Record) -> Row:
    """A record's fields with datetimes made naive UTC.

    >>> from minqing.records import AlertEvent
    >>> e = AlertEvent(event_id="e1", alert_id="a1", matter_id="m1", kind="raised",
    ...                level="red", at=datetime(2024, 5, 1, 8, 0, tzinfo=UTC))
    >>> dump(e)["at"], dump(e)["actor"]
    (datetime.datetime(2024, 5, 1, 8, 0), 'system')
    """
    fields = record.model_dump()
    return {k: utc_naive(v) if isinstance(v, datetime) else v for k, v in fields.items()}


def _report_fields(accepted: Accepted, matter_id: str, version: int) -> Row:
    report, place = accepted.report, accepted.place
    if report.report_id is None or report.received_at is None:
        # The key and partition columns: a row without them could never be deduplicated.
        raise WarehouseError("a report needs report_id and received_at before the warehouse")
    fields = dump(report)
    fields.update(
        receipt=accepted.receipt,
        village=place.village,
        township=place.township,
        county=place.county,
        matter_id=matter_id,
        version=version,
    )
    return fields


def accepted_row(accepted: Accepted) -> Row:
    """A ``reports`` row for a report that is not yet in a matter (version 0)."""
    return _report_fields(accepted, matter_id="", version=0)


def report_row(update: MatterUpdate) -> Row:
    """A ``reports`` row for a report that joined a matter: report + place + receipt + matter_id.

    Its version is the matter version + 1, so it replaces the version-0 accepted row.
    """
    matter = update.matter
    return _report_fields(update.accepted, matter_id=matter.matter_id, version=matter.version + 1)


def matter_row(matter: Matter) -> Row:
    """A ``matters`` row: one per matter version."""
    return dump(matter)


def risk_row(score: RiskScore) -> Row:
    """A ``risk_scores`` row."""
    return dump(score)


def alert_row(alert: Alert) -> Row:
    """An ``alerts`` row (the alert table keeps its highest version)."""
    return dump(alert)


def alert_event_row(event: AlertEvent) -> Row:
    """An ``alert_events`` row."""
    return dump(event)


def dead_letter_row(letter: DeadLetter) -> Row:
    """A ``dead_letters`` row; the per-field errors become one JSON string.

    >>> from minqing.records import FieldError
    >>> err = FieldError(field="title", message_en="title: missing", message_zh="标题为必填项")
    >>> d = DeadLetter(dlq_id="d1", topic="reports.raw", reason_en="invalid", reason_zh="无效",
    ...                errors=[err], payload="{}", at=datetime(2024, 5, 1, tzinfo=UTC))
    >>> dead_letter_row(d)["errors"]
    '[{"field": "title", "message_en": "title: missing", "message_zh": "标题为必填项"}]'
    """
    row = dump(letter)
    row["errors"] = json.dumps(row["errors"], ensure_ascii=False)
    return row


def rows_for(record: Record) -> list[tuple[str, Row]]:
    """The (table, row) pairs a record writes, in ``RECORD_TABLES`` order."""
    match record:
        case Accepted():
            return [("reports", accepted_row(record))]
        case MatterUpdate():
            return [("reports", report_row(record)), ("matters", matter_row(record.matter))]
        case Matter():
            return [("matters", matter_row(record))]
        case RiskScore():
            return [("risk_scores", risk_row(record))]
        case Scored():
            return [("risk_scores", risk_row(record.score))]
        case Alert():
            return [("alerts", alert_row(record))]
        case AlertEvent():
            return [("alert_events", alert_event_row(record))]
        case AlertOut():
            return [
                ("alerts", alert_row(record.alert)),
                ("alert_events", alert_event_row(record.event)),
            ]
        case DeadLetter():
            return [("dead_letters", dead_letter_row(record))]
    if type(record) in ALERTING_ROWS:
        return [(RECORD_TABLES[type(record)][0], ALERTING_ROWS[type(record)](record))]
    raise WarehouseError(f"no warehouse table for {type(record).__name__}")


# --- Alert lifecycle, notifications, deliveries (migration 3) ---------------------------


def _flag(value: bool | None) -> int | None:
    """A Nullable(UInt8) value: both engines take 0/1, not JSON booleans, everywhere."""
    return None if value is None else int(value)


def alert_action_row(action: AlertAction) -> Row:
    """An ``alert_actions`` row: the request as the API received it."""
    a = action.assignment
    return {
        **{k: v for k, v in dump(action).items() if k not in ("assignment", "satisfied")},
        "lead_unit": a.lead_unit if a else "",
        "co_units": a.co_units if a else [],
        "leaders": a.leaders if a else [],
        "satisfied": _flag(action.satisfied),
    }


def alert_transition_row(t: AlertTransition) -> Row:
    """An ``alert_transitions`` row."""
    return {**dump(t), "satisfied": _flag(t.satisfied), "on_time": int(t.on_time)}


def silence_row(s: Silence) -> Row:
    """A ``silences`` row; an absent matcher is an empty string.

    >>> t = datetime(2024, 5, 1, tzinfo=UTC)
    >>> silence_row(Silence(silence_id="s1", category="environment", starts_at=t, ends_at=t,
    ...                     reason="r", created_by="u", created_at=t))["region"]
    ''
    """
    row = dump(s)
    return {**row, **{k: row[k] or "" for k in ("matter_id", "region", "category")}}


def notification_row(n: Notification) -> Row:
    """A ``notifications`` row; the grouped notices become one JSON string."""
    items = [i.model_dump(mode="json") for i in n.items]
    return {
        **{k: v for k, v in dump(n).items() if k != "items"},
        "matter_ids": sorted({i.matter_id for i in n.items}),
        "items": json.dumps(items, ensure_ascii=False),
    }


def delivery_row(d: Delivery) -> Row:
    """A ``deliveries`` row; rank makes a success replace earlier failures."""
    return {**dump(d), "rank": 2 if d.status == "sent" else 1}


ALERTING_ROWS: dict[type[Record], Callable[[Any], Row]] = {
    AlertAction: alert_action_row,
    AlertTransition: alert_transition_row,
    AlertCase: dump,
    AlertingSnapshot: dump,
    Silence: silence_row,
    Notification: notification_row,
    Suppression: dump,
    Delivery: delivery_row,
}
RECORD_TABLES.update({
    AlertAction: ("alert_actions",),
    AlertTransition: ("alert_transitions",),
    AlertCase: ("alert_cases",),
    AlertingSnapshot: ("alerting_snapshots",),
    Silence: ("silences",),
    Notification: ("notifications",),
    Suppression: ("suppressions",),
    Delivery: ("deliveries",),
})  # fmt: skip
