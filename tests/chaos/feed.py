"""Reports over several matters in several townships, posted to the intake at a steady rate."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)

# (category, title, content with {n} people) per matter; one township (three villages) each.
THEMES = (
    (
        "land_requisition",
        "征地补偿款迟迟不发",
        "村里征地补偿款拖了半年没发，{n}多户村民说要集体上访。",
    ),
    (
        "wage_arrears",
        "工地拖欠农民工工资",
        "工地老板拖欠{n}名农民工三个月工资，工人聚在工地门口讨薪。",
    ),
    (
        "environment",
        "化工厂夜间偷排污水",
        "化工厂夜间偷排污水，河水发黑发臭，{n}多户村民联名投诉。",
    ),
    ("demolition", "拆迁安置房迟迟未交付", "拆迁安置房拖了两年未交付，{n}户拆迁户说要去市里反映。"),
    ("property_management", "小区物业乱收停车费", "物业突然上调停车费，{n}多户业主拉横幅抗议。"),
    (
        "enterprise_restructuring",
        "企业改制职工安置不公",
        "企业改制后{n}名老职工社保断缴，准备集体讨说法。",
    ),
    (
        "public_services",
        "村里自来水停供一周",
        "村里自来水停供一周没人管，{n}多户村民到镇政府反映。",
    ),
    ("social_security", "养老保险待遇被停发", "{n}多名老人的养老金被停发，要求说法，情绪激动。"),
    ("neighbour_dispute", "宅基地边界纠纷激化", "两家宅基地边界纠纷激化，双方亲属{n}人对峙。"),
    ("shortage", "灌溉用水严重短缺", "今年大旱，灌溉用水严重短缺，{n}多户种植户争水。"),
)
VILLAGES = (
    ("330681109002", "330681109003", "330681109004"),  # 枫桥镇
    ("330681110001", "330681110002", "330681110212"),  # 赵家镇
    ("330681001001", "330681001004", "330681001005"),  # 暨阳街道
    ("330681104003", "330681104004", "330681104005"),  # 店口镇
    ("330681002001", "330681002004", "330681002005"),  # 浣东街道
    ("330681115001", "330681115002", "330681115205"),  # 牌头镇
    ("330681117001", "330681117002", "330681117003"),  # 安华镇
    ("330681119001", "330681119002", "330681119003"),  # 璜山镇
    ("330681106001", "330681106002", "330681106003"),  # 姚江镇
    ("330681122001", "330681122002", "330681122202"),  # 浬浦镇
)
MATTERS = len(THEMES)
SIGNAL_PATH = ("collective_petition", "gathering", "petition_upward")


def body(matter: int, j: int) -> dict[str, Any]:
    """The j-th report of a matter: more people and more signals as it grows."""
    category, title, content = THEMES[matter % len(THEMES)]
    villages = VILLAGES[matter % len(VILLAGES)]
    people = 5 * (j + 1)
    return {
        "informant_id": f"chaos-inf-{matter}-{j % 5}",
        "region_code": villages[j % len(villages)],
        "category": category,
        "title": title,
        "content": f"{content.format(n=people)}（第{j + 1}次反映）",
        "people_involved": people,
        "signals": list(SIGNAL_PATH[: min(j // 3, len(SIGNAL_PATH))]),
        "channel": "form",
    }


def bodies(n: int) -> list[dict[str, Any]]:
    """``n`` reports, round robin over the matters: report i is for matter ``i % MATTERS``."""
    return [body(i % MATTERS, i // MATTERS) for i in range(n)]


@dataclass
class Poster:
    """Posts bodies from a thread at ``rate`` per second; keeps what the intake answered."""

    base: str
    items: list[dict[str, Any]]
    rate: float = 20.0
    accepted: dict[str, int] = field(default_factory=dict)  # report_id -> index in items
    refused: list[str] = field(default_factory=list)  # status code or error, per failure
    slowest: float = 0.0
    _thread: threading.Thread | None = None

    def start(self) -> Poster:
        self._thread = threading.Thread(target=self._run, name="poster", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float = 300.0) -> Poster:
        assert self._thread is not None
        self._thread.join(timeout)
        return self

    @property
    def sent(self) -> int:
        return len(self.accepted) + len(self.refused)

    def _run(self) -> None:
        start = time.monotonic()
        with httpx.Client(base_url=self.base, timeout=30) as client:
            for i, item in enumerate(self.items):
                time.sleep(max(0.0, start + i / self.rate - time.monotonic()))
                self._post(client, i, item)

    def _post(self, client: httpx.Client, i: int, item: dict[str, Any]) -> None:
        t0 = time.monotonic()
        try:
            resp = client.post("/api/v1/reports", json=item)
        except httpx.HTTPError as e:
            self.refused.append(type(e).__name__)
            return
        finally:
            self.slowest = max(self.slowest, time.monotonic() - t0)
        if resp.status_code == 201:
            self.accepted[resp.json()["report_id"]] = i
        else:
            self.refused.append(str(resp.status_code))
            log.warning("intake answered %d: %s", resp.status_code, resp.text[:200])
