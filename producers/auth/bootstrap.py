"""First start in development: an admin and an analyst, so ``minqing up`` is usable at once.

On the first start (no account in the warehouse yet) of a development stack,
two accounts are created with random passwords and one API token each, and
written to ``data/credentials.json``, readable by its owner only (mode 600).
The log says where the file is, never what is in it. Production creates no
account: its first admin comes from ``minqing user add``.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from minqing.settings import Settings
from producers.auth import keys
from producers.auth.models import Role
from producers.auth.store import AuthStore

log = logging.getLogger(__name__)
DEV_ACCOUNTS: tuple[tuple[str, Role, str], ...] = (
    ("admin", "admin", "管理员"),
    ("analyst", "analyst", "联席办分析员"),
)


def first_run(settings: Settings, store: AuthStore, county: str) -> Path | None:
    """Create the development accounts once; returns the credentials file, or None."""
    if settings.env == "production" or store.has_users():
        return None
    accounts = [_account(store, name, role, zh, county) for name, role, zh in DEV_ACCOUNTS]
    path = settings.credentials_path
    write_private(path, {"base_url": f"http://{settings.http_host}:{settings.http_port}",
                         "accounts": accounts})  # fmt: skip
    log.info(
        "first start: accounts %s created; passwords and API tokens are in %s (mode 600) "
        "/ 首次启动：已创建账号，密码与令牌见该文件",
        ", ".join(a["username"] for a in accounts), path.resolve(),
    )  # fmt: skip
    return path


def _account(store: AuthStore, username: str, role: Role, zh: str, county: str) -> dict[str, Any]:
    password = keys.new_password()
    regions = (county,) if role == "analyst" else ()
    user = store.create_user(username, role, password, display_name=zh, regions=regions)
    token_id, token = store.issue_token(user, "first-run")
    return {"username": username, "role": role, "password": password, "token": token,
            "token_id": token_id, "regions": list(regions),
            "header": f"Authorization: Bearer {token}"}  # fmt: skip


def write_private(path: Path, data: dict[str, Any]) -> None:
    """Write JSON readable by the owner only, even if the file existed with wider rights."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        os.write(fd, body)
    finally:
        os.close(fd)


def read_credentials(path: Path) -> dict[str, Any] | None:
    """The development credentials file, or None (tools use the admin's token from it)."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def dev_token(settings: Settings, role: Role = "admin") -> str | None:
    """The first-run API token of ``role`` in development, for the demo feed and imports."""
    data = read_credentials(settings.credentials_path) if settings.open_intake else None
    for account in (data or {}).get("accounts", []):
        if account.get("role") == role:
            return str(account["token"])
    return None
