"""Retention drops old report partitions (both engines); the audit log records views,
exports and actions, and only admins read it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from tests.auth.conftest import World
from tests.warehouse.conftest import BACKENDS
from warehouse.backend import Backend
from warehouse.migrations import migrate
from warehouse.retention import drop_expired, expired, partitions

NOW = datetime(2026, 11, 15, 9, 0, tzinfo=UTC)
MONTHS = {"2024-01": datetime(2024, 1, 20), "2024-10": datetime(2024, 10, 31, 23, 59),
          "2024-11": datetime(2024, 11, 1), "2026-11": datetime(2026, 11, 15)}  # fmt: skip


def report_row(rid: str, at: datetime) -> dict[str, object]:
    return {"report_id": rid, "receipt": "R" + rid, "received_at": at, "informant_id": "inf-1",
            "title": "t", "content": "c", "signals": [], "channel": "form", "matter_id": "",
            "version": 0}  # fmt: skip


@pytest.mark.parametrize("kind", BACKENDS)
def test_retention_drops_whole_old_months(
    kind: str, warehouse_backend: Callable[..., Backend]
) -> None:
    backend = warehouse_backend(kind)
    migrate(backend)
    backend.insert("reports", [report_row(k, at) for k, at in MONTHS.items()])
    assert partitions(backend, "reports") == [202401, 202410, 202411, 202611]
    assert drop_expired(backend, 24, NOW, dry_run=True) == {"reports": [202401, 202410]}
    assert partitions(backend, "reports") == [202401, 202410, 202411, 202611]
    assert drop_expired(backend, 24, NOW) == {"reports": [202401, 202410]}
    kept = backend.query(f"SELECT report_id FROM {backend.database}.reports ORDER BY report_id")
    assert [r["report_id"] for r in kept] == ["2024-11", "2026-11"]
    assert expired(backend, 0, NOW) == []  # 0 keeps everything
    assert drop_expired(backend, 24, NOW) == {"reports": []}


def audit(world: World, **query: str) -> list[dict[str, object]]:
    resp = world.client.get("/api/v1/admin/audit", params=query, headers=world.as_("admin"))
    assert resp.status_code == 200, resp.text
    items: list[dict[str, object]] = resp.json()["items"]
    return items


def test_views_exports_and_actions_are_audited(world: World) -> None:
    a = world.as_("analyst")
    world.client.get("/api/v1/matters/M-red", headers=a)
    world.client.get("/api/v1/matters/M-red/file", headers=a)
    world.client.get("/api/v1/export/matters.xlsx", params={"township": "330681109"}, headers=a)
    world.client.post("/api/v1/matters/M-red/alert/acknowledge", json={"note": "收到"}, headers=a)
    rows = audit(world, actor="analyst_a")
    seen = {(r["action"], r["target"]) for r in rows}
    assert {("view_matter", "M-red"), ("view_case_file", "M-red"), ("export", "matters"),
            ("lifecycle:acknowledge", "M-red")} <= seen  # fmt: skip
    export = next(r for r in rows if r["action"] == "export")
    assert export["role"] == "analyst" and export["detail"]["query"] == {  # type: ignore[index]
        "township": "330681109"}  # fmt: skip
    assert [r["action"] for r in audit(world, action="lifecycle:")] >= ["lifecycle:acknowledge"]


def test_refusals_and_sign_ins_are_audited(world: World) -> None:
    world.client.get("/api/v1/matters/M-yel", headers=world.as_("analyst"))
    world.client.post("/api/v1/auth/login", json={"username": "analyst_a", "password": "x"})
    denied = audit(world, action="denied", target="M-yel")
    assert denied and denied[0]["actor"] == "analyst_a"
    assert audit(world, action="login_failed", target="analyst_a")


def test_only_admins_read_the_audit_log(world: World) -> None:
    for role in ("analyst", "unit_handler", "leader", "informant"):
        assert world.client.get("/api/v1/admin/audit", headers=world.as_(role)).status_code == 403
    assert world.client.get("/api/v1/admin/audit").status_code == 401


def test_audit_rows_hold_no_address_and_no_report_text(world: World) -> None:
    world.client.get("/api/v1/matters/M-red", headers=world.as_("admin"))
    db = world.backend.database
    text = str(world.backend.query(f"SELECT * FROM {db}.audit_log"))
    assert "testclient" not in text and "127.0.0.1" not in text
    assert "不应出现在界面接口里的正文" not in text
