"""Steps the fault scenarios share: a worker that has joined, draining, settling, tallying."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from kafka import KafkaConsumer, TopicPartition

from tests.chaos.counts import (
    Counts,
    count_alerts,
    count_disputes,
    count_notifications,
    count_reports,
    delivered_keys,
    processed,
    record,
)
from tests.chaos.feed import MATTERS, Poster
from tests.chaos.procs import Proc, wait_for
from tests.chaos.rig import Rig
from tests.conftest import free_port
from warehouse.backend import Backend

log = logging.getLogger(__name__)
JOIN_TIMEOUT = 150.0  # Faust's default session timeout is 60 s; an eviction can take two


def assigned(port: int) -> int:
    """Partitions the worker holds, from Faust's web server (0 while it has none)."""
    try:
        resp = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        return int(resp.json()["assigned"]) if resp.status_code == 200 else 0
    except (httpx.HTTPError, ValueError, KeyError):
        return 0


def joined_worker(rig: Rig, name: str = "worker", timeout: float = JOIN_TIMEOUT) -> Proc:
    """A worker started and given partitions (its consumer group join is done)."""
    port = free_port()
    proc = rig.worker(name, MINQING_WORKER_WEB_PORT=str(port))
    proc.web_port = port
    t0 = time.monotonic()
    wait_for(f"{name} to join", lambda: assigned(port) > 0, timeout, [proc])
    log.info("%s joined in %.1f s", name, time.monotonic() - t0)
    return proc


def outbox_depth(rig: Rig) -> int:
    try:
        return int(httpx.get(f"{rig.base}/healthz", timeout=5).json()["outbox_depth"])
    except (httpx.HTTPError, ValueError, KeyError):
        return -1


def drained(rig: Rig, backend: Backend, poster: Poster, procs: list[Proc],
            timeout: float = 180.0) -> float:  # fmt: skip
    """Wait until every accepted report is processed and the outbox is empty; seconds taken."""
    t0 = time.monotonic()

    def done() -> bool:
        return processed(backend) >= len(poster.accepted) and outbox_depth(rig) == 0

    wait_for("every accepted report processed", done, timeout, procs, every=1.0)
    return time.monotonic() - t0


def settled(rig: Rig, procs: list[Proc], quiet: float = 6.0, timeout: float = 90.0) -> int:
    """Wait until no delivery arrives for ``quiet`` seconds (grouped notices come late)."""
    last, since = -1, time.monotonic()

    def still() -> bool:
        nonlocal last, since
        now = len(delivered_keys(rig.smtp, rig.http))
        if now != last:
            last, since = now, time.monotonic()
        return time.monotonic() - since >= quiet

    wait_for("notifications to settle", still, timeout, procs, every=1.0)
    return last


def tally(rig: Rig, backend: Backend, poster: Poster, scenario: str, **extra: Any) -> Counts:
    """Count everything, record it in bench/results/chaos.json, and return it."""
    c = Counts(scenario)
    count_reports(backend, list(poster.accepted), c)
    c.reports_sent = poster.sent  # posted; the refused ones are counted in extra
    count_disputes(backend, {rid: i % MATTERS for rid, i in poster.accepted.items()}, c)
    count_alerts(backend, c)
    count_notifications(backend, delivered_keys(rig.smtp, rig.http), c)
    c.extra = {"accepted": len(poster.accepted), "refused": len(poster.refused),
               "slowest_post_s": round(poster.slowest, 2), **extra}  # fmt: skip
    record(c)
    return c


def assert_exactly_once(c: Counts) -> None:
    """The acceptance: all accepted reports stored once, no alert or notification twice."""
    assert c.extra["refused"] == 0, c
    assert (c.reports_stored, c.missing, c.duplicates) == (c.extra["accepted"], 0, 0), c
    assert (c.alert_duplicates, c.alert_event_duplicates) == (0, 0), c
    assert c.disputes_alerted_twice == 0, c  # one dispute alerted twice, as two matters
    assert (c.notifications_sent_twice, c.notices_delivered_twice) == (0, 0), c


def topic_size(bootstrap: str, topic: str) -> int:
    """Messages ever written to ``topic`` (the sum of its partitions' end offsets)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in parts])
        return int(sum(ends.values()))
    finally:
        consumer.close()


@dataclass
class RssSampler:
    """Samples a process's resident memory from a thread (VmRSS, MB)."""

    proc: Proc
    every: float = 0.5
    samples: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> RssSampler:
        threading.Thread(target=self._run, name=f"rss-{self.proc.name}", daemon=True).start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every) and self.proc.alive():
            self.samples.append(self.proc.rss_mb())

    def stop(self) -> float:
        """Stop sampling; returns the peak."""
        self._stop.set()
        return max(self.samples, default=0.0)
