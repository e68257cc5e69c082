"""Malformed messages written straight into every pipeline topic go to the dead letters.

Four kinds of bad message per topic (not JSON, JSON of the wrong shape, a
report with 3,000 characters of content, binary garbage) are produced with
kafka-python into reports.raw, reports.valid, matters, risk, alerts and
alert_actions while a real worker runs. Each must reach ``dead_letters`` with
its topic and a reason, and a good report posted afterwards must still be
processed: the pipeline carries on.
"""

from __future__ import annotations

import hashlib
import json
import time

import httpx
import pytest
from kafka import KafkaProducer

from streams import topics
from tests.chaos.conftest import MakeRig
from tests.chaos.counts import Counts, count_reports, processed, record
from tests.chaos.feed import body
from tests.chaos.procs import Proc, wait_for
from warehouse.backend import Backend

pytestmark = [pytest.mark.clickhouse, pytest.mark.broker, pytest.mark.timeout(300)]

INJECTED = (topics.RAW, topics.VALID, topics.MATTERS, topics.RISK, topics.ALERTS,
            topics.ALERT_ACTIONS)  # fmt: skip


def bad_messages() -> dict[str, bytes]:
    report = {**body(0, 0), "report_id": "chaos-long", "received_at": "2026-11-01T09:00:00+08:00"}
    report["content"] = "长" * 3000
    return {
        "not_json": b"this is {not json",
        "wrong_shape": json.dumps({"hello": ["world", 1]}).encode(),
        "content_3000": json.dumps(report, ensure_ascii=False).encode(),
        "binary": bytes(range(256)) * 4,
    }


def dlq_id(topic: str, payload: bytes) -> str:
    """As streams.validate.dead_letter names them: the topic and the payload's hash."""
    return f"{topic}:{hashlib.sha1(payload).hexdigest()[:16]}"


def inject(bootstrap: str) -> dict[str, tuple[str, str]]:
    """Write every bad message to every topic; returns dlq_id -> (topic, kind)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    expected: dict[str, tuple[str, str]] = {}
    try:
        for topic in INJECTED:
            for kind, payload in bad_messages().items():
                producer.send(topic, key=kind.encode(), value=payload).get(timeout=10)
                expected[dlq_id(topic, payload)] = (topic, kind)
    finally:
        producer.close(5)
    return expected


def dead_letters(backend: Backend, expected: dict[str, tuple[str, str]],
                 procs: list[Proc]) -> dict[str, dict[str, str]]:  # fmt: skip
    """The dead_letters rows, once every expected one is there."""

    def found() -> dict[str, dict[str, str]]:
        rows = backend.query(
            f"SELECT dlq_id, topic, reason_en, reason_zh FROM {backend.database}.dead_letters "
            "FINAL"
        )  # fmt: skip
        by_id = {r["dlq_id"]: r for r in rows}
        return by_id if set(expected) <= set(by_id) else {}

    return wait_for("every bad message in dead_letters", found, 180, procs, every=1.0)


def test_malformed_messages_in_every_topic_reach_the_dead_letters(make_rig: MakeRig) -> None:
    rig = make_rig()
    t0 = time.monotonic()
    procs = [rig.intake(), rig.worker()]
    backend = rig.backend()
    expected = inject(rig.broker.bootstrap)
    found = dead_letters(backend, expected, procs)
    for key, (topic, kind) in expected.items():
        assert found[key]["topic"] == topic, (kind, found[key])
        assert found[key]["reason_en"] and found[key]["reason_zh"], (topic, kind, found[key])
    resp = httpx.post(f"{rig.base}/api/v1/reports", json=body(1, 0), timeout=10)
    assert resp.status_code == 201, resp.text
    wait_for("the good report processed", lambda: processed(backend) == 1, 60, procs)
    assert all(p.alive() for p in procs)
    counts = Counts("dlq_injection")
    count_reports(backend, [resp.json()["report_id"]], counts)
    counts.extra = {"bad_messages": len(expected), "dead_letters": len(found),
                    "topics": len(INJECTED), "seconds": round(time.monotonic() - t0)}  # fmt: skip
    record(counts)
    assert (counts.reports_stored, counts.duplicates, counts.missing) == (1, 0, 0)
    backend.close()
