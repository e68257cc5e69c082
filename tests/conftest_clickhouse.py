"""Pytest plugin: real warehouse engines for tests (no mocks).

* ``clickhouse_server``: Debian's clickhouse-server (18.16) on free ports with
  its own temporary data dir and a config written here; one per test session.
* ``chdb_path``: one embedded chdb data dir per session. chdb hosts one data
  path per process, so every test in the session must use this one.
  It also has a password-protected user limited to one database (APP_USER).
* ``warehouse_settings`` / ``warehouse_backend``: factories giving a unique
  database per call, so tests never see each other's rows.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from minqing.settings import Settings
from warehouse.backend import Backend, connect

SERVER_CANDIDATES = (
    "clickhouse-server",
    "/usr/sbin/clickhouse-server",
    "/usr/bin/clickhouse-server",
)
START_TIMEOUT = 30.0
# A password-protected user limited to one database, like production's app user.
APP_USER, APP_PASSWORD, APP_DATABASE = "minqing_app", "app-secret-'\"", "app_db"

CONFIG_XML = """<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>{root}/log/server.log</log>
    <errorlog>{root}/log/error.log</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>{tcp_port}</tcp_port>
  <http_port>{http_port}</http_port>
  <path>{root}/data/</path>
  <tmp_path>{root}/data/tmp/</tmp_path>
  <user_files_path>{root}/data/user_files/</user_files_path>
  <format_schema_path>{root}/data/format_schemas/</format_schema_path>
  <users_config>{root}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
</yandex>
"""

USERS_XML = """<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
    <{app_user}>
      <password>{app_password}</password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
      <allow_databases><database>{app_database}</database></allow_databases>
    </{app_user}>
  </users>
  <quotas><default></default></quotas>
</yandex>
"""


@dataclass(frozen=True)
class ClickHouseServer:
    """A running test server."""

    host: str
    tcp_port: int
    http_port: int
    root: Path

    def url(self, database: str) -> str:
        return f"clickhouse://{self.host}:{self.tcp_port}/{database}"


def _server_binary() -> str | None:
    for candidate in SERVER_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _free_ports(n: int) -> list[int]:
    # Hold all sockets open while choosing, so the ports differ from each other.
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _write_config(root: Path, tcp_port: int, http_port: int) -> Path:
    (root / "log").mkdir()
    (root / "users.xml").write_text(
        USERS_XML.format(app_user=APP_USER, app_password=APP_PASSWORD, app_database=APP_DATABASE)
    )
    config = root / "config.xml"
    config.write_text(CONFIG_XML.format(root=root, tcp_port=tcp_port, http_port=http_port))
    return config


def _log_tail(root: Path) -> str:
    texts = [
        p.read_text(errors="replace")[-2000:] for p in sorted(root.glob("log/*")) if p.is_file()
    ]
    return "\n".join(texts)


def _wait_ready(proc: subprocess.Popen[bytes], http_port: int, root: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"clickhouse-server exited with {proc.returncode}:\n{_log_tail(root)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/ping", timeout=1) as r:
                if r.read().strip() == b"Ok.":
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"clickhouse-server did not answer in {START_TIMEOUT}s:\n{_log_tail(root)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@dataclass
class ServerProcess:
    """A clickhouse-server with fixed ports and data dir: stop it and start it again.

    The fault tests stop a warehouse under load; the session fixture uses it too.
    """

    binary: str
    root: Path
    tcp_port: int
    http_port: int
    proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def create(cls, root: Path) -> ServerProcess:
        """Free ports and a config under ``root``; skips the test if ClickHouse is missing."""
        binary = _server_binary()
        if binary is None:
            pytest.skip("clickhouse-server binary not found (Debian package clickhouse-server)")
        tcp_port, http_port = _free_ports(2)
        _write_config(root, tcp_port, http_port)
        return cls(binary, root, tcp_port, http_port)

    @property
    def server(self) -> ClickHouseServer:
        return ClickHouseServer("127.0.0.1", self.tcp_port, self.http_port, self.root)

    def start(self) -> ClickHouseServer:
        with (self.root / "log" / "stdout.log").open("ab") as out:
            # cwd=root: the server (and chdb, if ever started there) reads ./config.xml.
            self.proc = subprocess.Popen(
                [self.binary, f"--config-file={self.root / 'config.xml'}"],
                cwd=self.root, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            _wait_ready(self.proc, self.http_port, self.root)
        except BaseException:
            self.stop()
            raise
        return self.server

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            _stop(self.proc)
        self.proc = None

    def freeze(self, frozen: bool) -> None:
        """SIGSTOP (a hung server: connections open, no answers) or SIGCONT."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP if frozen else signal.SIGCONT)


@pytest.fixture(scope="session")
def clickhouse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseServer]:
    """A private clickhouse-server for the test session; skipped only if not installed."""
    process = ServerProcess.create(tmp_path_factory.mktemp("clickhouse"))
    try:
        yield process.start()
    finally:
        process.stop()


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's chdb data dir, kept open so the engine starts only once."""
    path = tmp_path_factory.mktemp("chdb")
    anchor = connect(Settings(warehouse_url=f"chdb://{path}"))
    try:
        yield path
    finally:
        anchor.close()


def unique_database(prefix: str = "t") -> str:
    """A fresh database name, so each test has its own tables."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def warehouse_settings(request: pytest.FixtureRequest) -> Callable[..., Settings]:
    """Factory: ``make("chdb" | "clickhouse", database=None) -> Settings`` (unique database)."""

    def make(kind: str = "chdb", database: str | None = None) -> Settings:
        database = database or unique_database()
        if kind == "clickhouse":
            # Looked up lazily: tests that only use chdb never start the server.
            server: ClickHouseServer = request.getfixturevalue("clickhouse_server")
            return Settings(warehouse_url=server.url(database))
        if kind == "chdb":
            path: Path = request.getfixturevalue("chdb_path")
            return Settings(warehouse_url=f"chdb://{path}?database={database}")
        raise ValueError(f"unknown warehouse kind {kind!r}")

    return make


@pytest.fixture
def warehouse_backend(
    warehouse_settings: Callable[..., Settings],
) -> Iterator[Callable[..., Backend]]:
    """Factory: ``make(kind, database=None) -> Backend``, closed after the test."""
    opened: list[Backend] = []

    def make(kind: str = "chdb", database: str | None = None) -> Backend:
        backend = connect(warehouse_settings(kind, database))
        opened.append(backend)
        return backend

    yield make
    for backend in opened:
        backend.close()
