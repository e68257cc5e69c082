"""The live demo feed: simulated informant reports posted to the intake at a steady pace."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from minqing.config import Config
from minqing.regions import Regions
from minqing.settings import Settings
from producers.auth.bootstrap import dev_token
from producers.sender import auth_headers, post, wait_ready
from producers.simulator import SimConfig, live_feed

log = logging.getLogger(__name__)


class DemoFeed:
    def __init__(self, settings: Settings, config: Config) -> None:
        self.settings, self.config = settings, config
        self.base = f"http://127.0.0.1:{settings.http_port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-feed", daemon=True)

    def start(self) -> DemoFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        try:
            wait_ready(self.base)
            self._feed()
        except Exception:
            log.exception("demo feed stopped")

    def _feed(self) -> None:
        tz = ZoneInfo(self.settings.timezone)
        regions = Regions.from_csv(self.config.region_file)
        reports = live_feed(
            SimConfig(seed=self.settings.demo_seed), regions, lambda: datetime.now(tz)
        )
        pause = 1.0 / max(self.settings.demo_rate_per_second, 0.01)
        # The first-run admin token: the feed stands for many informants at once, so it
        # must not be held to one address's rate limit.
        headers = auth_headers(dev_token(self.settings))
        with httpx.Client(base_url=self.base, timeout=30, headers=headers) as client:
            for report in reports:
                if self._stop.wait(pause):
                    return
                # Fresh ids per run: a restarted demo must not collide with earlier reports.
                resp = post(client, report.model_copy(update={"report_id": None}).to_bytes())
                if resp.status_code != 201:
                    log.warning("demo report refused: %s %s", resp.status_code, resp.text[:200])
