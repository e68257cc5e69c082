"""Topic names and creation (kafka-python admin): the pipeline's stages."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import faust
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from minqing.errors import StreamsError

log = logging.getLogger(__name__)

RAW = "reports.raw"
VALID = "reports.valid"
DLQ = "reports.dlq"
MATTERS = "matters"
RISK = "risk"
ALERTS = "alerts"
# The alerting worker's one input: alerts, grown matters, people's actions, silences, ticks.
ALERT_ACTIONS = "alert_actions"
# Analysts' corrections (merge, move out), keyed like reports.valid: by the matter's place.
CORRECTIONS = "matter_corrections"
ALL = (RAW, VALID, DLQ, MATTERS, RISK, ALERTS, ALERT_ACTIONS, CORRECTIONS)


def partition_key(township: str | None, county: str | None) -> bytes:
    """The key of a place's messages: township, else county, else "-", so that every
    report, matter and correction of one place lands on the partition holding its state.

    >>> partition_key("330681101", "330681"), partition_key(None, None)
    (b'330681101', b'-')
    """
    return (township or county or "-").encode()


def create_topics(
    bootstrap: str,
    partitions: int,
    replication: int,
    names: tuple[str, ...] = ALL,
    prefix: str = "",
) -> None:
    """Create any missing topic; existing ones are left as they are."""
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="minqing-admin")
    except KafkaError as e:
        raise StreamsError(f"cannot reach Kafka at {bootstrap}") from e
    try:
        existing = set(admin.list_topics())
        new = [
            NewTopic(prefix + n, partitions, replication)
            for n in names
            if prefix + n not in existing
        ]
        if new:
            admin.create_topics(new)
            log.info("created topics %s", [t.name for t in new])
    except TopicAlreadyExistsError:
        pass
    except KafkaError as e:
        raise StreamsError(f"cannot create topics on {bootstrap}") from e
    finally:
        admin.close()


@dataclass
class Topics:
    raw: faust.TopicT
    valid: faust.TopicT
    dlq: faust.TopicT
    matters: faust.TopicT
    risk: faust.TopicT
    alerts: faust.TopicT


def make_topics(app: faust.App, prefix: str = "") -> Topics:
    def t(name: str) -> faust.TopicT:
        return app.topic(
            prefix + name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
        )

    return Topics(t(RAW), t(VALID), t(DLQ), t(MATTERS), t(RISK), t(ALERTS))
