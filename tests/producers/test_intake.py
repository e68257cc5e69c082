"""The intake web app over a real outbox and a real (chdb) warehouse."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from minqing.config import Config
from minqing.receipts import receipt_for
from minqing.records import Accepted, Report
from minqing.regions import Regions
from minqing.settings import Settings
from producers.intake import create_web_app
from producers.outbox import Outbox
from streams.pipeline import Pipeline
from streams.topics import RAW
from streams.validate import accept
from tests import authkit
from warehouse.backend import Backend
from warehouse.migrations import migrate
from warehouse.queries import Queries
from warehouse.rows import accepted_row, report_row
from warehouse.writer import WarehouseWriter

SECRET = "intake-test-secret"
REPORTS = "/api/v1/reports"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Intake:
    client: TestClient
    outbox: Outbox
    backend: Backend
    settings: Settings
    pipeline: Pipeline
    admin: dict[str, str]

    def post(self, body: Any, **kwargs: Any) -> Any:
        if isinstance(body, Report):
            body = body.to_bytes()
        elif not isinstance(body, bytes):
            body = json.dumps(body, ensure_ascii=False).encode()
        return self.client.post(
            REPORTS, content=body, headers={"content-type": "application/json"}, **kwargs
        )

    def status(self, receipt: str) -> Any:
        return self.client.get(f"{REPORTS}/{receipt}")

    def accepted(self, report_id: str) -> Accepted:
        """The report as the outbox holds it, validated as the relay's recorder does."""
        [payload] = [p for rid, p in self.outbox.due(60) if rid == report_id]
        out = accept(payload, RAW, self.pipeline.regions, SECRET, datetime.now(SHANGHAI))
        assert isinstance(out, Accepted)
        return out


@pytest.fixture
def intake(
    settings_factory: Callable[..., Settings],
    config: Config,
    regions: Regions,
    warehouse_backend: Callable[..., Backend],
    tmp_path: Path,
) -> Iterator[Intake]:
    settings = settings_factory(receipt_secret=SECRET)
    backend = warehouse_backend("chdb")
    migrate(backend)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    app = create_web_app(settings, config, outbox, Queries(backend))
    with TestClient(app) as client:
        pipeline = Pipeline(config, regions, SECRET)
        yield Intake(client, outbox, backend, settings, pipeline, authkit.headers(backend))
    outbox.close()


def body_of(report: Report, **changes: Any) -> dict[str, Any]:
    data = json.loads(report.to_bytes())
    data.update(changes)
    return data


def test_valid_report_is_accepted_with_a_receipt(
    intake: Intake, make_report: Callable[..., Report]
) -> None:
    report = make_report()
    resp = intake.post(report)
    assert resp.status_code == 201
    body = resp.json()
    assert body["report_id"] == report.report_id
    assert report.report_id is not None
    assert body["receipt"] == receipt_for(report.report_id, SECRET)
    assert body["status_url"] == f"{REPORTS}/{body['receipt']}"
    assert intake.outbox.depth() == 1
    assert intake.outbox.due(60) == [(report.report_id, report.to_bytes())]


def test_report_id_and_received_at_are_assigned_when_absent(
    intake: Intake, make_report: Callable[..., Report]
) -> None:
    before = datetime.now(SHANGHAI)
    resp = intake.post(body_of(make_report(), report_id=None, received_at=None))
    assert resp.status_code == 201
    rid = resp.json()["report_id"]
    assert rid.startswith("r-")
    [(stored_id, payload)] = intake.outbox.due(60)
    stored = Report.model_validate_json(payload)
    assert stored_id == rid == stored.report_id
    assert stored.received_at is not None
    assert stored.received_at.utcoffset() == timedelta(hours=8)  # the configured timezone
    assert before - timedelta(seconds=1) <= stored.received_at <= datetime.now(SHANGHAI)


def test_two_reports_without_ids_get_different_ids(
    intake: Intake, make_report: Callable[..., Report]
) -> None:
    body = body_of(make_report(), report_id=None)
    a, b = intake.post(body).json(), intake.post(body).json()
    assert a["report_id"] != b["report_id"] and a["receipt"] != b["receipt"]
    assert intake.outbox.depth() == 2


def test_duplicate_report_id_is_idempotent(
    intake: Intake, make_report: Callable[..., Report]
) -> None:
    report = make_report()
    first = intake.post(report)
    again = intake.post(body_of(report, title="重发的标题"))
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert intake.outbox.depth() == 1
    assert intake.outbox.due(60)[0][1] == report.to_bytes()  # the first copy wins


def test_wrong_types_and_unknown_category_are_explained_per_field(
    intake: Intake, make_report: Callable[..., Report]
) -> None:
    resp = intake.post(body_of(make_report(), people_involved="三十", category="riot"))
    assert resp.status_code == 422
    body = resp.json()
    assert body["message_en"] == "invalid report: see errors"
    assert body["message_zh"] == "报告内容有误，请查看各字段提示"
    errors = {e["field"]: e for e in body["errors"]}
    assert set(errors) == {"people_involved", "category"}
    assert "people_involved" in errors["people_involved"]["message_en"]
    assert "涉及人数" in errors["people_involved"]["message_zh"]
    assert "category" in errors["category"]["message_en"]
    assert "类别" in errors["category"]["message_zh"]
    assert intake.outbox.depth() == 0


def test_missing_and_unknown_fields(intake: Intake) -> None:
    resp = intake.post({"title": "t", "phone": "138"})
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.json()["errors"]}
    assert fields == {"informant_id", "content", "phone"}


def test_content_of_3000_chars_is_refused(
    intake: Intake, make_report: Callable[..., Report]
) -> None:
    resp = intake.post(body_of(make_report(), content="长" * 3000))
    assert resp.status_code == 422
    [error] = resp.json()["errors"]
    assert error["field"] == "content" and "2000" in error["message_zh"]
    assert intake.outbox.depth() == 0


@pytest.mark.parametrize(
    "body",
    [b'{"title": "t",', b"", b"not json", b"\xff\xfe{}"],
    ids=["cut", "empty", "text", "bytes"],
)
def test_malformed_json_is_400(intake: Intake, body: bytes) -> None:
    resp = intake.post(body)
    assert resp.status_code == 400
    data = resp.json()
    assert data["message_zh"] == "JSON 格式错误，无法解析"
    assert data["message_en"].startswith("malformed JSON")
    assert data["errors"][0]["field"] == "body"


@pytest.mark.parametrize("body", [[1, 2], "report", 3, None, True])
def test_json_that_is_not_an_object_is_422(intake: Intake, body: Any) -> None:
    resp = intake.post(body)
    assert resp.status_code == 422
    assert resp.json()["message_zh"] == "请求体必须是 JSON 对象"


def big_body(make_report: Callable[..., Report]) -> bytes:
    body = json.dumps(body_of(make_report(), region_text="村" * 50_000), ensure_ascii=False)
    assert len(body.encode()) > 100 * 1024
    return body.encode()


def test_100kb_body_is_413(intake: Intake, make_report: Callable[..., Report]) -> None:
    resp = intake.post(big_body(make_report))
    assert resp.status_code == 413
    kb = intake.settings.max_body_bytes // 1024
    assert resp.json()["message_zh"] == f"请求体超过 {kb} KB"
    assert intake.outbox.depth() == 0


def test_100kb_body_without_content_length_is_413(
    intake: Intake, make_report: Callable[..., Report]
) -> None:
    data = big_body(make_report)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), 8192):
            yield data[i : i + 8192]

    resp = intake.client.post(REPORTS, content=chunks())  # chunked: no content-length
    assert resp.status_code == 413
    assert intake.outbox.depth() == 0


def test_100kb_body_with_a_lying_content_length_is_413(
    intake: Intake, make_report: Callable[..., Report]
) -> None:
    resp = intake.client.post(
        REPORTS, content=big_body(make_report), headers={"content-length": "100"}
    )
    assert resp.status_code == 413
    assert intake.outbox.depth() == 0


def test_unknown_receipt_is_404_in_both_languages(intake: Intake) -> None:
    resp = intake.status("NOSUCHRCPT")
    assert resp.status_code == 404
    assert resp.json()["message_en"] == "no report with this receipt"
    assert resp.json()["message_zh"] == "未找到该回执号对应的报告"


def test_status_follows_the_report_through_the_warehouse(
    intake: Intake, make_report: Callable[..., Report]
) -> None:
    report = make_report(signals=["collective_petition"], people_involved=60)
    receipt = intake.post(report).json()["receipt"]
    assert report.report_id is not None

    # Only in the outbox yet.
    assert intake.status(receipt).json() == {"receipt": receipt, "status": "received"}

    writer = WarehouseWriter(intake.backend)
    accepted = intake.accepted(report.report_id)
    assert accepted.receipt == receipt
    writer.add("reports", accepted_row(accepted))
    writer.flush()
    intake.outbox.confirm([report.report_id])  # now only the warehouse knows it
    assert intake.status(receipt).json()["status"] == "received"

    update = intake.pipeline.cluster(accepted)
    writer.add("reports", report_row(update))
    writer.flush()
    assert intake.status(receipt).json()["status"] == "in_matter"

    scored = intake.pipeline.score(update)
    scored = scored.model_copy(
        update={"score": scored.score.model_copy(update={"level": "red", "risk": 0.9})}
    )
    out = intake.pipeline.alert(scored)
    assert out is not None
    writer.add_record(out)
    writer.flush()
    assert intake.status(receipt).json() == {"receipt": receipt, "status": "alert_raised"}

    handled = out.alert.model_copy(update={"version": 2, "status": "resolved"})
    writer.add_record(handled)
    writer.flush()
    assert intake.status(receipt).json()["status"] == "handled"


def test_alerts_and_matters(intake: Intake, make_report: Callable[..., Report]) -> None:
    admin = intake.admin
    assert intake.client.get("/api/v1/alerts", headers=admin).json() == {"items": [], "count": 0}
    writer = WarehouseWriter(intake.backend)
    for i in range(3):
        report = make_report(
            informant_id=f"inf-{i}", people_involved=20 * (i + 1), signals=["gathering"]
        )
        assert intake.post(report).status_code == 201
        assert report.report_id is not None
        update = intake.pipeline.cluster(intake.accepted(report.report_id))
        writer.add_record(update)
        scored = intake.pipeline.score(update)
        # Alerting apart from the risk model: every version of this matter scores orange.
        score = scored.score.model_copy(update={"level": "orange", "risk": 0.7})
        out = intake.pipeline.alert(scored.model_copy(update={"score": score}))
        if out is not None:
            writer.add_record(out)
    writer.flush()
    matter_id = update.matter.matter_id

    body = intake.client.get("/api/v1/alerts", headers=admin).json()
    assert set(body) == {"items", "count"}
    [alert] = body["items"]
    assert body["count"] == 1
    assert alert["matter_id"] == matter_id and alert["status"] == "raised"
    assert alert["level"] == "orange"

    def count(**params: str) -> int:
        resp = intake.client.get("/api/v1/alerts", params=params, headers=admin)
        return int(resp.json()["count"])

    assert count(min_level="orange") == 1
    assert count(min_level="red") == 0
    assert count(status="closed") == 0

    matter = intake.client.get(f"/api/v1/matters/{matter_id}", headers=admin)
    assert matter.status_code == 200
    m = matter.json()
    assert m["matter_id"] == matter_id and m["n_reports"] == 3
    assert len(m["reports"]) == 3 and m["alert"]["alert_id"] == alert["alert_id"]
    assert "informant_id" not in json.dumps(m)  # the system never shows who reported
    missing = intake.client.get("/api/v1/matters/M000000000000", headers=admin)
    assert missing.status_code == 404 and missing.json()["message_zh"] == "未找到该事项"


@pytest.mark.parametrize(
    "params",
    [{"min_level": "purple"}, {"status": "lost"}, {"limit": 0}, {"limit": "many"}],
    ids=["level", "status", "limit0", "limit-text"],
)
def test_bad_alert_filters_are_422_not_500(intake: Intake, params: dict[str, Any]) -> None:
    resp = intake.client.get("/api/v1/alerts", params=params, headers=intake.admin)
    assert resp.status_code == 422
    body = resp.json()
    assert body["message_en"] == "invalid request" and body["message_zh"] == "请求参数无效"
    assert body["errors"] and body["errors"][0]["field"].startswith("query.")


def test_the_form_is_chinese_with_the_configured_labels(intake: Intake, config: Config) -> None:
    resp = intake.client.get("/")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert len(resp.content) < 100 * 1024
    page = resp.text
    assert '<html lang="zh-CN">' in page and "民情信息报送" in page
    for key, label in {**config.categories, **config.signals}.items():
        assert f'"{key}":"{label}"' in page
    assert "{{" not in page


def test_healthz_reports_the_outbox_depth(
    intake: Intake, make_report: Callable[..., Report]
) -> None:
    assert intake.client.get("/healthz").json() == {"status": "ok", "outbox_depth": 0}
    intake.post(make_report())
    assert intake.client.get("/healthz").json() == {"status": "ok", "outbox_depth": 1}
