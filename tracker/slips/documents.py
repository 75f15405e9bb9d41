"""What each slip states about a dossier, read from its history and the province data.

A slip records one event: the receipt its ``Received``, the supplement request the latest
``SupplementRequested``, the refusal the latest ``Rejected`` or the ``RefusedAtCounter`` a
dossier turned away at the counter starts with, the apology the latest ``Rescheduled``. A
dossier without that event has no such slip, and asking for one is refused naming the event
(409 on the API, exit 2 on the CLI). Names come from the province data as it
is now; a staff member, office or component no longer listed is printed by its id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from tracker.commands.slips import SLIP_KINDS, SlipKind
from tracker.domain.calendar import LOCAL_TZ
from tracker.domain.errors import N_, BadInput, RuleViolation, UnknownReference
from tracker.domain.province import Province

Row = Mapping[str, Any]

FORMS: dict[SlipKind, str] = {"receipt": "Mẫu số 01", "supplement": "Mẫu số 02",
                              "refusal": "Mẫu số 03", "apology": "Mẫu số 04"}
TITLES: dict[SlipKind, str] = {
    "receipt": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "supplement": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    "refusal": "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
    "apology": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
}
SOURCES: dict[SlipKind, tuple[str, ...]] = {
    "receipt": ("Received",),
    "supplement": ("SupplementRequested",),
    "refusal": ("Rejected", "RefusedAtCounter"),
    "apology": ("Rescheduled",),
}
"""The events each slip is printed from; the latest of them counts."""
STARTS = ("Received", "RefusedAtCounter")
"""The events a dossier's history starts with."""


@dataclass(frozen=True)
class Issuer:
    """The office a paper comes from, as its heading names it: the province's people's
    committee above, the office below, and the place written before the date."""

    office: str
    name: str
    superior: str
    place: str


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str
    phone: str | None


@dataclass(frozen=True)
class Slip:
    """One slip of a dossier. ``at`` is the local time of the event it records and ``staff``
    who recorded it; ``due`` is the appointment it states (the receipt's own, or for an
    apology the one it moves), ``new_due`` the apology's new date, ``reason`` the supplement
    request's, refusal's or reschedule's reason, ``fee_paid`` the đồng collected so far."""

    kind: SlipKind
    code: str
    issuer: Issuer
    at: datetime
    staff: str
    staff_role: str
    applicant: Applicant
    procedure: str
    procedure_code: str
    days: int | None
    received_at: datetime
    receiving_office: str
    components: tuple[str, ...]
    missing: tuple[str, ...]
    due: date
    new_due: date | None = None
    reason: str | None = None
    fee_paid: int = 0

    @property
    def form(self) -> str:
        return FORMS[self.kind]

    @property
    def title(self) -> str:
        return TITLES[self.kind]


def slip_of(kind: str, history: Sequence[Row], province: Province) -> Slip:
    """The ``kind`` slip of the dossier whose history (``CustodyApplication.history`` rows,
    oldest first) is given; RuleViolation when it has no event to print the slip from."""
    if kind not in SLIP_KINDS:
        raise BadInput(N_("a slip is one of {items}, not {kind!r}"),
                       items=', '.join(SLIP_KINDS), kind=kind)
    if not history or history[0].get("type") not in STARTS:
        raise UnknownReference(N_("no received dossier has this history"))
    received = history[0]
    code = str(received["code"])
    found = _latest(history, SOURCES[kind])
    if found is None:
        raise RuleViolation(
            "slip-source-event",
            N_("{code} has no {events} event, which the {kind} slip ({form}) is printed from"),
            code=code, events=" or ".join(SOURCES[kind]), kind=kind, form=FORMS[kind])
    position, event = found
    procedure = province.procedures.get(str(received["procedure"]))
    names = {c.code: c.name for c in procedure.components} if procedure else {}
    staff = province.staff.get(str(event["actor"]))
    due = (received["due"] if kind == "receipt"
           else _due_before(history, position) or local_time(received["time"]).date())
    return Slip(
        kind=kind, code=code, issuer=issuer_of(province, str(event["office"])),
        at=local_time(event["time"]),
        staff=staff.name if staff else str(event["actor"]),
        staff_role=staff.role if staff else "",
        applicant=Applicant(str(received["applicant_name"]), str(received["applicant_id"]),
                            received.get("phone")),
        procedure=procedure.name if procedure else str(received["procedure"]),
        procedure_code=str(received["procedure"]),
        days=procedure.days if procedure else None,
        received_at=local_time(received["time"]),
        receiving_office=office_name(province, str(received["office"])),
        components=tuple(names.get(c, c) for c in received.get("components", ())),
        missing=tuple(names.get(c, c) for c in received.get("missing_components", ())),
        due=date.fromisoformat(str(due)),
        new_due=date.fromisoformat(str(event["due"])) if kind == "apology" else None,
        reason=str(event["reason"]) if "reason" in event else None,
        fee_paid=sum(int(row["amount"]) for row in history
                     if row.get("type") == "FeeCollected"),
    )


def lookup_url(base: str, code: str) -> str:
    """The public lookup page for ``code`` under ``base`` (HOSO_PUBLIC_URL): what the QR code
    on every slip encodes."""
    return f"{base.rstrip('/')}/lookup?{urlencode({'code': code})}"


def issuer_of(province: Province, office: str) -> Issuer:
    prefix = next((p for p in ("Tỉnh ", "Thành phố ") if province.name.startswith(p)), "")
    return Issuer(office=office, name=office_name(province, office),
                  superior=f"UBND {province.name}", place=province.name[len(prefix):])


def office_name(province: Province, office: str) -> str:
    found = province.offices.get(office)
    return found.name if found else office


def local_time(value: Any) -> datetime:
    """A history row's ISO time in Vietnam's time zone."""
    return datetime.fromisoformat(str(value)).astimezone(LOCAL_TZ)


def _latest(history: Sequence[Row], types: tuple[str, ...]) -> tuple[int, Row] | None:
    for position in range(len(history) - 1, -1, -1):
        if history[position].get("type") in types:
            return position, history[position]
    return None


def _due_before(history: Sequence[Row], position: int) -> Any:
    """The due date in force just before the event at ``position``; None before any (a
    dossier refused at the counter never had one)."""
    return next((row["due"] for row in reversed(history[:position]) if row.get("due")), None)
