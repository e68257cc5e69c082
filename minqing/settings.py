"""One typed settings object, built once at the entry point and passed down.

Environment variables with the prefix ``MINQING_`` override these defaults;
office-editable domain defaults (categories, thresholds, regions) live in configs/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from minqing.placeholders import refuse_placeholders

REPO_ROOT = Path(__file__).resolve().parents[1]


def default_config_dir() -> Path:
    """configs/ of the source tree, else ./configs (an installed package has no tree)."""
    bundled = REPO_ROOT / "configs"
    return bundled if bundled.is_dir() else Path("configs")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MINQING_", extra="ignore")

    env: Literal["development", "production"] = "development"
    log_format: Literal["text", "json"] = "text"
    # Development's open mode: anonymous may read the alert list (never in production).
    open_alerts: bool = True
    log_level: str = "INFO"
    data_dir: Path = Path("data")
    config_dir: Path = Field(default_factory=default_config_dir)

    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # Proxies whose X-Forwarded-For is believed (uvicorn's forwarded_allow_ips): the
    # client address drives per-address rate limits and the audit log, so trust only
    # the office's own reverse proxy, never "*" on a published port.
    forwarded_allow_ips: str = "127.0.0.1"
    max_body_bytes: int = 64 * 1024

    timezone: str = "Asia/Shanghai"

    kafka_port: int = 9092
    kafka_bootstrap: str | None = None
    topic_partitions: int = 1
    topic_replication: int = 1
    app_id: str = "minqing"
    # Faust's own web server (health, later metrics); off unless a port is given.
    worker_web_port: int | None = None
    # How long a consumer fetch may wait for data. Faust hard-codes 1.5 s; tansu holds
    # every fetch that long even when data arrives (Apache Kafka answers at once), so
    # each of the pipeline's hops would wait up to 1.5 s (bench/results/PROFILE.md).
    fetch_max_wait_ms: int = Field(default=50, ge=0, le=60_000)
    # The worker's producer: wait this long to fill a produce request, up to this size.
    producer_linger_seconds: float = Field(default=0.005, ge=0, le=1)
    producer_max_batch_bytes: int = Field(default=256 * 1024, gt=0)

    # chdb:///abs/path or chdb://rel/path (embedded) | clickhouse://host:port/db (server)
    warehouse_url: str = "chdb://data/warehouse"
    warehouse_user: str = "default"
    warehouse_password: SecretStr = SecretStr("")
    writer_batch_rows: int = 1000
    writer_flush_seconds: float = 1.0

    # The outbox re-sends a report not yet in the warehouse after this long.
    outbox_resend_seconds: float = 60.0
    outbox_poll_seconds: float = 1.0

    # Keys the receipt codes; production must set its own.
    receipt_secret: SecretStr = SecretStr("dev-only-receipt-secret")
    # Signs session cookies; production must set its own (minqing/secrets.py refuses defaults).
    session_secret: SecretStr = SecretStr("dev-only-session-secret")
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    # How long a token or session lookup is trusted before the warehouse is asked again;
    # revocations in this process apply at once, in other intake processes after this long.
    auth_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # Abuse limits (requests per minute, with a burst of the same size). IPs stay in memory.
    # 300/min: a village office behind one NAT, or a phone re-sending its queue at once.
    rate_ip_per_minute: float = Field(default=300.0, gt=0)
    rate_informant_per_minute: float = Field(default=20.0, gt=0)
    rate_login_per_minute: float = Field(default=10.0, gt=0)
    enrollment_days: float = Field(default=14.0, gt=0, le=365)
    # Reports older than this many months are dropped, whole months at a time; 0 keeps all.
    retention_months: int = Field(default=24, ge=0)

    demo_rate_per_second: float = 2.0
    demo_seed: int = 7

    # Alerting: how often the worker checks deadlines and notification groups.
    alerting_tick_seconds: float = 10.0
    # Outbound channels; endpoints and recipients are in configs/notify.toml, secrets here.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr = SecretStr("")
    smtp_sender: str = "minqing@localhost"
    smtp_starttls: bool = False
    sms_token: SecretStr = SecretStr("")
    # By webhook name in notify.toml, as JSON: MINQING_WEBHOOK_TOKENS='{"office_ding": "..."}'
    webhook_tokens: dict[str, SecretStr] = Field(default_factory=dict)
    webhook_secrets: dict[str, SecretStr] = Field(default_factory=dict)  # DingTalk signing (加签)
    notify_timeout_seconds: float = 10.0

    @model_validator(mode="after")
    def _production_secrets(self) -> Settings:
        """Production refuses to start with a default or placeholder secret (ConfigError)."""
        if self.env == "production":
            refuse_placeholders(self)
        return self

    @property
    def open_intake(self) -> bool:
        """Development takes anonymous reports; production only enrolled informants'."""
        return self.env != "production"

    @property
    def credentials_path(self) -> Path:
        return self.data_dir / "credentials.json"

    @property
    def open_alert_list(self) -> bool:
        return self.open_alerts and self.env == "development"

    @property
    def bootstrap(self) -> str:
        return self.kafka_bootstrap or f"127.0.0.1:{self.kafka_port}"

    @property
    def embedded_warehouse(self) -> bool:
        return self.warehouse_url.startswith("chdb://")

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.sqlite3"
