"""Access control, privacy and audit for the intake app.

* ``models``: roles, accounts, the request's ``Principal`` and its warehouse scope;
* ``keys``, ``passwords``: random tokens and codes, SHA-256 and argon2 hashes;
* ``store``, ``enrollment``, ``audit``: the warehouse tables of migration 4;
* ``service``: who a request comes from, sessions, CSRF, rate limits;
* ``deps``: FastAPI dependencies ``principal``, ``require(...)``, ``audit(...)``;
* ``routes``, ``admin``: sign-in, enrollment, accounts, tokens, the audit log;
* ``bootstrap``: the development accounts of a first ``minqing up``.

See docs/SECURITY.md for the role table.
"""

from producers.auth.deps import STAFF, audit, install_auth, principal, require
from producers.auth.models import ANONYMOUS, ROLES, STAFF_ROLES, Principal, Role
from producers.auth.service import AuthService

__all__ = ["ANONYMOUS", "ROLES", "STAFF", "STAFF_ROLES", "AuthService", "Principal", "Role",
           "audit", "install_auth", "principal", "require"]  # fmt: skip
