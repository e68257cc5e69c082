"""Settings: defaults, and MINQING_* environment variables overriding them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from minqing.settings import REPO_ROOT, Settings, default_config_dir


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests here start from the defaults, whatever the shell running them set."""
    for name in [k for k in os.environ if k.startswith("MINQING_")]:
        monkeypatch.delenv(name)


def test_defaults() -> None:
    s = Settings()
    assert s.http_port == 8080 and s.kafka_port == 9092
    assert s.bootstrap == "127.0.0.1:9092"
    assert s.embedded_warehouse
    assert s.outbox_path == Path("data") / "outbox.sqlite3"
    assert s.config_dir == REPO_ROOT / "configs" == default_config_dir()
    assert s.receipt_secret.get_secret_value() == "dev-only-receipt-secret"


def test_env_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MINQING_HTTP_PORT", "18080")
    monkeypatch.setenv("MINQING_KAFKA_PORT", "19092")
    monkeypatch.setenv("MINQING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MINQING_WAREHOUSE_URL", "clickhouse://db:9000/minqing")
    monkeypatch.setenv("MINQING_RECEIPT_SECRET", "s3cret-8c1f0e6a9b7d")
    # Production refuses placeholder secrets (tests/auth covers that): give real ones.
    monkeypatch.setenv("MINQING_SESSION_SECRET", "4be1c0d9a8f7e6d5c4b3")
    monkeypatch.setenv("MINQING_WAREHOUSE_PASSWORD", "9d8c7b6a5f4e3d2c1b0a")
    monkeypatch.setenv("MINQING_ENV", "production")
    s = Settings()
    assert s.http_port == 18080 and s.kafka_port == 19092
    assert s.bootstrap == "127.0.0.1:19092"
    assert s.data_dir == tmp_path and s.outbox_path == tmp_path / "outbox.sqlite3"
    assert not s.embedded_warehouse
    assert s.receipt_secret.get_secret_value() == "s3cret-8c1f0e6a9b7d"
    assert "s3cret" not in repr(s)
    assert s.env == "production"


def test_bootstrap_env_wins_over_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINQING_KAFKA_PORT", "19092")
    monkeypatch.setenv("MINQING_KAFKA_BOOTSTRAP", "kafka:29092")
    assert Settings().bootstrap == "kafka:29092"


def test_explicit_arguments_win_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINQING_HTTP_PORT", "18080")
    assert Settings(http_port=1234).http_port == 1234


def test_bad_env_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINQING_HTTP_PORT", "eighty")
    with pytest.raises(ValidationError, match="http_port"):
        Settings()
    monkeypatch.setenv("MINQING_HTTP_PORT", "80")
    monkeypatch.setenv("MINQING_ENV", "staging")
    with pytest.raises(ValidationError, match="env"):
        Settings()


def test_unrelated_env_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINQING_NOT_A_SETTING", "x")
    assert Settings().http_port == 8080
