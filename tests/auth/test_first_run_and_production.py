"""First start in development (accounts, credentials.json mode 600) and production's refusals."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from minqing import cli
from minqing.errors import ConfigError
from minqing.placeholders import is_placeholder
from minqing.settings import REPO_ROOT, Settings
from producers.auth.bootstrap import dev_token, first_run
from producers.auth.store import AuthStore
from tests.auth.conftest import World
from tests.authkit import bearer
from warehouse.backend import Backend
from warehouse.migrations import migrate

REAL: dict[str, Any] = {"receipt_secret": "9f2c" * 8, "session_secret": "7ab1" * 8}


@pytest.fixture
def store(warehouse_backend: Callable[..., Backend]) -> AuthStore:
    backend = warehouse_backend("chdb")
    migrate(backend)
    return AuthStore(backend)


def test_first_start_writes_private_credentials_once(
    store: AuthStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with caplog.at_level(logging.INFO):
        path = first_run(settings, store, "330681")
    assert path == settings.credentials_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text(encoding="utf-8"))
    accounts = {a["role"]: a for a in data["accounts"]}
    assert set(accounts) == {"admin", "analyst"} and accounts["analyst"]["regions"] == ["330681"]
    assert str(path.resolve()) in caplog.text
    for a in accounts.values():
        assert a["password"] not in caplog.text and a["token"] not in caplog.text
        assert len(a["password"]) >= 16 and a["token"].startswith("mqs_")
    assert first_run(settings, store, "330681") is None  # second start: nothing new
    assert dev_token(settings) == accounts["admin"]["token"]


def test_credentials_file_is_narrowed_even_if_it_existed(store: AuthStore, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    settings.credentials_path.write_text("{}")
    settings.credentials_path.chmod(0o644)
    first_run(settings, store, "330681")
    assert stat.S_IMODE(settings.credentials_path.stat().st_mode) == 0o600


def test_first_run_accounts_work_against_the_app(fresh_world: Callable[..., World]) -> None:
    w = fresh_world()
    w.backend.command(f"TRUNCATE TABLE {w.backend.database}.users")
    path = first_run(w.settings, w.auth.store, "330681")
    assert path is not None
    accounts = json.loads(path.read_text())["accounts"]
    w.auth.forget()
    for a in accounts:
        assert w.client.get("/api/v1/alerts", headers=bearer(a["token"])).status_code == 200
        c = TestClient(w.app)
        login = {"username": a["username"], "password": a["password"]}
        assert c.post("/api/v1/auth/login", json=login).status_code == 200


def test_production_creates_no_account(store: AuthStore, tmp_path: Path) -> None:
    settings = Settings(env="production", data_dir=tmp_path, **REAL)
    assert first_run(settings, store, "330681") is None
    assert not store.has_users() and not settings.credentials_path.exists()


@pytest.mark.parametrize(
    "overrides, named",
    [
        ({}, "MINQING_SESSION_SECRET"),
        ({"receipt_secret": "dev-only-receipt-secret"}, "MINQING_RECEIPT_SECRET"),
        ({"session_secret": "changeme-changeme-changeme"}, "MINQING_SESSION_SECRET"),
        ({"session_secret": "short"}, "MINQING_SESSION_SECRET"),
        ({"warehouse_url": "clickhouse://db:9000/minqing"}, "MINQING_WAREHOUSE_PASSWORD"),
        ({"sms_token": "placeholder-token-value"}, "MINQING_SMS_TOKEN"),
    ],
)
def test_production_refuses_placeholder_secrets(overrides: dict[str, Any], named: str) -> None:
    values: dict[str, Any] = (
        {**REAL, **overrides} if overrides else {"receipt_secret": REAL["receipt_secret"]}
    )
    with pytest.raises(ConfigError) as e:
        Settings(env="production", **values)
    assert named in str(e.value) and "生产环境拒绝" in str(e.value)


def test_production_accepts_real_secrets_and_development_the_defaults() -> None:
    assert not Settings(env="production", **REAL).open_intake
    assert Settings().open_intake and is_placeholder(Settings().session_secret.get_secret_value())


def test_the_cli_refuses_to_start_with_placeholders(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MINQING_ENV", "production")
    monkeypatch.delenv("MINQING_SESSION_SECRET", raising=False)
    assert cli.main(["up"]) == 2
    assert "MINQING_SESSION_SECRET" in capsys.readouterr().err


def test_user_add_and_retention_commands(tmp_path: Path) -> None:
    """The operator's commands, in their own process (chdb: one data path per process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_")}
    env.update(MINQING_WAREHOUSE_URL=f"chdb://{tmp_path / 'w'}", MINQING_DATA_DIR=str(tmp_path))
    script = (
        "import sys\nfrom minqing import cli\n"
        "a = cli.main(['user', 'add', 'boss', '--role', 'admin', '--token'])\n"
        "b = cli.main(['user', 'add', 'boss', '--role', 'admin'])\n"
        "c = cli.main(['user', 'add', 'nogrant', '--role', 'analyst'])\n"
        "d = cli.main(['retention', '--dry-run'])\n"
        "sys.stderr.write(f'codes {a} {b} {c} {d}')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120, cwd=REPO_ROOT)  # fmt: skip
    assert "codes 0 2 2 0" in done.stderr, done.stderr[-2000:]
    created = json.loads(done.stdout)
    assert created["role"] == "admin" and created["token"].startswith("mqs_")
    assert created["password"] not in done.stderr  # printed once, never logged
    assert "已存在" in done.stderr and "账号参数无效" in done.stderr
