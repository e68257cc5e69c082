"""A test rig for the alerting worker: the real agent (test_context, memory store), chdb,
real SMTP/HTTP receivers, a manual clock; ``worker()`` builds a fresh worker, as a restart does."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from minqing.records import AlertingInput
from minqing.settings import Settings
from models.casework import CaseModel
from models.deadlines import DeadlineConfig, Deadlines
from models.noise import DigestConfig, GroupingConfig, Noise
from notify.channels import build_channels
from notify.config import NotifyConfig, Recipient, RetryConfig, SmsGateway, Webhook
from notify.delivery import Deliverer, WarehouseLog
from streams.alerting import Alerting, ManualClock
from streams.app import make_faust
from streams.escalation import ALERTING_KEY, AlertingParts, register_alerting
from streams.topics import make_topics
from tests.alerting_world import ROUTING, T0, router
from tests.notify.receivers import HttpReceiver, SmtpReceiver
from warehouse.backend import Backend

EMAIL = {"fengqiao": "fengqiao@example.org", "eco": "eco@example.org",
         "office": "office@example.org", "jc": "jc@example.org"}  # fmt: skip


def notify_config(http: HttpReceiver, digest: bool = False) -> NotifyConfig:
    recipients = {k: Recipient(email=v) for k, v in EMAIL.items()}
    recipients["office"] = Recipient(name="市联席办", email=EMAIL["office"], webhooks=["ding"])
    recipients["leader"] = Recipient(name="陈副市长", phone="13800000001")
    recipients["city"] = Recipient(name="市里", webhooks=["city_json"])
    return NotifyConfig(
        grouping=GroupingConfig(group_wait_seconds=30, group_interval_seconds=300,
                                repeat_interval_seconds=30 * 86400),
        digest=DigestConfig(enabled=digest, hour=8), recipients=recipients,
        retry=RetryConfig(attempts=3, base_seconds=0.01, max_seconds=0.05),
        webhooks={"ding": Webhook(kind="dingtalk", url=f"{http.url}/ding"),
                  "city_json": Webhook(kind="json", url=f"{http.url}/city")},
        sms=SmsGateway(url=f"{http.url}/sms"),
    )  # fmt: skip


@dataclass
class Worker:
    alerting: Alerting
    parts: AlertingParts

    async def feed(self, *inputs: AlertingInput) -> None:
        # put() returns once the agent has taken a value, not once it has applied it.
        goal = self.alerting.handled + len(inputs)
        async with self.parts.agent.test_context() as agent:
            for inp in inputs:
                await agent.put(inp.to_bytes(), key=ALERTING_KEY)
            for _ in range(500):
                if self.alerting.handled >= goal:
                    break
                await asyncio.sleep(0.01)
        assert self.alerting.handled == goal, "the agent did not finish its inputs"


@dataclass
class Rig:
    backend: Backend
    smtp: SmtpReceiver
    http: HttpReceiver
    settings: Settings
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    deadlines: DeadlineConfig = field(default_factory=DeadlineConfig)
    digest: bool = False

    def worker(self) -> Worker:
        """A new worker with nothing in memory: its table is empty until it re-hydrates."""
        cfg = notify_config(self.http, self.digest)
        s = self.settings.model_copy(update={
            "app_id": f"t-{uuid.uuid4().hex[:8]}", "smtp_host": "127.0.0.1",
            "smtp_port": self.smtp.port, "webhook_tokens": {}})  # fmt: skip
        deliverer = Deliverer(cfg, build_channels(s, cfg, httpx.AsyncClient(timeout=5)),
                              WarehouseLog(self.backend), self.clock.now)  # fmt: skip
        alerting = Alerting(
            CaseModel(router(), Deadlines(self.deadlines)),
            Noise(cfg.grouping, cfg.digest, sorted(ROUTING["leaders"])), router(), deliverer,
            self.backend, self.clock,
        )  # fmt: skip
        app = make_faust(s)
        prefix = f"{s.app_id}."
        return Worker(
            alerting, register_alerting(app, make_topics(app, prefix), alerting, s, prefix)
        )

    def mails(self, unit: str) -> list[Any]:
        return self.smtp.to(EMAIL[unit])

    def posts(self, path: str) -> list[Any]:
        return self.http.at(path)
