"""Delivery with retries and a log: each (notification, recipient, channel) is sent once.

Before sending, the log in the warehouse is checked for the idempotency key;
right after a send succeeds, it is recorded. A worker killed and restarted, or
a message redelivered by Kafka, therefore finds the key and does not send
again. (The one gap left is a crash between a send and its record, a few
milliseconds; webhooks and SMS carry the key so receivers can close it.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, TypeVar

from minqing.errors import NotifyError, WarehouseError
from minqing.records import Delivery, Notification
from notify.channels import Channel, Channels, PermanentNotifyError
from notify.config import NotifyConfig
from notify.render import Message, render
from warehouse.alert_queries import AlertQueries
from warehouse.backend import Backend
from warehouse.rows import delivery_row

log = logging.getLogger(__name__)
T = TypeVar("T")


def delivery_key(notification_id: str, recipient: str, channel: str) -> str:
    """The idempotency key of one delivery.

    >>> delivery_key("office:3:ab12cd34", "office", "email")
    'office:3:ab12cd34|office|email'
    """
    return f"{notification_id}|{recipient}|{channel}"


class DeliveryLog(Protocol):
    def sent_keys(self, keys: list[str]) -> set[str]: ...
    def record(self, deliveries: list[Delivery]) -> None: ...


class WarehouseLog:
    """The delivery log in the warehouse's ``deliveries`` table."""

    def __init__(self, backend: Backend) -> None:
        self.backend, self.queries = backend, AlertQueries(backend)

    def sent_keys(self, keys: list[str]) -> set[str]:
        return self.queries.sent_keys(keys)

    def record(self, deliveries: list[Delivery]) -> None:
        self.backend.insert("deliveries", [delivery_row(d) for d in deliveries])


@dataclass(frozen=True)
class Endpoint:
    channel: str
    address: str
    sender: Channel


class Deliverer:
    """Sends notifications on every channel a recipient has, concurrently, retrying each."""

    def __init__(self, cfg: NotifyConfig, channels: Channels, log_: DeliveryLog,
                 now: Callable[[], datetime],
                 names: Mapping[str, str] | None = None) -> None:  # fmt: skip
        self.cfg, self.channels, self.log, self.now = cfg, channels, log_, now
        self.names = dict(names or {})
        self.names.update({k: r.name for k, r in cfg.recipients.items() if r.name})

    def endpoints(self, recipient: str) -> list[Endpoint]:
        """Where a recipient is reached besides the inbox (unknown recipients: inbox only)."""
        r, c = self.cfg.recipients.get(recipient), self.channels
        if r is None:
            return []
        out = [Endpoint("email", r.email, c.email)] if r.email and c.email else []
        out += [Endpoint("sms", r.phone, c.sms)] if r.phone and c.sms else []
        out += [Endpoint(f"webhook:{w}", recipient, c.webhooks[w])
                for w in r.webhooks if w in c.webhooks]  # fmt: skip
        return out

    async def deliver(self, n: Notification) -> list[Delivery]:
        """Send what the log does not hold as sent yet; returns the deliveries attempted."""
        todo = {delivery_key(n.notification_id, n.recipient, e.channel): e
                for e in self.endpoints(n.recipient)}  # fmt: skip
        if not todo:
            return []
        done = await retry_blocking(lambda: self.log.sent_keys(list(todo)))
        pending = [(k, e) for k, e in todo.items() if k not in done]
        if not pending:
            return []
        msg = render(n, self.names)
        return list(await asyncio.gather(*(self._one(k, e, msg, n) for k, e in pending)))

    async def _one(self, key: str, e: Endpoint, msg: Message, n: Notification) -> Delivery:
        error, attempt = "", 0
        for attempt in range(1, self.cfg.retry.attempts + 1):
            try:
                await e.sender.send(e.address, msg, key)
                error = ""
                break
            except PermanentNotifyError as exc:
                error = str(exc)
                break
            except NotifyError as exc:
                error = str(exc)
                if attempt < self.cfg.retry.attempts:
                    await asyncio.sleep(self.cfg.retry.delay(attempt - 1))
        status: Literal["sent", "failed"] = "failed" if error else "sent"
        if error:
            log.warning("delivery %s failed after %d attempt(s): %s", key, attempt, error)
        d = Delivery(delivery_id=key, notification_id=n.notification_id, recipient=n.recipient,
                     channel=e.channel, status=status, attempts=attempt, at=self.now(),
                     error=error)  # fmt: skip
        await retry_blocking(lambda: self.log.record([d]))
        return d


async def retry_blocking(call: Callable[[], T]) -> T:
    """Run a blocking log call in a thread until the warehouse takes it."""
    delay = 0.2
    while True:
        try:
            return await asyncio.to_thread(call)
        except WarehouseError as e:
            log.warning("delivery log unavailable, retrying in %.1f s: %s", delay, e)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
