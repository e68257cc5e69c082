"""Staff passwords: argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile).

A sign-in for an unknown user still runs one verification against a fixed hash,
so the answer takes as long as for a known user with a wrong password.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
MIN_LENGTH = 10


@cache
def _dummy() -> str:
    # Made on first use: hashing costs ~50 ms and 64 MiB, not worth paying at import.
    return _hasher.hash("minqing-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; a missing account spends the same time."""
    try:
        return _hasher.verify(stored or _dummy(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Hashed with weaker parameters than today's: re-hash at the next sign-in."""
    return _hasher.check_needs_rehash(stored)
