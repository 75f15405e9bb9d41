"""The access log: one event for every read of a citizen's personal data.

Each read is its own small aggregate, so recording one never contends with another; the events
sit in the same append-only, tamper-evident log as the custody events, which is what makes the
access log itself trustworthy.
"""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.domain import Aggregate

READS = ("status", "history", "object", "search", "export", "papers")
"""What was read: a status or history showing the applicant, a scanned object (page, PDF, OCR
text), search hits, an export, or the index of an applicant's digitised papers (kind, day and
office of each earlier dossier's papers)."""


class PersonalDataRead(Aggregate):
    """Who read what of whose dossier, when (the event's time), and through which route."""

    class Recorded(Aggregate.Created):
        staff: str
        role: str
        office: str
        credential: str
        what: str
        route: str
        dossier: str | None
        object_key: str | None

    def __init__(self, staff: str, role: str, office: str, credential: str, what: str,
                 route: str, dossier: str | None, object_key: str | None) -> None:
        self.staff = staff
        self.role = role
        self.office = office
        self.credential = credential
        self.what = what
        self.route = route
        self.dossier = dossier
        self.object_key = object_key

    @classmethod
    def record(cls, staff: str, role: str, office: str, credential: str, what: str, route: str,
               dossier: str | None = None, object_key: str | None = None
               ) -> PersonalDataRead:
        return cls._create(cls.Recorded, id=uuid4(), staff=staff, role=role, office=office,
                           credential=credential, what=what, route=route, dossier=dossier,
                           object_key=object_key)
