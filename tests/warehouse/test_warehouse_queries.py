"""Queries for the HTTP API and the outbox, on data written twice."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from minqing.errors import WarehouseError
from minqing.records import (
    Accepted,
    Alert,
    AlertEvent,
    DeadLetter,
    Matter,
    MatterUpdate,
    Record,
    Report,
    RiskScore,
)
from warehouse.backend import Backend
from warehouse.migrations import ALERTING_TABLES
from warehouse.queries import Queries
from warehouse.writer import WarehouseWriter

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)  # the factories' default time
ODD_ID = "m-'\"\\ %(m)s 中文"


def write_twice(backend: Backend, *records: Record) -> None:
    writer = WarehouseWriter(backend)
    for _ in range(2):
        for record in records:
            writer.add_record(record)
        writer.flush()


def status_of(q: Queries, receipt: str) -> str | None:
    found = q.report_status(receipt)
    return None if found is None else found["status"]


def test_present_report_ids(backend: Backend, make_accepted: Callable[..., Accepted]) -> None:
    accepted = [make_accepted() for _ in range(3)]
    write_twice(backend, *accepted)
    known = [str(a.report.report_id) for a in accepted]
    asked = [*known, "absent-1", "it's-absent", *(f"x{i}" for i in range(1500))]
    assert Queries(backend).present_report_ids(asked) == set(known)
    assert Queries(backend).present_report_ids([]) == set()


RECEIPT = "R-'\"\\中"
STEPS = [
    ("raised", "alert_raised"),
    ("acknowledged", "being_handled"),
    ("assigned", "being_handled"),
    ("in_progress", "being_handled"),
    ("resolved", "handled"),
    ("closed", "handled"),
]


def test_report_status_received_then_in_matter(
    backend: Backend,
    make_accepted: Callable[..., Accepted],
    make_update: Callable[..., MatterUpdate],
    make_matter: Callable[..., Matter],
) -> None:
    q = Queries(backend)
    accepted = make_accepted(receipt=RECEIPT)
    assert q.report_status(RECEIPT) is None
    assert q.report_status("") is None
    write_twice(backend, accepted)
    expected = {"receipt": RECEIPT, "report_id": accepted.report.report_id}
    assert q.report_status(RECEIPT) == {**expected, "status": "received", "matter_id": None}
    write_twice(backend, make_update(accepted=accepted, matter=make_matter(matter_id=ODD_ID)))
    assert q.report_status(RECEIPT) == {**expected, "status": "in_matter", "matter_id": ODD_ID}


def test_report_status_follows_the_alert(
    backend: Backend,
    make_accepted: Callable[..., Accepted],
    make_update: Callable[..., MatterUpdate],
    make_matter: Callable[..., Matter],
    make_alert: Callable[..., Alert],
) -> None:
    accepted = make_accepted(receipt=RECEIPT)
    write_twice(backend, make_update(accepted=accepted, matter=make_matter(matter_id=ODD_ID)))
    for version, (alert_status, report_status) in enumerate(STEPS, start=1):
        at = T0 + timedelta(minutes=version)
        alert = make_alert(
            alert_id="a-1", matter_id=ODD_ID, version=version, status=alert_status, updated_at=at
        )
        write_twice(backend, alert)
        assert status_of(Queries(backend), RECEIPT) == report_status, alert_status


def test_list_alerts_latest_version_only(
    backend: Backend, make_alert: Callable[..., Alert]
) -> None:
    write_twice(
        backend,
        make_alert(alert_id="a-1", version=1, level="orange", risk=0.7, status="raised"),
        make_alert(alert_id="a-1", version=2, level="red", risk=0.9, status="acknowledged"),
        make_alert(alert_id="a-2", version=1, level="blue", risk=0.3),
        make_alert(alert_id="a-3", version=1, level="yellow", risk=0.5),
    )
    q = Queries(backend)
    alerts = q.list_alerts()
    assert [(a["alert_id"], a["version"]) for a in alerts] == [("a-1", 2), ("a-3", 1), ("a-2", 1)]
    assert alerts[0]["updated_at"] == T0.isoformat()
    assert [a["alert_id"] for a in q.list_alerts(min_level="yellow")] == ["a-1", "a-3"]
    assert [a["alert_id"] for a in q.list_alerts(min_level="red")] == ["a-1"]
    assert [a["alert_id"] for a in q.list_alerts(status="raised")] == ["a-3", "a-2"]
    assert [a["alert_id"] for a in q.list_alerts(limit=1)] == ["a-1"]
    with pytest.raises(WarehouseError):
        q.list_alerts(min_level="purple")


def test_get_matter_hides_informants(
    backend: Backend,
    make_report: Callable[..., Report],
    make_accepted: Callable[..., Accepted],
    make_update: Callable[..., MatterUpdate],
    make_matter: Callable[..., Matter],
    make_risk: Callable[..., RiskScore],
    make_alert: Callable[..., Alert],
    make_event: Callable[..., AlertEvent],
) -> None:
    updates = [
        make_update(
            accepted=make_accepted(report=make_report(informant_id=f"secret-informant-{v}")),
            matter=make_matter(matter_id=ODD_ID, version=v, n_reports=v),
        )
        for v in (1, 2)
    ]
    risks = [make_risk(matter_id=ODD_ID, version=v, risk=0.3 * v) for v in (1, 2)]
    alert = make_alert(alert_id="a-m", matter_id=ODD_ID)
    event = make_event(alert_id="a-m", matter_id=ODD_ID)
    write_twice(backend, *updates, *risks, alert, event)
    matter = Queries(backend).get_matter(ODD_ID)
    assert matter is not None
    assert (matter["version"], matter["n_reports"]) == (2, 2)
    assert len(matter["reports"]) == 2
    assert set(matter["reports"][0]) == {"report_id", "received_at", "title", "village", "township"}
    assert "secret-informant" not in json.dumps(matter, ensure_ascii=False)
    assert [r["version"] for r in matter["risk_history"]] == [1, 2]
    assert matter["alert"]["alert_id"] == "a-m"
    assert [e["event_id"] for e in matter["events"]] == [event.event_id]
    assert matter["first_seen"] == T0.isoformat()
    assert Queries(backend).get_matter("no-such-matter") is None


def test_counts_after_duplicates(
    backend: Backend,
    make_update: Callable[..., MatterUpdate],
    make_risk: Callable[..., RiskScore],
    make_dead_letter: Callable[..., DeadLetter],
) -> None:
    write_twice(backend, make_update(), make_update(), make_risk(), make_dead_letter())
    assert Queries(backend).counts() == {
        "reports": 2,
        "matters": 2,
        "risk_scores": 1,
        "alerts": 0,
        "alert_events": 0,
        "dead_letters": 1,
        **dict.fromkeys(ALERTING_TABLES, 0),
        "outcomes": 0,
        "matter_corrections": 0,
    }
