"""Sending reports over HTTP (import, simulator --live, demo feed) to a real running intake."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from minqing import cli
from minqing.config import Config
from minqing.errors import IntakeError
from minqing.records import Report
from minqing.settings import Settings
from producers.demo import DemoFeed
from producers.intake import create_web_app
from producers.outbox import Outbox
from producers.sender import file_lines, post, send_lines, wait_ready
from warehouse.backend import Backend
from warehouse.migrations import migrate
from warehouse.queries import Queries


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    base: str
    settings: Settings
    outbox: Outbox


@pytest.fixture
def live_intake(
    settings_factory: Callable[..., Settings],
    config: Config,
    warehouse_backend: Callable[..., Backend],
    tmp_path: Path,
) -> Iterator[Live]:
    """The intake served by uvicorn on a free port, as `minqing up` serves it."""
    settings = settings_factory()
    backend = warehouse_backend("chdb")
    migrate(backend)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    app = create_web_app(settings, config, outbox, Queries(backend))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=settings.http_port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield Live(f"http://127.0.0.1:{settings.http_port}", settings, outbox)
    finally:
        server.should_exit = True
        thread.join(10)
        outbox.close()


def test_wait_ready(live_intake: Live) -> None:
    wait_ready(live_intake.base, 5)


def test_wait_ready_gives_up_with_an_intake_error() -> None:
    t = time.monotonic()
    with pytest.raises(IntakeError, match="无法连接报送服务"):
        wait_ready(f"http://127.0.0.1:{free_port()}", 1.0)
    assert time.monotonic() - t < 5


def test_post_retries_then_gives_up() -> None:
    with (
        httpx.Client(base_url=f"http://127.0.0.1:{free_port()}", timeout=2) as client,
        pytest.raises(IntakeError, match="unreachable"),
    ):
        post(client, b"{}", retries=2)


def test_file_lines_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"a": 1}\n\n  \n {"b": 2} \n')
    assert list(file_lines(path)) == [(1, b'{"a": 1}'), (4, b'{"b": 2}')]


def test_send_lines_counts_accepted_and_returns_reasons(
    live_intake: Live, make_report: Callable[..., Report]
) -> None:
    good = [make_report().to_bytes(), make_report().to_bytes()]
    bad_type = make_report().to_bytes().replace(b'"people_involved":10', b'"people_involved":"x"')
    lines = [(1, good[0]), (2, bad_type), (3, b"{oops"), (4, good[1])]
    result = send_lines(live_intake.base, lines, total=4, progress=False)
    assert result.accepted == 2
    assert [(r["line"], r["status"]) for r in result.rejected] == [(2, 422), (3, 400)]
    assert result.rejected[0]["errors"][0]["field"] == "people_involved"
    assert live_intake.outbox.depth() == 2


def test_cli_import_writes_rejected_lines_beside_the_file(
    live_intake: Live, make_report: Callable[..., Report], tmp_path: Path
) -> None:
    path = tmp_path / "batch.jsonl"
    rows = [make_report().to_bytes(), b'{"title": "no informant"}', make_report().to_bytes()]
    path.write_bytes(b"\n".join(rows) + b"\n")
    assert cli.main(["import", str(path), "--url", live_intake.base]) == 3
    rejected = [json.loads(x) for x in path.with_suffix(".rejected.jsonl").read_text().splitlines()]
    assert [(r["line"], r["status"]) for r in rejected] == [(2, 422)]
    assert live_intake.outbox.depth() == 2
    # Importing the same file again is idempotent: same report ids.
    cli.main(["import", str(path), "--url", live_intake.base])
    assert live_intake.outbox.depth() == 2


def test_demo_feed_posts_fresh_reports(live_intake: Live, config: Config) -> None:
    settings = live_intake.settings.model_copy(update={"demo_rate_per_second": 50.0})
    feed = DemoFeed(settings, config).start()
    try:
        deadline = time.monotonic() + 15
        while live_intake.outbox.depth() < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        feed.stop()
    assert live_intake.outbox.depth() >= 5
    for rid, payload in live_intake.outbox.due(60):
        report = Report.model_validate_json(payload)
        assert report.report_id == rid and rid.startswith("r-")  # fresh ids from the intake
