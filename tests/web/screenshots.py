"""``python -m tests.web.screenshots``: the README's screenshots, with real data from the demo feed.

Starts ``minqing up --demo`` on free ports in a temporary directory, lets the
simulated informants report for ``--seconds`` (default 80: the first consumer-group
join takes about 30 s), then captures every page with Debian's chromium into
docs/screenshots/. Not part of ``make test``: it rewrites files under docs/.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

from minqing.settings import REPO_ROOT
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, UiStack

log = logging.getLogger("screenshots")
OUT = REPO_ROOT / "docs" / "screenshots"
PHONE: dict[str, Any] = {"viewport": {"width": 360, "height": 740}, "is_mobile": True}
DESK: dict[str, Any] = {"viewport": {"width": 1366, "height": 860}}


COOKIES: list[dict[str, Any]] = []  # the signed-in admin's session, for the staff pages


def session_cookies(stack: UiStack) -> list[dict[str, Any]]:
    account = stack.account("admin")
    login = {"username": account["username"], "password": account["password"]}
    resp = httpx.post(f"{stack.base}/api/v1/auth/login", json=login)
    resp.raise_for_status()
    return [{"name": k, "value": v, "url": stack.base} for k, v in resp.cookies.items()]


def shoot(browser: Any, screen: dict[str, Any], url: str, name: str, lang: str = "zh",
          full: bool = False) -> Any:  # fmt: skip
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **screen)
    ctx.add_cookies(COOKIES)
    ctx.add_init_script(f"localStorage.setItem('mq.lang', '{lang}')")
    page = ctx.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_timeout(2500)  # the feed's first event, data requests, charts drawn
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
    log.info("saved %s", OUT / f"{name}.png")
    return page


def submitted_form(browser: Any, base: str) -> None:
    """The form after a report was sent: the receipt and the informant's own list."""
    page = shoot(browser, PHONE, base + "/", "form")
    page.fill("#informant_id", "FQ-0231")
    page.select_option("#township", "330681109")
    page.select_option("#village", "330681109290")
    page.locator("#categories label", has_text="环境污染").click()
    page.fill("#title", "村口化工厂夜里排污水，气味很重")
    page.fill("#people_involved", "60")
    page.get_by_label("大家一起去上访").check()
    page.get_by_role("button", name="提交", exact=True).click()
    page.locator("#queue li[data-state=sent]").wait_for(timeout=15_000)
    page.locator("#last").scroll_into_view_if_needed()
    page.screenshot(path=str(OUT / "form-receipt.png"))


# What the office did with the top alerts, so the pages show a working day, not a fresh one.
ACTIONS = (
    ("acknowledge", {"note": "已电话联系镇综治中心"}),
    ("assign", {"lead_unit": "镇社会治理中心", "note": "请两日内上门了解情况"}),
    ("start", {"note": "工作组已进村"}),
    ("resolve", {"note": "已调解，补偿款本周发放"}),
)


def act_on_alerts(base: str, headers: dict[str, str]) -> None:
    """Through the lifecycle API, if it is mounted: the i-th alert gets the first i+1 steps."""
    params = {"limit": 8}
    items = httpx.get(f"{base}/api/v1/alerts/feed", params=params, headers=headers).json()["items"]
    for i, alert in enumerate(items[1:6]):
        for action, body in ACTIONS[: 1 + i % len(ACTIONS)]:
            url = f"{base}/api/v1/matters/{alert['matter_id']}/alert/{action}"
            resp = httpx.post(url, json=body, headers=headers)
            log.info("%s %s: %s", action, alert["matter_id"], resp.status_code)
            time.sleep(1.5)  # the worker applies actions in order; let each land


def capture(stack: UiStack) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    base, auth = stack.base, {"Authorization": f"Bearer {stack.account('admin')['token']}"}
    COOKIES[:] = session_cookies(stack)
    act_on_alerts(base, auth)
    time.sleep(5)
    top = httpx.get(f"{base}/api/v1/alerts/feed", params={"limit": 1}, headers=auth).json()
    matter = top["items"][0]["matter_id"] if top["items"] else ""
    towns = httpx.get(f"{base}/api/v1/townships", headers=auth).json()["items"]
    busiest = sorted(towns, key=lambda t: -t["max_risk"])[:4]
    areas = ",".join(t["code"] for t in busiest)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        submitted_form(browser, base)
        shoot(browser, DESK, base + "/analyst", "analyst")
        shoot(browser, DESK, base + "/analyst", "analyst-en", lang="en")
        shoot(browser, DESK, f"{base}/matter?id={matter}", "matter", full=True)
        shoot(browser, DESK, base + "/map", "map")
        shoot(browser, DESK, base + "/trends?days=7", "trends")
        shoot(browser, DESK, base + "/kpi", "kpi")
        leaders = httpx.get(f"{base}/api/v1/leaders", headers=auth).json()["items"]
        who = f"leader={leaders[0]['id']}" if leaders else f"areas={areas}"
        shoot(browser, {"viewport": {"width": 390, "height": 844}, "is_mobile": True},
              f"{base}/leader?{who}", "leader", full=True)  # fmt: skip
        browser.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=80.0, help="demo feed time first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stack = UiStack(Path(tmp), demo=True).start()
        try:
            log.info("demo feed running at %s; waiting %.0f s", stack.base, args.seconds)
            time.sleep(args.seconds)
            capture(stack)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
