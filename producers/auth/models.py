"""Who is asking: roles, accounts and the principal every request resolves to.

Roles (the issue's five):

* ``informant``: an enrolled device; submits reports and checks its own receipts;
* ``analyst``: the joint-conference office; reads and acts within its regions
  (region-code prefixes: ``330681`` the county, ``330681109`` one township);
* ``unit_handler``: a responsible unit; the matters assigned or routed to its units;
* ``leader``: a leader's liaison areas (联系包保镇街) and own cases (包案), from
  configs/routing.toml ``[leaders]``;
* ``admin``: everything, accounts, enrollment and the audit log.

A principal carries its grants; ``scope`` turns them into the warehouse's
``ScopeFilter`` (None for admins: unrestricted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from warehouse.scope import ScopeFilter

Role = Literal["informant", "analyst", "unit_handler", "leader", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
STAFF_ROLES: tuple[Role, ...] = ("analyst", "unit_handler", "leader", "admin")
ACCOUNT_ROLES = STAFF_ROLES  # informants enrol a device instead of having an account
Via = Literal["none", "token", "session", "device"]
ROLE_ZH = {"informant": "信息员", "analyst": "分析研判人员", "unit_handler": "责任单位",
           "leader": "领导", "admin": "管理员"}  # fmt: skip


@dataclass(frozen=True)
class User:
    """A staff account as stored in ``users`` (the latest version)."""

    user_id: str
    username: str
    role: Role
    display_name: str = ""
    password_hash: str = ""
    regions: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    leader_id: str = ""
    disabled: bool = False
    version: int = 1

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(
            user_id=row["user_id"], username=row["username"], role=row["role"],
            display_name=row["display_name"], password_hash=row["password_hash"],
            regions=tuple(row["regions"]), units=tuple(row["units"]),
            leader_id=row["leader_id"], disabled=bool(row["disabled"]),
            version=int(row["version"]),
        )  # fmt: skip

    def public(self) -> dict[str, Any]:
        """What an admin listing shows: never the password hash."""
        return {"user_id": self.user_id, "username": self.username, "role": self.role,
                "display_name": self.display_name, "regions": list(self.regions),
                "units": list(self.units), "leader_id": self.leader_id,
                "disabled": self.disabled}  # fmt: skip


@dataclass(frozen=True)
class Principal:
    """The caller of one request; ``role`` None means anonymous."""

    role: Role | None = None
    name: str = ""  # username, or the informant's pseudonymous id
    user_id: str = ""
    via: Via = "none"
    regions: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    leader_id: str = ""
    cases: tuple[str, ...] = ()
    informant_id: str = ""
    csrf: str = field(default="", repr=False)

    @property
    def authenticated(self) -> bool:
        return self.role is not None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def scope(self) -> ScopeFilter | None:
        """The warehouse filter of this caller's grants; None only for admins."""
        if self.role == "admin":
            return None
        if self.role == "analyst":
            return ScopeFilter(regions=self.regions)
        if self.role == "unit_handler":
            return ScopeFilter(units=self.units)
        if self.role == "leader":
            return ScopeFilter(regions=self.regions, matters=self.cases)
        return ScopeFilter()  # informants and anonymous callers read no matters

    @property
    def recipients(self) -> frozenset[str]:
        """The notification inboxes this caller may read (admins: any)."""
        return frozenset([*self.units, *([self.leader_id] if self.leader_id else [])])

    def covers_region(self, code: str) -> bool:
        """Whether a region code lies inside this caller's regions (admins: always)."""
        if self.role == "admin":
            return True
        return bool(code) and any(code.startswith(p) for p in self.regions)

    def me(self) -> dict[str, Any]:
        """What the pages are told about the signed-in person."""
        return {"authenticated": self.authenticated, "name": self.name, "role": self.role,
                "role_zh": ROLE_ZH.get(self.role or "", ""), "via": self.via,
                "regions": list(self.regions), "units": list(self.units),
                "leader_id": self.leader_id, "informant_id": self.informant_id}  # fmt: skip


ANONYMOUS = Principal()


def principal_of(user: User, leaders: dict[str, Any], via: Via, csrf: str = "") -> Principal:
    """The principal of a staff account; a leader's areas and cases come from routing."""
    regions, cases = user.regions, ()
    if user.role == "leader":
        leader = leaders.get(user.leader_id)
        regions = tuple(getattr(leader, "areas", ())) if leader else ()
        cases = tuple(getattr(leader, "cases", ())) if leader else ()
    return Principal(
        role=user.role, name=user.username, user_id=user.user_id, via=via, regions=regions,
        units=user.units, leader_id=user.leader_id, cases=cases, csrf=csrf,
    )  # fmt: skip
