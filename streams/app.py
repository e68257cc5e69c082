"""The one Faust app: its settings, topics, agents and warehouse sinks.

``create_app`` is called once by the entry point with the settings object;
tests build their own app with ``store='memory://'`` and a private app id.
"""

from __future__ import annotations

from collections.abc import Callable

import faust

from minqing.settings import Settings
from streams import agents
from streams.agents import Writer
from streams.alerting import Alerting
from streams.escalation import register_alerting
from streams.monitoring import register_monitoring
from streams.pipeline import Pipeline
from streams.topics import Topics, make_topics


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
        web_enabled=settings.worker_web_port is not None,
        web_port=settings.worker_web_port or 6066,
        web_bind="0.0.0.0",
        datadir=str(settings.data_dir / "faust"),
        stream_wait_empty=False,
        broker_commit_every=100,
        broker_commit_interval=1.0,
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
