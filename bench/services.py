"""Real components for the benchmarks: tansu, clickhouse-server 18.16, minqing processes.

Every process started here runs in its own session (process group) and is killed
as a group when its context exits, so a benchmark never leaves anything behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from minqing.settings import REPO_ROOT
from streams.broker import LocalBroker
from warehouse.backend import Backend

log = logging.getLogger(__name__)

WORK = REPO_ROOT / "data" / "bench"
PR_SET_PDEATHSIG = 1
CLICKHOUSE_CONFIG = """<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{root}/server.log</log>
    <errorlog>{root}/error.log</errorlog><size>10M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>{tcp}</tcp_port><http_port>{http}</http_port>
  <path>{root}/data/</path><tmp_path>{root}/data/tmp/</tmp_path>
  <user_files_path>{root}/data/user_files/</user_files_path>
  <format_schema_path>{root}/data/format_schemas/</format_schema_path>
  <users_config>{root}/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>1073741824</mark_cache_size>
  <uncompressed_cache_size>1073741824</uncompressed_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
</yandex>
"""
CLICKHOUSE_USERS = """<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
"""


def _die_with_parent() -> None:
    # A benchmark killed by a signal must not leave servers behind (they have their own
    # process group, so the terminal's signals do not reach them).
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def load_average() -> list[float]:
    """1, 5 and 15-minute load: other work on this 2-core machine skews every figure."""
    return [round(x, 2) for x in os.getloadavg()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def workdir(name: str) -> Path:
    """A fresh scratch directory under data/bench (out of git); the last run's is removed.

    Logs of the latest run stay for a look after a failure; older ones would pile up
    (a ClickHouse data dir per run).
    """
    WORK.mkdir(parents=True, exist_ok=True)
    for old in WORK.glob(f"{name}-*"):
        shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=WORK))


def drop_database(backend: Backend) -> None:
    """Drop the backend's database now (chdb's Atomic engine otherwise keeps it 8 minutes)."""
    sync = " SYNC" if type(backend).__name__ == "ChdbBackend" else ""
    backend.command(f"DROP DATABASE IF EXISTS {backend.database}{sync}")


@contextlib.contextmanager
def tansu(root: Path) -> Iterator[LocalBroker]:
    """A fresh in-memory tansu broker on a free port."""
    broker = LocalBroker(free_port(), root / "tansu.log").start()
    try:
        yield broker
    finally:
        broker.stop()


@dataclass(frozen=True)
class ClickHouse:
    tcp_port: int
    http_port: int
    root: Path

    def url(self, database: str) -> str:
        return f"clickhouse://127.0.0.1:{self.tcp_port}/{database}"


def _ping(http_port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/ping", timeout=1) as r:
            return bool(r.read().strip() == b"Ok.")
    except OSError:
        return False


@contextlib.contextmanager
def clickhouse_server(root: Path) -> Iterator[ClickHouse]:
    """Debian's clickhouse-server (18.16) on free ports with a private data dir."""
    binary = shutil.which("clickhouse-server") or "/usr/sbin/clickhouse-server"
    tcp, http = free_port(), free_port()
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    (root / "users.xml").write_text(CLICKHOUSE_USERS)
    config = root / "config.xml"
    config.write_text(CLICKHOUSE_CONFIG.format(root=root, tcp=tcp, http=http))
    with Proc([binary, f"--config-file={config}"], root / "stdout.log", cwd=root) as proc:
        deadline = time.monotonic() + 30
        while not _ping(http):
            if proc.exited() or time.monotonic() > deadline:
                raise RuntimeError(f"clickhouse-server did not start; see {root}")
            time.sleep(0.1)
        yield ClickHouse(tcp, http, root)


class Proc:
    """A child process in its own process group, killed with the group on exit."""

    def __init__(self, argv: list[str], log_path: Path, env: Mapping[str, str] | None = None,
                 cwd: Path = REPO_ROOT) -> None:  # fmt: skip
        self.log_path = log_path
        with log_path.open("ab") as out:
            self.popen = subprocess.Popen(
                argv, cwd=cwd, env=dict(env) if env is not None else None,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exited(self) -> bool:
        return self.popen.poll() is not None

    def tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group (a `minqing up` owns its tansu child)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, grace: float = 5.0) -> None:
        if not self.exited():
            self.kill(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(grace)
        self.kill(signal.SIGKILL)  # the group, should a child linger
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)

    def __enter__(self) -> Proc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# A load generator is one IP posting for thousands of informants: abuse limits off.
UNLIMITED = {"MINQING_RATE_IP_PER_MINUTE": "1e9", "MINQING_RATE_INFORMANT_PER_MINUTE": "1e9"}


def minqing_env(**values: str) -> dict[str, str]:
    """The parent's environment without any MINQING_* variable, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_")}
    env.update(UNLIMITED)
    env.update(values)
    return env


def minqing(args: list[str], log_path: Path, env: Mapping[str, str]) -> Proc:
    return Proc([sys.executable, "-m", "minqing.cli", *args], log_path, env)


def wait_http(url: str, proc: Proc, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.exited():
            raise RuntimeError(f"process exited:\n{proc.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not up after {timeout:.0f} s:\n{proc.tail()}")
