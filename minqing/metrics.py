"""Prometheus metrics, one registry per process (scraped at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REPORTS_ACCEPTED = Counter("minqing_reports_accepted_total", "Reports answered 201 by the intake")
REPORTS_REFUSED = Counter(
    "minqing_reports_refused_total", "Reports refused by the intake", ["status"]
)
OUTBOX_DEPTH = Gauge("minqing_outbox_depth", "Accepted reports not yet in the warehouse")
OUTBOX_SENT = Counter("minqing_outbox_sent_total", "Reports sent from the outbox to Kafka")
STAGE_MESSAGES = Counter(
    "minqing_stage_messages_total", "Messages processed by each stream stage", ["stage"]
)
DEAD_LETTERS = Counter("minqing_dead_letters_total", "Messages sent to the DLQ", ["topic"])
ALERT_EVENTS = Counter("minqing_alert_events_total", "Alert events emitted", ["kind", "level"])
WAREHOUSE_ROWS = Counter("minqing_warehouse_rows_total", "Rows written to the warehouse")
WAREHOUSE_ERRORS = Counter("minqing_warehouse_errors_total", "Failed warehouse flushes")
WAREHOUSE_FLUSH = Histogram(
    "minqing_warehouse_flush_seconds",
    "Time per warehouse flush",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CONSUMER_LAG = Gauge(
    "minqing_consumer_lag",
    "Messages behind the end of each topic partition",
    ["topic", "partition"],
)
