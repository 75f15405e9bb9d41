"""What each role may do, and where: the one table every request is checked against.

``RULES`` maps an action (a command's ``action`` name, or a read) to the roles allowed it and,
for each, the scope of offices it covers:

- ``OFFICE``: the staff member's own office;
- ``SUBTREE``: their office and every office under it in the org tree;
- ``PROVINCE``: every office.

A dossier is *visible* to an office while it was received there, is held there, is in transit
to or from it, or is to be resolved there; reads of a dossier need one of its offices in scope,
unless the reader holds or carries it (a courier on the road between two other offices).
Commands on a dossier need the office where it *is* in scope (the destination, while in
transit), so a supervisor overrides only within their own subtree; the custody rules then decide
the rest (only the custodian releases, only the destination accepts). Couriers see codes,
custodians, places and due dates, never an applicant's data, OCR text or pages.

Some actions also need a kind of credential: scans are recorded only with a station token, and
a station token does nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from tracker.domain.errors import N_, Forbidden
from tracker.domain.province import Province
from tracker.identity.principal import Identity


class Scope(StrEnum):
    OFFICE = "office"
    SUBTREE = "subtree"
    PROVINCE = "province"


OFFICE, SUBTREE, PROVINCE = Scope.OFFICE, Scope.SUBTREE, Scope.PROVINCE
COUNTER = {"receiver": OFFICE, "supervisor": OFFICE}
DECIDE = {"official": OFFICE, "supervisor": OFFICE}
PROCESS = {**COUNTER, **DECIDE}
READERS = {"receiver": OFFICE, "operator": OFFICE, "official": OFFICE, "courier": OFFICE,
           "supervisor": SUBTREE, "inspector": PROVINCE}
SCANNERS = {"operator": OFFICE, "receiver": OFFICE, "supervisor": OFFICE}
RELEASERS = {"receiver": OFFICE, "operator": OFFICE, "official": OFFICE, "supervisor": SUBTREE}

RULES: dict[str, dict[str, Scope]] = {
    # commands on dossiers
    "receive": COUNTER,
    "refuse": COUNTER,
    "collect-fee": COUNTER,
    "reuse": COUNTER,  # and reading the index of an applicant's digitised papers
    "return": COUNTER,
    "handover": RELEASERS,
    "accept": {"receiver": OFFICE, "operator": OFFICE, "official": OFFICE,
               "supervisor": OFFICE},
    "request-supplement": PROCESS,
    "supplement-received": PROCESS,
    "cancel": PROCESS,
    "pause": DECIDE,
    "resume": DECIDE,
    "reschedule": DECIDE,
    "reject": DECIDE,
    "resolve": DECIDE,
    "digitise": SCANNERS,
    "digitised": SCANNERS,
    "station": SCANNERS,  # the station's own reads and uploads
    # commands on bags: as the handover and acceptance of the dossiers inside
    "bag-create": RELEASERS,
    "bag-fill": RELEASERS,
    "bag-handover": RELEASERS,
    "bag-accept": {"receiver": OFFICE, "operator": OFFICE, "official": OFFICE,
                   "supervisor": OFFICE},
    # reads
    "status": READERS,
    "history": READERS,
    "download": {role: scope for role, scope in READERS.items() if role != "courier"},
    "slip": {role: scope for role, scope in READERS.items() if role != "courier"},
    "register": {"receiver": OFFICE, "official": OFFICE, "supervisor": SUBTREE,
                 "inspector": PROVINCE},
    "queue": READERS,
    "bag": READERS,  # a bag lists codes and page counts, nothing about any applicant
    "report": {"receiver": OFFICE, "official": OFFICE, "supervisor": SUBTREE,
               "inspector": PROVINCE},
    "reference": {**READERS, "admin": PROVINCE},
    "access-log": {"inspector": PROVINCE},
    "inspect": {"inspector": PROVINCE, "supervisor": SUBTREE},  # the inspector's pages
    "accounts": {"admin": PROVINCE},
}

STATION_ACTIONS = frozenset({"digitise", "digitised", "station"})
"""Actions that need a station token; a station token may do nothing else."""

PERSONAL_FIELDS = frozenset({"applicant_name", "applicant_id", "phone"})
"""The applicant's data in statuses and history rows, kept from those who may not see it."""


def allowed(identity: Identity, action: str) -> Scope:
    """The scope ``identity`` has for ``action``; Forbidden when its role or credential has
    none."""
    if (action in STATION_ACTIONS) != (identity.credential == "station"):
        need = "a station token" if action in STATION_ACTIONS else "a staff sign-in or token"
        raise Forbidden(N_("{action} needs {need}"), action=action, need=need)
    scope = RULES.get(action, {}).get(identity.role)
    if scope is None:
        raise Forbidden(N_("the role {role} may not {action}"),
                        role=identity.role, action=action)
    return scope


def offices_in(scope: Scope, identity: Identity, province: Province) -> frozenset[str] | None:
    """The offices ``scope`` covers for ``identity``; None for every office."""
    if scope is PROVINCE:
        return None
    if scope is OFFICE:
        return frozenset({identity.office})
    return subtree(province, identity.office)


def subtree(province: Province, root: str) -> frozenset[str]:
    children: dict[str | None, list[str]] = {}
    for office in province.offices.values():
        children.setdefault(office.parent, []).append(office.code)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return frozenset(found)


def require(identity: Identity, action: str, province: Province,
            offices: Iterable[str | None]) -> None:
    """Refuse unless ``identity`` may do ``action`` at one of ``offices``."""
    scope = offices_in(allowed(identity, action), identity, province)
    if scope is not None and scope.isdisjoint(o for o in offices if o):
        raise Forbidden(N_("{action} here is outside the offices of {staff}"),
                        action=action, staff=identity.staff)


def visible_at(status: Mapping[str, Any]) -> tuple[str | None, ...]:
    """The offices a dossier is visible to, from its status document."""
    transit = status.get("transit") or {}
    return (status["receiving_office"], status["office"], transit.get("from_office"),
            transit.get("to_office"), status["resolving_office"])


def held_at(status: Mapping[str, Any]) -> tuple[str | None, ...]:
    """Where a command on the dossier acts: where it is held, or where it is bound."""
    transit = status.get("transit")
    return (transit["to_office"],) if transit else (status["office"],)


def sees_personal(identity: Identity) -> bool:
    return identity.role != "courier"


def without_personal(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in PERSONAL_FIELDS}
