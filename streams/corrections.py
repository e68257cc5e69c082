"""The corrections agent: analysts' merges and move-outs, applied to the clustering state.

The API (producers/corrections_api.py) records a request and publishes it to
``matter_corrections``, keyed by the matter's place like ``reports.valid``, so it
reaches the worker that holds the matter's clustering state. Here the agent
applies it through ``Pipeline.correct``, sends the changed matters on to
``matters`` (risk, alerts and the warehouse follow as for any new version,
``merged_from`` naming the ids merged away), re-points the moved reports in the
warehouse and records the verdict there, in that order: a crash before the
verdict is written makes the redelivered correction apply again; after it, a
refold re-applies it and the redelivery is skipped as applied already.

The clusterer merges matters too (a report bridging two; ``merged_from`` on its
update): the cluster agent re-points those reports the same way (``repoint``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import faust
from pydantic import ValidationError

from minqing.errors import WarehouseError
from minqing.records import Accepted, Correction, DeadLetter, Matter, MatterUpdate
from minqing.validation import explain
from models.cluster_ops import Applied
from streams.pipeline import Pipeline
from streams.topics import CORRECTIONS, RAW, Topics, partition_key
from streams.validate import dead_letter
from streams.window import Window

log = logging.getLogger(__name__)


def corrections_topic(app: faust.App, prefix: str = "") -> faust.TopicT:
    return app.topic(prefix + CORRECTIONS, key_type=bytes, value_type=bytes,
                     key_serializer="raw", value_serializer="raw")  # fmt: skip


def matter_key(m: Matter) -> bytes:
    """The partition key of a matter's messages: its place, as reports are keyed."""
    return partition_key(m.township, m.county)


def register(app: faust.App, t: Topics, pipe: Pipeline, window: Window) -> Any:
    """Add the corrections agent (its topic gets the prefix of the app's other topics)."""
    prefix = t.raw.get_topic_name()[: -len(RAW)]
    topic = corrections_topic(app, prefix)

    @app.agent(topic, name="correct")
    async def correct_agent(stream: faust.StreamT) -> None:
        async for raw in stream:
            c = _parse(raw, topic.get_topic_name())
            if isinstance(c, DeadLetter):
                await t.dlq.send(key=c.dlq_id.encode(), value=c.to_bytes())
                continue
            if not pipe.ready:
                window.restore_at(datetime.now(UTC))
            done = pipe.correct(c)
            if done is None:
                continue
            for update in updates(done, pipe, window):
                await t.matters.send(key=matter_key(update.matter), value=update.to_bytes())
            await _record(pipe, done, moved(done, pipe, window))

    return correct_agent


def _parse(raw: bytes, topic: str) -> Correction | DeadLetter:
    try:
        return Correction.model_validate_json(raw)
    except ValidationError as e:
        log.warning("a message on %s is not a correction", topic)
        return dead_letter(topic, raw, "not a Correction message", "不是有效的更正消息",
                           explain(e), datetime.now(UTC))  # fmt: skip


def report_of(window: Window, report_id: str) -> Accepted | None:
    raw = window.table.get(report_id.encode())
    return Accepted.model_validate_json(raw) if raw else None


def updates(done: Applied, pipe: Pipeline, window: Window) -> list[MatterUpdate]:
    """One MatterUpdate per changed matter, carrying its newest report still in the window."""
    out = []
    state = pipe.states["cluster"]
    for m in done.matters:
        live = state.matter(m.matter_id)
        found = [a for r in (live.report_ids if live else []) if (a := report_of(window, r))]
        if not found:
            log.warning("correction %s: no report of %s in the window: not sent on",
                        done.verdict.correction_id, m.matter_id)  # fmt: skip
            continue
        newest = max(found, key=lambda a: (a.report.received_at or m.last_seen, a.report.report_id))
        out.append(MatterUpdate(accepted=newest, matter=m, similarity=1.0,
                                new_matter=m.version == 1, merged_from=done.merged_from,
                                correction_id=done.verdict.correction_id))  # fmt: skip
    return out


def moved(done: Applied, pipe: Pipeline, window: Window) -> list[tuple[Accepted, Matter]]:
    """The reports whose matter changed, each with its matter now."""
    now = {m.matter_id: m for m in done.matters}
    out = []
    for report_id, matter_id in done.moved.items():
        accepted = report_of(window, report_id)
        if accepted is not None and matter_id in now:
            out.append((accepted, now[matter_id]))
    return out


def merged(update: MatterUpdate, pipe: Pipeline, window: Window) -> list[tuple[Accepted, Matter]]:
    """After the clusterer merged matters (``update.merged_from``): the window's reports
    that were in the merged-away matters (``ClusterState.moved``), each with the surviving
    matter; the survivor's own reports keep their rows. The update's own report is left
    out: its row comes with the update."""
    own = update.accepted.report.report_id
    moved = dict.fromkeys(pipe.states["cluster"].moved)
    found = (report_of(window, r) for r in moved if r != own)
    return [(a, update.matter) for a in found if a is not None]


async def repoint(pipe: Pipeline, update: MatterUpdate, window: Window) -> None:
    """Put the reports of the matters the clusterer merged away under the surviving id
    (as for an analyst's merge); until the warehouse takes them, the agent waits."""
    store = pipe.corrections
    if store is None or not update.merged_from:
        return
    rows, at = merged(update, pipe, window), datetime.now(UTC)
    if rows:
        await retrying(lambda: store.moved(rows, at), "re-point merged reports")


async def _record(pipe: Pipeline, done: Applied, rows: list[tuple[Accepted, Matter]]) -> None:
    store = pipe.corrections
    if store is None:
        return
    at = done.verdict.applied_at or datetime.now(UTC)
    await retrying(lambda: store.moved(rows, at), "re-point moved reports")
    await retrying(lambda: store.save(done.verdict), "record the correction's verdict")


async def retrying(write: Callable[[], None], what: str) -> None:
    """Run a warehouse write off the loop until it succeeds (nothing applied is forgotten)."""
    delay = 0.5
    while True:
        try:
            await asyncio.get_running_loop().run_in_executor(None, write)
            return
        except WarehouseError as e:
            log.warning("corrections: cannot %s, retrying in %.1f s: %s", what, delay, e)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
