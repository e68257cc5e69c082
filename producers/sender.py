"""Send reports to a running intake over HTTP: the same path an informant's form takes."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

from minqing.errors import IntakeError

log = logging.getLogger(__name__)


@dataclass
class SendResult:
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def wait_ready(base_url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise IntakeError(f"intake not reachable at {base_url} / 无法连接报送服务")


def auth_headers(token: str | None) -> dict[str, str]:
    """The Authorization header of an API token (staff imports are not rate-limited)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def post(client: httpx.Client, body: bytes, retries: int = 5) -> httpx.Response:
    """POST one report, retrying when the intake cannot be reached or asks to slow down."""
    for attempt in range(retries):
        try:
            resp = client.post(
                "/api/v1/reports", content=body, headers={"content-type": "application/json"}
            )
            if resp.status_code != 429 or attempt == retries - 1:
                return resp
            time.sleep(min(60.0, float(resp.headers.get("retry-after", "1") or 1)))
        except httpx.TransportError as e:
            if attempt == retries - 1:
                raise IntakeError("intake unreachable / 无法连接报送服务") from e
            time.sleep(2**attempt * 0.2)
    raise IntakeError("unreachable")


def send_lines(
    base_url: str,
    lines: Iterable[tuple[int, bytes]],
    total: int | None = None,
    progress: bool = True,
    token: str | None = None,
) -> SendResult:
    """Send numbered JSON lines; rejected ones are returned with the intake's reasons."""
    result = SendResult()
    with httpx.Client(base_url=base_url, timeout=30, headers=auth_headers(token)) as client:
        for lineno, body in tqdm(lines, total=total, unit="report", disable=not progress):
            resp = post(client, body)
            if resp.status_code == 201:
                result.accepted += 1
            else:
                result.rejected.append(
                    {"line": lineno, "status": resp.status_code, **_json_or_text(resp)}
                )
    return result


def file_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                yield n, line.strip()


def _json_or_text(resp: httpx.Response) -> dict[str, Any]:
    try:
        data = resp.json()
        return data if isinstance(data, dict) else {"body": data}
    except json.JSONDecodeError:
        return {"body": resp.text[:500]}
