"""`minqing up`, `intake` and `worker`: wiring the parts together in one or more processes."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial

import uvicorn
from fastapi import FastAPI

from minqing.config import Config, load_config
from minqing.errors import MinqingError
from minqing.regions import Regions
from minqing.settings import Settings
from models.routing import Router, load_routing
from producers.alerts_api import KafkaPublisher, alerts_router
from producers.auth import AuthService
from producers.auth.bootstrap import first_run
from producers.corrections_api import corrections_router
from producers.intake import create_web_app
from producers.outbox import Outbox
from producers.outcomes_api import outcomes_router
from producers.received import ReceivedRecorder
from producers.relay import Relay
from streams import topics
from streams.broker import LocalBroker
from warehouse.backend import Backend, connect
from warehouse.migrations import migrate
from warehouse.queries import Queries

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


@dataclass
class Stack:
    """The parts one process runs; each `start_*` registers its own cleanup."""

    settings: Settings
    config: Config
    exits: ExitStack = field(default_factory=ExitStack)
    backend: Backend | None = None
    relay: Relay | None = None

    @classmethod
    def build(cls, settings: Settings) -> Stack:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(settings, load_config(settings.config_dir))

    def start_broker(self) -> None:
        s = self.settings
        if s.kafka_bootstrap:
            return
        broker = LocalBroker(s.kafka_port, s.data_dir / "tansu.log").start()
        self.exits.callback(broker.stop)

    def ensure_topics(self) -> None:
        s = self.settings
        topics.create_topics(s.bootstrap, s.topic_partitions, s.topic_replication)

    def open_warehouse(self) -> Backend:
        if self.backend is None:
            self.backend = connect(self.settings)
            migrate(self.backend)
            self.exits.callback(self.backend.close)
        return self.backend

    def start_web(self) -> None:
        """Intake, form and API in a thread, with the outbox relay beside it."""
        s, backend = self.settings, self.open_warehouse()
        queries = Queries(backend)
        outbox = Outbox(s.outbox_path)
        regions = Regions.from_csv(self.config.region_file)
        recorder = ReceivedRecorder(backend, regions, s.receipt_secret.get_secret_value())
        self.relay = relay = Relay(
            outbox,
            s.bootstrap,
            topics.RAW,
            self._processed(queries),
            recorder,
            s.outbox_resend_seconds,
            s.outbox_poll_seconds,
            ensure_topics=self.ensure_topics,
        ).start()
        app = self._web_app(backend, queries, outbox)
        server = uvicorn.Server(web_config(app, s))
        thread = threading.Thread(target=server.run, name="web", daemon=True)
        thread.start()
        self.exits.callback(outbox.close)
        self.exits.callback(relay.stop)
        self.exits.callback(_stopper(server, thread))

    def _web_app(self, backend: Backend, queries: Queries, outbox: Outbox) -> FastAPI:
        s = self.settings
        publisher = KafkaPublisher(s.bootstrap, topics.ALERT_ACTIONS)
        self.exits.callback(publisher.close)
        router = Router(load_routing(s.config_dir / "routing.toml"))
        fixes = KafkaPublisher(s.bootstrap, topics.CORRECTIONS)
        self.exits.callback(fixes.close)
        routers = [alerts_router(backend, publisher, router), outcomes_router(backend),
                   corrections_router(backend, fixes)]  # fmt: skip
        auth = AuthService.build(s, backend)
        first_run(s, auth.store, self.config.region.county_code)  # development only
        return create_web_app(s, self.config, outbox, queries, routers=routers, auth=auth)

    @staticmethod
    def _processed(queries: Queries) -> Callable[[list[str]], set[str]]:
        return lambda ids: queries.present_report_ids(ids, processed=True)

    def start_demo(self) -> None:
        from producers.demo import DemoFeed

        feed = DemoFeed(self.settings, self.config).start()
        self.exits.callback(feed.stop)

    def run_worker(self) -> None:
        """Blocks until SIGINT/SIGTERM; the Faust worker owns the main thread."""
        from streams.app import create_app
        from streams.escalation import build_alerting
        from streams.pipeline import Pipeline
        from warehouse.corrections import CorrectionStore
        from warehouse.matter_archive import ArchiveStore
        from warehouse.window import window_reports
        from warehouse.writer import WarehouseWriter

        s, backend = self.settings, self.open_warehouse()
        pipeline = Pipeline.from_settings(s, self.config)
        pipeline.history = partial(window_reports, backend)
        pipeline.corrections = CorrectionStore(backend)
        pipeline.use_archive(ArchiveStore(backend))  # closed matters come back (issue 3)

        def writer() -> WarehouseWriter:
            return WarehouseWriter(backend, s.writer_batch_rows, s.writer_flush_seconds)

        alerting = build_alerting(s, self.config, backend)
        app, _ = create_app(s, pipeline, sink=writer, alerting=alerting)
        from streams.worker import Worker

        Worker(
            app, quiet=True, override_logging=False, on_signal=self.halt
        ).execute_from_commandline()

    def close(self) -> None:
        self.exits.close()

    def halt(self) -> None:
        """Stop at once on a signal, releasing the warehouse first.

        Nothing is lost: reports wait in the outbox until the warehouse holds
        them, and warehouse writes are idempotent. The broker child dies with us.
        """
        log.info("stopping")
        if self.relay is not None:
            self.relay.record_now()
        if self.backend is not None:
            self.backend.close()
        logging.shutdown()
        os._exit(0)


def web_config(app: FastAPI, s: Settings) -> uvicorn.Config:
    """The HTTP server's settings, with the proxy trusted for client addresses."""
    return uvicorn.Config(
        app, host=s.http_host, port=s.http_port, log_level="warning", access_log=False,
        proxy_headers=True, forwarded_allow_ips=s.forwarded_allow_ips,
    )  # fmt: skip


def _stopper(server: uvicorn.Server, thread: threading.Thread) -> Callable[[], None]:
    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return stop


def announce(settings: Settings, demo: bool) -> None:
    base = f"http://{settings.http_host}:{settings.http_port}"
    lines = [
        "Minqing 民情 is running." + (" Demo feed on." if demo else ""),
        f"  Informant form 报送表单:  {base}/",
        f"  Alerts API 预警:          {base}/api/v1/alerts",
        f"  Report status 回执查询:   {base}/api/v1/reports/<receipt>",
        f"  Sign in 登录:             {base}/login"
        + (f"  (first-run accounts: {settings.credentials_path})" if settings.open_intake else ""),
        f"  Health:                   {base}/healthz",
        f"  Kafka: {settings.bootstrap}   Warehouse: {settings.warehouse_url}",
        "  Ctrl-C stops everything.",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def stop_with_parent() -> None:
    """Get SIGTERM when the process that started us exits.

    A supervisor or shell wrapper that is killed must not leave a stack holding
    the ports and the embedded warehouse's lock.
    """
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def on_signals(handler: Callable[[], None]) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: handler())


def up(settings: Settings, demo: bool, watch_parent: bool = True) -> None:
    stack = Stack.build(settings)
    on_signals(stack.halt)
    if watch_parent:
        stop_with_parent()
    try:
        stack.start_broker()
        stack.ensure_topics()
        stack.start_web()
        if demo:
            stack.start_demo()
        announce(settings, demo)
        stack.run_worker()
    except MinqingError:
        log.exception("minqing up failed")
        raise
    finally:
        stack.close()


def intake(settings: Settings) -> None:
    """Intake and relay alone; needs an external broker and a server warehouse."""
    _require_external(settings)
    stack = Stack.build(settings)
    try:
        on_signals(stack.halt)
        stack.ensure_topics()
        stack.start_web()
        announce(settings, demo=False)
        threading.Event().wait()
    finally:
        stack.close()


def worker(settings: Settings) -> None:
    """The Faust worker alone; needs an external broker and a server warehouse."""
    _require_external(settings)
    stack = Stack.build(settings)
    try:
        stack.ensure_topics()
        stack.run_worker()
    finally:
        stack.close()


def _require_external(settings: Settings) -> None:
    if not settings.kafka_bootstrap or settings.embedded_warehouse:
        raise MinqingError(
            "separate intake/worker need MINQING_KAFKA_BOOTSTRAP and a clickhouse:// "
            "MINQING_WAREHOUSE_URL (chdb allows one process) / 分开运行需要外部 Kafka 与 ClickHouse"
        )
