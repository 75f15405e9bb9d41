"""The province's reference data: org tree, staff, procedures, localities and calendar.

The data arrive as a validated plain document (see tracker/province_file.py) and are kept in the
event store by the ``ProvinceData`` aggregate, so every change to the reference data is itself an
event and both store backends hold it the same way.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, time
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from tracker.domain.calendar import WorkingCalendar
from tracker.domain.codes import NAMESPACE
from tracker.domain.errors import N_, RuleViolation, UnknownReference

ROLES = ("receiver", "operator", "courier", "official", "inspector", "supervisor", "admin")
OFFICE_KINDS = ("service_centre", "one_stop", "post_office", "agency")
RECEIVING_KINDS = frozenset({"service_centre", "one_stop", "post_office"})
PROVINCE_ID: UUID = uuid5(NAMESPACE, "province")
REASON_KINDS = ("rejection", "cancellation")
"""The code lists of reasons the province file may give: why a dossier is rejected, why it is
cancelled."""


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    level: str
    kind: str
    parent: str | None
    transit_hours: int = 24
    """How long a handover bound here may stay in transit before its queue flags it."""
    serves: tuple[str, ...] = ()
    """The localities whose residents it serves (each with the localities within it): a
    commune's one-stop its commune, a district's offices their district."""


@dataclass(frozen=True)
class Locality:
    """A commune, ward, town or district an applicant may live in; ``within`` is the locality
    it belongs to (a commune's district), None for the largest."""

    code: str
    name: str
    within: str | None = None


@dataclass(frozen=True)
class Route:
    """Where a receipt goes: the office that decides it, the applicant's locality when named,
    and ``non_local``: the procedure is decided by locality and the receiving office does not
    serve the applicant's (received regardless of the locality, phi địa giới)."""

    resolving_office: str
    locality: str | None = None
    non_local: bool = False


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
    resolving_by_locality: tuple[str, ...] = ()
    """Offices that each decide it for the localities they serve (district- and commune-level
    procedures); empty when ``resolving_office`` decides it for everyone."""

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
        self.offices = {o["code"]: Office(**{**o, "serves": tuple(o.get("serves", ()))})
                        for o in document["offices"]}
        self.staff = {s["id"]: Staff(**s) for s in document["staff"]}
        self.procedures = {
            p["code"]: Procedure(
                **{k: v for k, v in p.items() if k not in ("components", "resolving_by_locality")},
                components=tuple(Component(**c) for c in p["components"]),
                resolving_by_locality=tuple(p.get("resolving_by_locality", ())),
            )
            for p in document["procedures"]
        }
        self.localities = {item["code"]: Locality(**item)
                           for item in document.get("localities", ())}
        self.reasons: dict[str, dict[str, str]] = {
            kind: {item["code"]: item["name"]
                   for item in document.get("reasons", {}).get(kind, ())}
            for kind in REASON_KINDS}
        """Per kind of reason (``REASON_KINDS``), code → name; empty when the file has none."""
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
            raise UnknownReference(N_("unknown office {code!r}"), code=code) from None

    def procedure(self, code: str) -> Procedure:
        try:
            return self.procedures[code]
        except KeyError:
            raise UnknownReference(N_("unknown procedure {code!r}"), code=code) from None

    def locality(self, code: str) -> Locality:
        try:
            return self.localities[code]
        except KeyError:
            raise UnknownReference(N_("unknown locality {code!r}"), code=code) from None

    def serves(self, office: Office, locality: str) -> bool:
        """Whether ``office`` serves the residents of ``locality`` (or of one it is within)."""
        return not self._around(locality).isdisjoint(office.serves)

    def route(self, procedure: Procedure, office: Office, locality: str | None) -> Route:
        """Where a dossier of ``procedure`` received at ``office`` for an applicant living in
        ``locality`` goes. A procedure decided by locality needs the locality, and goes to the
        one office of ``resolving_by_locality`` that serves it."""
        if locality is not None:
            self.locality(locality)
        if not procedure.resolving_by_locality:
            return Route(procedure.resolving_office, locality)
        if locality is None:
            raise RuleViolation("locality-named", N_(
                "procedure {procedure} is decided where the applicant lives: name the "
                "applicant's locality"), procedure=procedure.code)
        competent = [code for code in procedure.resolving_by_locality
                     if self.serves(self.office(code), locality)]
        if len(competent) != 1:
            raise RuleViolation("competent-office", N_(
                "no one office decides procedure {procedure} for {locality}: name the "
                "commune"), procedure=procedure.code, locality=self.locality(locality).name)
        return Route(competent[0], locality, non_local=not self.serves(office, locality))

    def locality_in(self, address: str) -> str | None:
        """The commune (a locality with none within it) an address names between its commas,
        accents, case and words such as "Xã" or "Phường" aside; None unless exactly one is
        named and the address names no larger locality it is not within."""
        parts = {_bare(part) for part in address.split(",")}
        named = {code for code, item in self.localities.items() if _bare(item.name) in parts}
        larger = {within for item in self.localities.values() if (within := item.within)}
        found = [code for code in named - larger if not (named & larger) - self._around(code)]
        return found[0] if len(found) == 1 else None

    def _around(self, locality: str) -> set[str]:
        """``locality`` and those it is within."""
        around: set[str] = set()
        here: str | None = locality
        while here is not None and here not in around:
            around.add(here)
            here = self.localities[here].within if here in self.localities else None
        return around

    def reason_code(self, kind: str, code: str | None) -> str | None:
        """``code`` checked against the province's ``kind`` reasons. A province that lists
        reasons of that kind needs one (its report counts decisions by code); one that lists
        none takes the free text alone (None)."""
        listed = self.reasons[kind]
        if code is None:
            if listed:
                raise RuleViolation("reason-code", N_("a {kind} needs one of the province's "
                                                      "reason codes: {items}"),
                                    kind=kind, items=", ".join(listed))
            return None
        if code not in listed:
            raise UnknownReference(N_("{code!r} is not a {kind} reason code of the province "
                                      "(one of {items})"),
                                   code=code, kind=kind, items=", ".join(listed) or "-")
        return code

    def person(self, staff_id: str) -> Staff:
        try:
            return self.staff[staff_id]
        except KeyError:
            raise UnknownReference(N_("unknown staff member {staff_id!r}"),
                                   staff_id=staff_id) from None

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


_UNIT_WORDS = ("thanh pho", "thi tran", "thi xa", "phuong", "huyen", "quan", "tinh", "xa",
               "tp.", "tx.", "tt.", "p.", "q.", "h.")
"""The words an address or a locality's name may start with, folded: the kind of unit."""


def _bare(name: str) -> str:
    """A locality's name as addresses write it, folded: "Xã Mộc Hoàn" → "moc hoan"."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    folded = " ".join("".join(c for c in decomposed if not unicodedata.combining(c))
                      .casefold().split())
    for word in _UNIT_WORDS:
        if folded.startswith(word + " ") or (word.endswith(".") and folded.startswith(word)):
            return folded[len(word):].strip()
    return folded


def wrong_role(staff_id: str, role: str, roles: tuple[str, ...]) -> RuleViolation:
    """The refusal of a command by someone whose role may not give it."""
    return RuleViolation(
        "actor-role", N_("{staff_id} has the role {role}; this needs the role {items}"),
                      staff_id=staff_id, role=role, items=' or '.join(roles)
    )
