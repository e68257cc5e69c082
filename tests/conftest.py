"""Shared fixtures: real broker and warehouse (session-scoped), factories for records."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from minqing.config import Config, load_config
from minqing.records import Accepted, Place, Report
from minqing.regions import Regions
from minqing.settings import REPO_ROOT, Settings
from streams.broker import LocalBroker

pytest_plugins = ["tests.conftest_clickhouse"]

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """One real tansu broker for the session; tests use unique topic names."""
    log = tmp_path_factory.mktemp("tansu") / "tansu.log"
    b = LocalBroker(free_port(), log).start()
    yield b
    b.stop()


@pytest.fixture
def unique() -> Callable[[str], str]:
    """unique('topic') -> a name no other test uses."""
    return lambda stem: f"{stem}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(REPO_ROOT / "configs")


@pytest.fixture(scope="session")
def regions(config: Config) -> Regions:
    return Regions.from_csv(config.region_file)


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        base: dict[str, Any] = {"data_dir": tmp_path / "data", "http_port": free_port()}
        return Settings(**{**base, **overrides})

    return make


@pytest.fixture
def make_report() -> Callable[..., Report]:
    counter = iter(range(1, 1_000_000))

    def make(**overrides: Any) -> Report:
        n = next(counter)
        base: dict[str, Any] = {
            "report_id": f"t-{uuid.uuid4().hex[:8]}-{n}",
            "received_at": T0 + timedelta(minutes=n),
            "informant_id": f"inf-{n % 7}",
            "region_code": "330681109201",
            "region_text": None,
            "category": "environment",
            "title": "化工厂夜间排放污水",
            "content": "村口化工厂夜间排放污水，气味刺鼻，村民意见很大。",
            "people_involved": 10,
            "signals": [],
            "channel": "form",
        }
        return Report(**{**base, **overrides})

    return make


@pytest.fixture
def make_accepted(make_report: Callable[..., Report], regions: Regions) -> Callable[..., Accepted]:
    def make(**overrides: Any) -> Accepted:
        report = make_report(**overrides)
        place: Place = regions.locate(report.region_code, report.region_text)
        return Accepted(report=report, place=place, receipt="TESTRECEIP")

    return make
