"""Migration 4: accounts, tokens, informant enrollment, sessions and the audit log.

Secrets are never stored: tokens, enrollment codes and session ids only as
SHA-256 hex, passwords only as argon2 hashes. Rows change by a new ``version``
(ReplacingMergeTree(version)): revoking writes the next version with
``revoked = 1``. Readers filter only on columns that never change between
versions (ids, hashes, usernames) and check the mutable ones after FINAL.
The audit log is append-only. Statements run on ClickHouse 18.16 and chdb 26.
"""

from __future__ import annotations

_UTC = "DateTime('UTC')"
_INGESTED = f"ingested_at {_UTC} DEFAULT now()"

AUTH_TABLES = ("users", "api_tokens", "informant_enrollments", "devices", "sessions", "audit_log")

# regions: region-code prefixes (analyst); units: unit ids (unit handler, inbox);
# leader_id: the key of [leaders] in routing.toml (leader).
USERS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.users (
    user_id String, version UInt64, username String, display_name String, role String,
    password_hash String, regions Array(String), units Array(String), leader_id String,
    disabled UInt8, created_at {_UTC}, updated_at {_UTC}, {_INGESTED}
) ENGINE = ReplacingMergeTree(version) ORDER BY user_id
"""

API_TOKENS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.api_tokens (
    token_id String, version UInt64, token_hash String, user_id String, name String,
    created_at {_UTC}, expires_at Nullable({_UTC}), revoked UInt8, {_INGESTED}
) ENGINE = ReplacingMergeTree(version) ORDER BY token_id
"""

# informant_id is pseudonymous (inf-...), generated here: never a name or a phone number.
ENROLLMENTS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.informant_enrollments (
    enrollment_id String, version UInt64, code_hash String, informant_id String,
    region String, note String, created_by String, created_at {_UTC}, expires_at {_UTC},
    used UInt8, revoked UInt8, {_INGESTED}
) ENGINE = ReplacingMergeTree(version) ORDER BY enrollment_id
"""

DEVICES = f"""
CREATE TABLE IF NOT EXISTS {{db}}.devices (
    device_id String, version UInt64, token_hash String, enrollment_id String,
    informant_id String, created_at {_UTC}, revoked UInt8, {_INGESTED}
) ENGINE = ReplacingMergeTree(version) ORDER BY device_id
"""

SESSIONS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.sessions (
    session_hash String, version UInt64, user_id String, created_at {_UTC},
    expires_at {_UTC}, revoked UInt8, {_INGESTED}
) ENGINE = ReplacingMergeTree(version) ORDER BY session_hash
"""

# Who looked at what: matter views, exports, lifecycle actions, sign-ins, admin changes.
AUDIT_LOG = f"""
CREATE TABLE IF NOT EXISTS {{db}}.audit_log (
    audit_id String, at {_UTC}, actor String, role String, action String, target String,
    detail String, {_INGESTED}
) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(at) ORDER BY (at, audit_id)
"""

AUTH_STATEMENTS = (USERS, API_TOKENS, ENROLLMENTS, DEVICES, SESSIONS, AUDIT_LOG)
