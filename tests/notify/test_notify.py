"""Channels and delivery against real servers on loopback: SMTP (aiosmtpd) and HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from minqing.records import Delivery, Notice, Notification
from minqing.settings import Settings
from notify.channels import build_channels
from notify.config import NotifyConfig, Recipient, RetryConfig, SmsGateway, Webhook
from notify.delivery import Deliverer, WarehouseLog
from tests.notify.receivers import HttpReceiver, SmtpReceiver
from warehouse.backend import Backend
from warehouse.migrations import migrate

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    server = SmtpReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    server = HttpReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def wlog(warehouse_backend: Callable[..., Backend]) -> WarehouseLog:
    backend = warehouse_backend("chdb")
    migrate(backend)
    return WarehouseLog(backend)


def config(http: HttpReceiver, attempts: int = 3) -> NotifyConfig:
    return NotifyConfig(
        retry=RetryConfig(attempts=attempts, base_seconds=0.01, max_seconds=0.05),
        recipients={
            "office": Recipient(name="市联席办", email="office@example.org", webhooks=["ding"]),
            "town": Recipient(email="town@example.org", webhooks=["wecom", "json"]),
            "leader": Recipient(name="陈副市长", phone="13800000001"),
        },
        webhooks={"ding": Webhook(kind="dingtalk", url=f"{http.url}/ding"),
                  "wecom": Webhook(kind="wecom", url=f"{http.url}/wecom"),
                  "json": Webhook(kind="json", url=f"{http.url}/json")},
        sms=SmsGateway(url=f"{http.url}/sms", to_field="mobile", text_field="content",
                       extra={"sign": "民情"}),
    )  # fmt: skip


def settings(smtp_port: int) -> Settings:
    tokens = {"ding": "dtok", "wecom": "wkey", "json": "jtok"}
    return Settings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        webhook_tokens={k: SecretStr(v) for k, v in tokens.items()},
        webhook_secrets={"ding": SecretStr("SECret")},
        sms_token=SecretStr("stok"),
    )


def notification(recipient: str, nid: str = "n:1:abc") -> Notification:
    item = Notice(notice_id=f"e1:{recipient}", recipient=recipient, matter_id="M1", alert_id="A1",
                  kind="escalated", level="red", title="化工厂偷排废水", step=1, at=T0,
                  note="ack overdue / 逾期未签收")  # fmt: skip
    return Notification(notification_id=nid, recipient=recipient, kind="alert", created_at=T0,
                        items=[item])  # fmt: skip


def deliver(cfg: NotifyConfig, s: Settings, log: WarehouseLog,
            *notes: Notification) -> list[list[Delivery]]:  # fmt: skip
    async def run() -> list[list[Delivery]]:
        async with httpx.AsyncClient(timeout=5) as client:
            d = Deliverer(cfg, build_channels(s, cfg, client), log, lambda: T0)
            return [await d.deliver(n) for n in notes]

    return asyncio.run(run())


def test_every_channel_format(smtp: SmtpReceiver, http: HttpReceiver, wlog: WarehouseLog) -> None:
    cfg = config(http)
    deliver(cfg, settings(smtp.port), wlog, notification("office"), notification("town"),
            notification("leader"))  # fmt: skip
    (mail,) = smtp.to("office@example.org")
    assert mail.subject == "【红色】逾期升级：化工厂偷排废水"
    assert mail.key == "n:1:abc|office|email" and "逾期未签收" in mail.body
    (ding,) = http.at("/ding")
    assert ding.body["msgtype"] == "markdown" and ding.body["markdown"]["title"] == mail.subject
    assert "致 市联席办" in ding.body["markdown"]["text"]
    assert ding.query["access_token"] == ["dtok"] and {"timestamp", "sign"} <= set(ding.query)
    (wecom,) = http.at("/wecom")
    assert wecom.query["key"] == ["wkey"] and set(wecom.body["markdown"]) == {"content"}
    (plain,) = http.at("/json")
    assert plain.headers["Authorization"] == "Bearer jtok"
    assert plain.body["idempotency_key"] == "n:1:abc|town|webhook:json"
    (sms,) = http.at("/sms")
    assert sms.body["mobile"] == "13800000001" and sms.body["sign"] == "民情"
    assert sms.body["content"].startswith("[红色] 逾期升级") and len(smtp.mails) == 2


def test_retries_with_backoff_then_log(smtp: SmtpReceiver, http: HttpReceiver,
                                       wlog: WarehouseLog) -> None:  # fmt: skip
    http.fail_next = [503, 500]
    (out,) = deliver(config(http), settings(smtp.port), wlog, notification("leader"))
    assert [(d.channel, d.status, d.attempts) for d in out] == [("sms", "sent", 3)]
    assert len(http.at("/sms")) == 1


def test_client_errors_are_not_retried(smtp: SmtpReceiver, http: HttpReceiver,
                                       wlog: WarehouseLog) -> None:  # fmt: skip
    http.fail_next = [403]
    (out,) = deliver(config(http), settings(smtp.port), wlog, notification("leader"))
    assert [(d.status, d.attempts) for d in out] == [("failed", 1)] and "403" in out[0].error


def test_robot_error_codes_are_retried(smtp: SmtpReceiver, http: HttpReceiver,
                                       wlog: WarehouseLog) -> None:  # fmt: skip
    http.reply = {"errcode": 130101, "errmsg": "send too fast"}
    (out,) = deliver(config(http, attempts=2), settings(smtp.port), wlog, notification("office"))
    ding = next(d for d in out if d.channel == "webhook:ding")
    assert (ding.status, ding.attempts) == ("failed", 2) and "130101" in ding.error


def test_delivery_log_prevents_duplicates(smtp: SmtpReceiver, http: HttpReceiver,
                                          wlog: WarehouseLog) -> None:  # fmt: skip
    cfg, s = config(http), settings(smtp.port)
    http.fail_next = [503, 503, 503]  # the DingTalk robot is down for the first delivery
    first, second, third = deliver(cfg, s, wlog, *[notification("office")] * 3)
    assert {(d.channel, d.status) for d in first} == {("email", "sent"), ("webhook:ding", "failed")}
    assert [(d.channel, d.status) for d in second] == [("webhook:ding", "sent")]
    assert third == []
    assert len(smtp.mails) == 1 and len(http.at("/ding")) == 1
    assert wlog.sent_keys(["n:1:abc|office|email", "n:1:abc|office|webhook:ding"]) == {
        "n:1:abc|office|email",
        "n:1:abc|office|webhook:ding",
    }


def test_smtp_down_is_retried_and_logged(http: HttpReceiver, wlog: WarehouseLog) -> None:
    cfg = config(http, attempts=2)
    (out,) = deliver(cfg, settings(free_closed_port()), wlog, notification("office"))
    email = next(d for d in out if d.channel == "email")
    assert (email.status, email.attempts) == ("failed", 2)


def test_unknown_recipient_has_the_inbox_only(smtp: SmtpReceiver, http: HttpReceiver,
                                              wlog: WarehouseLog) -> None:  # fmt: skip
    assert deliver(config(http), settings(smtp.port), wlog, notification("nobody")) == [[]]


def free_closed_port() -> int:
    from tests.conftest import free_port

    return free_port()
