"""py-spy, attached to a running process for a while: flame graph and speedscope profile.

Sampling from outside the process costs the target nothing measurable, so the
profiled run is the measured run. ``--idle`` is off: only time on the CPU (or
holding the GIL) shows, which is what a throughput limit is made of.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


class Recording:
    """py-spy sampling ``pid`` for ``seconds`` into ``out`` (.svg flame graph, .json speedscope)."""

    def __init__(self, pid: int, out: Path, seconds: float, rate: int = 100) -> None:
        self.seconds = seconds
        self.proc: subprocess.Popen[bytes] | None = None
        binary = py_spy()
        if binary is None:
            log.warning("py-spy not installed: no profile")
            return
        fmt = "speedscope" if out.suffix == ".json" else "flamegraph"
        argv = [binary, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate",
                str(rate), "--format", fmt, "--output", str(out), "--nonblocking"]  # fmt: skip
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def finish(self) -> None:
        """Wait for py-spy to write its file (it stops by itself after ``seconds``)."""
        if self.proc is None:
            return
        try:
            _, err = self.proc.communicate(timeout=self.seconds + 30)
            if self.proc.returncode:
                log.warning("py-spy failed: %s", err.decode(errors="replace")[-500:])
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None


@contextlib.contextmanager
def record(pid: int, out: Path, seconds: float, rate: int = 100) -> Iterator[None]:
    """Sample ``pid`` while the block runs (and at most ``seconds``)."""
    recording = Recording(pid, out, seconds, rate)
    try:
        yield
    finally:
        recording.finish()
