"""Region scope as SQL: the rows a signed-in person may read.

A ``ScopeFilter`` lists what a person was granted: region-code prefixes (an
analyst's townships, a leader's liaison areas 联系包保镇街), units (matters
assigned to the unit, or routed to it when the alert was raised) and single
matters (a leader's own cases, 包案). ``where`` turns it into one SQL condition
with parameters for a table. Every query function takes ``scope=None``, which
means unrestricted (admins, and the pipeline itself); an empty filter matches
nothing, so a person without grants sees no rows.

Tables with their own place columns (reports, matters) match on them, the
township or else the county; tables keyed by matter match through the matter:
a matter is in a region when any of its versions, or its lifecycle case, lies
there. SQL runs on ClickHouse 18.16 and chdb 26 (startsWith, hasAny, IN subqueries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from warehouse.backend import Backend

Params = dict[str, Any]
PLACE = "ifNull(township, ifNull(county, ''))"
# Tables whose own columns place a row; every other table is placed through matter_id.
PLACE_COLUMNS = {"reports": PLACE, "matters": PLACE}
EVERYTHING: tuple[str, Params] = ("1", {})


@dataclass(frozen=True)
class ScopeFilter:
    """Grants; a row is visible when any grant covers it."""

    regions: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    matters: tuple[str, ...] = ()

    def clause(self, db: str, place: str | None = None,
               matter: str | None = "matter_id") -> tuple[str, Params]:  # fmt: skip
        """One condition over a row's ``place`` column and/or ``matter`` id expression."""
        parts: list[str] = []
        params: Params = {}
        if self.regions:
            params.update({f"scope_r{i}": p for i, p in enumerate(self.regions)})
            parts.append(self._regions(db, place, matter))
        if self.units and matter:
            params.update(scope_u=tuple(self.units), scope_ua=list(self.units))
            parts.append(_units(db, matter))
        if self.matters and matter:
            params["scope_m"] = tuple(self.matters)
            parts.append(f"{matter} IN %(scope_m)s")
        parts = [p for p in parts if p]
        return ("(" + " OR ".join(parts) + ")" if parts else "0"), params

    def _regions(self, db: str, place: str | None, matter: str | None) -> str:
        if place:
            return self._prefixes(place)
        if not matter:
            return ""
        cases = self._prefixes("township")
        return (
            f"{matter} IN (SELECT matter_id FROM {db}.matters WHERE {self._prefixes(PLACE)}) OR "
            f"{matter} IN (SELECT matter_id FROM {db}.alert_cases WHERE {cases})"
        )

    def _prefixes(self, column: str) -> str:
        return " OR ".join(
            f"startsWith({column}, %(scope_r{i})s)" for i in range(len(self.regions))
        )


def _units(db: str, matter: str) -> str:
    # The case's current assignment, or the units the alert was routed to when raised.
    return (
        f"{matter} IN (SELECT matter_id FROM {db}.alert_cases FINAL "
        "WHERE lead_unit IN %(scope_u)s OR hasAny(co_units, %(scope_ua)s)) OR "
        f"{matter} IN (SELECT matter_id FROM {db}.alert_transitions "
        "WHERE action = 'raise' AND hasAny(recipients, %(scope_ua)s))"
    )


def where(scope: ScopeFilter | None, db: str, table: str,
          matter: str | None = "matter_id") -> tuple[str, Params]:  # fmt: skip
    """The scope condition for ``table`` ("1" when unrestricted)."""
    if scope is None:
        return EVERYTHING
    return scope.clause(db, PLACE_COLUMNS.get(table), matter)


def and_where(sql_where: list[str], params: Params, scope: ScopeFilter | None, db: str,
              table: str, matter: str | None = "matter_id") -> None:  # fmt: skip
    """Append the scope condition to a list of WHERE parts (nothing when unrestricted)."""
    if scope is None:
        return
    clause, more = where(scope, db, table, matter)
    sql_where.append(clause)
    params.update(more)


def visible_matter(backend: Backend, matter_id: str, scope: ScopeFilter | None) -> bool:
    """Whether the person may see this matter at all (unknown matters are not visible)."""
    if scope is None:
        return True
    clause, params = scope.clause(backend.database, None, "%(scope_target)s")
    rows = backend.query(f"SELECT 1 AS ok WHERE {clause}", {**params, "scope_target": matter_id})
    return bool(rows)
