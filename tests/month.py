"""A month of dossiers with known outcomes, driven through the real application on a ManualClock.

The outcomes are written down here as data (``PLAN``: how many dossiers of each outcome each
office gets); ``tests/integration/test_report.py`` holds the report figures worked out by hand
from this table, so the projection code is checked against numbers it did not compute.

Two receiving offices of the demo province, one procedure each:

- A: Bộ phận Một cửa UBND phường Châu Cầu (000.21.11.H40, level commune), procedure 1.004217
  (land, 7 working days, fee 50,000 VND), resolved at 000.21.01.H40;
- B: Bộ phận Một cửa UBND thị xã Duy Tiên (000.00.22.H40, level district), procedure 2.000720
  (business registration, 3 working days, fee 100,000 VND), resolved at 000.22.02.H40.

Every dossier is received at 09:00 local and its fee collected at once; March dossiers are
received on the ten working days 2–13 March 2026 in turn, February ones on 24–27 February.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from tests.conftest import ManualClock
from tracker.application import CustodyApplication
from tracker.domain.calendar import LOCAL_TZ


@dataclass(frozen=True)
class Desk:
    office: str
    receiver: str
    procedure: str
    components: tuple[str, ...]
    courier: str
    agency: str
    official: str


A = Desk("000.21.11.H40", "pl-rcv-003", "1.004217", ("don", "gcn"), "pl-cur-001",
         "000.21.01.H40", "pl-off-001")
B = Desk("000.00.22.H40", "dt-rcv-001", "2.000720", ("giay-de-nghi", "giay-to-phap-ly"),
         "dt-cur-001", "000.22.02.H40", "dt-off-003")

REASON_CODES = {"hồ sơ không hợp lệ": "ho-so-khong-hop-le",
                "không đủ điều kiện": "khong-du-dieu-kien",
                "công dân rút hồ sơ": "cong-dan-rut"}
"""The demo province's reason code for each reason the plan gives (the report counts by code)."""

MARCH_DAYS = [date(2026, 3, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13)]
FEBRUARY_DAYS = [date(2026, 2, d) for d in (24, 25, 26, 27)]

# outcome, office, how many, received in
PLAN: list[tuple[str, Desk, int, str]] = [
    ("early", A, 20, "march"), ("early", B, 20, "march"),
    ("on_time", A, 15, "march"), ("on_time", B, 15, "march"),
    ("overdue", A, 10, "march"), ("overdue", B, 10, "march"),
    ("rejected:hồ sơ không hợp lệ", A, 5, "march"), ("rejected:hồ sơ không hợp lệ", B, 5, "march"),
    ("rejected:không đủ điều kiện", A, 3, "march"), ("rejected:không đủ điều kiện", B, 2, "march"),
    ("cancelled:công dân rút hồ sơ", A, 4, "march"),
    ("cancelled:công dân rút hồ sơ", B, 4, "march"),
    ("supplement", A, 6, "march"), ("supplement", B, 6, "march"),
    ("paused", A, 5, "march"), ("paused", B, 5, "march"),
    ("open", A, 23, "march"), ("open", B, 22, "march"),
    ("early", A, 10, "february"),
    ("open", A, 10, "february"),
]
SAMPLER = [(outcome, desk, 1, month) for outcome, desk, _, month in PLAN]
"""One dossier of each planned kind: the same paths through the log, 20 dossiers instead of 200."""
DIGITISED = frozenset({"early", "on_time"})  # only those received in March are scanned


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LOCAL_TZ)


def run_month(custody: CustodyApplication, clock: ManualClock,
              plan: list[tuple[str, Desk, int, str]] = PLAN, channel: str = "counter"
              ) -> list[str]:
    """Drive every planned dossier, received through ``channel``, to its outcome, in time
    order per dossier; returns codes."""
    page = custody.objects.put(b"%PDF-1.4 page of a month dossier\n").key
    counters = {"march": 0, "february": 0}
    codes = []
    for outcome, desk, count, month in plan:
        days = MARCH_DAYS if month == "march" else FEBRUARY_DAYS
        for _ in range(count):
            day = days[counters[month] % len(days)]
            counters[month] += 1
            codes.append(_one(custody, clock, desk, day, outcome,
                              outcome in DIGITISED and month == "march", page, channel))
    return codes


def _one(custody: CustodyApplication, clock: ManualClock, desk: Desk, day: date, outcome: str,
         digitise: bool, page: str, channel: str = "counter") -> str:
    clock.now = at(day, 9)
    status = custody.receive(office=desk.office, procedure=desk.procedure,
                             applicant_name="Nguyễn Văn An", applicant_id="035190000001",
                             actor=desk.receiver, components=desk.components, channel=channel)
    code = status["code"]
    custody.collect_fee(code, desk.receiver, 50_000 if desk is A else 100_000)
    if outcome.startswith("cancelled:"):
        clock.now = at(day, 10)
        reason = outcome.split(":", 1)[1]
        custody.cancel(code, desk.receiver, reason, reason_code=REASON_CODES[reason])
        return code
    if digitise:
        clock.now = at(day, 10)
        custody.digitise(code, desk.receiver, [page])
    clock.now = at(day, 11)
    custody.hand_over(code, desk.receiver, desk.agency, courier=desk.courier)
    clock.now = at(day, 14)
    custody.accept(code, desk.official, desk.agency)
    due = date.fromisoformat(status["due"])
    if outcome == "early":
        _resolve(custody, clock, desk, code, due - timedelta(days=1), day)
    elif outcome == "on_time":
        _resolve(custody, clock, desk, code, due, day)
    elif outcome == "overdue":
        _resolve(custody, clock, desk, code, due + timedelta(days=2), day)
    elif outcome.startswith("rejected:"):
        clock.now = at(day + timedelta(days=1), 10)
        reason = outcome.split(":", 1)[1]
        custody.reject(code, desk.official, reason, reason_code=REASON_CODES[reason])
    elif outcome == "supplement":
        clock.now = at(day + timedelta(days=1), 10)
        custody.request_supplement(code, desk.official, "thiếu bản vẽ")
        clock.now = at(day + timedelta(days=2), 10)
        new_due = date.fromisoformat(custody.receive_supplement(code, desk.official)["due"])
        _resolve(custody, clock, desk, code, new_due, day)
    elif outcome == "paused":
        clock.now = at(day + timedelta(days=1), 10)
        custody.pause(code, desk.official, "chờ ý kiến cơ quan khác")
    return code


def _resolve(custody: CustodyApplication, clock: ManualClock, desk: Desk, code: str,
             on: date, received: date) -> None:
    if not received < on <= date(2026, 3, 31) or on.month != 3:
        raise ValueError(f"{code}: the plan resolves it on {on}, outside March")
    clock.now = at(on, 10)
    custody.resolve(code, desk.official)
