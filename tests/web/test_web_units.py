"""Pure parts of the UI: the SSE stream, deadlines, doctests, the ECharts build's checks,
the pages rendered from their layout, the strings of i18n.js."""

from __future__ import annotations

import asyncio
import doctest
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import web.export
import web.feed
import web.places
from minqing.errors import WarehouseError
from web import build
from web.assets import STATIC, Assets, Pages
from web.routes import PAGES
from web.stream import alert_events


class FakeRequest:
    """Connected for ``polls`` checks, then gone (as a closed browser tab)."""

    def __init__(self, polls: int) -> None:
        self.polls = polls

    async def is_disconnected(self) -> bool:
        self.polls -= 1
        return self.polls < 0


def collect(request: FakeRequest, loads: list[Any]) -> list[str]:
    def load() -> Any:
        item = loads.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    async def run() -> list[str]:
        return [c.decode() async for c in alert_events(request, load, interval=0, refresh=3600)]  # type: ignore[arg-type]

    return asyncio.run(run())


def test_stream_sends_changes_and_pings_otherwise() -> None:
    a = {"alert_id": "A1", "risk": 0.9, "seconds_left": 100}
    a_later = {**a, "seconds_left": 98}  # only the clock moved: no new event
    b = {**a, "status": "acknowledged"}
    chunks = collect(FakeRequest(4), [[a], [a_later], WarehouseError("down"), [b]])
    assert chunks[0] == "retry: 3000\n\n"
    kinds = [c.split("\n", 1)[0] for c in chunks[1:]]
    assert kinds == ["event: alerts", ": ping", "event: problem", "event: alerts"]
    first = json.loads(chunks[1].split("data: ", 1)[1])
    assert first["seq"] == 1 and first["count"] == 1 and first["items"] == [a]
    assert json.loads(chunks[4].split("data: ", 1)[1])["seq"] == 2


def test_deadline_needs_a_limit_and_done_is_never_overdue() -> None:
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    raised = (now - timedelta(hours=5)).isoformat()
    row = {"alert_id": "A", "level": "orange", "risk": 0.7, "status": "resolved",
           "township": None, "raised_at": raised}  # fmt: skip
    out = web.feed.enrich(row, now, {"orange": 4}, {})
    assert out["overdue"] is False and out["seconds_left"] == -3600
    assert web.feed.enrich(row, now, {}, {})["deadline"] is None
    rows = [{**row, "alert_id": "B", "status": "raised"}, {**row, "risk": 0.9}]
    assert [r["alert_id"] for r in web.feed.feed(rows, now, {"orange": 4}, {}, True)] == ["B"]


@pytest.mark.parametrize("module", [web.feed, web.places, web.export])
def test_doctests(module: Any) -> None:
    assert doctest.testmod(module).failed == 0


def test_layout_covers_every_township(config: Any, regions: Any) -> None:
    tiles = web.places.load_layout(config.region_file)
    assert sorted(t.code for t in tiles) == sorted(r.code for r in regions.townships())
    assert len({(t.x, t.y) for t in tiles}) == len(tiles)  # no two tiles on one cell
    assert all(regions.name(t.code) == t.name for t in tiles)


def test_build_refuses_a_tarball_with_another_hash(tmp_path: Path, monkeypatch: Any) -> None:
    fake = tmp_path / f"echarts-{build.ECHARTS_VERSION}.tgz"
    fake.write_bytes(b"not the real package")
    monkeypatch.setattr(build.subprocess, "run", lambda *a, **k: None)
    monkeypatch.setattr(build.shutil, "which", lambda _: "/usr/bin/npm")
    with pytest.raises(RuntimeError, match="sha512"):
        build.fetch(tmp_path)


def test_leaders_from_routing_config(tmp_path: Path) -> None:
    assert web.places.load_leaders(tmp_path) == []  # no routing.toml: pick areas by hand
    (tmp_path / "routing.toml").write_text(
        '[leaders.chen]\nname = "陈副市长"\ntitle = "副市长"\nareas = ["330681109"]\n',
        encoding="utf-8",
    )
    assert web.places.load_leaders(tmp_path) == [
        {"id": "chen", "name": "陈副市长", "title": "副市长", "areas": ["330681109"]}
    ]
    (tmp_path / "routing.toml").write_text("not toml [", encoding="utf-8")
    assert web.places.load_leaders(tmp_path) == []


CHART_PAGES = {"matter", "map", "trends", "kpi"}
STAFF_NAV = ("/analyst", "/map", "/trends", "/kpi", "/leader", "/")


def test_pages_render_from_one_layout() -> None:
    boot = {"label": '</script><b>"x"</b>'}
    assets = Assets()
    pages = {name: body.decode() for name, (body, _) in Pages(assets, boot).pages.items()}
    assert set(pages) == {*PAGES, "sw"}  # the layout is no page
    assert assets.version in pages["sw"] and "{{" not in pages["sw"]
    for name, html in ((n, h) for n, h in pages.items() if n != "sw"):
        assert html.startswith("<!doctype html>") and html.endswith("</html>\n"), name
        assert html.count('<header class="bar">') == 1 and html.count("<main") == 1, name
        assert not re.search(r"\{[{%#]", html), name  # nothing of the template left
        inline = re.search(r"<script>window\.MQ_BOOT=(.*?);</script>", html)
        assert inline is not None and json.loads(inline.group(1).replace("<\\/", "</")) == boot
        scripts = re.findall(r'<script src="/ui/([^"?]+)\?v=' + assets.version, html)
        assert scripts[-1] == f"js/{name}.js", name
        assert ("vendor/echarts.min.js" in scripts) == (name in CHART_PAGES), name
        nav = re.findall(r'<a href="([^"]*)" data-i18n="nav_', html)
        assert nav == (["/"] if name in ("form", "login") else list(STAFF_NAV)), name
        assert ('class="sr" href="#main"' in html) == (name not in ("form", "login")), name
    assert "<title>民情信息报送</title>" in pages["form"]
    assert '<h1 data-i18n="form_title">' in pages["form"]
    assert "<title>工作指标 · 民情预警</title>" in pages["kpi"]


def test_every_label_of_the_pages_has_both_languages() -> None:
    text = (STATIC / "js" / "i18n.js").read_text(encoding="utf-8")
    pairs = dict(re.findall(r"'?([\w.]+)'?: \[('[^']*'|\"[^\"]*\"), ", text))
    used = set()
    for path in (STATIC / "pages").glob("*.html"):
        used |= set(
            re.findall(r'data-i18n(?:-ph|-aria)?="([^"]+)"', path.read_text(encoding="utf-8"))
        )
    assert used and not used - set(pairs), used - set(pairs)
