"""Every route of the app x every role, held to the declared policy (tests/auth/policy.py).

Admitted callers may still get 404 or 422 (sample ids, empty bodies): what
matters is that they get past the door, and that every other caller is stopped
there with 401 (anonymous), 403 (wrong role) or, for pages, a redirect to /login.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.auth import policy
from tests.auth.conftest import ROLES, World

PARAM = re.compile(r"{([a-z_]+)(?::path)?}")


def routes(world: World) -> Iterator[tuple[str, str]]:
    """(method, path template) of every route and mount, included routers expanded."""
    import fastapi.routing as fr

    contexts = getattr(fr, "iter_route_contexts", None)
    found = list(contexts(world.app.routes)) if contexts else list(world.app.routes)
    for route in found:
        methods = getattr(route, "methods", None) or {"GET"}  # a mount answers GET
        for method in sorted(methods - {"HEAD"}):
            yield method, str(getattr(route, "path", ""))


def url(template: str) -> str:
    return PARAM.sub(lambda m: policy.SAMPLES[m.group(1)], template)


def call(world: World, method: str, template: str, role: str) -> int:
    path, headers = url(template), world.as_(role)
    if template == "/api/v1/alerts/stream":
        with world.client.stream(method, path, headers=headers) as resp:
            return resp.status_code  # an event stream: the status line is enough
    if template == "/api/v1/reports/{receipt}" and role == "informant":
        path = "/api/v1/reports/NOSUCHRCPT"
    body: dict[str, Any] | None = {} if method == "POST" else None
    resp = world.client.request(method, path, headers=headers, json=body,
                                follow_redirects=False)  # fmt: skip
    return resp.status_code


def expected_denial(template: str, role: str) -> set[int]:
    if template in policy.PAGES:
        return {303}
    return {401} if role == "anonymous" else {403}


def test_every_route_is_declared(world: World) -> None:
    declared = set(policy.API) | {("GET", p) for p in policy.PAGES}
    present = set(routes(world))
    assert present - declared == set(), "routes without a declared policy"
    assert declared - present == set(), "declared routes the app does not have"


def test_every_role_against_every_route(world: World) -> None:
    wrong: list[str] = []
    for method, template in sorted(set(routes(world))):
        allowed = policy.PAGES.get(template) or policy.API[(method, template)]
        for role in ROLES:
            status = call(world, method, template, role)
            ok = status not in (401, 403, 303) if role in allowed else (
                status in expected_denial(template, role))  # fmt: skip
            if not ok:
                wrong.append(f"{method} {template} as {role}: {status}")
    assert wrong == []


@pytest.mark.parametrize("role", ["analyst", "unit_handler", "leader", "admin"])
def test_staff_pages_render_for_staff(world: World, role: str) -> None:
    for page, allowed in policy.PAGES.items():
        resp = world.client.get(page, headers=world.as_(role), follow_redirects=False)
        assert resp.status_code == (200 if role in allowed else 303), page


def test_anonymous_page_visit_goes_to_sign_in_and_back(world: World) -> None:
    resp = world.client.get("/matter?id=M-red", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=%2Fmatter%3Fid%3DM-red"


def test_production_intake_admits_enrolled_devices_only(
    fresh_world: object,
) -> None:
    make = fresh_world
    assert callable(make)
    prod = make(env="production", receipt_secret="r" * 32, session_secret="s" * 32)
    for (method, template), roles in {
        ("POST", "/api/v1/reports"): policy.SUBMIT_PROD,
        ("GET", "/api/v1/reports/{receipt}"): policy.SUBMIT_PROD,
        ("GET", "/api/v1/alerts"): policy.STAFF,
    }.items():
        for role in ROLES:
            status = call(prod, method, template, role)
            if role in roles:
                assert status not in (401, 403), (template, role, status)
            else:
                assert status == (401 if role == "anonymous" else 403), (template, role)


def test_api_routes_are_all_guarded_in_code(world: World) -> None:
    """No non-public API route may forget its require(...): each depends on principal."""
    public = {t for (m, t), roles in policy.API.items() if roles == policy.ALL}
    public |= {"/api/v1/reports", "/api/v1/reports/{receipt}"}  # checked by producers/auth/gate
    for route in world.app.routes:
        for r in _api_routes(route):
            if r.path in public or not r.path.startswith("/api/"):
                continue
            names = _dependency_names(r)
            assert any(n.startswith(("require_", "principal", "current_user")) for n in names), (
                r.path
            )


def _api_routes(route: object) -> Iterator[APIRoute]:
    import fastapi.routing as fr

    contexts = getattr(fr, "iter_route_contexts", None)
    for ctx in contexts([route]) if contexts else [route]:
        original = getattr(ctx, "original_route", ctx)
        if isinstance(original, APIRoute):
            yield original


def _dependency_names(route: APIRoute) -> set[str]:
    names: set[str] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        names.add(getattr(dep.call, "__name__", ""))
        stack.extend(dep.dependencies)
    return names
