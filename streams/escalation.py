"""The alerting agents: forwarders, the one lifecycle agent, and the deadline timer.

Everything the alerting worker acts on goes through one topic, ``alert_actions``,
under one key: alerts (forwarded from ``alerts``), grown matters (from ``risk``),
people's actions and silences (from the API), and ticks (from the timer). One
key means one partition: a total order, so an acknowledgement and a deadline
never race, and one agent is the single writer of the lifecycle table. An
office's alerts are a few dozen a day; they do not need more parallelism.

Faust forbids writing a table outside stream iteration, which is why the timer
does not escalate by itself: it only sends a tick when something is due (and
once at start, so an empty table is re-hydrated from the warehouse).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import faust
import httpx

from minqing.config import Config
from minqing.errors import MinqingError
from minqing.records import AlertingInput, AlertOut, DeadLetter, MatterSeen, Scored
from minqing.settings import Settings
from models.casework import CaseModel
from models.deadlines import Deadlines, load_deadlines
from models.noise import Noise
from models.routing import Router, RoutingConfig, load_routing
from notify.channels import build_channels
from notify.config import NotifyConfig, load_notify
from notify.delivery import Deliverer, WarehouseLog
from streams.agents import parse
from streams.alerting import Alerting, Clock, SystemClock
from streams.topics import ALERT_ACTIONS, Topics
from warehouse.backend import Backend

log = logging.getLogger(__name__)

ALERTING_KEY = b"alerting"
TABLE_NAME = "alerting_state"


@dataclass
class AlertingParts:
    """What ``register_alerting`` added, for tests and the stack."""

    actions: faust.TopicT
    table: Any
    agent: Any
    tick: Any


def build_alerting(settings: Settings, config: Config, backend: Backend,
                   clock: Clock | None = None, notify: NotifyConfig | None = None,
                   ) -> Alerting:  # fmt: skip
    """The alerting service from configs/routing.toml and configs/notify.toml."""
    path = settings.config_dir / "routing.toml"
    routing = load_routing(path)
    router = Router(routing)
    deadlines = Deadlines(load_deadlines(path, config.time_limits))
    cfg = notify or load_notify(settings.config_dir / "notify.toml")
    _warn_unreachable(routing, cfg)
    clock = clock or SystemClock()
    client = httpx.AsyncClient(timeout=settings.notify_timeout_seconds)
    names = {k: v.name for k, v in routing.leaders.items()}
    deliverer = Deliverer(cfg, build_channels(settings, cfg, client), WarehouseLog(backend),
                          clock.now, names)  # fmt: skip
    noise = Noise(cfg.grouping, cfg.digest, sorted(routing.leaders))
    redeliver = timedelta(hours=cfg.redeliver_hours)
    return Alerting(CaseModel(router, deadlines), noise, router, deliverer, backend, clock,
                    redeliver=redeliver, digest_top=cfg.digest.top)  # fmt: skip


def _warn_unreachable(routing: RoutingConfig, cfg: NotifyConfig) -> None:
    """Recipients the routing names but notify.toml does not: they get the inbox only."""
    named = {routing.city, *routing.leaders, routing.joint_conference.queue}
    nodes = [routing.route]
    while nodes:
        node = nodes.pop()
        named |= {node.office or "", node.lead_unit or "", *(node.co_units or [])}
        named |= set(node.leaders or [])
        nodes += node.routes
    missing = sorted(n for n in named if n and n not in cfg.recipients)
    if missing:
        log.warning("alerting: no channels in notify.toml for %s (inbox only)", missing)


def actions_topic(app: faust.App, prefix: str = "") -> faust.TopicT:
    return app.topic(prefix + ALERT_ACTIONS, key_type=bytes, value_type=bytes,
                     key_serializer="raw", value_serializer="raw")  # fmt: skip


def register_alerting(app: faust.App, topics: Topics, alerting: Alerting, settings: Settings,
                      prefix: str = "") -> AlertingParts:  # fmt: skip
    """Add the alerting table, forwarders, agent and timer to the app."""
    actions = actions_topic(app, prefix)
    table = app.Table(prefix + TABLE_NAME, key_type=bytes, value_type=bytes)
    _forwarders(app, topics, actions)
    agent = _agent(app, topics, actions, alerting, table)
    interval = settings.alerting_tick_seconds

    async def alerting_tick() -> None:
        now = alerting.clock.now()
        if alerting.due(table, now, interval):
            alerting.tick_sent_at = now
            tick = AlertingInput(kind="tick", at=now)
            await actions.send(key=ALERTING_KEY, value=tick.to_bytes())

    app.timer(interval, name="alerting_tick")(alerting_tick)
    return AlertingParts(actions, table, agent, alerting_tick)


def _agent(app: faust.App, topics: Topics, actions: faust.TopicT, alerting: Alerting,
           table: Any) -> Any:  # fmt: skip
    """The one writer of the alerting table."""

    @app.agent(actions, name="alerting")
    async def alerting_agent(stream: faust.StreamT) -> None:
        async for raw in stream:
            inp = parse(AlertingInput, raw, actions.get_topic_name())
            if isinstance(inp, DeadLetter):
                await topics.dlq.send(key=inp.dlq_id.encode(), value=inp.to_bytes())
                continue
            try:
                await alerting.handle(inp, table)
            except MinqingError:
                log.exception("alerting: input %s could not be handled", inp.kind)

    return alerting_agent


def _forwarders(app: faust.App, topics: Topics, actions: faust.TopicT) -> None:
    """Alerts and grown matters, re-keyed onto the alerting topic."""

    @app.agent(topics.alerts, name="alerting_forward_alerts")
    async def forward_alerts(stream: faust.StreamT) -> None:
        async for raw in stream:
            out = parse(AlertOut, raw, topics.alerts.get_topic_name())
            if isinstance(out, AlertOut):  # a bad message is the alerts sink's dead letter
                inp = AlertingInput(kind="alert", at=out.alert.updated_at, alert=out)
                await actions.send(key=ALERTING_KEY, value=inp.to_bytes())

    @app.agent(topics.risk, name="alerting_forward_risk")
    async def forward_risk(stream: faust.StreamT) -> None:
        async for raw in stream:
            scored = parse(Scored, raw, topics.risk.get_topic_name())
            if isinstance(scored, Scored):
                inp = AlertingInput(kind="matter", at=scored.matter.last_seen,
                                    matter=seen_of(scored))  # fmt: skip
                await actions.send(key=ALERTING_KEY, value=inp.to_bytes())


def seen_of(scored: Scored) -> MatterSeen:
    m = scored.matter
    return MatterSeen(matter_id=m.matter_id, version=m.version, n_reports=m.n_reports,
                      signals=list(m.signals), last_seen=m.last_seen,
                      merged_from=list(scored.merged_from))  # fmt: skip
