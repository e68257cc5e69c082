"""Browser-test fixtures: one real stack per module, Debian's chromium through Playwright.

The stack is ``minqing up`` (``python -m minqing.cli up``) in its own
process group, on free ports, with its own data dir and chdb path: chdb allows
one data path per process, and this test process has its own. It can be
stopped and started again on the same ports and data, for the "intake down" test.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from minqing.settings import REPO_ROOT
from tests.conftest import free_port

log = logging.getLogger(__name__)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


@dataclass
class UiStack:
    """A ``minqing up`` process that can be stopped and started again."""

    root: Path
    demo: bool = False
    http_port: int = field(default_factory=free_port)
    kafka_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def log_path(self) -> Path:
        return self.root / f"stack-{self.starts}.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_")}
        env.update(
            MINQING_HTTP_PORT=str(self.http_port),
            MINQING_KAFKA_PORT=str(self.kafka_port),
            MINQING_DATA_DIR=str(self.root / "data"),
            MINQING_WAREHOUSE_URL=f"chdb://{self.root / 'warehouse'}",
            MINQING_OUTBOX_POLL_SECONDS="0.5",
        )
        return env

    def start(self) -> UiStack:
        self.starts += 1
        args = [sys.executable, "-m", "minqing.cli", "up", *(["--demo"] if self.demo else [])]
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                args,
                cwd=REPO_ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as a whole
            )
        self.wait_healthy()
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def account(self, role: str = "analyst") -> dict[str, Any]:
        """A first-run account of ``role`` from the stack's data/credentials.json."""
        data = json.loads((self.root / "data" / "credentials.json").read_text(encoding="utf-8"))
        account: dict[str, Any] = next(a for a in data["accounts"] if a["role"] == role)
        return account

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if not self.alive():
                pytest.fail(f"stack exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        pytest.fail(f"stack not healthy after {READY_TIMEOUT} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM (the stack releases its warehouse and exits), then make sure of it."""
        if self.proc is None:
            return
        pid, self.proc = self.proc.pid, None
        for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    os.killpg(pid, 0)
                except ProcessLookupError:
                    return
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)  # reap it, or it lingers as a zombie
                time.sleep(0.2)


@pytest.fixture(scope="module")
def ui_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiStack]:
    """One running stack for a test module (the first consumer-group join takes ~30 s)."""
    stack = UiStack(tmp_path_factory.mktemp("ui-stack")).start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian chromium; the Playwright package's own browsers are never downloaded."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian package chromium not installed (make debs)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A cheap phone's screen, in Chinese, in China's time zone."""
    ctx = browser.new_context(
        viewport={"width": 360, "height": 740},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=True,
        has_touch=True,
    )
    yield ctx
    ctx.close()


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    """An analyst's screen."""
    ctx = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    yield ctx
    ctx.close()


def sign_in(ctx: Any, stack: UiStack, role: str = "analyst") -> None:
    """Sign a browser context in through the sign-in page, as a person would."""
    account = stack.account(role)
    page = ctx.new_page()
    page.goto(stack.base + "/login?next=/analyst")
    page.fill("#username", account["username"])
    page.fill("#password", account["password"])
    page.locator("#login_btn").click()
    page.wait_for_url(stack.base + "/analyst")
    page.close()
