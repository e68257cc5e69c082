"""Real receivers on loopback for delivery tests: an SMTP server (aiosmtpd) and an HTTP server.

Both count what they receive; the HTTP one can be told to fail the next requests.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass
class Mail:
    to: list[str]
    subject: str
    key: str
    body: str


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1; ``mails`` holds every message received."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content)
        subject = str(make_header(decode_header(msg["Subject"])))
        body = msg.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
        self.mails.append(Mail(list(envelope.rcpt_tos), subject, msg["X-Minqing-Idempotency-Key"],
                               body))  # fmt: skip
        return "250 OK"

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.to]

    def start(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class HttpReceiver:
    """A threaded HTTP server on 127.0.0.1 recording every POST."""

    requests: list[Request] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses to answer next, in order
    reply: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    hold_next: int = 0  # hang this many requests (unrecorded) until release()
    held: int = 0

    def __post_init__(self) -> None:
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._lock = threading.Lock()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                parts = urlsplit(self.path)
                if receiver._hold():
                    receiver._release.wait(30)
                    self.send_error(503)
                    return
                with receiver._lock:
                    status = receiver.fail_next.pop(0) if receiver.fail_next else 200
                    if status == 200:
                        receiver.requests.append(
                            Request(
                                parts.path,
                                parse_qs(parts.query),
                                dict(self.headers),
                                json.loads(raw),
                            )
                        )
                body = json.dumps(receiver.reply).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def _hold(self) -> bool:
        with self._lock:
            if self.hold_next <= 0:
                return False
            self.hold_next, self.held = self.hold_next - 1, self.held + 1
            return True

    def release(self) -> None:
        self._release.set()

    def at(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def start(self) -> HttpReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
