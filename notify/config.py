"""configs/notify.toml, typed: recipients' channels, webhooks, SMS gateway, grouping, retries.

Endpoints live here (the office edits them); secrets never do: SMTP password,
webhook tokens and signing secrets and the SMS token come from ``MINQING_*``
environment variables through ``minqing.settings.Settings``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from minqing.errors import ConfigError
from models.noise import DigestConfig, GroupingConfig
from models.routing import read_toml


class Recipient(BaseModel):
    """A unit, office or leader that receives notifications (the inbox always does)."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    email: str | None = None
    phone: str | None = None
    webhooks: list[str] = Field(default_factory=list)


class Webhook(BaseModel):
    """A group robot (DingTalk, WeCom) or a plain JSON endpoint; its token comes from env."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["dingtalk", "wecom", "json"]
    url: str


class SmsGateway(BaseModel):
    """An HTTP SMS gateway taking a JSON POST; field names adapt it to the provider."""

    model_config = ConfigDict(extra="forbid")

    url: str = ""
    to_field: str = "to"
    text_field: str = "text"
    extra: dict[str, str] = Field(default_factory=dict)
    max_chars: int = 300


class RetryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(default=5, ge=1)
    base_seconds: float = 0.5
    max_seconds: float = 8.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff after the ``attempt``-th failure (0-based).

        >>> [RetryConfig().delay(i) for i in range(6)]
        [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
        """
        return float(min(self.base_seconds * 2**attempt, self.max_seconds))


class NotifyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grouping: GroupingConfig = Field(default_factory=GroupingConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    recipients: dict[str, Recipient] = Field(default_factory=dict)
    webhooks: dict[str, Webhook] = Field(default_factory=dict)
    sms: SmsGateway = Field(default_factory=SmsGateway)
    # After a restart, notifications this recent whose delivery is not logged are re-sent.
    redeliver_hours: float = 24.0


def load_notify(path: Path) -> NotifyConfig:
    """Read configs/notify.toml; ConfigError when it is missing or wrong."""
    try:
        cfg = NotifyConfig.model_validate(read_toml(path))
    except ValidationError as e:
        raise ConfigError(f"invalid notify config / 通知配置无效 {path}: {e}") from e
    unknown = {w for r in cfg.recipients.values() for w in r.webhooks} - set(cfg.webhooks)
    if unknown:
        raise ConfigError(f"recipients name unknown webhooks / 未定义的群机器人: {sorted(unknown)}")
    return cfg
