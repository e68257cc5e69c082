"""The one Faust app: topics, agents and the warehouse sinks.

``create_app`` is called once by the entry point with the settings object;
tests build their own app with ``store='memory://'`` and a private app id.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from minqing.settings import Settings
from streams import topics as names
from streams.pipeline import Pipeline


@dataclass
class Topics:
    raw: faust.TopicT
    valid: faust.TopicT
    dlq: faust.TopicT
    matters: faust.TopicT
    risk: faust.TopicT
    alerts: faust.TopicT


def make_faust(settings: Settings) -> faust.App:
    return faust.App(
        settings.app_id,
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
        web_enabled=False,
        stream_wait_empty=False,
        broker_commit_every=100,
        broker_commit_interval=1.0,
    )


def make_topics(app: faust.App, prefix: str = "") -> Topics:
    def t(name: str) -> faust.TopicT:
        return app.topic(
            prefix + name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
        )

    return Topics(
        t(names.RAW), t(names.VALID), t(names.DLQ), t(names.MATTERS), t(names.RISK), t(names.ALERTS)
    )


def create_app(
    settings: Settings, pipeline: Pipeline, sink: object | None = None, prefix: str = ""
) -> tuple[faust.App, Topics]:
    """Build the app and register every agent (sinks only when a writer factory is given)."""
    from streams import agents

    app = make_faust(settings)
    topics = make_topics(app, prefix)
    agents.register(app, topics, pipeline)
    if sink is not None:
        agents.register_sinks(app, topics, sink, settings)
    return app, topics
