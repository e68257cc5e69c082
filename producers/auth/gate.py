"""Who may submit reports and read receipts, and how often.

Open mode (development, ``MINQING_ENV`` not production): anyone may submit,
rate-limited per IP and per informant id; receipts are looked up by anyone who
holds one. Production: only enrolled devices (``Bearer mqd_...``) submit as an
informant, and an informant reads only its own receipts. Staff who take reports
by phone or import files (analysts, admins) submit with their API token and
are not rate-limited. A device's report always carries the device's
pseudonymous informant id, whatever the body says.
"""

from __future__ import annotations

from fastapi import Request

from producers.auth.deps import auth_of, problem, throttle
from producers.auth.models import Principal
from producers.auth.service import client_ip

SUBMITTERS = ("informant", "analyst", "admin")
RECEIPT_READERS = ("informant", "analyst", "admin")


def admit_submitter(request: Request, who: Principal) -> None:
    """Refuse (401/403/429) before the body is even read."""
    auth = auth_of(request)
    if not who.authenticated and not auth.settings.open_intake:
        raise problem(401, "reports need an enrolled informant's device token",
                      "报送需要已登记信息员的设备令牌", "authorization")  # fmt: skip
    if who.authenticated and who.role not in SUBMITTERS:
        raise problem(403, "your role does not submit reports", "您的角色不能报送信息")
    if who.role in (None, "informant"):
        throttle(auth.limits.ip, "ip:" + client_ip(request), "per address", "同一地址")


def throttle_informant(request: Request, who: Principal, informant_id: str) -> None:
    if who.role in (None, "informant"):
        limiter = auth_of(request).limits.informant
        throttle(limiter, "inf:" + informant_id, "per informant", "同一信息员")


def receipt_owner(request: Request, who: Principal) -> str | None:
    """The informant whose receipts this caller may read; None means any receipt."""
    if who.role == "informant":
        return who.informant_id
    if who.role in RECEIPT_READERS:
        return None
    if who.authenticated:
        raise problem(403, "your role does not read receipts", "您的角色不能查询回执")
    auth = auth_of(request)
    if not auth.settings.open_intake:
        raise problem(401, "sign in with the device token that submitted the report",
                      "请使用报送该信息的设备令牌查询", "authorization")  # fmt: skip
    # A bucket of its own: the form checking its receipts must not use up its submissions.
    throttle(auth.limits.ip, "receipt:" + client_ip(request), "per address", "同一地址")
    return None
