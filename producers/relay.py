"""Moves reports from the outbox to Kafka (kafka-python, acks=all) until the warehouse has them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from kafka import KafkaProducer
from kafka.errors import KafkaError

from minqing import metrics
from producers.outbox import Outbox

log = logging.getLogger(__name__)

Presence = Callable[[list[str]], set[str]]
Recorder = Callable[[list[tuple[str, bytes]]], list[str]]


def make_producer(bootstrap: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        retries=5,
        linger_ms=5,
        client_id="minqing-intake",
        max_in_flight_requests_per_connection=1,
        # Fail a round quickly while the broker is away; the outbox keeps the reports.
        bootstrap_timeout_ms=5000,
        max_block_ms=5000,
    )


class Relay:
    """Two background threads: one sends due reports to Kafka; the other records them in the
    warehouse as received and confirms (forgets) the ones it holds processed.

    Separate threads, because each side must go on while the other's server is away: a
    stopped or hung ClickHouse must not stall sends to Kafka (the pipeline would stop
    too), and an unreachable broker must not delay the 'received' records.
    """

    def __init__(
        self,
        outbox: Outbox,
        bootstrap: str,
        topic: str,
        present: Presence,
        recorder: Recorder | None = None,
        resend_after: float = 60.0,
        poll: float = 1.0,
        ensure_topics: Callable[[], None] | None = None,
    ) -> None:
        self.outbox, self.bootstrap, self.topic = outbox, bootstrap, topic
        self.ensure_topics = ensure_topics
        self.present, self.recorder = present, recorder
        self.resend_after, self.poll = resend_after, poll
        self._stop = threading.Event()
        self._busy = threading.Lock()  # the warehouse side: its thread, record_now, step
        self._producer: KafkaProducer | None = None
        self._thread = self._looping("outbox-relay", self._send_round, self._drop_producer)
        self._warehouse_thread = self._looping("outbox-warehouse", self._warehouse_round, None)

    def start(self) -> Relay:
        self.outbox.forget_sends()
        self._thread.start()
        self._warehouse_thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._warehouse_thread.join(10)
        if self._producer is not None:
            self._producer.close(5)

    def _looping(self, name: str, round_: Callable[[], None],
                 on_error: Callable[[], None] | None) -> threading.Thread:  # fmt: skip
        return threading.Thread(target=self._run, args=(round_, on_error), name=name, daemon=True)

    def _run(self, round_: Callable[[], None], on_error: Callable[[], None] | None) -> None:
        while not self._stop.is_set():
            try:
                round_()
            except Exception as e:  # keep relaying whatever fails: the outbox keeps the data
                log.warning("outbox relay: %s (will retry)", e)
                if on_error is not None:
                    on_error()
            self._stop.wait(self.poll)

    def _send_round(self) -> None:
        self.send(self.outbox.due(self.resend_after))
        metrics.OUTBOX_DEPTH.set(self.outbox.depth())

    def _warehouse_round(self) -> None:
        with self._busy:
            self.record()
            self.confirm(self.outbox.unconfirmed())

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(0)
            except Exception:  # already broken; a new one is made next round
                log.debug("closing a failed producer", exc_info=True)
        self._producer = None

    def step(self) -> int:
        """One round of both sides in turn (tests, tools); returns how many reports were sent."""
        with self._busy:
            self.record()
            sent = self.send(self.outbox.due(self.resend_after))
            self.confirm(self.outbox.unconfirmed())
            metrics.OUTBOX_DEPTH.set(self.outbox.depth())
        return sent

    def record(self) -> None:
        if self.recorder is not None:
            items = self.outbox.unrecorded()
            if items:
                self.outbox.mark_recorded(self.recorder(items))

    def record_now(self, timeout: float = 5.0) -> None:
        """On shutdown: make sure the warehouse holds every accepted report as received."""
        if self._busy.acquire(timeout=timeout):
            try:
                self.record()
            finally:
                self._busy.release()

    def send(self, due: Iterable[tuple[str, bytes]]) -> int:
        batch = list(due)
        if not batch:
            return 0
        producer = self._connected()
        futures = [
            producer.send(self.topic, key=rid.encode(), value=payload) for rid, payload in batch
        ]
        producer.flush(30)
        ok = [rid for (rid, _), f in zip(batch, futures, strict=True) if _succeeded(f)]
        metrics.OUTBOX_SENT.inc(len(ok))
        self.outbox.mark_sent(ok)
        if len(ok) < len(batch):
            # A producer that failed may never recover: after a broker restarted empty
            # (tansu), the idempotent producer's id is unknown there and every retry fails.
            # The next round makes a new producer, with a new id.
            self._drop_producer()
        return len(ok)

    def _connected(self) -> KafkaProducer:
        if self._producer is None:
            if self.ensure_topics is not None:
                # Before the first send and after every failure: a broker that restarted
                # empty would auto-create the topic on our send with its own partition
                # count (tansu: 4), which the workers' partitioning does not expect.
                self.ensure_topics()
            self._producer = make_producer(self.bootstrap)
        return self._producer

    def confirm(self, ids: list[str]) -> None:
        if ids:
            self.outbox.confirm(sorted(self.present(ids)))


def _succeeded(future: object) -> bool:
    try:
        future.get(timeout=0)  # type: ignore[attr-defined]
    except KafkaError as e:
        log.warning("send failed: %s", e)
        return False
    return True
