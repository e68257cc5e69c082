"""The alerting worker end to end: lifecycle in the warehouse, escalation once per step with
a controllable clock, across a restart; silences and inhibition suppress, and expire."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from minqing.records import Silence
from minqing.settings import Settings
from models.deadlines import DeadlineConfig
from streams.alerting import NOISE_KEY
from tests.alerting_world import (
    FENGQIAO,
    MID,
    T0,
    action,
    alert_input,
    grown,
    hours,
    tick,
)  # fmt: skip
from tests.notify.receivers import HttpReceiver, SmtpReceiver
from tests.streams.alerting_rig import Rig
from warehouse.alert_queries import AlertQueries
from warehouse.backend import Backend
from warehouse.migrations import migrate

LONG = DeadlineConfig(ack_hours={"red": 99, "orange": 99, "yellow": 99},
                      act_hours={"red": 99, "orange": 99, "yellow": 99})  # fmt: skip


@pytest.fixture
def rig(warehouse_backend: Callable[..., Backend], settings_factory: Callable[..., Settings],
        tmp_path: Path) -> Iterator[Rig]:  # fmt: skip
    backend = warehouse_backend("chdb")
    migrate(backend)
    smtp, http = SmtpReceiver().start(), HttpReceiver().start()
    yield Rig(backend, smtp, http, settings_factory())
    smtp.stop()
    http.stop()


def sec(s: float) -> timedelta:
    return timedelta(seconds=s)


def test_raised_to_closed_and_reopened_with_every_event_in_the_warehouse(rig: Rig) -> None:
    w = rig.worker()
    asyncio.run(w.feed(
        alert_input(), tick(T0 + sec(31)), action("acknowledge", hours(0.1), actor="wang"),
        action("assign", hours(0.2), actor="wang"), action("start", hours(1), actor="fengqiao_li"),
        action("resolve", hours(1.5), actor="fengqiao_li", note="已责令企业停产整改，河道清污"),
        action("follow_up", hours(26), actor="wang", satisfied=True, note="村民满意"),
        action("close", hours(27), actor="wang"), grown(2, hours(50)),
    ))  # fmt: skip
    f = AlertQueries(rig.backend).file(MID)
    kinds = [(e["kind"], e["actor"]) for e in f["events"]]
    assert kinds == [
        ("routed", "system"),
        ("acknowledged", "wang"),
        ("assigned", "wang"),
        ("started", "fengqiao_li"),
        ("resolved", "fengqiao_li"),
        ("followed_up", "wang"),
        ("closed", "wang"),
        ("reopened", "system"),
    ]
    assert [t["to_status"] for t in f["transitions"]][-2:] == ["closed", "reopened"]
    assert f["events"][4]["note"] == "已责令企业停产整改，河道清污"
    assert f["case"]["status"] == "reopened" and f["case"]["lead_unit"] == "fengqiao"
    alert = rig.backend.query(f"SELECT status FROM {rig.backend.database}.alerts FINAL")
    assert alert == [{"status": "raised"}]  # reopened: the alert is open again
    # Raised: lead unit and office; assigned: units and the area leader at once (一单双交);
    # resolved: the office; reopened: all of them again.
    assert [m.subject[:8] for m in rig.mails("fengqiao")] == [
        "【红色】新预警：",
        "【红色】交办（一",
        "【红色】事项重启",
    ]
    assert len(rig.mails("eco")) == 2 and len(rig.posts("/sms")) == 2
    # The office's "resolved" notice waited for its group; the reopening (immediate) took it along.
    office = rig.mails("office")
    assert len(office) == 2 and len(rig.posts("/ding")) == 2
    assert "已办结" in office[1].body and "事项重启" in office[1].body


def test_escalation_notifies_each_step_once_across_a_restart(rig: Rig) -> None:
    first = rig.worker()
    asyncio.run(first.feed(alert_input(), tick(T0 + sec(31))))
    assert (len(rig.mails("fengqiao")), len(rig.mails("office"))) == (1, 1)  # raised
    rig.clock.advance(minutes=31)
    asyncio.run(first.feed(tick(rig.clock.now()), tick(rig.clock.now())))  # once, even twice
    assert len(rig.mails("office")) == 2 and "逾期" in rig.mails("office")[1].subject
    assert len(rig.posts("/ding")) == 2 and rig.posts("/sms") == []
    # The worker dies: nothing in memory survives. A new one re-hydrates from the warehouse
    # and gets the last tick again (Kafka redelivers what was not committed).
    second = rig.worker()
    assert second.alerting.due({}, rig.clock.now(), 10.0)  # wakes up to re-hydrate
    asyncio.run(second.feed(tick(rig.clock.now())))
    assert len(second.parts.table) == 2 and NOISE_KEY in second.parts.table
    assert len(rig.mails("office")) == 2 and len(rig.posts("/ding")) == 2
    assert not second.alerting.due(second.parts.table, rig.clock.now(), 10.0)
    rig.clock.advance(minutes=30)
    assert second.alerting.due(second.parts.table, rig.clock.now(), 10.0)
    asyncio.run(second.feed(tick(rig.clock.now())))
    assert len(rig.posts("/sms")) == 1 and "逾期升级" in rig.posts("/sms")[0].body["text"]
    rig.clock.advance(minutes=30)
    asyncio.run(second.feed(tick(rig.clock.now())))
    (city,) = rig.posts("/city")
    assert city.body["title"].startswith("【红色】逾期升级")
    rig.clock.advance(hours=24)
    asyncio.run(second.feed(tick(rig.clock.now())))
    counts = (len(rig.mails("fengqiao")), len(rig.mails("office")), len(rig.posts("/ding")),
              len(rig.posts("/sms")), len(rig.posts("/city")))  # fmt: skip
    assert counts == (1, 2, 2, 1, 1)
    steps = [t["step"] for t in AlertQueries(rig.backend).file(MID)["transitions"]
             if t["action"] == "escalate"]  # fmt: skip
    assert steps == [1, 2, 3]


def test_noise_state_is_parsed_once_and_matters_without_a_case_are_skipped(rig: Rig) -> None:
    rig.deadlines = LONG
    w = rig.worker()
    others = [grown(v, T0 + sec(v), matter_id=f"M-other-{v}") for v in range(1, 6)]
    asyncio.run(w.feed(alert_input(), *others, tick(T0 + sec(31)), grown(2, T0 + sec(40))))
    table, alerting = w.parts.table, w.alerting
    assert alerting.noise_loads == 1  # at hydrate; then kept in memory
    assert sorted(table) == [MID.encode(), NOISE_KEY]  # no state for matters with no case
    assert table[NOISE_KEY].decode() == alerting._noise_state(table).to_json()
    db = rig.backend.database
    (row,) = rig.backend.query(f"SELECT count() AS n FROM {db}.alerting_snapshots "
                               "WHERE name = 'noise'")  # fmt: skip
    assert row["n"] == 2  # the notice queued, the group sent: nothing for the other inputs


def test_silences_and_inhibition_suppress_and_expire(rig: Rig) -> None:
    rig.deadlines = LONG
    w = rig.worker()
    silence = Silence(silence_id="s1", region=FENGQIAO, starts_at=T0, ends_at=hours(1),
                      reason="镇里已在现场处置", created_by="wang", created_at=T0)  # fmt: skip
    silence_input = {"kind": "silence", "at": T0, "silence": silence}
    from minqing.records import AlertingInput

    asyncio.run(w.feed(
        AlertingInput.model_validate(silence_input), alert_input(level="yellow", at=hours(0.1)),
        tick(hours(0.2)), alert_input(level="orange", version=2, at=hours(0.3)), tick(hours(0.4)),
    ))  # fmt: skip
    assert rig.smtp.mails == [] and rig.http.requests == []  # silenced
    asyncio.run(w.feed(
        tick(hours(1)), alert_input(level="red", version=3, at=hours(1.1)), tick(hours(1.2)),
    ))  # fmt: skip
    assert (len(rig.mails("fengqiao")), len(rig.mails("office"))) == (1, 1)  # silence expired
    asyncio.run(w.feed(alert_input(level="yellow", version=4, at=hours(1.3)), tick(hours(1.5))))
    assert (len(rig.mails("fengqiao")), len(rig.mails("office"))) == (1, 1)  # inhibited by red
    asyncio.run(w.feed(
        action("assign", hours(2)), action("resolve", hours(2.5), note="已处理"),
        tick(hours(2.6)), grown(2, hours(3)),
        alert_input(level="orange", version=5, at=hours(3.1)), tick(hours(3.2)),
    ))  # fmt: skip
    # assigned + reopened + orange (no longer inhibited: the red alert was resolved)
    assert [m.subject[4:8] for m in rig.mails("fengqiao")][1:] == [
        "交办（一",
        "事项重启",
        "预警等级",
    ]
    db = rig.backend.database
    rows = rig.backend.query(f"SELECT reason, count() AS n FROM {db}.suppressions FINAL "
                             "GROUP BY reason ORDER BY reason")  # fmt: skip
    assert rows == [{"reason": "inhibited", "n": 2}, {"reason": "silenced", "n": 4}]


def test_leader_digest_is_sent_once_a_day(rig: Rig) -> None:
    rig.deadlines, rig.digest = LONG, True
    w = rig.worker()
    asyncio.run(w.feed(alert_input(), tick(T0 + sec(31)), tick(T0 + sec(60))))
    (sms,) = rig.posts("/sms")
    assert "每日简报" in sms.body["text"] and "化工厂夜间偷排废水" in sms.body["text"]
    inbox = AlertQueries(rig.backend).inbox("leader")
    assert [n["kind"] for n in inbox] == ["digest"] and inbox[0]["notification_id"].startswith(
        "digest:leader:2026-11-02"
    )


def test_recipients_without_channels_are_reported(caplog: pytest.LogCaptureFixture) -> None:
    from notify.config import NotifyConfig
    from streams.escalation import _warn_unreachable
    from tests.alerting_world import router

    _warn_unreachable(router().cfg, NotifyConfig())
    assert "['city', 'eco', 'fengqiao', 'jc', 'leader', 'office']" in caplog.text


def test_a_merged_away_matters_alert_closes_in_its_file_once_and_quietly(rig: Rig) -> None:
    rig.deadlines = LONG
    into = "M0000000000aa"
    merged = grown(3, hours(1), matter_id=into, merged_from=[MID])
    w = rig.worker()
    asyncio.run(w.feed(alert_input(), alert_input(matter_id=into), tick(T0 + sec(31))))
    sent = (len(rig.smtp.mails), len(rig.http.requests))
    asyncio.run(w.feed(merged, merged, tick(hours(2))))  # the update twice: a redelivery
    asyncio.run(rig.worker().feed(merged))  # and once more after a restart (re-hydrated)
    assert (len(rig.smtp.mails), len(rig.http.requests)) == sent  # nobody told again
    f = AlertQueries(rig.backend).file(MID)
    assert [(e["kind"], e["actor"]) for e in f["events"]] == [
        ("routed", "system"),
        ("merged", "system"),
    ]
    assert into in f["events"][1]["note"] and f["case"]["status"] == "closed"
    db = rig.backend.database
    rows = rig.backend.query(f"SELECT count() AS n FROM {db}.alert_transitions "
                             "WHERE action = 'merge'")  # fmt: skip
    assert rows == [{"n": 1}]  # written once, not once per delivery
    alerts = rig.backend.query(f"SELECT matter_id, status FROM {db}.alerts FINAL "
                               "ORDER BY matter_id")  # fmt: skip
    assert alerts == [{"matter_id": into, "status": "raised"},
                      {"matter_id": MID, "status": "closed"}]  # fmt: skip
