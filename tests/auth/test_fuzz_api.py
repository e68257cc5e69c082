"""Schemathesis against the app's own OpenAPI spec, in-process: no answer may be a 5xx.

Every operation is fuzzed with valid (positive) and invalid (negative) inputs,
as an admin (so the requests reach the code behind the door) and anonymously.
The default run makes about 300 cases; the ``slow`` run (``make test`` runs it)
makes at least 2,000. The event stream is left out: it never ends by design.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.auth.conftest import World

log = logging.getLogger(__name__)
SKIP = {("GET", "/api/v1/alerts/stream")}


@dataclass
class Tally:
    cases: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, status: int, case: Any) -> None:
        self.cases += 1
        self.by_status[status] = self.by_status.get(status, 0) + 1
        if status >= 500 and len(self.failures) < 20:
            self.failures.append(f"{status} {case.method} {case.formatted_path} "
                                 f"query={case.query} body={case.body!r:.300}")  # fmt: skip


def operations(world: World) -> Iterator[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    for result in schema.get_all_operations():
        op = result.ok()  # type: ignore[union-attr]  # an Err would be a broken spec: fail loudly
        if (op.method.upper(), op.path) not in SKIP:
            yield op


def fuzz(op: Any, mode: GenerationMode, headers: dict[str, str], n: int, tally: Tally) -> None:
    @settings(max_examples=n, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=op.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        tally.add(case.call(headers=headers).status_code, case)

    # No invalid input exists for an operation without parameters.
    with contextlib.suppress(Unsatisfiable):
        run()


def campaign(world: World, per_operation: int) -> Tally:
    tally = Tally()
    admin = world.as_("admin")
    for op in operations(world):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(op, mode, admin, per_operation, tally)
        fuzz(op, GenerationMode.POSITIVE, {}, max(1, per_operation // 4), tally)
    log.info("schemathesis: %d cases, by status %s", tally.cases, sorted(tally.by_status.items()))
    return tally


def test_no_5xx_in_300_generated_cases(world: World) -> None:
    tally = campaign(world, per_operation=5)
    assert tally.failures == []
    assert tally.cases >= 300


@pytest.mark.slow
def test_no_5xx_in_2000_generated_cases(world: World) -> None:
    tally = campaign(world, per_operation=33)
    assert tally.failures == []
    assert tally.cases >= 2000
