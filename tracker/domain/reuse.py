"""Papers digitised for one dossier and taken again for a later dossier of the same applicant.

``Papers`` is what a dossier's events say it holds in digital form: for each component its scan
mapped (``Digitised.components``), the page objects of the latest scan that mapped it. The
Dossier aggregate checks a reuse against the source's ``Papers``: same applicant, a component
the source's scan maps, and exactly the objects that scan names for it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from tracker.domain.codes import NAMESPACE
from tracker.domain.errors import N_, BadInput

APPLICANT_KEY_ID: UUID = uuid5(NAMESPACE, "applicant-key")


class ApplicantKey(Aggregate):
    """The store's secret for applicant references: made once, kept in the store beside the
    applicants' data it protects, so every process reading the store (the projector, the
    relay) makes the same references and nothing reading only the bus can."""

    class Made(Aggregate.Created):
        secret: str

    def __init__(self, secret: str) -> None:
        self.secret = secret

    @classmethod
    def make(cls) -> ApplicantKey:
        return cls._create(cls.Made, id=APPLICANT_KEY_ID, secret=secrets.token_hex(32))


def applicant_ref(secret: str, applicant_id: str) -> str:
    """The applicant's reference in the views and on the bus: an HMAC-SHA256 of their ID
    number (spaces and case aside) under the store's secret. A bare hash of a 12-digit ID
    number whose first digits are a province and a birth year is reversed by trying them all;
    without the secret this is not."""
    number = "".join(applicant_id.split()).upper()
    return hmac.new(bytes.fromhex(secret), number.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Papers:
    """``code``: the dossier; ``applicant_id``: its applicant's ID number; ``components``:
    component code → the objects (``{"key", "sha256"}``, in page order) of the latest scan
    that mapped it; ``days``: component code → the ISO moment of that scan."""

    code: str
    applicant_id: str
    components: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    days: dict[str, str] = field(default_factory=dict)


def papers_of(code: str, events: Iterable[Any]) -> Papers:
    """The ``Papers`` a dossier's events (its ``Received`` or ``RefusedAtCounter`` first, then
    its ``Digitised``) name; pages a scan excluded are not part of any component."""
    applicant_id = ""
    components: dict[str, list[dict[str, str]]] = {}
    days: dict[str, str] = {}
    for event in events:
        name = type(event).__name__
        if name in ("Received", "RefusedAtCounter"):
            applicant_id = event.applicant_id
        elif name == "Digitised":
            excluded = {int(e["page"]) for e in getattr(event, "excluded_pages", [])}
            for kind, pages in (getattr(event, "components", None) or {}).items():
                objects = [dict(event.objects[p - 1]) for p in pages
                           if 1 <= p <= len(event.objects) and p not in excluded]
                if objects:
                    components[kind] = objects
                    days[kind] = event.timestamp.isoformat()
    return Papers(code, applicant_id, components, days)


def chosen_objects(source: Papers, kinds: Iterable[str],
                   given: dict[str, list[dict[str, str]]] | None = None
                   ) -> dict[str, list[dict[str, str]]]:
    """For each of ``kinds``: the objects ``given`` for it, else those the source's scan names
    (none when it names none: the aggregate then refuses the component)."""
    chosen: dict[str, list[dict[str, str]]] = {}
    for kind in kinds:
        if kind in chosen:
            raise BadInput(N_("component {component} is named twice"), component=kind)
        chosen[kind] = list((given or {}).get(kind) or source.components.get(kind, []))
    return chosen
