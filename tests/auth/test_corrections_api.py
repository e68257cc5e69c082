"""The corrections API: who may merge and move out, scope on both matters, bilingual errors.

Over the seeded warehouse of tests/auth/conftest.py (M-red in 枫桥镇, township A;
M-yel and M-done in 牌头镇, township B), plus a second matter of township A.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from minqing.config import Config
from minqing.records import Correction, Matter
from minqing.settings import Settings
from producers.corrections_api import corrections_router
from producers.intake import create_web_app
from producers.outbox import Outbox
from tests.auth.conftest import NOW, ListPublisher, World, accounts
from tests.authkit import FENGQIAO
from warehouse import corrections
from warehouse.backend import Backend
from warehouse.queries import Queries
from warehouse.rows import matter_row


class Rig:
    def __init__(self, world: World, published: ListPublisher) -> None:
        self.world, self.published = world, published

    def post(self, role: str, path: str, body: Any) -> Any:
        return self.world.client.post(path, headers=self.world.as_(role), json=body)

    def sent(self) -> list[tuple[bytes, Correction]]:
        return [(k, Correction.model_validate_json(v)) for k, v in self.published.sent]


@pytest.fixture(scope="module")
def rig(module_backend: Backend, config: Config,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:  # fmt: skip
    module_backend.insert("matters", [matter_row(Matter(
        matter_id="M-red2", version=1, title="化工厂排污", category="environment",
        township=FENGQIAO, county="330681", n_reports=1, n_informants=1, n_villages=1,
        people_max=0, first_seen=NOW, last_seen=NOW))])  # fmt: skip
    root: Path = tmp_path_factory.mktemp("corrections")
    fields: dict[str, Any] = {"data_dir": root / "data", "receipt_secret": "auth-test-receipts"}
    settings = Settings(**fields)
    outbox = Outbox(root / "outbox.sqlite3")
    published = ListPublisher()
    app = create_web_app(settings, config, outbox, Queries(module_backend),
                         routers=[corrections_router(module_backend, published)])  # fmt: skip
    world = World(app, TestClient(app), module_backend, settings, outbox)
    accounts(world)
    yield Rig(world, published)
    outbox.close()


@pytest.fixture(autouse=True)
def fresh(rig: Rig) -> None:
    rig.published.sent.clear()


REASON = "同一家化工厂"


def test_an_analyst_merges_two_matters_of_their_township(rig: Rig) -> None:
    resp = rig.post("analyst", "/api/v1/matters/M-red/merge", {"other": "M-red2", "reason": REASON})
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["status"] == "queued" and body["outcome_url"].endswith(body["correction_id"])
    [(key, c)] = rig.sent()
    assert key == FENGQIAO.encode()  # the partition of the matter's clustering state
    assert (c.kind, c.matter_id, c.other, c.actor, c.reason) == (
        "merge", "M-red", "M-red2", "analyst_a", REASON)  # fmt: skip
    backend = rig.world.backend
    assert corrections.get(backend, c.correction_id) == c  # recorded before publishing
    audit = rig.world.auth.audit.search(action="correction:merge")
    assert audit[0]["target"] == "M-red" and audit[0]["detail"]["other"] == "M-red2"
    url = body["outcome_url"]
    assert rig.world.client.get(url, headers=rig.world.as_("analyst")).json()["status"] == "pending"
    corrections.record(backend, c.model_copy(update={"version": 2, "status": "rejected",
                                                     "note": "no / 否"}))  # fmt: skip
    out = rig.world.client.get(url, headers=rig.world.as_("analyst")).json()
    assert out["status"] == "rejected" and out["transition"]["note"] == "no / 否"
    assert rig.world.client.get(url, headers=rig.world.as_("analyst_b")).status_code == 404


def test_both_matters_must_be_in_scope(rig: Rig) -> None:
    out_of_scope = rig.post("analyst", "/api/v1/matters/M-red/merge",
                            {"other": "M-yel", "reason": REASON})  # fmt: skip
    assert out_of_scope.status_code == 404
    assert out_of_scope.json()["errors"][0]["field"] == "other"
    path_out = rig.post("analyst_b", "/api/v1/matters/M-red/merge",
                        {"other": "M-yel", "reason": REASON})  # fmt: skip
    assert path_out.status_code == 404
    assert rig.sent() == []
    county = rig.post("county", "/api/v1/matters/M-red/merge", {"other": "M-yel", "reason": REASON})
    assert county.status_code == 202
    unknown = rig.post("admin", "/api/v1/matters/M-red/merge", {"other": "M-nope", "reason": "x"})
    assert unknown.status_code == 404
    assert rig.post("admin", "/api/v1/matters/M-nope/move-out",
                    {"report_id": "M-red-r0", "reason": "x"}).status_code == 404  # fmt: skip


@pytest.mark.parametrize("role", ["unit_handler", "leader", "informant", "anonymous"])
def test_only_the_office_corrects(rig: Rig, role: str) -> None:
    for path, body in (("merge", {"other": "M-red2", "reason": REASON}),
                       ("move-out", {"report_id": "M-red-r0", "reason": REASON})):  # fmt: skip
        status = rig.post(role, f"/api/v1/matters/M-red/{path}", body).status_code
        assert status == (401 if role == "anonymous" else 403)
    assert rig.sent() == []


@pytest.mark.parametrize(
    ("path", "body", "field", "zh"),
    [
        ("merge", {"reason": REASON}, "other", "另一事项编号为必填项"),
        ("merge", {"other": "M-red", "reason": REASON}, "other", "另一事项编号须为另一个事项"),
        ("merge", {"other": "M-red2", "reason": ""}, "reason", "理由不能为空"),
        ("merge", {"other": "M red2", "reason": REASON}, "other", "另一事项编号格式无效"),
        ("merge", {"other": "M-red2", "reason": "长" * 501}, "reason", "理由过长（最多500个字符）"),
        ("move-out", {"reason": REASON}, "report_id", "报告编号为必填项"),
        ("move-out", {"report_id": "M-yel-r0", "reason": REASON}, "report_id",
         "报告编号不是该事项的报告"),
        ("move-out", [1, 2], "report_id", "报告编号为必填项"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field_in_both_languages(
    rig: Rig, path: str, body: Any, field: str, zh: str
) -> None:
    resp = rig.post("analyst", f"/api/v1/matters/M-red/{path}", body)
    assert resp.status_code == 422, resp.text
    out = resp.json()
    assert out["message_zh"] == zh and out["message_en"].startswith(field)
    assert out["errors"][0]["field"] == field
    assert rig.sent() == []


def test_an_analyst_moves_a_report_out(rig: Rig) -> None:
    resp = rig.post("analyst", "/api/v1/matters/M-red/move-out",
                    {"report_id": "M-red-r1", "reason": "另一件事"})  # fmt: skip
    assert resp.status_code == 202, resp.text
    [(key, c)] = rig.sent()
    assert key == FENGQIAO.encode() and c.kind == "move_out" and c.report_id == "M-red-r1"
    audit = rig.world.auth.audit.search(action="correction:move_out")
    assert audit[0]["detail"]["report_id"] == "M-red-r1"
