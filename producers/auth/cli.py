"""``minqing user add`` and ``minqing retention``: the commands an operator runs by hand.

Production creates no account by itself: its first admin is made here, on a
host that reaches the warehouse (``clickhouse://``; an embedded chdb warehouse
is locked by a running stack, so stop it first). The new password and token are
written to standard output once, for the operator to hand over; they are never
logged.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime

from pydantic import ValidationError

from minqing.settings import Settings
from producers.auth import keys
from producers.auth.admin import NewUser
from producers.auth.store import AccountError, AuthStore
from warehouse.backend import connect
from warehouse.migrations import migrate
from warehouse.retention import drop_expired

log = logging.getLogger(__name__)


def checked(args: argparse.Namespace) -> NewUser:
    """The same checks as the admin API (name, role, the grants the role needs)."""
    try:
        return NewUser(username=args.username, role=args.role, regions=args.regions,
                       units=args.units, leader_id=args.leader)  # fmt: skip
    except ValidationError as e:
        raise AccountError(f"invalid account: {e} / 账号参数无效") from e


def cmd_user(settings: Settings, args: argparse.Namespace) -> int:
    body = checked(args)
    backend = connect(settings)
    try:
        migrate(backend)
        store, password = AuthStore(backend), keys.new_password()
        user = store.create_user(body.username, body.role, password, regions=tuple(body.regions),
                                 units=tuple(body.units), leader_id=body.leader_id)  # fmt: skip
        out = {**user.public(), "password": password}
        if args.token:
            out["token_id"], out["token"] = store.issue_token(user, "cli")
        log.info("account %s (%s) created", user.username, user.role)
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        return 0
    finally:
        backend.close()


def cmd_retention(settings: Settings, args: argparse.Namespace) -> int:
    backend = connect(settings)
    try:
        months = settings.retention_months
        dropped = drop_expired(backend, months, datetime.now(UTC), args.dry_run)
        log.info("retention %d months: %s", months, dropped or "nothing to drop")
        return 0
    finally:
        backend.close()
