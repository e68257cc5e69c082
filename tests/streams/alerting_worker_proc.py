"""A real alerting worker process for the kill -9 test.

Reads AlertingInput JSON lines on stdin, sets the clock to each input's time,
feeds it to the agent and prints ``done <n>`` once it is applied. The argument
is a JSON object: warehouse_url, smtp_port, http_url, data_dir.
"""

from __future__ import annotations

import asyncio
import json
import sys
from types import SimpleNamespace
from typing import Any

from minqing.records import AlertingInput
from minqing.settings import Settings
from streams.escalation import ALERTING_KEY
from tests.streams.alerting_rig import Rig
from warehouse.backend import connect


async def serve(rig: Rig) -> None:
    worker = rig.worker()
    loop = asyncio.get_running_loop()
    async with worker.parts.agent.test_context() as agent:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            inp = AlertingInput.model_validate_json(line)
            rig.clock.t = inp.at
            goal = worker.alerting.handled + 1
            await agent.put(line.strip().encode(), key=ALERTING_KEY)
            while worker.alerting.handled < goal:
                await asyncio.sleep(0.01)
            sys.stdout.write(f"done {goal}\n")
            sys.stdout.flush()


def main() -> None:
    cfg: dict[str, Any] = json.loads(sys.argv[1])
    backend = connect(Settings(warehouse_url=cfg["warehouse_url"]))
    smtp, http = SimpleNamespace(port=cfg["smtp_port"]), SimpleNamespace(url=cfg["http_url"])
    rig = Rig(backend, smtp, http, Settings(data_dir=cfg["data_dir"]))  # type: ignore[arg-type]
    asyncio.run(serve(rig))


if __name__ == "__main__":
    main()
