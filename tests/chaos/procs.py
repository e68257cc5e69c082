"""Real `minqing intake` / `minqing worker` processes for the fault tests, and waiting helpers.

Each process is ``python -m minqing.cli <cmd>`` in its own session (so a kill
reaches nothing else), logging to a file the failure messages quote.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from minqing.settings import REPO_ROOT

log = logging.getLogger(__name__)
T = TypeVar("T")
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # A test run that is itself killed must not leave workers holding ports and databases.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Proc:
    """One running minqing process."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    web_port: int | None = None  # a worker's Faust web server, when it has one

    @classmethod
    def start(cls, name: str, cmd: str, env: dict[str, str], log_path: Path) -> Proc:
        with log_path.open("ab") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "minqing.cli", cmd],
                cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip
        log.info("started %s (pid %d)", name, popen.pid)
        return cls(name, popen, log_path)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill9(self) -> None:
        """SIGKILL, no chance to flush or commit anything: the fault under test."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        """Clean-up after a test: SIGTERM, then SIGKILL for the whole session."""
        if self.alive():
            self.popen.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)

    def rss_mb(self) -> float:
        """Resident memory now (VmRSS of /proc/<pid>/status), in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def contains(self, text: str) -> bool:
        return text in self.log_path.read_text(errors="replace")


def wait_for(what: str, check: Callable[[], T], timeout: float, procs: list[Proc],
             every: float = 0.5) -> T:  # fmt: skip
    """Poll ``check`` until it is truthy; fail early, with logs, if a process died."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        for p in procs:
            if not p.alive():
                pytest.fail(f"{p.name} exited ({p.popen.returncode}) waiting for {what}:\n"
                            f"{p.tail()}")  # fmt: skip
        last = check()
        if last:
            return last
        time.sleep(every)
    logs = "\n".join(f"--- {p.name}\n{p.tail()}" for p in procs)
    pytest.fail(f"{what}: not within {timeout:.0f} s (last {last!r})\n{logs}")


def wait_healthy(base: str, proc: Proc, timeout: float = 60.0) -> None:
    def ok() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(f"{proc.name} /healthz", ok, timeout, [proc], every=0.3)
