"""Warehouse test fixtures: migrated backends on both engines and record factories.

Servers come from the tests/conftest_clickhouse.py plugin.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from minqing.records import (
    Accepted,
    Alert,
    AlertAction,
    AlertCase,
    AlertEvent,
    AlertingSnapshot,
    AlertOut,
    AlertTransition,
    Assignment,
    DeadLetter,
    Delivery,
    FieldError,
    Matter,
    MatterUpdate,
    Notice,
    Notification,
    Place,
    Record,
    Report,
    RiskScore,
    Scored,
    Silence,
    Suppression,
)
from warehouse.backend import Backend
from warehouse.migrations import migrate

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
_ids = itertools.count(1)

BACKENDS = ["chdb", pytest.param("clickhouse", marks=pytest.mark.clickhouse)]


def next_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


@pytest.fixture(params=BACKENDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once on chdb and once on the ClickHouse 18.16 server."""
    return str(request.param)


@pytest.fixture
def raw_backend(kind: str, warehouse_backend: Callable[..., Backend]) -> Backend:
    """A backend on a fresh, empty database (no tables)."""
    return warehouse_backend(kind)


@pytest.fixture
def backend(raw_backend: Backend) -> Backend:
    """A backend on a fresh database with every migration applied."""
    migrate(raw_backend)
    return raw_backend


@pytest.fixture
def make_report() -> Callable[..., Report]:
    def make(**overrides: Any) -> Report:
        fields: dict[str, Any] = {
            "report_id": next_id("r"),
            "received_at": T0,
            "informant_id": "inf-001",
            "region_code": "330681101",
            "region_text": "暨阳街道",
            "category": "wage_arrears",
            "title": "工地拖欠工资",
            "content": "三十多名工人被拖欠工资三个月。",
            "people_involved": 30,
            "signals": ["gathering"],
            "channel": "form",
        }
        return Report(**{**fields, **overrides})

    return make


@pytest.fixture
def make_accepted(make_report: Callable[..., Report]) -> Callable[..., Accepted]:
    def make(report: Report | None = None, receipt: str | None = None, **place: Any) -> Accepted:
        report = report or make_report()
        where = {"village": "城东村", "township": "暨阳街道", "county": "诸暨市", **place}
        return Accepted(report=report, place=Place(**where), receipt=receipt or next_id("R"))

    return make


@pytest.fixture
def make_matter() -> Callable[..., Matter]:
    def make(**overrides: Any) -> Matter:
        fields: dict[str, Any] = {
            "matter_id": next_id("m"),
            "version": 1,
            "title": "工地拖欠工资",
            "category": "wage_arrears",
            "keywords": ["拖欠", "工资"],
            "township": "暨阳街道",
            "county": "诸暨市",
            "n_reports": 1,
            "n_informants": 1,
            "n_villages": 1,
            "people_max": 30,
            "signals": ["gathering"],
            "first_seen": T0,
            "last_seen": T0,
        }
        return Matter(**{**fields, **overrides})

    return make


@pytest.fixture
def make_update(
    make_accepted: Callable[..., Accepted], make_matter: Callable[..., Matter]
) -> Callable[..., MatterUpdate]:
    def make(accepted: Accepted | None = None, matter: Matter | None = None) -> MatterUpdate:
        return MatterUpdate(
            accepted=accepted or make_accepted(),
            matter=matter or make_matter(),
            similarity=0.8,
            new_matter=True,
        )

    return make


@pytest.fixture
def make_risk() -> Callable[..., RiskScore]:
    def make(**overrides: Any) -> RiskScore:
        fields: dict[str, Any] = {
            "matter_id": next_id("m"),
            "version": 1,
            "report_id": next_id("r"),
            "risk": 0.72,
            "level": "orange",
            "factors": ["collective", "wage"],
            "explanation": "多人聚集，拖欠工资",
            "scored_at": T0,
        }
        return RiskScore(**{**fields, **overrides})

    return make


@pytest.fixture
def make_alert() -> Callable[..., Alert]:
    def make(**overrides: Any) -> Alert:
        fields: dict[str, Any] = {
            "alert_id": next_id("a"),
            "matter_id": next_id("m"),
            "version": 1,
            "level": "orange",
            "risk": 0.72,
            "status": "raised",
            "title": "工地拖欠工资",
            "category": "wage_arrears",
            "township": "暨阳街道",
            "explanation": "多人聚集",
            "raised_at": T0,
            "updated_at": T0,
        }
        return Alert(**{**fields, **overrides})

    return make


@pytest.fixture
def make_event() -> Callable[..., AlertEvent]:
    def make(**overrides: Any) -> AlertEvent:
        fields: dict[str, Any] = {
            "event_id": next_id("e"),
            "alert_id": next_id("a"),
            "matter_id": next_id("m"),
            "kind": "raised",
            "level": "orange",
            "at": T0 + timedelta(minutes=1),
        }
        return AlertEvent(**{**fields, **overrides})

    return make


@pytest.fixture
def make_dead_letter() -> Callable[..., DeadLetter]:
    def make(**overrides: Any) -> DeadLetter:
        error = FieldError(field="title", message_en="title: missing", message_zh="标题为必填项")
        fields: dict[str, Any] = {
            "dlq_id": next_id("d"),
            "topic": "reports.raw",
            "reason_en": "invalid report",
            "reason_zh": "报告无效",
            "errors": [error],
            "payload": '{"content": "x"}',
            "at": T0,
        }
        return DeadLetter(**{**fields, **overrides})

    return make


@pytest.fixture
def one_of_each(
    make_accepted: Callable[..., Accepted],
    make_update: Callable[..., MatterUpdate],
    make_matter: Callable[..., Matter],
    make_risk: Callable[..., RiskScore],
    make_alert: Callable[..., Alert],
    make_event: Callable[..., AlertEvent],
    make_dead_letter: Callable[..., DeadLetter],
) -> list[Record]:
    """One record of every type the warehouse stores."""
    alert = make_alert()
    return [
        make_accepted(),
        make_update(),
        make_matter(),
        make_risk(),
        Scored(matter=make_matter(), score=make_risk()),
        alert,
        make_event(),
        AlertOut(alert=alert, event=make_event(alert_id=alert.alert_id)),
        make_dead_letter(),
        *alerting_records(),
    ]


def alerting_records() -> list[Record]:
    """One record of each alert-lifecycle type (migration 3), with awkward values."""
    notice = Notice(
        notice_id="n-1:office",
        recipient="office",
        matter_id="m-1",
        alert_id="a-1",
        kind="raised",
        level="red",
        title="引号'\"",
        township="330681109",
        at=T0,
    )
    return [
        AlertAction(action_id=next_id("act"), matter_id="m-1", action="assign", actor="王'",
                    at=T0, assignment=Assignment(lead_unit="u1", co_units=["u2"]), satisfied=None),
        AlertTransition(event_id=next_id("ev"), alert_id="a-1", matter_id="m-1",
                        action="follow_up", from_status="resolved", to_status="followed_up",
                        level="red", at=T0, note="多行\n备注", satisfied=False, deadline="ack",
                        due_at=T0, on_time=True),
        AlertCase(matter_id=next_id("m"), alert_id="a-1", version=3, status="raised",
                  level="red", title="t", opened_at=T0, updated_at=T0, state="{}", due_at=None),
        AlertingSnapshot(name=next_id("noise"), version=1, body="{}", updated_at=T0),
        Silence(silence_id=next_id("s"), region="330681", starts_at=T0, ends_at=T0,
                reason="r", created_by="u", created_at=T0),
        Notification(notification_id=next_id("n"), recipient="office", kind="alert",
                     created_at=T0, items=[notice]),
        Suppression(notice_id=next_id("n"), recipient="office", matter_id="m-1", kind="raised",
                    level="yellow", at=T0, reason="inhibited", source="red alert"),
        Delivery(delivery_id=next_id("d"), notification_id="n-1", recipient="office",
                 channel="email", status="sent", attempts=2, at=T0),
    ]  # fmt: skip
