"""Channels: e-mail over SMTP, DingTalk / WeCom group robots, plain JSON webhooks, SMS gateway.

Each ``send`` raises ``NotifyError`` when delivery failed and may succeed on a
retry, ``PermanentNotifyError`` when a retry cannot help (a refused address, a
4xx answer). Every request carries the idempotency key, so a receiver that
keeps them can drop the rare duplicate sent just before a crash.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import quote_plus

import httpx

from minqing.errors import NotifyError
from minqing.settings import Settings
from notify.config import NotifyConfig, SmsGateway, Webhook
from notify.render import Message

log = logging.getLogger(__name__)

KEY_HEADER = "X-Minqing-Idempotency-Key"


class PermanentNotifyError(NotifyError):
    """Delivery failed in a way a retry cannot fix."""


class Channel(Protocol):
    async def send(self, address: str, msg: Message, key: str) -> None: ...


@dataclass
class EmailChannel:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0

    async def send(self, address: str, msg: Message, key: str) -> None:
        await asyncio.to_thread(self._send, address, msg, key)

    def _send(self, address: str, msg: Message, key: str) -> None:
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = msg.title, self.sender, address
        mail[KEY_HEADER] = key
        mail.set_content(msg.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as e:
            raise PermanentNotifyError(f"smtp refused {address}: {e.recipients}") from e
        except smtplib.SMTPResponseException as e:
            cls = PermanentNotifyError if e.smtp_code >= 500 else NotifyError
            raise cls(f"smtp {e.smtp_code}: {e.smtp_error!r}") from e
        except (smtplib.SMTPException, OSError) as e:
            raise NotifyError(f"smtp {self.host}:{self.port}: {e}") from e


def robot_payload(kind: str, msg: Message, key: str, extra: dict[str, Any]) -> dict[str, Any]:
    """The JSON body for a DingTalk robot, a WeCom robot or a plain JSON receiver.

    >>> m = Message("标题", "### 标题", "标题")
    >>> robot_payload("dingtalk", m, "k", {})
    {'msgtype': 'markdown', 'markdown': {'title': '标题', 'text': '### 标题'}}
    >>> robot_payload("wecom", m, "k", {})
    {'msgtype': 'markdown', 'markdown': {'content': '### 标题'}}
    """
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": msg.title, "text": msg.markdown}}
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": msg.markdown}}
    return {"idempotency_key": key, "title": msg.title, "text": msg.text,
            "markdown": msg.markdown, **extra}  # fmt: skip


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64 HMAC-SHA256 of "timestamp\\nsecret", URL-encoded.

    >>> dingtalk_sign("SEC", 1700000000000)
    'r%2B2we0q01lkZqz38LA5IPNbHN81U1leRf3Au4PSQb6Q%3D'
    """
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return quote_plus(base64.b64encode(digest.digest()).decode())


@dataclass
class WebhookChannel:
    hook: Webhook
    client: httpx.AsyncClient
    token: str = ""
    secret: str = ""

    def url(self) -> str:
        sep = "&" if "?" in self.hook.url else "?"
        if self.hook.kind == "dingtalk" and self.token:
            url = f"{self.hook.url}{sep}access_token={quote_plus(self.token)}"
            if self.secret:
                ts = int(time.time() * 1000)
                url += f"&timestamp={ts}&sign={dingtalk_sign(self.secret, ts)}"
            return url
        if self.hook.kind == "wecom" and self.token:
            return f"{self.hook.url}{sep}key={quote_plus(self.token)}"
        return self.hook.url

    async def send(self, address: str, msg: Message, key: str) -> None:
        headers = {KEY_HEADER: key}
        if self.hook.kind == "json" and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = robot_payload(self.hook.kind, msg, key, {"recipient": address})
        await post_json(self.client, self.url(), body, headers, robot=self.hook.kind != "json")


@dataclass
class SmsChannel:
    gateway: SmsGateway
    client: httpx.AsyncClient
    token: str = ""

    async def send(self, address: str, msg: Message, key: str) -> None:
        g = self.gateway
        body = {g.to_field: address, g.text_field: msg.text[: g.max_chars], **g.extra}
        headers = {KEY_HEADER: key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        await post_json(self.client, g.url, body, headers, robot=False)


async def post_json(client: httpx.AsyncClient, url: str, body: dict[str, Any],
                    headers: dict[str, str], robot: bool) -> None:  # fmt: skip
    """POST; 5xx, 429 and network errors may be retried, other 4xx may not."""
    where = url.split("?", 1)[0]  # never log a token in the query string
    try:
        resp = await client.post(url, json=body, headers=headers)
    except httpx.HTTPError as e:
        raise NotifyError(f"POST {where}: {type(e).__name__}") from e
    if resp.status_code >= 500 or resp.status_code == 429:
        raise NotifyError(f"POST {where}: HTTP {resp.status_code}")
    if resp.status_code >= 400:
        raise PermanentNotifyError(f"POST {where}: HTTP {resp.status_code}")
    if robot:
        # Robots answer 200 with an error code in the body (e.g. 130101: too many messages).
        code = _errcode(resp)
        if code:
            raise NotifyError(f"POST {where}: robot errcode {code}")


def _errcode(resp: httpx.Response) -> int:
    try:
        return int(resp.json().get("errcode", 0))
    except (ValueError, AttributeError, TypeError):
        return 0


@dataclass
class Channels:
    """The channel objects one worker uses, built from settings and notify.toml."""

    email: Channel | None
    sms: Channel | None
    webhooks: dict[str, Channel]


def build_channels(settings: Settings, cfg: NotifyConfig, client: httpx.AsyncClient) -> Channels:
    email = None
    if settings.smtp_host:
        email = EmailChannel(
            settings.smtp_host, settings.smtp_port, settings.smtp_sender, settings.smtp_user,
            settings.smtp_password.get_secret_value(), settings.smtp_starttls,
            settings.notify_timeout_seconds,
        )  # fmt: skip
    sms = None
    if cfg.sms.url:
        sms = SmsChannel(cfg.sms, client, settings.sms_token.get_secret_value())
    hooks: dict[str, Channel] = {}
    for name, hook in cfg.webhooks.items():
        token = settings.webhook_tokens.get(name)
        secret = settings.webhook_secrets.get(name)
        if not hook.url:
            log.info("webhook %s is off (no url configured)", name)
            continue
        hooks[name] = WebhookChannel(
            hook, client, token.get_secret_value() if token else "",
            secret.get_secret_value() if secret else "",
        )  # fmt: skip
    return Channels(email, sms, hooks)
