"""Receipt codes: what an informant keeps to look up a report's status.

Derived from the report id with a keyed hash, so every stage can compute it and
nobody can guess another report's receipt from its id.

>>> receipt_for("r-1", "k") == receipt_for("r-1", "k")
True
>>> len(receipt_for("r-1", "k"))
10
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid


def receipt_for(report_id: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), report_id.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:10]


def new_report_id() -> str:
    return f"r-{uuid.uuid4().hex}"
