"""The office's dossier register (Sổ theo dõi hồ sơ, Mẫu 06) for a period, and its CSV.

One row per dossier received at the office on a day of the period, in code order. The codes are
found without a scan of the log: a dossier's code is its receiving office, its local day of
receipt and that day's sequence number, and the office's daily sequence says how many numbers
it issued that day (each saved with its dossier, in one transaction). A period is at most
``MAX_DAYS`` days; days after today are skipped, since no dossier is received on them yet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tracker.application import CustodyApplication
from tracker.domain.calendar import LOCAL_TZ, local_date
from tracker.domain.codes import DailySequence, DossierCode, sequence_id
from tracker.domain.errors import N_, RuleViolation
from tracker.domain.province import Province
from tracker.slips.documents import Issuer, Row, issuer_of, local_time, office_name

MAX_DAYS = 366
"""The longest period one register covers: a year's book."""

HEADINGS = ("TT", "Mã hồ sơ", "Tên TTHC", "Số lượng hồ sơ (bộ)", "Tên cá nhân, tổ chức",
            "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết", "Nhận hồ sơ",
            "Hẹn trả kết quả", "Chuyển hồ sơ đến cơ quan giải quyết",
            "Nhận kết quả từ cơ quan giải quyết", "Trả kết quả cho cá nhân, tổ chức",
            "Ký nhận", "Ghi chú")
"""The form's columns; the five after the resolving office are dates (ngày, tháng, năm)."""
DATE_COLUMNS = HEADINGS[7:12]
CSV_HEADINGS = (*HEADINGS[:7], *(f"Ngày {h[0].lower()}{h[1:]}" for h in DATE_COLUMNS),
                *HEADINGS[12:])
UNSAFE_CSV_START = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula: such a cell gets a leading quote."""
DECISIONS = ("Resolved", "Rejected")


@dataclass(frozen=True)
class RegisterRow:
    """One dossier as the register lists it; a date is None until that step happens."""

    code: str
    procedure: str
    applicant: str
    contact: str
    resolving_office: str
    received: date
    due: date
    sent: date | None
    result_back: date | None
    returned: date | None
    note: str
    sets: int = 1


@dataclass(frozen=True)
class Register:
    issuer: Issuer
    start: date
    end: date
    made_at: datetime
    rows: tuple[RegisterRow, ...]


def build_register(app: CustodyApplication, office: str, start: date, end: date
                   ) -> Register:
    """The register of ``office`` for the days ``start``..``end`` (both included; none when
    ``end`` is before ``start``): the dossiers it received, not those it refused.
    UnknownReference for an office the province does not list, RuleViolation for a period
    longer than MAX_DAYS."""
    province = app.province()
    province.office(office)
    if (end - start).days + 1 > MAX_DAYS:
        raise RuleViolation("register-period", N_("a register covers at most {max_days} "
                                                  "days; {start}..{end} is {value}"),
                                               max_days=MAX_DAYS, start=start, end=end,
                                               value=(end - start).days + 1)
    now = app.clock()
    histories = (app.history(code)
                 for code in received_codes(app, office, start, min(end, local_date(now))))
    rows = tuple(row_of(history, province) for history in histories
                 if history[0]["type"] == "Received")  # a refusal at the counter is no receipt
    return Register(issuer_of(province, office), start, end, now.astimezone(LOCAL_TZ), rows)


def received_codes(app: CustodyApplication, office: str, start: date, end: date
                   ) -> Iterator[str]:
    """The codes ``office`` issued on the days ``start``..``end``, in order."""
    day = start
    while day <= end:
        latest = app.recorder.select_events(sequence_id(office, day), desc=True, limit=1)
        if latest:
            event = app.mapper.to_domain_event(latest[0])
            issued = event.number if isinstance(event, DailySequence.Issued) else 0
            for number in range(1, issued + 1):
                yield str(DossierCode(office, day, number))
        day += timedelta(days=1)


def row_of(history: Sequence[Row], province: Province) -> RegisterRow:
    """The register's row for one dossier's history (oldest first)."""
    received = history[0]
    here = received["office"]
    procedure = province.procedures.get(str(received["procedure"]))
    decided = next((n for n, row in enumerate(history) if row["type"] in DECISIONS), None)
    sent = next((row for row in history[:decided] if row["type"] == "HandedOver"
                 and row["office"] == here), None)
    back = None
    if decided is not None:
        back = history[decided] if history[decided]["office"] == here else next(
            (row for row in history[decided:] if row["type"] == "Accepted"
             and row["office"] == here), None)
    returned = next((row for row in history if row["type"] == "ResultReturned"), None)
    return RegisterRow(
        code=str(received["code"]),
        procedure=procedure.name if procedure else str(received["procedure"]),
        applicant=str(received["applicant_name"]),
        contact=str(received.get("phone") or ""),
        resolving_office=office_name(province, str(received["resolving_office"])),
        received=local_time(received["time"]).date(), due=date.fromisoformat(str(received["due"])),
        sent=_day(sent), result_back=_day(back), returned=_day(returned),
        note=_note(history))


def _day(row: Row | None) -> date | None:
    return None if row is None else local_time(row["time"]).date()


def _note(history: Sequence[Row]) -> str:
    """What else the register should say: an incomplete receipt, supplements asked for, a
    new due date, a result sent by post, and how a dossier ended without a result."""
    notes: list[str] = []
    received = history[0]
    if received.get("missing_components"):
        notes.append("Tiếp nhận khi chưa đủ thành phần")
    asked = sum(row["type"] == "SupplementRequested" for row in history)
    if asked:
        notes.append(f"Yêu cầu bổ sung {asked} lần")
    due = next(row["due"] for row in reversed(history) if row.get("due"))
    if due != received["due"]:
        notes.append(f"Hẹn lại ngày trả: {date.fromisoformat(str(due)):%d/%m/%Y}")
    for row in history:
        if row["type"] == "ResultReturned" and row.get("by_post"):
            notes.append("Trả qua dịch vụ bưu chính")
        elif row["type"] == "Rejected":
            notes.append(f"Từ chối: {row.get('reason', '')}")
        elif row["type"] == "Cancelled":
            notes.append(f"Hủy: {row.get('reason', '')}")
    return "; ".join(notes)


def cells(row: RegisterRow, number: int) -> list[str]:
    """The row's cells in the form's column order, dates as dd/mm/yyyy."""
    dates = (row.received, row.due, row.sent, row.result_back, row.returned)
    return [str(number), row.code, row.procedure, f"{row.sets:02d}", row.applicant,
            row.contact, row.resolving_office,
            *(f"{d:%d/%m/%Y}" if d else "" for d in dates), "", row.note]


def register_csv(register: Register) -> bytes:
    """The register as CSV: UTF-8 with a byte-order mark (so Excel reads the diacritics),
    the form's columns, one line per dossier; a cell that a spreadsheet would read as a
    formula starts with a quote."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADINGS)
    for number, row in enumerate(register.rows, 1):
        writer.writerow([_safe(cell) for cell in cells(row, number)])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def _safe(cell: str) -> str:
    return "'" + cell if cell.startswith(UNSAFE_CSV_START) else cell
