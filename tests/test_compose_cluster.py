"""The cluster deployment: docker-compose.cluster.yml and deploy/clickhouse/cluster/.

`docker-compose config` must accept the file with only its documented environment,
and the resolved model must be the cluster it claims: three KRaft brokers that all
vote, three Keeper nodes, ClickHouse 2 shards x 2 replicas whose macros match the
remote_servers layout, two workers in one consumer group, and a schema that is
exactly what the migrations generate (local replicated tables plus Distributed ones).
"""

from __future__ import annotations

import os
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.test_compose import COMPOSE_BIN, SECRET_KEY, load_yaml
from warehouse import cluster_ddl
from warehouse.migrations import AUTH_TABLES, READ_TABLES, TABLES, VIEWS

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.cluster.yml"
CLUSTER_DIR = ROOT / "deploy" / "clickhouse" / "cluster"
SECRETS = {
    "MINQING_WAREHOUSE_PASSWORD": "test-only-warehouse-pw",
    "MINQING_RECEIPT_SECRET": "test-only-receipt-key",
    "MINQING_SESSION_SECRET": "test-only-session-key",
    "MINQING_CLUSTER_SECRET": "test-only-cluster-key",
}
BROKERS = ("kafka-1", "kafka-2", "kafka-3")
KEEPERS = ("keeper-1", "keeper-2", "keeper-3")
NODES = {"ch-1-1": ("1", "ch-1-1"), "ch-1-2": ("1", "ch-1-2"),
         "ch-2-1": ("2", "ch-2-1"), "ch-2-2": ("2", "ch-2-2")}  # fmt: skip
WORKERS = ("worker-1", "worker-2")

pytestmark = pytest.mark.skipif(
    COMPOSE_BIN is None,
    reason="docker-compose binary not found (`make debs` installs Debian's docker-compose)",
)
RunConfig = Callable[[Mapping[str, str]], subprocess.CompletedProcess[str]]


@pytest.fixture
def run_config() -> RunConfig:
    def run(env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        assert COMPOSE_BIN is not None
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("MINQING_", "COMPOSE_", "DOCKER_"))}  # fmt: skip
        return subprocess.run(
            [COMPOSE_BIN, "-f", str(COMPOSE_FILE), "config"], cwd=ROOT, env={**clean, **env},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    return run


@pytest.fixture
def services(run_config: RunConfig) -> dict[str, Any]:
    proc = run_config(SECRETS)
    assert proc.returncode == 0, proc.stderr
    found: dict[str, Any] = load_yaml(proc.stdout)["services"]
    return found


def test_config_passes_with_the_documented_env(services: dict[str, Any]) -> None:
    assert {*BROKERS, *KEEPERS, *NODES, *WORKERS, "intake"} <= set(services)


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_each_secret_is_required(run_config: RunConfig, missing: str) -> None:
    proc = run_config({k: v for k, v in SECRETS.items() if k != missing})
    assert proc.returncode != 0
    assert missing in proc.stderr


def test_three_kraft_brokers_all_vote_and_replicate(services: dict[str, Any]) -> None:
    ids = set()
    for name in BROKERS:
        env = services[name]["environment"]
        ids.add(env["KAFKA_NODE_ID"])
        voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
        assert sorted(voters) == [f"{i}@kafka-{i}:9093" for i in (1, 2, 3)]
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        assert str(env["KAFKA_DEFAULT_REPLICATION_FACTOR"]) == "3"
        assert str(env["KAFKA_MIN_INSYNC_REPLICAS"]) == "2"
        assert str(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == "3"
    assert ids == {"1", "2", "3"}


def test_keeper_ensemble_matches_the_services(services: dict[str, Any]) -> None:
    keeper = ET.parse(CLUSTER_DIR / "keeper.xml").getroot()
    raft = {s.findtext("hostname"): s.findtext("id")
            for s in keeper.iterfind("keeper_server/raft_configuration/server")}  # fmt: skip
    assert raft == {name: name[-1] for name in KEEPERS}
    for name in KEEPERS:
        assert services[name]["environment"]["MINQING_KEEPER_ID"] == raft[name]
    server_id = keeper.find("keeper_server/server_id")
    assert server_id is not None and server_id.get("from_env") == "MINQING_KEEPER_ID"


def test_clickhouse_nodes_match_remote_servers(services: dict[str, Any]) -> None:
    config = ET.parse(CLUSTER_DIR / "config.d" / "cluster.xml").getroot()
    shards = config.findall("remote_servers/minqing/shard")
    layout = {r.findtext("host"): str(i) for i, s in enumerate(shards, 1)
              for r in s.iterfind("replica")}  # fmt: skip
    assert len(shards) == 2 and len(layout) == 4
    keepers = {n.findtext("host") for n in config.iterfind("zookeeper/node")}
    assert keepers == set(KEEPERS)
    for name, (shard, replica) in NODES.items():
        env = services[name]["environment"]
        assert (env["MINQING_CH_SHARD"], env["MINQING_CH_REPLICA"]) == (shard, replica)
        assert layout[name] == shard
        mounts = " ".join(map(str, services[name]["volumes"]))
        assert "01-schema.sql:/docker-entrypoint-initdb.d/" in mounts
        assert "cluster/config.d/cluster.xml" in mounts


def test_workers_share_one_group_and_the_brokers(services: dict[str, Any]) -> None:
    apps = [services[name]["environment"] for name in (*WORKERS, "intake")]
    assert {env.get("MINQING_APP_ID", "minqing") for env in apps[:2]} == {"minqing"}
    for env in apps:
        assert env["MINQING_KAFKA_BOOTSTRAP"].split(",") == [f"{b}:9092" for b in BROKERS]
        assert str(env["MINQING_TOPIC_REPLICATION"]) == "3"
        assert int(env["MINQING_TOPIC_PARTITIONS"]) >= len(WORKERS)
        host = env["MINQING_WAREHOUSE_URL"].removeprefix("clickhouse://").split(":")[0]
        assert host in NODES
        for key, value in SECRETS.items():
            if key != "MINQING_CLUSTER_SECRET":
                assert env[key] == value


def test_every_service_has_a_healthcheck_and_restarts(services: dict[str, Any]) -> None:
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), name
        assert service.get("restart") == "unless-stopped", name


def test_schema_is_generated_from_the_migrations() -> None:
    committed = (CLUSTER_DIR / "01-schema.sql").read_text(encoding="utf-8")
    assert committed == cluster_ddl.script(), "run: python -m warehouse.cluster_ddl > " + str(
        CLUSTER_DIR / "01-schema.sql"
    )


def test_schema_has_a_replicated_and_a_distributed_table_each() -> None:
    sql = cluster_ddl.script()
    for name in (*TABLES, *AUTH_TABLES, *READ_TABLES, "schema_migrations"):
        assert re.search(rf"TABLE IF NOT EXISTS minqing\.{name}_local \(.*?ENGINE = "
                         rf"Replicated\w*MergeTree\('/clickhouse/tables/\{{shard\}}/minqing/"
                         rf"{name}', '\{{replica\}}'", sql, re.S), name  # fmt: skip
        assert f"minqing.{name} AS minqing.{name}_local\nENGINE = Distributed(minqing," in sql
    for view in VIEWS:
        assert re.search(rf"VIEW IF NOT EXISTS minqing\.{view}_local TO minqing\.\w+_local\n"
                         r"AS SELECT [^;]* FROM minqing\.\w+_local", sql), view  # fmt: skip


def test_no_hard_coded_secret_in_the_compose_file() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"\s*-?\s*([\w.-]+)\s*[:=]\s*(.*?)\s*$", line.split("#", 1)[0])
        if match and SECRET_KEY.search(match[1]) and match[2]:
            assert re.fullmatch(r"\$\{[A-Z0-9_]+(:?[?-][^}]*)?\}", match[2]), (number, line)
    assert not any(value in text for value in SECRETS.values())
