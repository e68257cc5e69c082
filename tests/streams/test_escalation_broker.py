"""The alerting agents wired into the real Faust app on the real broker (the lead's wiring).

An alert published on ``alerts`` goes through the forwarder and the timer's
ticks to the agent, which mails the township: create_app + register_alerting work
together as streams/app.py will use them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from kafka import KafkaProducer

from minqing.config import Config
from minqing.settings import Settings
from streams import topics as topic_names
from streams.app import create_app
from streams.escalation import register_alerting
from streams.pipeline import Pipeline
from tests.alerting_world import T0, alert_out
from tests.notify.receivers import HttpReceiver, SmtpReceiver
from tests.streams.alerting_rig import Rig
from warehouse.alert_queries import AlertQueries
from warehouse.backend import Backend
from warehouse.migrations import migrate

pytestmark = [pytest.mark.broker, pytest.mark.slow]


@pytest.fixture
def receivers() -> Iterator[tuple[SmtpReceiver, HttpReceiver]]:
    smtp, http = SmtpReceiver().start(), HttpReceiver().start()
    yield smtp, http
    smtp.stop()
    http.stop()


async def run_until(app, done: Callable[[], bool], timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    await app.start()  # about 30 s on tansu: Faust's group join and table recovery
    try:
        for _ in range(int(timeout * 10)):
            if done():
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the worker did not deliver in time")
    finally:
        await app.stop()


def test_alert_on_the_broker_reaches_the_township(
    broker, unique, config: Config, warehouse_backend: Callable[..., Backend],  # type: ignore[no-untyped-def]
    settings_factory: Callable[..., Settings], receivers: tuple[SmtpReceiver, HttpReceiver],
) -> None:  # fmt: skip
    smtp, http = receivers
    backend = warehouse_backend("chdb")
    migrate(backend)
    prefix = unique("alerting") + "."
    settings = settings_factory(kafka_port=broker.port, app_id=unique("app"),
                                alerting_tick_seconds=0.2)  # fmt: skip
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    topic_names.create_topics(settings.bootstrap, 1, 1, topic_names.ALL, prefix)
    rig = Rig(backend, smtp, http, settings)
    rig.clock.t = T0 + timedelta(minutes=1)  # past the group wait: the first tick sends
    worker = rig.worker()  # only for its Alerting; the app below is the real one
    app, topics = create_app(settings, Pipeline.from_settings(settings, config), prefix=prefix)
    register_alerting(app, topics, worker.alerting, settings, prefix)
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap)
    producer.send(prefix + topic_names.ALERTS, key=b"A1", value=alert_out().to_bytes()).get(10)
    producer.close()
    asyncio.run(run_until(app, lambda: len(rig.mails("fengqiao")) == 1))
    assert AlertQueries(backend).case(alert_out().alert.matter_id)["status"] == "raised"  # type: ignore[index]
