"""Lifecycle queries and KPIs on ClickHouse 18.16 and chdb; the KPI figures computed by hand."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from minqing.records import (
    AlertCase,
    AlertTransition,
    Delivery,
    Matter,
    Notice,
    Notification,
    Record,
    Silence,
)  # fmt: skip
from warehouse.alert_queries import AlertQueries
from warehouse.backend import Backend
from warehouse.kpis import kpis
from warehouse.rows import rows_for

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
A, B = "330681109", "330681110"
_seq = itertools.count(1)


def insert(backend: Backend, *records: Record) -> None:
    for record in records:
        for table, row in rows_for(record):
            backend.insert(table, [row])


def at(minutes: float = 0, hours: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, hours=hours, days=days)


def tr(matter: str, action: str, when: datetime, to: str, township: str = A,
       **kw: Any) -> AlertTransition:  # fmt: skip
    n = next(_seq)
    fields: dict[str, Any] = {"event_id": f"{matter}-L{n}", "alert_id": "A" + matter,
                              "matter_id": matter, "action": action, "from_status": "raised",
                              "to_status": to, "level": "orange", "seq": n, "at": when,
                              "township": township, "actor": "wang"}  # fmt: skip
    return AlertTransition(**{**fields, **kw})


def kpi_fixture() -> list[Record]:
    """Six matters; see the figures in test_kpis_equal_hand_computed_figures."""
    return [
        # m1 in A: acked on time after 10 min, resolved on time, satisfied, closed; collective.
        tr("m1", "raise", at(), "raised", actor="system"),
        tr("m1", "acknowledge", at(minutes=10), "acknowledged", deadline="ack", on_time=True),
        tr("m1", "assign", at(minutes=20), "assigned", lead_unit="fengqiao"),
        tr("m1", "start", at(hours=1), "in_progress", lead_unit="fengqiao"),
        tr("m1", "resolve", at(hours=5), "resolved", lead_unit="fengqiao", deadline="resolve",
           on_time=True),
        tr("m1", "follow_up", at(days=1), "followed_up", lead_unit="fengqiao", satisfied=True),
        tr("m1", "close", at(days=1, hours=1), "closed", lead_unit="fengqiao"),
        # m2 in A: raised at +1 h, assigned (its first ack) late at +3 h, resolved late,
        # unsatisfied, so reopened by the system in the same second.
        tr("m2", "raise", at(hours=1), "raised", actor="system"),
        tr("m2", "assign", at(hours=3), "assigned", lead_unit="fengqiao", deadline="ack"),
        tr("m2", "resolve", at(days=2), "resolved", lead_unit="fengqiao", deadline="resolve"),
        tr("m2", "follow_up", at(days=3), "followed_up", lead_unit="fengqiao", satisfied=False),
        tr("m2", "reopen", at(days=3), "reopened", lead_unit="fengqiao", actor="system"),
        # m3 in B: nobody acted; escalated; a rejected request does not count as acting.
        tr("m3", "raise", at(hours=2), "raised", B, actor="system"),
        tr("m3", "escalate", at(hours=3), "raised", B, actor="system"),
        tr("m3", "reject", at(hours=3), "raised", B),
        # m4 in A was raised before the period: left out.
        tr("m4", "raise", at(days=-1), "raised", actor="system"),
        tr("m4", "acknowledge", at(days=-1, minutes=5), "acknowledged", deadline="ack",
           on_time=True),
        # m5 in B: acked on time after 30 min, resolved on time, satisfied; collective.
        tr("m5", "raise", at(days=1), "raised", B, actor="system"),
        tr("m5", "acknowledge", at(days=1, minutes=30), "acknowledged", B, deadline="ack",
           on_time=True),
        tr("m5", "assign", at(days=1, minutes=40), "assigned", B, lead_unit="zhaojia"),
        tr("m5", "resolve", at(days=2), "resolved", B, lead_unit="zhaojia", deadline="resolve",
           on_time=True),
        tr("m5", "follow_up", at(days=3), "followed_up", B, lead_unit="zhaojia", satisfied=True),
        # m6 in A: merged into m1 (its alert closed as merged): left out of every figure.
        tr("m6", "raise", at(hours=2), "raised", actor="system"),
        tr("m6", "acknowledge", at(hours=2, minutes=5), "acknowledged", deadline="ack",
           on_time=True),
        tr("m6", "merge", at(hours=3), "closed", actor="system"),
        *(matter(m, s) for m, s in [("m1", ["gathering"]), ("m2", []),
                                    ("m3", ["banners_online"]), ("m5", ["collective_petition"])]),
    ]  # fmt: skip


def matter(matter_id: str, signals: list[str]) -> Matter:
    return Matter(matter_id=matter_id, version=1, title="t", category="other", n_reports=1,
                  n_informants=1, n_villages=1, people_max=0, signals=signals,  # type: ignore[arg-type]
                  first_seen=T0, last_seen=T0)  # fmt: skip


def test_kpis_equal_hand_computed_figures(backend: Backend) -> None:
    fixture = kpi_fixture()
    insert(backend, *fixture, *fixture[:3])  # rows written twice must count once
    period = (T0, T0 + timedelta(days=7))
    by_region = {r["key"]: r for r in kpis(backend, *period, by="region")}
    a, b = by_region[A], by_region[B]
    assert (a["raised"], a["acknowledged"], a["ack_on_time"], a["resolved"],
            a["resolved_on_time"], a["settled"], a["follow_ups"], a["satisfied"],
            a["reopened"], a["collective"]) == (2, 2, 1, 2, 1, 1, 2, 1, 1, 1)  # fmt: skip
    assert (a["ack_on_time_rate"], a["on_time_resolution_rate"], a["resolution_rate"],
            a["satisfaction_rate"], a["repeat_rate"]) == (0.5, 0.5, 0.5, 0.5, 0.5)  # fmt: skip
    assert a["avg_minutes_to_first_action"] == 65.0  # (10 + 120) / 2
    assert (b["raised"], b["acknowledged"], b["ack_on_time"], b["resolved"], b["settled"],
            b["satisfied"], b["reopened"], b["collective"]) == (2, 1, 1, 1, 1, 1, 0, 1)  # fmt: skip
    assert (b["ack_on_time_rate"], b["on_time_resolution_rate"], b["resolution_rate"],
            b["satisfaction_rate"], b["repeat_rate"]) == (0.5, 1.0, 0.5, 1.0, 0.0)  # fmt: skip
    assert b["avg_minutes_to_first_action"] == 30.0
    (total,) = kpis(backend, *period, by="all")
    assert (total["raised"], total["on_time_resolution_rate"], total["satisfaction_rate"],
            total["repeat_rate"], total["avg_minutes_to_first_action"]) == (
        4, 0.6667, 0.6667, 0.3333, 53.33)  # (10 + 120 + 30) / 3  # fmt: skip
    units = {r["key"]: r["raised"] for r in kpis(backend, *period, by="unit")}
    assert units == {"": 1, "fengqiao": 2, "zhaojia": 1}
    assert kpis(backend, T0 - timedelta(days=2), T0, by="all")[0]["raised"] == 1
    assert kpis(backend, T0 + timedelta(days=30), T0 + timedelta(days=31)) == []


def case(matter_id: str, status: str, township: str = A, **kw: Any) -> AlertCase:
    fields: dict[str, Any] = {"matter_id": matter_id, "alert_id": "A" + matter_id,
                              "version": kw.pop("version", 1), "status": status, "level": "red",
                              "title": "t", "township": township, "opened_at": T0,
                              "updated_at": T0, "state": f"state-{matter_id}-{status}"}  # fmt: skip
    return AlertCase(**{**fields, **kw})


def test_cases_snapshots_and_digest(backend: Backend) -> None:
    q = AlertQueries(backend)
    insert(backend, case("c1", "raised", version=1), case("c1", "assigned", version=2),
           case("c2", "closed", updated_at=T0 - timedelta(days=100)),
           case("c3", "in_progress", B, risk=0.9, due_at=at(hours=1)),
           case("c4", "raised", risk=0.5, due_at=at(hours=5)))  # fmt: skip
    assert q.case("c1")["status"] == "assigned"  # type: ignore[index]
    assert q.case("nope") is None
    assert q.case_states(T0 - timedelta(days=90)) == [
        "state-c1-assigned",
        "state-c3-in_progress",
        "state-c4-raised",
    ]
    digest = q.area_cases([A, B], at(hours=2), top=1)
    assert [r["matter_id"] for r in digest["open"]] == ["c3", "c4", "c1"]
    assert [r["matter_id"] for r in digest["overdue"]] == ["c3"]
    assert [r["matter_id"] for r in digest["top"]] == ["c3"]
    assert q.area_cases([], T0) == {"open": [], "overdue": [], "top": []}


def test_inbox_silences_deliveries_and_file(backend: Backend) -> None:
    q = AlertQueries(backend)
    item = Notice(
        notice_id="e:office",
        recipient="office",
        matter_id="m1",
        alert_id="Am1",
        kind="raised",
        level="red",
        title="t",
        at=T0,
    )
    notes = [Notification(notification_id=f"office:{i}:x", recipient="office", kind="alert",
                          created_at=at(minutes=i), items=[item]) for i in (1, 2)]  # fmt: skip
    silence = Silence(silence_id="s1", category="environment", starts_at=T0, ends_at=at(hours=1),
                      reason="r", created_by="u", created_at=T0)  # fmt: skip
    expired = silence.model_copy(update={"version": 2, "ends_at": at(minutes=5)})
    sent = Delivery(delivery_id="k1", notification_id="n", recipient="office", channel="email",
                    status="sent", attempts=1, at=T0)  # fmt: skip
    failed = sent.model_copy(update={"status": "failed", "delivery_id": "k2"})
    insert(backend, *notes, silence, sent, failed, failed.model_copy(update={"delivery_id": "k1"}))
    inbox = q.inbox("office")
    assert [n["notification_id"] for n in inbox] == ["office:2:x", "office:1:x"]
    assert inbox[0]["items"][0]["matter_id"] == "m1" and q.inbox("other") == []
    assert [s["silence_id"] for s in q.silences(at(minutes=30))] == ["s1"]
    insert(backend, expired)
    assert q.silences(at(minutes=30)) == [] and q.silence("s1")["version"] == 2  # type: ignore[index]
    assert q.sent_keys(["k1", "k2", "k3"]) == {"k1"}  # a later failure never hides a send
    assert len(q.notifications_since(at(minutes=2))) == 1
    insert(
        backend,
        tr("m1", "raise", T0, "raised", action_id=""),
        tr("m1", "acknowledge", at(minutes=1), "acknowledged", action_id="act-1"),
    )
    assert [t["action"] for t in q.file("m1")["transitions"]] == ["raise", "acknowledge"]
    assert q.action_outcome("act-1")["to_status"] == "acknowledged"  # type: ignore[index]
    assert q.action_outcome("act-2") is None


@pytest.mark.parametrize("by", ["township"])
def test_unknown_kpi_dimension(backend: Backend, by: str) -> None:
    with pytest.raises(Exception, match="dimension"):
        kpis(backend, T0, T0, by=by)


_unused: Callable[..., Any] | None = None
