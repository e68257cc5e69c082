"""The outbox relay on the real tansu broker: outbox -> Kafka until the warehouse has them."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from producers import relay as relay_mod
from producers.outbox import Outbox
from producers.relay import Relay
from streams.broker import LocalBroker
from streams.topics import create_topics

pytestmark = pytest.mark.broker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite3")
    yield box
    box.close()


@pytest.fixture
def topic(broker: LocalBroker, unique: Callable[[str], str]) -> str:
    name = unique("relay")
    create_topics(broker.bootstrap, 1, 1, names=(name,))
    return name


@pytest.fixture
def make_relay() -> Iterator[Callable[..., Relay]]:
    """Factory for relays whose producers (and threads) are closed after the test."""
    made: list[Relay] = []

    def make(*args: object, **kwargs: object) -> Relay:
        r = Relay(*args, **kwargs)  # type: ignore[arg-type]
        made.append(r)
        return r

    yield make
    for r in made:
        if r._thread.is_alive():
            r.stop()
        elif r._producer is not None:
            r._producer.close(2)


@pytest.fixture
def quick_failing_producer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real KafkaProducer that gives up bootstrapping in 1 s instead of 30 s (speed only)."""

    def make(bootstrap: str) -> KafkaProducer:
        return KafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            client_id="minqing-intake-test",
            bootstrap_timeout_ms=1000,
            max_block_ms=1000,
        )

    monkeypatch.setattr(relay_mod, "make_producer", make)


def read_topic(
    bootstrap: str, topic: str, n: int, timeout: float = 15.0
) -> list[tuple[bytes, bytes]]:
    """Up to ``n`` messages from partition 0, by manual assignment (no consumer group)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        out: list[tuple[bytes, bytes]] = []
        deadline = time.monotonic() + timeout
        while len(out) < n and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                out.extend((r.key, r.value) for r in records)
        return out
    finally:
        consumer.close()


def fill(outbox: Outbox, n: int, stem: str = "r") -> dict[str, bytes]:
    items = {f"{stem}{i}": f'{{"report": {i}}}'.encode() for i in range(n)}
    for rid, payload in items.items():
        outbox.put(rid, f"R-{rid}", payload)
    return items


def nothing_present(ids: list[str]) -> set[str]:
    return set()


def test_step_sends_due_reports_keyed_by_report_id(
    broker: LocalBroker, topic: str, outbox: Outbox, make_relay: Callable[..., Relay]
) -> None:
    items = fill(outbox, 5)
    relay = make_relay(outbox, broker.bootstrap, topic, nothing_present)
    assert relay.step() == 5
    got = read_topic(broker.bootstrap, topic, 5)
    assert sorted(got) == sorted((rid.encode(), p) for rid, p in items.items())
    assert sorted(outbox.unconfirmed()) == sorted(items)
    assert outbox.depth() == 5  # sent is not confirmed: the warehouse does not hold them
    assert relay.step() == 0  # nothing due again before resend_after


def test_confirm_deletes_only_what_the_warehouse_holds(
    broker: LocalBroker, topic: str, outbox: Outbox, make_relay: Callable[..., Relay]
) -> None:
    fill(outbox, 4)
    asked: list[list[str]] = []

    def present(ids: list[str]) -> set[str]:
        asked.append(sorted(ids))
        return {"r1", "r3"} & set(ids)

    relay = make_relay(outbox, broker.bootstrap, topic, present)
    relay.step()
    assert asked[-1] == ["r0", "r1", "r2", "r3"]
    assert outbox.depth() == 2
    assert sorted(outbox.unconfirmed()) == ["r0", "r2"]
    assert outbox.lookup("R-r1") is None and outbox.lookup("R-r0") == "r0"


def test_unconfirmed_reports_are_resent_after_resend_after(
    broker: LocalBroker, topic: str, outbox: Outbox, make_relay: Callable[..., Relay]
) -> None:
    fill(outbox, 2)
    relay = make_relay(outbox, broker.bootstrap, topic, nothing_present, resend_after=0.2)
    assert relay.step() == 2
    time.sleep(0.3)
    assert relay.step() == 2
    assert len(read_topic(broker.bootstrap, topic, 4)) == 4  # at least once; the warehouse dedups


def test_recorder_hook_gets_unrecorded_items_once(
    broker: LocalBroker, topic: str, outbox: Outbox, make_relay: Callable[..., Relay]
) -> None:
    items = fill(outbox, 3)
    calls: list[list[tuple[str, bytes]]] = []

    def recorder(batch: list[tuple[str, bytes]]) -> list[str]:
        calls.append(batch)
        return [rid for rid, _ in batch if rid != "r2"]  # r2 "fails": try again next round

    relay = make_relay(outbox, broker.bootstrap, topic, nothing_present, recorder)
    relay.step()
    assert sorted(calls[0]) == sorted(items.items())
    relay.step()
    assert calls[1] == [("r2", items["r2"])]
    relay.record_now()
    assert calls[2] == [("r2", items["r2"])]
    fill(outbox, 1, stem="late")
    relay.record_now()
    assert calls[3] == [("r2", items["r2"]), ("late0", b'{"report": 0}')]


def test_unreachable_broker_loses_nothing(
    broker: LocalBroker,
    topic: str,
    outbox: Outbox,
    make_relay: Callable[..., Relay],
    quick_failing_producer: None,
) -> None:
    items = fill(outbox, 3)
    recorded: list[str] = []

    def recorder(batch: list[tuple[str, bytes]]) -> list[str]:
        recorded.extend(rid for rid, _ in batch)
        return [rid for rid, _ in batch]

    dead = make_relay(outbox, f"127.0.0.1:{free_port()}", topic, lambda ids: set(ids), recorder)
    for _ in range(2):
        with pytest.raises(Exception, match="bootstrap"):
            dead.step()
    # Recorded as received (before sending), but every report is still waiting to be sent.
    assert sorted(recorded) == sorted(items)
    assert outbox.depth() == 3 and outbox.unconfirmed() == []
    assert sorted(outbox.due(60)) == sorted(items.items())

    # The broker is back (here: the right address): everything goes out.
    live = make_relay(outbox, broker.bootstrap, topic, nothing_present)
    assert live.step() == 3
    assert sorted(read_topic(broker.bootstrap, topic, 3)) == sorted(
        (k.encode(), v) for k, v in items.items()
    )


def test_relay_thread_keeps_retrying_then_delivers(
    broker: LocalBroker,
    topic: str,
    outbox: Outbox,
    make_relay: Callable[..., Relay],
    quick_failing_producer: None,
) -> None:
    items = fill(outbox, 3)
    dead = make_relay(outbox, f"127.0.0.1:{free_port()}", topic, nothing_present, poll=0.05)
    dead.start()
    time.sleep(2.5)  # at least two failed rounds
    assert dead._thread.is_alive()
    dead.stop()
    assert not dead._thread.is_alive()
    assert outbox.depth() == 3 and sorted(outbox.due(60)) == sorted(items.items())

    held: set[str] = set()
    live = make_relay(outbox, broker.bootstrap, topic, lambda ids: held & set(ids), poll=0.05)
    live.start()
    got = read_topic(broker.bootstrap, topic, 3)
    assert sorted(k for k, _ in got) == sorted(k.encode() for k in items)
    held.update(items)  # the warehouse now holds them: the next round confirms
    deadline = time.monotonic() + 10
    while outbox.depth() and time.monotonic() < deadline:
        time.sleep(0.05)
    live.stop()
    assert outbox.depth() == 0


def test_start_forgets_earlier_sends(
    broker: LocalBroker, topic: str, outbox: Outbox, make_relay: Callable[..., Relay]
) -> None:
    """After a restart the broker may be new and empty, so everything is sent again."""
    fill(outbox, 2)
    outbox.mark_sent(["r0", "r1"])
    relay = make_relay(outbox, broker.bootstrap, topic, nothing_present, poll=0.05)
    relay.start()
    try:
        assert len(read_topic(broker.bootstrap, topic, 2)) == 2
    finally:
        relay.stop()
