"""The citizen's status lookup without an account: a code and four digits give how a dossier
stands, and nothing about anyone.

The four digits are the last four of the applicant's ID number or of their phone, each with
everything but the ASCII digits 0-9 removed first (``+84 912.345.678`` ends ``5678``). A
dossier received without a phone matches on its ID number only. A code that names no dossier,
malformed or not, and wrong digits raise the same ``UnknownReference`` with the same message,
after the same work: one read of the store by the code's aggregate id and two constant-time
comparisons (``hmac.compare_digest``), against a value no four digits can equal when there is
no dossier or no phone. What still differs is the store replaying a found dossier's few events.

The dossier is read from the event store, not the views, so the answer is never behind the log.
"""

from __future__ import annotations

import hmac
from typing import cast

from eventsourcing.application import AggregateNotFoundError

from tracker.application import CustodyApplication
from tracker.commands.answers import PublicStatus
from tracker.commands.queries import PublicStatusQuery
from tracker.domain.codes import dossier_id
from tracker.domain.dossier import Dossier
from tracker.domain.errors import UnknownReference
from tracker.domain.province import Province

NOT_FOUND = "no dossier has that code and those digits"
"""The one message for an unknown code and for wrong digits alike."""
UNMATCHABLE = b"----"
"""Four bytes that no four ASCII digits equal: compared against when there is nothing to match,
so every lookup makes both comparisons on values of the same length."""
ASCII_DIGITS = frozenset("0123456789")


def lookup(custody: CustodyApplication, query: PublicStatusQuery) -> PublicStatus:
    """The public status of the dossier ``query.code`` names, if ``query.digits`` are the last
    four of its applicant's ID number or phone; ``UnknownReference`` (``NOT_FOUND``) otherwise.

    Preconditions (the query model's): ``code`` is stripped text of at most 100 characters,
    ``digits`` exactly four ASCII digits."""
    province = custody.province()  # an uninitialised store refuses every code alike
    dossier = _find(custody, query.code)
    given = query.digits.encode("ascii")
    by_id = hmac.compare_digest(given, last_four(dossier.applicant_id if dossier else None))
    by_phone = hmac.compare_digest(given, last_four(dossier.phone if dossier else None))
    if dossier is None or not (by_id | by_phone):
        raise UnknownReference(NOT_FOUND)
    return PublicStatus(code=dossier.code, stage=dossier.stage, due=dossier.due,
                        office=office_shown(dossier, province))


def public_steps(custody: CustodyApplication, code: str) -> list[dict[str, str]]:
    """The custody steps a citizen may see once ``lookup`` has let them in: when, which kind
    of step (the event's name), and the office's name; never who, never why."""
    province = custody.province()
    steps = []
    for event in cast(list[Dossier.Event], list(custody.events.get(dossier_id(code)))):
        office = getattr(event, "office", None) or ""
        steps.append({"at": event.timestamp.isoformat(), "step": type(event).__name__,
                      "office": _office_name(province, office),
                      "to_office": _office_name(province, getattr(event, "to_office", ""))})
    return steps


def _office_name(province: Province, code: str) -> str:
    office = province.offices.get(code)
    return office.name if office else code


def last_four(text: str | None) -> bytes:
    """The last four ASCII digits of ``text``, or ``UNMATCHABLE`` when it has fewer than four."""
    digits = "".join(ch for ch in text or "" if ch in ASCII_DIGITS)
    return digits[-4:].encode("ascii") if len(digits) >= 4 else UNMATCHABLE


def office_shown(dossier: Dossier, province: Province) -> str:
    """The name of the office holding the dossier; in transit, of the office it is bound for,
    which is where it will be next and where a citizen would ask about it. An office the
    province data no longer lists is shown by its code."""
    where = dossier.transit.to_office if dossier.transit else dossier.office
    code = where or dossier.receiving_office
    office = province.offices.get(code)
    return office.name if office else code


def _find(custody: CustodyApplication, code: str) -> Dossier | None:
    """The dossier whose code is exactly ``code``, read by the aggregate id derived from the text
    itself: a malformed code costs the same one read as an unknown well-formed one."""
    try:
        found: object = custody.repository.get(dossier_id(code))
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, Dossier) else None
