"""Refusing default and placeholder secrets in production.

Development runs on the embedded defaults (``dev-only-...``) so a first ``minqing up``
needs no set-up; production must never run on them: anyone who reads this
repository could forge receipts or session cookies. Checked once, when the
settings are built, so every entry point refuses to start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from minqing.errors import ConfigError

if TYPE_CHECKING:
    from minqing.settings import Settings

MIN_LENGTH = 16
# Substrings that mark a value copied from an example rather than generated.
MARKERS = ("dev-only", "changeme", "change-me", "change_me", "placeholder", "replace-me",
           "example", "xxxx", "secret-here", "your-")  # fmt: skip
PLAIN = {"secret", "password", "passwd", "default", "test", "minqing", "admin", "token"}


def is_placeholder(value: str) -> bool:
    """True for empty, short, well-known or example-looking values.

    >>> is_placeholder("dev-only-receipt-secret"), is_placeholder("9f2c" * 8)
    (True, False)
    """
    v = value.strip().lower()
    return len(v) < MIN_LENGTH or v in PLAIN or any(m in v for m in MARKERS)


def _required(settings: Settings) -> dict[str, SecretStr]:
    names = {"MINQING_RECEIPT_SECRET": settings.receipt_secret,
             "MINQING_SESSION_SECRET": settings.session_secret}  # fmt: skip
    if not settings.embedded_warehouse:
        names["MINQING_WAREHOUSE_PASSWORD"] = settings.warehouse_password
    return names


def _optional(settings: Settings) -> dict[str, SecretStr]:
    """Secrets that may be unset (channel not used) but, when set, must be real."""
    names = {"MINQING_SMTP_PASSWORD": settings.smtp_password,
             "MINQING_SMS_TOKEN": settings.sms_token}  # fmt: skip
    for kind, table in (("TOKENS", settings.webhook_tokens), ("SECRETS", settings.webhook_secrets)):
        names.update({f"MINQING_WEBHOOK_{kind}[{k}]": v for k, v in table.items()})
    return {k: v for k, v in names.items() if v.get_secret_value()}


def refuse_placeholders(settings: Settings) -> None:
    """Raise ConfigError naming every secret that is a default or placeholder."""
    secrets = {**_required(settings), **_optional(settings)}
    bad = sorted(
        name for name, value in secrets.items() if is_placeholder(value.get_secret_value())
    )
    if bad:
        names = ", ".join(bad)
        raise ConfigError(
            f"production refuses default or placeholder secrets: {names}; set each from the "
            f"environment to a random value of at least {MIN_LENGTH} characters "
            f"(openssl rand -hex 32) / 生产环境拒绝使用默认或占位密钥：{names}；"
            f"请通过环境变量设置至少 {MIN_LENGTH} 位的随机值"
        )
