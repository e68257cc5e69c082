"""The UI's pages and JSON endpoints, mounted on the real intake app over chdb."""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from minqing.config import Config
from minqing.settings import Settings
from producers.intake import create_web_app
from producers.outbox import Outbox
from tests import authkit
from tests.web.seed import FENGQIAO, PAITOU, seed
from warehouse.backend import Backend
from warehouse.migrations import migrate
from warehouse.queries import Queries
from web.routes import mount_ui

NOW = datetime.now(UTC).replace(microsecond=0)
DB: dict[str, Backend] = {}  # the fixture's backend, for tests that write more rows


@pytest.fixture
def client(
    settings_factory: Callable[..., Settings],
    config: Config,
    warehouse_backend: Callable[..., Backend],
    tmp_path: Path,
) -> Iterator[TestClient]:
    settings = settings_factory()
    backend = DB["backend"] = warehouse_backend("chdb")
    migrate(backend)
    seed(backend, NOW)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    # Mounted after the intake's own routes, as a one-line wiring at the end would do.
    app = create_web_app(settings, config, outbox, Queries(backend))
    mount_ui(app, settings, config, Queries(backend))
    # Every UI endpoint needs a signed-in caller: an admin sees every region.
    with TestClient(app, headers=authkit.headers(backend)) as c:
        yield c
    outbox.close()


def feed(client: TestClient, **params: Any) -> list[str]:
    resp = client.get("/api/v1/alerts/feed", params=params)
    assert resp.status_code == 200, resp.text
    return [a["alert_id"] for a in resp.json()["items"]]


def test_feed_orders_filters_and_flags_overdue(client: TestClient) -> None:
    assert feed(client) == ["AM-red", "AM-done", "AM-yel"]
    assert feed(client, status="open", township=PAITOU) == ["AM-yel"]
    assert feed(client, overdue="true") == ["AM-red"]
    red = client.get("/api/v1/alerts/feed").json()["items"][0]
    assert red["township_name"] == "枫桥镇" and red["overdue"] is True
    assert red["seconds_left"] < 0 and red["deadline"] < NOW.isoformat()
    assert "informant_id" not in red
    for bad in ({"township": "12ab"}, {"min_level": "purple"}, {"status": "x;drop"}):
        assert client.get("/api/v1/alerts/feed", params=bad).status_code == 422


def test_region_tree_is_short_named_and_gzipped(client: TestClient) -> None:
    resp = client.get("/api/v1/regions", headers={"accept-encoding": "gzip"})
    assert resp.headers["content-encoding"] == "gzip"
    assert "max-age" in resp.headers["cache-control"]
    tree = resp.json()
    assert (tree["code"], tree["name"]) == ("330681", "诸暨市")
    assert len(tree["townships"]) == 23
    names = [v["name"] for t in tree["townships"] for v in t["villages"]]
    assert len(names) == 515 and not [n for n in names if "委员会" in n or "委会" in n]
    fengqiao = next(t for t in tree["townships"] if t["code"] == FENGQIAO)
    assert {"code": "330681109290", "name": "枫源村"} in fengqiao["villages"]


def test_trends_map_and_overview(client: TestClient) -> None:
    trends = client.get("/api/v1/trends", params={"days": 7}).json()
    assert len(trends["days"]) == 7
    assert sum(trends["series"]["reports_by_category"]["environment"]) == 2
    data = client.get("/api/v1/map").json()
    assert len(data["geojson"]["features"]) == 23
    by_code = {t["code"]: t for t in data["townships"]}
    assert by_code[FENGQIAO] | {"reports_7d": 2} == {
        "code": FENGQIAO, "name": "枫桥镇", "open_alerts": 1, "overdue": 1,
        "max_risk": 0.91, "level": "red", "reports_7d": 2,
    }  # fmt: skip
    assert by_code[PAITOU]["level"] == "yellow"  # the resolved orange one no longer counts
    alerts = client.get("/api/v1/overview").json()["alerts"]
    assert alerts["resolution_rate"] == round(1 / 3, 4)
    assert alerts["on_time_completion_rate"] == 1.0
    assert alerts["on_time_response_rate"] == 0.5  # M-red is past due with nobody acting
    assert alerts["open_by_level"] == {"blue": 0, "yellow": 1, "orange": 0, "red": 1}


def test_csv_export_is_excel_friendly_and_safe(client: TestClient) -> None:
    resp = client.get("/api/v1/export/alerts.csv")
    assert resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in resp.headers["content-disposition"]
    assert resp.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["预警编号", "事项编号", "等级"]
    assert rows[1][2] == "红色" and rows[1][-1] == "是"
    assert "'=拆迁补偿" in {r[5] for r in rows[1:]}  # a title never runs as a formula
    english = client.get("/api/v1/export/alerts.csv", params={"lang": "en"}).text
    assert english.lstrip("\ufeff").startswith("Alert ID,Matter ID,Level")


def test_xlsx_and_other_lists(client: TestClient) -> None:
    from openpyxl import load_workbook

    resp = client.get("/api/v1/export/matters.xlsx")
    sheet = load_workbook(io.BytesIO(resp.content)).active
    assert sheet is not None
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:2] == ("事项编号", "标题") and len(rows) == 3
    reports = client.get("/api/v1/export/reports.csv", params={"matter_id": "M-red"}).text
    assert "枫源村" in reports and "secret-informant" not in reports and "正文" not in reports
    assert client.get("/api/v1/export/reports.csv").status_code == 422
    for name in ("trends", "townships", "kpi"):
        assert client.get(f"/api/v1/export/{name}.csv").status_code == 200
    assert "化解率" in client.get("/api/v1/export/kpi.csv").text
    assert client.get("/api/v1/export/secrets.csv").status_code == 422


PAGES = ("/", "/analyst", "/matter", "/map", "/trends", "/kpi", "/leader")


def test_pages_replace_the_old_form_and_carry_the_config(client: TestClient) -> None:
    home = client.get("/").text
    assert 'id="categories"' in home and "民情信息报送" in home
    assert "土地征用" in home  # the office's labels, inlined
    version = re.search(r"/ui/js/api\.js\?v=(\w+)", home)
    assert version is not None
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == 200 and resp.headers["cache-control"] == "no-cache"
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", resp.text), path


def test_assets_are_gzipped_and_cached_for_good(client: TestClient) -> None:
    resp = client.get("/ui/js/api.js?v=1", headers={"accept-encoding": "gzip"})
    assert resp.headers["content-encoding"] == "gzip"
    assert "immutable" in resp.headers["cache-control"]
    assert "/api/v1/alerts/stream" in resp.text
    plain = client.get("/ui/css/app.css", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text.startswith("/*")
    assert client.get("/ui/nope.js").status_code == 404
    assert client.get("/ui/../web/routes.py").status_code == 404


def test_mount_twice_changes_nothing(client: TestClient, config: Config) -> None:
    app: Any = client.app
    before = len(app.router.routes)
    mount_ui(app, Settings(), config, object())  # a second call returns before checking
    assert len(app.router.routes) == before


def test_static_files_ask_no_other_server() -> None:
    root = Path(__file__).parents[2] / "web" / "static"
    for path in [*root.glob("js/*.js"), *root.glob("css/*.css"), *root.glob("pages/*")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), path
        assert "@import" not in text and "url(http" not in text, path


def test_gzip_bodies_decompress() -> None:
    from web.assets import Assets

    assets = Assets()
    for asset in assets.files.values():
        if asset.gz is not None:
            assert gzip.decompress(asset.gz) == asset.body


def test_lifecycle_deadline_wins_over_the_config_limit(client: TestClient) -> None:
    import minqing.records

    case_type = getattr(minqing.records, "AlertCase", None)
    if case_type is None:
        pytest.skip("no alert lifecycle in this tree")
    from warehouse.writer import WarehouseWriter

    yellow = client.get("/api/v1/alerts/feed", params={"township": PAITOU, "status": "open"})
    [row] = yellow.json()["items"]
    assert row["overdue"] is False  # 12 h from the config
    due = NOW - timedelta(minutes=1)
    case = case_type(
        matter_id="M-yel", alert_id="AM-yel", version=1, status="raised", level="yellow",
        title="工地欠薪", opened_at=NOW - timedelta(hours=1), updated_at=NOW,
        due_kind="ack", due_at=due, state="{}",
    )  # fmt: skip
    writer = WarehouseWriter(DB["backend"])
    writer.add_record(case)
    writer.flush()
    [row] = client.get("/api/v1/alerts/feed", params={"township": PAITOU, "status": "open"}).json()[
        "items"
    ]
    assert row["overdue"] is True and row["due_kind"] == "ack"
    assert row["deadline"] == due.isoformat()
