"""Fixtures for the fault tests: ``make_rig`` builds a world per test and tears it down."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streams.broker import LocalBroker
from tests.chaos.rig import Rig
from tests.conftest import free_port
from tests.conftest_clickhouse import ClickHouseServer, unique_database
from tests.notify.receivers import HttpReceiver, SmtpReceiver

MakeRig = Callable[..., Rig]


@pytest.fixture
def make_rig(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[MakeRig]:
    """``make_rig(partitions=1, warehouse_url=None, quick=True) -> Rig``.

    Each rig has its own broker, receivers and (without ``warehouse_url``) a fresh
    database on the session's server; ``quick`` shortens Faust's session timeout.
    """
    made: list[tuple[Rig, SmtpReceiver, HttpReceiver]] = []

    def make(partitions: int = 1, warehouse_url: str | None = None, quick: bool = True) -> Rig:
        if warehouse_url is None:
            server: ClickHouseServer = request.getfixturevalue("clickhouse_server")
            warehouse_url = server.url(unique_database("chaos"))
        broker = LocalBroker(free_port(), tmp_path / "tansu.log").start()
        smtp, http = SmtpReceiver().start(), HttpReceiver().start()
        rig = Rig(tmp_path, broker, warehouse_url, smtp, http, partitions, quick)
        made.append((rig, smtp, http))
        return rig

    yield make
    for rig, smtp, http in made:
        rig.stop()
        rig.broker.stop()
        smtp.stop()
        http.stop()
