"""One app as ``minqing up`` builds it, over a seeded chdb warehouse, with one account per role.

Module-scoped: building the app and the accounts once per test module keeps the
role x route matrix fast. The warehouse (tests/web/seed.py) has three matters:
M-red in 枫桥镇 (township A, 330681109, handled by the unit ``fengqiao_centre``),
M-yel and M-done in 牌头镇 (township B, 330681115, unit ``paitou_centre``).
Accounts: an analyst of each township, a unit handler of fengqiao_centre, the
leader ``leader_chen`` of configs/routing.toml (areas 330681109, 330681110), an
admin, and an enrolled informant device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from minqing.config import Config
from minqing.records import AlertCase
from minqing.settings import Settings
from models.routing import Router, load_routing
from producers.alerts_api import alerts_router
from producers.auth import AuthService
from producers.corrections_api import corrections_router
from producers.intake import create_web_app
from producers.outbox import Outbox
from producers.outcomes_api import outcomes_router
from tests.authkit import COUNTY, FENGQIAO, PAITOU, bearer, token
from tests.conftest_clickhouse import unique_database
from tests.web.seed import seed
from warehouse.backend import Backend, connect
from warehouse.migrations import migrate
from warehouse.queries import Queries
from warehouse.writer import WarehouseWriter

NOW = datetime.now(UTC).replace(microsecond=0)
ROLES = ("anonymous", "informant", "analyst", "unit_handler", "leader", "admin")
UNIT_A, UNIT_B, LEADER = "fengqiao_centre", "paitou_centre", "leader_chen"


class ListPublisher:
    """Keeps what the lifecycle API publishes (no broker in these tests)."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, bytes]] = []

    def publish(self, key: bytes, value: bytes) -> None:
        self.sent.append((key, value))


@dataclass
class World:
    app: FastAPI
    client: TestClient
    backend: Backend
    settings: Settings
    outbox: Outbox
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    informant_id: str = ""

    @property
    def auth(self) -> AuthService:
        service: AuthService = self.app.state.auth
        return service

    def as_(self, role: str) -> dict[str, str]:
        """Request headers of one role's caller ("anonymous": none)."""
        return dict(self.headers.get(role, {}))


def build_app(settings: Settings, config: Config, backend: Backend, outbox: Outbox) -> FastAPI:
    """The app of minqing/stack.py's start_web, with a list publisher instead of Kafka."""
    router = Router(load_routing(settings.config_dir / "routing.toml"))
    routers = [alerts_router(backend, ListPublisher(), router), outcomes_router(backend),
               corrections_router(backend, ListPublisher())]  # fmt: skip
    return create_web_app(settings, config, outbox, Queries(backend), routers=routers)


def seed_cases(backend: Backend) -> None:
    """Lifecycle cases: who handles M-red and M-yel (unit scope reads alert_cases)."""
    writer = WarehouseWriter(backend)
    for mid, township, unit in (("M-red", FENGQIAO, UNIT_A), ("M-yel", PAITOU, UNIT_B)):
        writer.add_record(AlertCase(
            matter_id=mid, alert_id="A" + mid, version=1, status="raised", level="red",
            title="t", township=township, lead_unit=unit, opened_at=NOW - timedelta(hours=1),
            updated_at=NOW, due_kind="ack", due_at=NOW + timedelta(hours=1), state="{}",
        ))  # fmt: skip
    writer.flush()


def accounts(world: World) -> None:
    b = world.backend
    world.headers = {
        "analyst": bearer(token(b, "analyst_a", "analyst", regions=(FENGQIAO,))),
        "analyst_b": bearer(token(b, "analyst_b", "analyst", regions=(PAITOU,))),
        "county": bearer(token(b, "analyst_c", "analyst", regions=(COUNTY,))),
        "unit_handler": bearer(token(b, "unit_a", "unit_handler", units=(UNIT_A,))),
        "leader": bearer(token(b, "leader_chen", "leader", leader_id=LEADER)),
        "admin": bearer(token(b, "admin", "admin")),
    }
    device = world.auth.enrollments.issue("admin", 1.0)
    redeemed = world.auth.enrollments.redeem(device["code"])
    assert redeemed is not None
    world.headers["informant"] = bearer(redeemed["device_token"])
    world.informant_id = redeemed["informant_id"]


@pytest.fixture(scope="module")
def module_backend(chdb_path: Path) -> Iterator[Backend]:
    backend = connect(Settings(warehouse_url=f"chdb://{chdb_path}?database={unique_database()}"))
    migrate(backend)
    seed(backend, NOW)
    seed_cases(backend)
    yield backend
    backend.close()


def make_world(backend: Backend, config: Config, root: Path, **overrides: Any) -> World:
    base: dict[str, Any] = {"data_dir": root / "data", "receipt_secret": "auth-test-receipts"}
    settings = Settings(**{**base, **overrides})
    outbox = Outbox(root / f"outbox-{unique_database()}.sqlite3")
    app = build_app(settings, config, backend, outbox)
    world = World(app, TestClient(app), backend, settings, outbox)
    accounts(world)
    return world


@pytest.fixture(scope="module")
def world(
    module_backend: Backend, config: Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    w = make_world(module_backend, config, tmp_path_factory.mktemp("auth"))
    yield w
    w.outbox.close()


@pytest.fixture
def fresh_world(
    warehouse_backend: Callable[..., Backend], config: Config, tmp_path: Path
) -> Iterator[Callable[..., World]]:
    """Factory for a world on its own database, with settings overridden (limits, env)."""
    made: list[World] = []

    def make(**overrides: Any) -> World:
        backend = warehouse_backend("chdb")
        migrate(backend)
        seed(backend, NOW)
        seed_cases(backend)
        made.append(make_world(backend, config, tmp_path, **overrides))
        return made[-1]

    yield make
    for w in made:
        w.outbox.close()
