"""Random tokens, codes and ids, and the one-way hashes stored in their place.

Tokens are 256-bit random strings with a prefix telling their kind (``mqs_``
staff API token, ``mqd_`` informant device token), so a leaked one is easy to
recognise in a log or a repository scan. Only SHA-256 of a token is stored:
tokens are random, so a plain hash cannot be brute-forced and needs no salt.
Enrollment codes are short enough to read over the phone (12 characters of
base32, 60 bits) and expire; they are also stored hashed.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

STAFF_PREFIX = "mqs_"
DEVICE_PREFIX = "mqd_"
CODE_LENGTH = 12


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 hex of a token, code or session id: what the warehouse keeps."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def new_code() -> str:
    """An enrollment code like ``K7QX-2MPA-9RTB`` (base32, no 0/1/8/9 confusion)."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode()[:CODE_LENGTH]
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normal_code(code: str) -> str:
    """A code as typed (any case, spaces or dashes) in its canonical form.

    >>> normal_code(" k7qx 2mpa-9rtb ")
    'K7QX-2MPA-9RTB'
    """
    raw = "".join(c for c in code.upper() if c.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def new_password() -> str:
    return secrets.token_urlsafe(18)


def pseudonym() -> str:
    """A pseudonymous informant id: it names no one and links to nothing outside."""
    return f"inf-{secrets.token_hex(6)}"


def same(a: str, b: str) -> bool:
    """Constant-time comparison (no timing hints about how much of a secret matched)."""
    return secrets.compare_digest(a.encode(), b.encode())
