"""The province's reference data: org tree, staff, procedures and calendar.

The data arrive as a validated plain document (see tracker/province_file.py) and are kept in the
event store by the ``ProvinceData`` aggregate, so every change to the reference data is itself an
event and both store backends hold it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from tracker.domain.calendar import WorkingCalendar
from tracker.domain.codes import NAMESPACE
from tracker.domain.errors import RuleViolation, UnknownReference

ROLES = ("receiver", "operator", "courier", "official", "inspector", "supervisor", "admin")
OFFICE_KINDS = ("service_centre", "one_stop", "post_office", "agency")
RECEIVING_KINDS = frozenset({"service_centre", "one_stop", "post_office"})
PROVINCE_ID: UUID = uuid5(NAMESPACE, "province")


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    level: str
    kind: str
    parent: str | None
    transit_hours: int = 24
    """How long a handover bound here may stay in transit before its queue flags it."""


@dataclass(frozen=True)
class Staff:
    id: str
    name: str
    role: str
    office: str
    active: bool = True
    """False when the province file marks the staff member ``active: false``: they keep their
    history, but cannot sign in and their tokens are refused."""


@dataclass(frozen=True)
class Component:
    code: str
    name: str
    required: bool


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    field: str
    resolving_office: str
    days: int
    fee: int
    components: tuple[Component, ...]

    @property
    def required_components(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.components if c.required)


class Province:
    """Read-only lookups over one province document; unknown names raise UnknownReference."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.code: str = document["province"]["code"]
        self.name: str = document["province"]["name"]
        self.levels: tuple[str, ...] = tuple(document["levels"])
        self.offices = {o["code"]: Office(**o) for o in document["offices"]}
        self.staff = {s["id"]: Staff(**s) for s in document["staff"]}
        self.procedures = {
            p["code"]: Procedure(
                **{k: v for k, v in p.items() if k != "components"},
                components=tuple(Component(**c) for c in p["components"]),
            )
            for p in document["procedures"]
        }
        cal = document["calendar"]
        hour, minute = (int(part) for part in document["cutoff"].split(":"))
        self.calendar = WorkingCalendar.build(
            weekend=cal["weekend"],
            holidays=(date.fromisoformat(h["date"]) for h in cal["holidays"]),
            working_days=(date.fromisoformat(w["date"]) for w in cal["working_days"]),
            cutoff=time(hour, minute),
        )

    def office(self, code: str) -> Office:
        try:
            return self.offices[code]
        except KeyError:
            raise UnknownReference(f"unknown office {code!r}") from None

    def procedure(self, code: str) -> Procedure:
        try:
            return self.procedures[code]
        except KeyError:
            raise UnknownReference(f"unknown procedure {code!r}") from None

    def person(self, staff_id: str) -> Staff:
        try:
            return self.staff[staff_id]
        except KeyError:
            raise UnknownReference(f"unknown staff member {staff_id!r}") from None

    def person_in_role(self, staff_id: str, *roles: str) -> Staff:
        """The staff member, refused unless they hold one of ``roles``."""
        person = self.person(staff_id)
        if person.role not in roles:
            raise wrong_role(staff_id, person.role, roles)
        return person


class ProvinceData(Aggregate):
    """The one aggregate that holds the province document; each load is a new event."""

    class Loaded(Aggregate.Created):
        document: dict[str, Any]

    class Replaced(Aggregate.Event):
        document: dict[str, Any]

        def apply(self, aggregate: ProvinceData) -> None:
            aggregate.document = self.document

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @classmethod
    def load(cls, document: dict[str, Any]) -> ProvinceData:
        return cls._create(cls.Loaded, id=PROVINCE_ID, document=document)

    def replace(self, document: dict[str, Any]) -> None:
        if document != self.document:
            self.trigger_event(self.Replaced, document=document)


def wrong_role(staff_id: str, role: str, roles: tuple[str, ...]) -> RuleViolation:
    """The refusal of a command by someone whose role may not give it."""
    return RuleViolation(
        "actor-role", f"{staff_id} has the role {role}; this needs the role {' or '.join(roles)}"
    )
