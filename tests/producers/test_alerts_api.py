"""The lifecycle API: actions checked, recorded and published; the worker applies them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from minqing.records import AlertingInput
from minqing.settings import Settings
from producers.alerts_api import alerts_router
from tests import authkit
from tests.alerting_world import MID, T0, alert_input, router, tick
from tests.notify.receivers import HttpReceiver, SmtpReceiver
from tests.streams.alerting_rig import Rig
from warehouse.backend import Backend
from warehouse.migrations import migrate

USER: dict[str, str] = {}  # the analyst "wang"'s token, set by the world fixture


class ListPublisher:
    """Keeps what the API publishes, to hand it to the worker as the topic would."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, bytes]] = []

    def publish(self, key: bytes, value: bytes) -> None:
        self.sent.append((key, value))

    def take(self) -> list[AlertingInput]:
        out = [AlertingInput.model_validate_json(v) for _, v in self.sent]
        self.sent.clear()
        return out


@pytest.fixture
def rig(warehouse_backend: Callable[..., Backend],
        settings_factory: Callable[..., Settings]) -> Iterator[Rig]:  # fmt: skip
    backend = warehouse_backend("chdb")
    migrate(backend)
    smtp, http = SmtpReceiver().start(), HttpReceiver().start()
    yield Rig(backend, smtp, http, settings_factory())
    smtp.stop()
    http.stop()


@pytest.fixture
def world(rig: Rig) -> tuple[TestClient, ListPublisher, Rig]:
    publisher = ListPublisher()
    app = FastAPI()
    app.include_router(alerts_router(rig.backend, publisher, router(), now=rig.clock.now))
    authkit.install(app, rig.backend)
    USER.clear()
    USER.update(authkit.headers(rig.backend, "wang", "analyst", regions=(authkit.FENGQIAO,)))
    return TestClient(app), publisher, rig


def apply(rig: Rig, publisher: ListPublisher, *extra: AlertingInput) -> None:
    asyncio.run(rig.worker().feed(*extra, *publisher.take()))


def test_actor_is_required_and_unknown_matters_are_404(world) -> None:  # type: ignore[no-untyped-def]
    client, _, rig = world
    assert client.post(f"/api/v1/matters/{MID}/alert/acknowledge", json={}).status_code == 401
    admin = authkit.headers(rig.backend)
    r = client.post("/api/v1/matters/M000/alert/acknowledge", json={}, headers=admin)
    assert r.status_code == 404 and r.json()["message_zh"] == "该事项没有预警"
    # An analyst cannot tell an unknown matter from one outside their townships.
    r = client.post("/api/v1/matters/M000/alert/acknowledge", json={}, headers=USER)
    assert r.status_code == 404 and r.json()["message_zh"] == "未找到该事项"


def test_actions_are_recorded_published_and_applied(world) -> None:  # type: ignore[no-untyped-def]
    client, publisher, rig = world
    apply(rig, publisher, alert_input())
    rig.clock.advance(minutes=5)
    r = client.post(f"/api/v1/matters/{MID}/alert/acknowledge", json={"note": "收到"}, headers=USER)
    assert r.status_code == 202
    action_id = r.json()["action_id"]
    pending = client.get(f"/api/v1/alert-actions/{action_id}", headers=USER).json()
    assert pending["status"] == "pending"
    ((key, _),) = publisher.sent
    assert key == b"alerting"
    db = rig.backend.database
    assert rig.backend.query(f"SELECT actor, action FROM {db}.alert_actions") == [
        {"actor": "wang", "action": "acknowledge"}
    ]
    apply(rig, publisher)
    done = client.get(f"/api/v1/alert-actions/{action_id}", headers=USER).json()
    assert done["status"] == "done" and done["transition"]["actor"] == "wang"
    assert done["transition"]["deadline"] == "ack" and done["transition"]["on_time"] == 1
    body = {"lead_unit": "fengqiao", "co_units": ["eco"], "leaders": ["leader"], "note": "请处置"}
    li = authkit.headers(rig.backend, "li", "admin")
    assert client.post(f"/api/v1/matters/{MID}/alert/assign", json=body,
                       headers=li).status_code == 202  # fmt: skip
    apply(rig, publisher)
    f = client.get(f"/api/v1/matters/{MID}/file", headers=USER).json()
    assert f["case"]["status"] == "assigned" and f["case"]["co_units"] == ["eco"]
    assert [(e["kind"], e["actor"]) for e in f["events"]][-2:] == [
        ("acknowledged", "wang"),
        ("assigned", "li"),
    ]


def test_illegal_and_incomplete_actions_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    client, publisher, rig = world
    apply(rig, publisher, alert_input())
    r = client.post(f"/api/v1/matters/{MID}/alert/close", json={}, headers=USER)
    assert r.status_code == 409 and "不能「结案」" in r.json()["message_zh"]
    client.post(f"/api/v1/matters/{MID}/alert/assign", json={}, headers=USER)  # route's units
    apply(rig, publisher)
    r = client.post(f"/api/v1/matters/{MID}/alert/resolve", json={"note": " "}, headers=USER)
    assert r.status_code == 422 and publisher.sent == []
    r = client.post(f"/api/v1/matters/{MID}/alert/follow-up", json={}, headers=USER)
    assert r.status_code == 409


def test_silences_create_list_and_expire(world) -> None:  # type: ignore[no-untyped-def]
    client, publisher, _ = world
    assert client.post("/api/v1/silences", json={"reason": "x"}, headers=USER).status_code == 422
    r = client.post("/api/v1/silences", json={"region": "330681109", "hours": 2,
                                              "reason": "已在现场"}, headers=USER)  # fmt: skip
    assert r.status_code == 201 and r.json()["created_by"] == "wang"
    sid = r.json()["silence_id"]
    listed = client.get("/api/v1/silences", headers=USER).json()["items"]
    assert [s["silence_id"] for s in listed] == [sid]
    assert client.post(f"/api/v1/silences/{sid}/expire", headers=USER).status_code == 200
    assert client.get("/api/v1/silences", headers=USER).json()["items"] == []
    assert client.get("/api/v1/silences?active=false", headers=USER).json()["count"] == 1
    kinds = [(i.kind, i.silence.version if i.silence else 0) for i in publisher.take()]
    assert kinds == [("silence", 1), ("silence", 2)]


def test_inbox_kpis_and_digest(world) -> None:  # type: ignore[no-untyped-def]
    client, publisher, rig = world
    apply(rig, publisher, alert_input(), tick(T0 + timedelta(seconds=31)))
    admin = authkit.headers(rig.backend)
    inbox = client.get("/api/v1/inbox/office", headers=admin).json()
    assert inbox["count"] == 1 and inbox["items"][0]["items"][0]["kind"] == "raised"
    start, end = T0.isoformat(), (T0 + timedelta(days=1)).isoformat()
    k = client.get(
        "/api/v1/kpis", params={"start": start, "end": end, "by": "all"}, headers=admin
    ).json()
    assert k["items"][0]["raised"] == 1 and k["items"][0]["acknowledged"] == 0
    d = client.get("/api/v1/leaders/leader/digest", headers=admin).json()
    assert [c["matter_id"] for c in d["open"]] == [MID] and d["name"] == "陈副市长"
    assert client.get("/api/v1/leaders/nobody/digest", headers=admin).status_code == 404
