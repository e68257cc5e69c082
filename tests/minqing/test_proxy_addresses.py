"""Client addresses behind a reverse proxy: X-Forwarded-For is believed from trusted proxies only.

Rate limits per address and the audit log read ``client_ip``; a real uvicorn server
built with the stack's own settings answers what address it resolved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from minqing.settings import Settings
from minqing.stack import web_config
from producers.auth.service import client_ip
from tests.conftest import free_port


def echo_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ip")
    def ip(request: Request) -> dict[str, str]:
        return {"ip": client_ip(request)}

    return app


@contextmanager
def serving(trusted: str) -> Iterator[str]:
    settings = Settings(http_port=free_port(), forwarded_allow_ips=trusted)
    server = uvicorn.Server(web_config(echo_app(), settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{settings.http_port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.parametrize(
    ("trusted", "seen"),
    [("127.0.0.1", "203.0.113.7"), ("10.1.2.3", "127.0.0.1")],
    ids=["proxy-trusted", "proxy-not-trusted"],
)
def test_forwarded_address_only_from_trusted_proxy(trusted: str, seen: str) -> None:
    with serving(trusted) as base:
        got = httpx.get(f"{base}/ip", headers={"X-Forwarded-For": "203.0.113.7"})
    assert got.json() == {"ip": seen}


def test_default_trusts_only_the_local_proxy() -> None:
    assert Settings().forwarded_allow_ips == "127.0.0.1"
