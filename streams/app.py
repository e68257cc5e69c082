"""The one Faust app: its settings, topics, agents and warehouse sinks.

``create_app`` is called once by the entry point with the settings object;
tests build their own app with ``store='memory://'`` and a private app id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

import aiokafka
import faust
from faust.transport.drivers import aiokafka as faust_kafka
from faust.types import TransportT

from minqing.settings import Settings
from streams import agents
from streams.agents import Writer
from streams.alerting import Alerting
from streams.escalation import register_alerting
from streams.monitoring import register_monitoring
from streams.pipeline import Pipeline
from streams.topics import Topics, make_topics

log = logging.getLogger(__name__)


class _ConsumerThread(faust_kafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(
        self, transport: faust_kafka.Transport
    ) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Faust passes fetch_max_wait_ms=1500 and has no setting for it; aiokafka reads
        # this attribute only when it starts its fetcher, which is after this returns.
        if not hasattr(consumer, "_fetch_max_wait_ms"):
            log.warning("aiokafka has no _fetch_max_wait_ms: the fetch wait stays at 1.5 s")
        consumer._fetch_max_wait_ms = cast(App, self.app).fetch_max_wait_ms
        return consumer


def in_flight_at_head(committed: int | None, acked: list[int], gaps: Any) -> bool:
    """True when the message at the committed offset is read but not yet processed.

    Faust commits over exactly one such message (faust-streaming #606, fix proposed in #707):
    its head check is ``min(acked) - committed > 1`` with ``committed`` the next offset to
    read, and it is skipped altogether when ``committed`` is 0. A restart or a rebalance then
    loses that message. Offsets the fetcher saw missing (``gaps``, an IntervalTree) are left
    to Faust, which fills them in before its own check. A partition committed at 0 reaches
    here as None (Faust's doing) and stays unguarded: its fetcher records no gap when
    retention has moved the log's start, so a guard there could hold commits for good.

    >>> from intervaltree import IntervalTree as Gaps
    >>> in_flight_at_head(10, [11, 12], Gaps()), in_flight_at_head(10, [10, 11], Gaps())
    (True, False)
    >>> in_flight_at_head(0, [1], Gaps()), in_flight_at_head(10, [12], Gaps.from_tuples([(10, 12)]))
    (True, False)
    """
    if committed is None or not acked:
        return False
    head = min(acked)
    return head > committed and not gaps.overlaps(committed, head)


class _Consumer(faust_kafka.Consumer):
    def _new_consumer_thread(self) -> faust_kafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def _new_offset(self, tp: Any) -> int | None:
        if in_flight_at_head(self._committed_offset[tp], self._acked[tp], self._gap[tp]):
            return None  # the head message is still being processed: commit nothing yet
        new: int | None = super()._new_offset(tp)
        return new


class _Transport(faust_kafka.Transport):
    Consumer = _Consumer


class App(faust.App):
    """``faust.App`` whose consumers wait at most ``fetch_max_wait_ms`` for a fetch.

    Per app, not a patch of the driver module: tests run several apps in one process.
    """

    def __init__(self, *args: Any, fetch_max_wait_ms: int = 1500, **kwargs: Any) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> TransportT:
        return _Transport(self.conf.broker_consumer, self)


def make_faust(settings: Settings) -> faust.App:
    return App(
        settings.app_id,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        broker=f"kafka://{settings.bootstrap}",
        store="memory://",
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        # At-least-once: sinks are idempotent. Never exactly_once on tansu.
        processing_guarantee="at_least_once",
        web_enabled=settings.worker_web_port is not None,
        web_port=settings.worker_web_port or 6066,
        web_bind="0.0.0.0",
        datadir=str(settings.data_dir / "faust"),
        stream_wait_empty=False,
        broker_commit_every=100,
        broker_commit_interval=1.0,
        # Fewer, larger produce requests: one per message cost ~10% of the worker.
        producer_linger=settings.producer_linger_seconds,
        producer_max_batch_size=settings.producer_max_batch_bytes,
    )


def create_app(
    settings: Settings,
    pipeline: Pipeline,
    sink: Callable[[], Writer] | None = None,
    prefix: str = "",
    alerting: Alerting | None = None,
) -> tuple[faust.App, Topics]:
    """Build the app and register every agent (sinks only when a writer factory is given)."""
    app = make_faust(settings)
    topics = make_topics(app, prefix)
    agents.register(app, topics, pipeline)
    if sink is not None:
        agents.register_sinks(app, topics, sink, settings)
    if alerting is not None:
        register_alerting(app, topics, alerting, settings, prefix)
    register_monitoring(app)
    return app, topics
