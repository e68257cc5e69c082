"""One fault-test world: a broker, a warehouse database, notification receivers, processes.

Every test gets its own tansu broker: the pipeline's topic names are fixed
(``reports.raw`` ...), so two tests on one broker would read each other's
reports. The warehouse is a unique database on a ClickHouse server. Processes
share one app id (one consumer group), as a restarted or second worker does.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from minqing.settings import REPO_ROOT, Settings
from streams.broker import LocalBroker
from tests.chaos.procs import Proc, wait_healthy
from tests.conftest import free_port
from tests.notify.receivers import HttpReceiver, SmtpReceiver
from warehouse.backend import Backend, connect

# Faust's consumer session timeout (Faust reads BROKER_SESSION_TIMEOUT from the environment).
# tansu holds a first JoinGroup for half of it: 30 s at Faust's default of 60 s, 5 s here.
# The quick variants use it; the `make chaos` variants keep the default.
QUICK_SESSION_TIMEOUT = "10"

# Notices are grouped for 30 s in the shipped config; a few seconds here, so they
# are sent (and can be sent twice) inside the test's window.
FAST_GROUPING = {"group_wait_seconds": 1, "group_interval_seconds": 3}


def fast_configs(dest: Path, http_url: str) -> Path:
    """configs/ copied, with notifications going to the local receivers, quickly.

    Every ``url`` in notify.toml (the SMS gateway, each webhook) becomes the HTTP
    receiver's, with the section's name as the path: /sms, /zhuji_office_ding ...
    """
    shutil.copytree(REPO_ROOT / "configs", dest)
    path = dest / "notify.toml"
    out, section = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        header = re.match(r"^\[([\w.]+)\]", line)
        section = header[1].rsplit(".", 1)[-1] if header else section
        key = line.split("=", 1)[0].strip()
        if key == "url":
            line = f'url = "{http_url}/{section}"'
        elif key in FAST_GROUPING:
            line = f"{key} = {FAST_GROUPING[key]}"
        out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return dest


@dataclass
class Rig:
    root: Path
    broker: LocalBroker
    warehouse_url: str
    smtp: SmtpReceiver
    http: HttpReceiver
    partitions: int = 1
    quick: bool = True
    app_id: str = field(default_factory=lambda: f"chaos-{uuid.uuid4().hex[:8]}")
    http_port: int = field(default_factory=free_port)
    procs: list[Proc] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def env(self, data_dir: Path, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_")}
        env.update(
            MINQING_KAFKA_BOOTSTRAP=self.broker.bootstrap,
            MINQING_WAREHOUSE_URL=self.warehouse_url,
            MINQING_APP_ID=self.app_id,
            MINQING_DATA_DIR=str(data_dir),
            MINQING_CONFIG_DIR=str(self.configs),
            MINQING_TOPIC_PARTITIONS=str(self.partitions),
            MINQING_HTTP_PORT=str(self.http_port),
            MINQING_OUTBOX_POLL_SECONDS="0.5",
            MINQING_RATE_IP_PER_MINUTE="1000000",
            MINQING_RATE_INFORMANT_PER_MINUTE="1000000",
            MINQING_SMTP_HOST="127.0.0.1",
            MINQING_SMTP_PORT=str(self.smtp.port),
            MINQING_ALERTING_TICK_SECONDS="1",
        )  # fmt: skip
        env.update(extra)
        return env

    @property
    def configs(self) -> Path:
        dest = self.root / "configs"
        return dest if dest.is_dir() else fast_configs(dest, self.http.url)

    def start(self, name: str, cmd: str, **extra: str) -> Proc:
        data = self.root / name
        data.mkdir(exist_ok=True)
        proc = Proc.start(name, cmd, self.env(data, **extra), self.root / f"{name}.log")
        self.procs.append(proc)
        return proc

    def intake(self, name: str = "intake", **extra: str) -> Proc:
        proc = self.start(name, "intake", **extra)
        wait_healthy(self.base, proc)
        return proc

    def worker(self, name: str = "worker", **extra: str) -> Proc:
        if self.quick:
            extra.setdefault("BROKER_SESSION_TIMEOUT", QUICK_SESSION_TIMEOUT)
        return self.start(name, "worker", **extra)

    def backend(self) -> Backend:
        return connect(Settings(warehouse_url=self.warehouse_url))

    def stop(self) -> None:
        for proc in self.procs:
            proc.stop()
