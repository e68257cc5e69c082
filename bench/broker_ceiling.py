"""The ceiling: raw produce-and-consume throughput of the broker, with report-sized messages.

One aiokafka producer (acks=all, as the pipeline sends) and one consumer (assigned
partitions, no group join) run together in one process and one event loop, as a
Faust worker does. The figure is messages per second from the first send until
the consumer has read the last message: every report in the pipeline needs at
least this one hop, so no worker on this broker can beat it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench import services
from bench.report import table
from bench.workload import mean_size, payloads
from streams.topics import create_topics

FULL_N, QUICK_N = 200_000, 40_000


async def _produce(bootstrap: str, topic: str, items: list[bytes], parts: int) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                                max_batch_size=256 * 1024)  # fmt: skip
    await producer.start()
    try:
        t0 = time.perf_counter()
        futures = []
        for i, value in enumerate(items):
            futures.append(await producer.send(topic, value, partition=i % parts))
        await asyncio.gather(*futures)
        return time.perf_counter() - t0
    finally:
        await producer.stop()


async def _consume(bootstrap: str, topic: str, n: int, parts: int) -> float:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest",
                                max_partition_fetch_bytes=4 * 2**20)  # fmt: skip
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(parts)])
        await consumer.seek_to_beginning()
        seen, t0 = 0, time.perf_counter()
        while seen < n:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            seen += sum(len(b) for b in batches.values())
        return time.perf_counter() - t0
    finally:
        await consumer.stop()


async def measure_async(bootstrap: str, items: list[bytes], parts: int = 1) -> dict[str, Any]:
    """Produce and consume ``items`` together, then each alone, on a new topic."""
    topics = [f"ceiling-{uuid.uuid4().hex[:8]}", f"ceiling-{uuid.uuid4().hex[:8]}"]
    create_topics(bootstrap, parts, 1, tuple(topics))
    n = len(items)
    t0 = time.perf_counter()
    await asyncio.gather(
        _produce(bootstrap, topics[0], items, parts), _consume(bootstrap, topics[0], n, parts)
    )
    both = time.perf_counter() - t0
    produce_alone = await _produce(bootstrap, topics[1], items, parts)
    consume_alone = await _consume(bootstrap, topics[1], n, parts)
    return {
        "messages": n, "message_bytes": mean_size(items), "partitions": parts,
        "produce_consume_msgs_per_s": round(n / both),
        "produce_only_msgs_per_s": round(n / produce_alone),
        "consume_only_msgs_per_s": round(n / consume_alone),
        "mb_per_s": round(n * mean_size(items) / both / 1e6, 2),
    }  # fmt: skip


def measure(bootstrap: str, n: int, parts: int = 1) -> dict[str, Any]:
    """The ceiling on an already running broker (the pipeline benchmark uses its own)."""
    return asyncio.run(measure_async(bootstrap, payloads(n), parts))


def run(quick: bool = False) -> dict[str, Any]:
    root, load = services.workdir("ceiling"), services.load_average()
    n = QUICK_N if quick else FULL_N
    with services.tansu(root) as broker:
        result = measure(broker.bootstrap, n)
    return {"broker": "tansu (memory)", "client": "aiokafka", **result,
            "load_average_before": load}  # fmt: skip


def markdown(r: dict[str, Any]) -> str:
    rows = [("produce and consume together", r["produce_consume_msgs_per_s"]),
            ("produce only (acks=all)", r["produce_only_msgs_per_s"]),
            ("consume only", r["consume_only_msgs_per_s"])]  # fmt: skip
    head = (f"## Broker ceiling\n\n{r['broker']}, {r['client']}, {r['messages']:,} messages of "
            f"{r['message_bytes']} bytes, {r['partitions']} partition(s). The first row is the "
            "ceiling every other figure is compared with.\n\n")  # fmt: skip
    return head + table(("", "messages/s"), rows)


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run("--quick" in sys.argv), indent=1) + "\n")
