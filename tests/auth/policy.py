"""The declared access policy: for every route, the roles it admits.

This is the specification the matrix test holds the app to. A route missing
here fails the test, so every new router must be declared (and guarded with
``producers.auth.require``). Roles: anonymous, informant, analyst,
unit_handler, leader, admin. Development (open intake) and production differ
only on the two intake routes.
"""

from __future__ import annotations

ALL = frozenset({"anonymous", "informant", "analyst", "unit_handler", "leader", "admin"})
SIGNED_IN = ALL - {"anonymous"}
STAFF = frozenset({"analyst", "unit_handler", "leader", "admin"})
HANDLERS = frozenset({"analyst", "unit_handler", "admin"})  # take the handling steps
OFFICE = frozenset({"analyst", "admin"})  # the joint-conference office
LEADERS = frozenset({"leader", "admin"})
ADMIN = frozenset({"admin"})
SUBMIT_DEV = frozenset({"anonymous", "informant", "analyst", "admin"})
SUBMIT_PROD = SUBMIT_DEV - {"anonymous"}

# Pages (HTML): a caller the page does not admit is redirected (303) to /login.
PAGES: dict[str, frozenset[str]] = {
    "/": ALL,
    "/login": ALL,
    "/analyst": STAFF,
    "/matter": STAFF,
    "/map": STAFF,
    "/trends": STAFF,
    "/kpi": STAFF,
    "/leader": STAFF,
}

# (method, path) -> roles; a role not listed gets 401 (anonymous) or 403 (signed in).
API: dict[tuple[str, str], frozenset[str]] = {
    # public: the form, its assets, health, docs, metrics, sign-in and enrollment
    ("GET", "/sw.js"): ALL,
    ("GET", "/ui/{rel:path}"): ALL,
    ("GET", "/healthz"): ALL,
    ("GET", "/api/v1/regions"): ALL,
    ("GET", "/openapi.json"): ALL,
    ("GET", "/docs"): ALL,
    ("GET", "/docs/oauth2-redirect"): ALL,
    ("GET", "/redoc"): ALL,
    ("GET", "/metrics"): ALL,
    ("POST", "/api/v1/auth/login"): ALL,
    ("POST", "/api/v1/enroll"): ALL,
    # intake (open mode; production: SUBMIT_PROD)
    ("POST", "/api/v1/reports"): SUBMIT_DEV,
    ("GET", "/api/v1/reports/{receipt}"): SUBMIT_DEV,
    # any signed-in caller
    ("GET", "/api/v1/auth/me"): SIGNED_IN,
    ("POST", "/api/v1/auth/logout"): SIGNED_IN,
    # staff reads, filtered by scope
    # development's open mode lets anyone read the alert list (production: STAFF)
    ("GET", "/api/v1/alerts"): STAFF | {"anonymous"},
    ("GET", "/api/v1/matters/{matter_id}"): STAFF,
    ("GET", "/api/v1/matters/{matter_id}/file"): STAFF,
    ("GET", "/api/v1/alert-actions/{action_id}"): STAFF,
    ("GET", "/api/v1/inbox/{recipient}"): STAFF,
    ("GET", "/api/v1/kpis"): STAFF,
    ("GET", "/api/v1/alerts/feed"): STAFF,
    ("GET", "/api/v1/alerts/stream"): STAFF,
    ("GET", "/api/v1/trends"): STAFF,
    ("GET", "/api/v1/map"): STAFF,
    ("GET", "/api/v1/townships"): STAFF,
    ("GET", "/api/v1/overview"): STAFF,
    ("GET", "/api/v1/export/{name}.{fmt}"): STAFF,
    ("GET", "/api/v1/matters/{matter_id}/outcome"): STAFF,
    ("GET", "/api/v1/risk/accuracy"): STAFF,
    # lifecycle
    ("POST", "/api/v1/matters/{matter_id}/alert/acknowledge"): HANDLERS,
    ("POST", "/api/v1/matters/{matter_id}/alert/start"): HANDLERS,
    ("POST", "/api/v1/matters/{matter_id}/alert/resolve"): HANDLERS,
    ("POST", "/api/v1/matters/{matter_id}/alert/assign"): OFFICE,
    ("POST", "/api/v1/matters/{matter_id}/alert/follow-up"): OFFICE,
    ("POST", "/api/v1/matters/{matter_id}/alert/close"): OFFICE,
    ("POST", "/api/v1/matters/{matter_id}/alert/reopen"): OFFICE,
    ("GET", "/api/v1/silences"): OFFICE,
    ("POST", "/api/v1/silences"): OFFICE,
    ("POST", "/api/v1/silences/{silence_id}/expire"): OFFICE,
    ("POST", "/api/v1/matters/{matter_id}/outcome"): OFFICE,
    # clustering corrections (producers/corrections_api.py)
    ("POST", "/api/v1/matters/{matter_id}/merge"): OFFICE,
    ("POST", "/api/v1/matters/{matter_id}/move-out"): OFFICE,
    ("GET", "/api/v1/corrections/{correction_id}"): OFFICE,
    ("GET", "/api/v1/leaders/{leader_id}/digest"): LEADERS,
    # admin
    ("GET", "/api/v1/leaders"): ADMIN,
    ("GET", "/api/v1/admin/users"): ADMIN,
    ("POST", "/api/v1/admin/users"): ADMIN,
    ("POST", "/api/v1/admin/users/{username}/disable"): ADMIN,
    ("GET", "/api/v1/admin/users/{username}/tokens"): ADMIN,
    ("POST", "/api/v1/admin/users/{username}/tokens"): ADMIN,
    ("POST", "/api/v1/admin/tokens/{token_id}/revoke"): ADMIN,
    ("GET", "/api/v1/admin/enrollments"): ADMIN,
    ("POST", "/api/v1/admin/enrollments"): ADMIN,
    ("POST", "/api/v1/admin/enrollments/{enrollment_id}/revoke"): ADMIN,
    ("GET", "/api/v1/admin/audit"): ADMIN,
}

# Sample path parameters: all inside township A, so every admitted role can reach them.
# Mutating admin routes get names that do not exist, so the matrix changes nothing.
SAMPLES = {
    "matter_id": "M-red", "receipt": "RCPTM-red0", "action_id": "act-none",
    "recipient": "fengqiao_centre", "leader_id": "leader_chen", "silence_id": "sil-none",
    "username": "nobody", "token_id": "tok-none", "enrollment_id": "enr-none",
    "rel": "css/app.css", "name": "alerts", "fmt": "csv", "correction_id": "cor-none",
}  # fmt: skip
