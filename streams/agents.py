"""Agents: each loops over a topic, calls the pipeline and sends what it returns."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import faust
from pydantic import ValidationError

from minqing import metrics
from minqing.errors import WarehouseError
from minqing.records import Accepted, AlertOut, DeadLetter, MatterUpdate, Record, Scored
from minqing.settings import Settings
from minqing.validation import explain
from streams import corrections
from streams.pipeline import Pipeline
from streams.topics import Topics, partition_key
from streams.validate import dead_letter
from streams.window import Window

log = logging.getLogger(__name__)


class Writer(Protocol):
    def add_record(self, record: Any) -> None: ...
    def flush(self) -> int: ...


def parse(cls: type[Record], raw: bytes, topic: str) -> Any:
    """A record, or a DeadLetter saying why the message is not one."""
    try:
        return cls.model_validate_json(raw)
    except ValidationError as e:
        return dead_letter(
            topic,
            raw,
            f"not a {cls.__name__} message",
            f"不是有效的{cls.__name__}消息",
            explain(e),
            datetime.now(UTC),
        )


def place_key(item: Accepted) -> bytes:
    return partition_key(item.place.township, item.place.county)


def register(app: faust.App, t: Topics, pipe: Pipeline) -> None:
    """The processing agents: validate -> cluster -> risk -> alert."""

    async def to_dlq(letter: DeadLetter) -> None:
        log.warning("dead letter from %s: %s", letter.topic, letter.reason_en)
        metrics.DEAD_LETTERS.labels(letter.topic).inc()
        await t.dlq.send(key=letter.dlq_id.encode(), value=letter.to_bytes())

    @app.agent(t.raw, name="validate")
    async def validate_agent(stream: faust.StreamT) -> None:
        async for raw in stream:
            out = pipe.validate(raw, t.raw.get_topic_name())
            if isinstance(out, DeadLetter):
                await to_dlq(out)
            else:
                await t.valid.send(key=place_key(out), value=out.to_bytes())

    window = Window(app, pipe)
    corrections.register(app, t, pipe, window)  # analysts' merges and move-outs

    @app.agent(t.valid, name="cluster")
    async def cluster_agent(stream: faust.StreamT) -> None:
        async for raw in stream:
            item = parse(Accepted, raw, t.valid.get_topic_name())
            if isinstance(item, DeadLetter):
                await to_dlq(item)
                continue
            if not pipe.ready:
                window.restore(item)
            update = pipe.cluster(item)
            # Before the report is kept: a crash in between clusters it (and merges) again.
            await corrections.repoint(pipe, update, window)
            window.keep(item)
            # Keyed by place like reports.valid: a matter's risk and alert state sit on
            # the same partition (and worker) as its clustering state.
            await t.matters.send(key=place_key(item), value=update.to_bytes())

    @app.agent(t.matters, name="risk")
    async def risk_agent(stream: faust.StreamT) -> None:
        async for raw in stream:
            update = parse(MatterUpdate, raw, t.matters.get_topic_name())
            if isinstance(update, DeadLetter):
                await to_dlq(update)
                continue
            scored = pipe.score(update)
            await t.risk.send(key=place_key(update.accepted), value=scored.to_bytes())

    @app.agent(t.risk, name="alert")
    async def alert_agent(stream: faust.StreamT) -> None:
        async for raw in stream:
            scored = parse(Scored, raw, t.risk.get_topic_name())
            if isinstance(scored, DeadLetter):
                await to_dlq(scored)
                continue
            out = pipe.alert(scored)
            if out is not None:
                await t.alerts.send(key=out.alert.alert_id.encode(), value=out.to_bytes())


def _records(cls: type[Record], raw: bytes, topic: str) -> list[Any]:
    """The warehouse rows one message stands for (a bad message becomes its dead letter)."""
    rec = parse(cls, raw, topic)
    if isinstance(rec, MatterUpdate):
        return [rec, rec.matter]
    if isinstance(rec, Scored):
        return [rec.score]
    if isinstance(rec, AlertOut):
        return [rec.alert, rec.event]
    return [rec]


async def flush_retrying(writer: Writer, name: str) -> None:
    """Keep the batch until the warehouse takes it: nothing accepted is dropped."""
    delay = 0.5
    while True:
        try:
            with metrics.WAREHOUSE_FLUSH.time():
                rows = await asyncio.get_running_loop().run_in_executor(None, writer.flush)
            metrics.WAREHOUSE_ROWS.inc(rows)
            return
        except WarehouseError as e:
            metrics.WAREHOUSE_ERRORS.inc()
            log.warning("%s: warehouse write failed, retrying in %.1f s: %s", name, delay, e)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


def register_sinks(
    app: faust.App, t: Topics, make_writer: Callable[[], Writer], settings: Settings
) -> None:
    """One batching sink agent per output topic, each with its own writer."""
    plan: list[tuple[faust.TopicT, type[Record]]] = [
        (t.matters, MatterUpdate),
        (t.risk, Scored),
        (t.alerts, AlertOut),
        (t.dlq, DeadLetter),
    ]
    for topic, cls in plan:
        _sink(app, topic, cls, make_writer(), settings)


def _sink(
    app: faust.App, topic: faust.TopicT, cls: type[Record], writer: Writer, settings: Settings
) -> None:
    name = f"sink_{topic.get_topic_name().replace('.', '_')}"

    async def sink(stream: faust.StreamT) -> None:
        batches = stream.take(settings.writer_batch_rows, within=settings.writer_flush_seconds)
        async for batch in batches:
            for raw in batch:
                for rec in _records(cls, raw, topic.get_topic_name()):
                    writer.add_record(rec)
            await flush_retrying(writer, name)

    app.agent(topic, name=name)(sink)
