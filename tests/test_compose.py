"""The production deployment files: docker-compose.yml, Dockerfile and deploy/.

`docker-compose config` must accept the compose file with only the documented
environment, and the resolved model must keep the deployment's promises: four
services, one image for intake and worker, healthchecks, named volumes, and no
secret written in any file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DEPLOY_DIR = ROOT / "deploy"
COMPOSE_BIN = shutil.which("docker-compose")

SERVICES = ("kafka", "clickhouse", "intake", "worker")
APP_SERVICES = ("intake", "worker")
# Test-only values: the assertions below check they reach the services from the environment.
SECRETS = {
    "MINQING_WAREHOUSE_PASSWORD": "test-only-warehouse-pw",
    "MINQING_RECEIPT_SECRET": "test-only-receipt-key",
    "MINQING_SESSION_SECRET": "test-only-session-key",
}
SECRET_KEY = re.compile(r"(?i)(password|passwd|secret|token|api_?key)")

pytestmark = pytest.mark.skipif(
    COMPOSE_BIN is None,
    reason="docker-compose binary not found (`make debs` installs Debian's docker-compose)",
)

RunConfig = Callable[[Mapping[str, str]], subprocess.CompletedProcess[str]]


def load_yaml(text: str) -> Any:
    """Parse YAML with PyYAML if the venv has it, else with docker-compose's own Python."""
    try:
        import yaml
    except ImportError:
        # Debian's docker-compose 1.x is a Python program that always has PyYAML.
        assert COMPOSE_BIN is not None
        shebang = Path(COMPOSE_BIN).read_text(encoding="utf-8").splitlines()[0]
        python = shebang.removeprefix("#!").split()[0]
        code = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"
        out = subprocess.run(
            [python, "-c", code], input=text, capture_output=True, text=True, check=True
        )
        return json.loads(out.stdout)
    return yaml.safe_load(text)


@pytest.fixture
def run_config() -> RunConfig:
    """Factory: run `docker-compose config` with exactly the given MINQING_* variables."""

    def run(env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        assert COMPOSE_BIN is not None
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MINQING_", "COMPOSE_", "DOCKER_"))
        }
        return subprocess.run(
            [COMPOSE_BIN, "-f", str(COMPOSE_FILE), "config"],
            cwd=ROOT,
            env={**clean, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


@pytest.fixture
def config(run_config: RunConfig) -> dict[str, Any]:
    proc = run_config(SECRETS)
    assert proc.returncode == 0, proc.stderr
    model = load_yaml(proc.stdout)
    assert isinstance(model, dict)
    return model


def test_config_passes_with_the_documented_env(config: dict[str, Any]) -> None:
    assert set(SERVICES) <= set(config["services"])


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_each_secret_is_required(run_config: RunConfig, missing: str) -> None:
    env = {k: v for k, v in SECRETS.items() if k != missing}
    proc = run_config(env)
    assert proc.returncode != 0
    assert missing in proc.stderr


def test_intake_and_worker_build_the_same_image(config: dict[str, Any]) -> None:
    intake, worker = (config["services"][name] for name in APP_SERVICES)
    assert intake["build"] == worker["build"]
    assert intake["image"] == worker["image"]
    assert Path(intake["build"]["context"]).resolve() == ROOT
    assert intake["build"].get("dockerfile", "Dockerfile") == "Dockerfile"
    assert DOCKERFILE.is_file()
    assert intake["command"] == ["intake"]
    assert worker["command"] == ["worker"]


def test_every_service_has_a_healthcheck_and_restarts(config: dict[str, Any]) -> None:
    for name in SERVICES:
        service = config["services"][name]
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert not check.get("disable", False), name
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert service.get("restart") in ("always", "unless-stopped", "on-failure"), name


def test_apps_wait_for_healthy_kafka_and_clickhouse(config: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        depends = config["services"][name]["depends_on"]
        for dep in ("kafka", "clickhouse"):
            assert depends[dep]["condition"] == "service_healthy", (name, dep)


def test_intake_healthcheck_probes_healthz(config: dict[str, Any]) -> None:
    assert "/healthz" in " ".join(config["services"]["intake"]["healthcheck"]["test"])


def test_named_volumes_are_declared_and_used(config: dict[str, Any]) -> None:
    declared = set(config.get("volumes") or {})
    assert {"kafka-data", "clickhouse-data", "intake-data"} <= declared
    for name, service in config["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount["source"]
            if not source.startswith(("/", ".")):
                assert source in declared, f"{name} mounts undeclared volume {source}"
    mounts = {n: " ".join(map(str, s.get("volumes", []))) for n, s in config["services"].items()}
    assert "kafka-data:" in mounts["kafka"]
    assert "clickhouse-data:" in mounts["clickhouse"]
    assert "intake-data:" in mounts["intake"]


def test_apps_are_configured_only_by_minqing_env(config: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        env = config["services"][name]["environment"]
        assert all(key.startswith("MINQING_") for key in env), name
        assert env["MINQING_ENV"] == "production"
        assert env["MINQING_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["MINQING_WAREHOUSE_URL"] == "clickhouse://clickhouse:9000/minqing"
        assert env["MINQING_WAREHOUSE_USER"] != "default"
        for key, value in SECRETS.items():
            assert env[key] == value, (name, key)
    assert (
        config["services"]["clickhouse"]["environment"]["MINQING_WAREHOUSE_PASSWORD"]
        == (SECRETS["MINQING_WAREHOUSE_PASSWORD"])
    )


def test_topic_replication_is_configurable(run_config: RunConfig) -> None:
    proc = run_config(
        {
            **SECRETS,
            "MINQING_TOPIC_REPLICATION": "3",
            "MINQING_KAFKA_MIN_INSYNC_REPLICAS": "2",
        }
    )
    assert proc.returncode == 0, proc.stderr
    services = load_yaml(proc.stdout)["services"]
    kafka = services["kafka"]["environment"]
    assert str(kafka["KAFKA_DEFAULT_REPLICATION_FACTOR"]) == "3"
    assert str(kafka["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == "3"
    assert str(kafka["KAFKA_MIN_INSYNC_REPLICAS"]) == "2"
    for name in APP_SERVICES:
        assert str(services[name]["environment"]["MINQING_TOPIC_REPLICATION"]) == "3"


def test_kafka_runs_kraft(config: dict[str, Any]) -> None:
    kafka = config["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
    assert "kafka-topics.sh" in " ".join(kafka["healthcheck"]["test"])


def test_no_hard_coded_secret_in_the_compose_file() -> None:
    """Every password/secret/token value in the raw file is a ${VAR...} reference."""
    offenders = []
    for number, line in enumerate(COMPOSE_FILE.read_text(encoding="utf-8").splitlines(), 1):
        code = line.split("#", 1)[0]
        match = re.match(r"\s*-?\s*([\w.-]+)\s*[:=]\s*(.*?)\s*$", code)
        if not match or not SECRET_KEY.search(match[1]) or not match[2]:
            continue
        if not re.fullmatch(r"[\"']?\$\{[A-Z0-9_]+(:?[?-][^}]*)?\}[\"']?", match[2]):
            offenders.append(f"{number}: {line.strip()}")
    assert not offenders, offenders
    for value in SECRETS.values():
        assert value not in COMPOSE_FILE.read_text(encoding="utf-8")


def test_deploy_xml_parses_and_holds_no_password() -> None:
    files = sorted(DEPLOY_DIR.rglob("*.xml"))
    assert files, "deploy/ has no ClickHouse config"
    for path in files:
        root = ET.parse(path).getroot()
        assert root.tag == "clickhouse", path
        for element in root.iter():
            if SECRET_KEY.search(element.tag):
                assert not (element.text or "").strip(), f"{path}: literal <{element.tag}>"


def test_clickhouse_app_user_is_least_privilege() -> None:
    users = ET.parse(DEPLOY_DIR / "clickhouse" / "users.d" / "minqing.xml").getroot()
    user = users.find("users/minqing")
    assert user is not None
    password = user.find("password")
    assert password is not None and password.get("from_env") == "MINQING_WAREHOUSE_PASSWORD"
    assert (user.findtext("access_management") or "0") == "0"
    grants = [q.text or "" for q in user.iterfind("grants/query")]
    assert grants
    for grant in grants:
        assert " ALL" not in grant.upper()
        assert re.search(r" ON (minqing\.\*|\*\.\*)$", grant), grant
        if grant.endswith("*.*"):
            assert grant == "GRANT CREATE TEMPORARY TABLE ON *.*", grant
    default_nets = [ip.text for ip in users.iterfind("users/default/networks/ip")]
    assert default_nets and set(default_nets) <= {"::1", "127.0.0.1"}


def test_dockerfile_runs_minqing_as_non_root() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert 'ENTRYPOINT ["minqing"]' in text
    assert "COPY pyproject.toml" in text
