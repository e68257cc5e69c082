"""Topic admin, the local tansu broker and the Faust app wiring."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from minqing.config import Config
from minqing.errors import StreamsError
from minqing.regions import Regions
from minqing.settings import Settings
from streams import topics as topics_mod
from streams.app import create_app, make_faust
from streams.broker import LocalBroker, broker_binary, wait_port
from streams.pipeline import Pipeline
from streams.topics import ALL, create_topics


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listed(bootstrap: str) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="test-admin")
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def test_the_stage_names() -> None:
    stages = ("reports.raw", "reports.valid", "reports.dlq", "matters", "risk", "alerts")
    assert ALL[: len(stages)] == stages


@pytest.mark.broker
def test_create_topics_with_prefix_is_idempotent(
    broker: LocalBroker, unique: Callable[[str], str]
) -> None:
    prefix = unique("p") + "."
    create_topics(broker.bootstrap, 1, 1, prefix=prefix)
    create_topics(broker.bootstrap, 1, 1, prefix=prefix)  # existing ones are left alone
    missing = {prefix + n for n in ALL} - listed(broker.bootstrap)
    assert not missing, "create_topics() must create every topic in streams.topics.ALL"


@pytest.mark.broker
def test_create_named_topics(broker: LocalBroker, unique: Callable[[str], str]) -> None:
    a, b = unique("a"), unique("b")
    create_topics(broker.bootstrap, 1, 1, names=(a,))
    create_topics(broker.bootstrap, 1, 1, names=(a, b))
    found = listed(broker.bootstrap)
    assert {a, b} <= found and not {n for n in found if n.startswith(("reports.", "matters"))}


@pytest.mark.broker
def test_local_broker_starts_and_stops(tmp_path: Path) -> None:
    assert broker_binary().is_file()
    log = tmp_path / "tansu.log"
    b = LocalBroker(free_port(), log).start()
    try:
        assert b.bootstrap.startswith("127.0.0.1:")
        assert b.proc is not None and b.proc.poll() is None
        create_topics(b.bootstrap, 1, 1, names=("x",))
        assert "x" in listed(b.bootstrap)
    finally:
        proc = b.proc
        b.stop()
    assert proc is not None and proc.poll() is not None
    assert b.proc is None
    b.stop()  # twice is harmless
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", b.port)) != 0


def test_wait_port_gives_up_with_a_streams_error() -> None:
    t = time.monotonic()
    with pytest.raises(StreamsError, match="nothing listens"):
        wait_port("127.0.0.1", free_port(), 0.5)
    assert time.monotonic() - t < 5


def test_make_faust_follows_the_settings(settings_factory: Callable[..., Settings]) -> None:
    s = settings_factory(app_id="minqing-test", kafka_bootstrap="kafka:29092")
    app = make_faust(s)
    assert app.conf.id == "minqing-test"
    assert [str(u) for u in app.conf.broker] == ["kafka://kafka:29092"]
    assert str(app.conf.store) == "memory:"
    assert app.conf.processing_guarantee.value == "at_least_once"
    assert app.conf.web_enabled is False
    assert Path(app.conf.datadir) == s.data_dir / "faust"
    assert make_faust(settings_factory(worker_web_port=6099)).conf.web_port == 6099


def test_make_faust_sets_the_fetch_wait_and_producer_batching(
    settings_factory: Callable[..., Settings],
) -> None:
    app = make_faust(settings_factory(fetch_max_wait_ms=70, producer_linger_seconds=0.01))
    assert app.conf.producer_linger == 0.01 and app.conf.producer_max_batch_size == 262144

    async def worker_consumer() -> object:  # aiokafka builds its consumers in a running loop
        return app.consumer._thread._create_worker_consumer(app.transport)  # type: ignore[attr-defined]

    # Faust hard-codes 1500 ms; the app's consumer thread puts the setting in its place.
    assert asyncio.run(worker_consumer())._fetch_max_wait_ms == 70  # type: ignore[attr-defined]


def test_create_app_registers_agents_and_prefixed_topics(
    settings_factory: Callable[..., Settings], config: Config, regions: Regions
) -> None:
    s = settings_factory()
    pipeline = Pipeline(config, regions, "k")
    app, t = create_app(s, pipeline, prefix="x.")
    assert set(app.agents) == {"validate", "cluster", "correct", "risk", "alert"}
    names = [getattr(t, f).get_topic_name() for f in ("raw", "valid", "dlq", "matters", "risk")]
    assert names == ["x." + n for n in topics_mod.ALL[:5]]
    with_sinks, _ = create_app(s, pipeline, sink=lambda: None, prefix="y.")  # type: ignore[arg-type,return-value]
    assert {"sink_y_matters", "sink_y_risk", "sink_y_alerts", "sink_y_reports_dlq"} < set(
        with_sinks.agents
    )


def test_pipeline_from_settings(settings_factory: Callable[..., Settings], config: Config) -> None:
    s = settings_factory(receipt_secret="k2")
    p = Pipeline.from_settings(s, config)
    assert p.receipt_secret == "k2"
    assert p.regions.name("330681") == "诸暨市"
    assert set(p.states) == {"cluster", "risk", "alert"}
