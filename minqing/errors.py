"""One error tree for the whole project: catch ``MinqingError`` at the edges."""

from __future__ import annotations


class MinqingError(Exception):
    """Base of every error Minqing raises on purpose."""


class ConfigError(MinqingError):
    """Settings or files in configs/ are missing or wrong."""


class RecordError(MinqingError):
    """A message does not fit the record schema (carries per-field messages)."""

    def __init__(self, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class IntakeError(MinqingError):
    """producers/: intake, outbox, publishing, import, simulation."""


class StreamsError(MinqingError):
    """streams/: the Faust app, topics and the local broker."""


class ModelError(MinqingError):
    """models/: clustering, risk scoring, replay."""


class WarehouseError(MinqingError):
    """warehouse/: ClickHouse backends, migrations, writer, queries."""


class AlertError(ModelError):
    """models/: an alert lifecycle action that is not allowed in the alert's state."""


class NotifyError(MinqingError):
    """notify/: a channel could not deliver a notification (after retries, or not retryable)."""
