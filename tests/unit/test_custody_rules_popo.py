"""The custody rule table, run fast on the library's in-memory (POPO) event store."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from storage.filesystem import FilesystemObjectStore
from tests.cast import Cast
from tests.conftest import ManualClock
from tests.integration.test_custody_rules import ILLEGAL, Act, Setup, at_agency, receive
from tracker.application import CustodyApplication
from tracker.domain.errors import RuleViolation

DOMAIN = Path(__file__).parents[2] / "tracker" / "domain"
GUARDED = ("custody.py", "dossier.py", "province.py")
"""The domain modules whose RuleViolations are custody rules (codes.py's is capacity)."""
Receipt = Callable[[Cast], dict[str, Any]]
BIRTH = {"procedure": "1.001193", "components": ["to-khai", "giay-chung-sinh"]}
"""A receipt of the demo's birth registration, decided by the applicant's commune."""

RECEIPTS: list[tuple[str, Receipt, str]] = [
    ("received by an inspector", lambda c: {"actor": c.inspector}, "actor-role"),
    ("received at a specialist agency", lambda c: {"actor": c.supervisor, "office": c.agency},
     "receiving-office"),
    ("received by a supervisor of another office", lambda c: {"actor": c.supervisor},
     "actor-at-dossier-office"),
    ("received without its required components", lambda c: {"components": []},
     "complete-dossier"),
    ("a birth registered without naming where the applicant lives", lambda c: BIRTH,
     "locality-named"),
    ("a birth registered for a whole district, not a commune",
     lambda c: {**BIRTH, "locality": "phu-ly"}, "competent-office"),
]


@pytest.fixture
def custody(clock: ManualClock, demo_document: dict, tmp_path: Path
            ) -> Iterator[CustodyApplication]:
    """The application on an empty in-memory store with the demo province loaded."""
    app = CustodyApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
                             objects=FilesystemObjectStore(tmp_path / "objects"), clock=clock)
    app.load_province(demo_document)
    yield app
    app.close()


def test_the_store_is_the_in_memory_one(custody: CustodyApplication) -> None:
    assert type(custody.recorder).__module__ == "eventsourcing.popo"


@pytest.mark.parametrize(("setup", "act", "rule"), [row[1:] for row in ILLEGAL],
                         ids=[row[0] for row in ILLEGAL])
def test_illegal_transition_is_refused_and_stores_nothing(
        custody: CustodyApplication, cast: Cast, setup: Setup, act: Act, rule: str) -> None:
    """GIVEN a dossier in the state the setup leaves it in
    WHEN the illegal command is attempted
    THEN it is refused naming its rule, and the log is exactly as it was."""
    code = setup(custody, cast)
    before = custody.history(code)
    position = custody.recorder.max_notification_id()
    with pytest.raises(RuleViolation) as refused:
        act(custody, cast, code)
    assert refused.value.rule == rule
    assert f"[rule: {rule}]" in str(refused.value)
    assert custody.history(code) == before
    assert custody.recorder.max_notification_id() == position


@pytest.mark.parametrize(("change", "rule"), [row[1:] for row in RECEIPTS],
                         ids=[row[0] for row in RECEIPTS])
def test_illegal_receipt_is_refused_and_stores_nothing(
        custody: CustodyApplication, cast: Cast, change: Receipt, rule: str) -> None:
    """GIVEN a receipt that would otherwise be good, with one thing changed
    WHEN it is attempted
    THEN it is refused naming its rule, and no code was issued nor event stored."""
    args: dict[str, Any] = {
        "office": cast.commune, "procedure": cast.procedure.code,
        "applicant_name": "Trần Văn An", "applicant_id": "034090001234",
        "actor": cast.receiver, "components": cast.components, **change(cast)}
    position = custody.recorder.max_notification_id()
    with pytest.raises(RuleViolation) as refused:
        custody.receive(**args)
    assert refused.value.rule == rule
    assert custody.recorder.max_notification_id() == position


def test_every_custody_rule_has_a_refusal_here() -> None:
    """A guard added to the domain without a refusal in these tables fails here."""
    guard = re.compile(r'RuleViolation\(\s*"([a-z-]+)"')
    named = {rule for module in GUARDED for rule in guard.findall((DOMAIN / module).read_text())}
    reuse = {"reuse-source", "reuse-same-applicant", "reuse-digitised", "reuse-objects",
             "reuse-once"}  # each refused in tests/integration/test_reuse.py
    tabled = {row[3] for row in ILLEGAL} | {row[2] for row in RECEIPTS} | {"page-count"} | reuse
    assert len(named) >= 10, sorted(named)  # the pattern still finds the guards
    assert named <= tabled, sorted(named - tabled)
    # clock_stopped_for builds its rule from the reason the clock stopped for
    assert {"only-when-paused", "only-when-awaiting-supplement"} <= tabled


def test_a_handover_counting_other_than_the_scan_is_refused(
        custody: CustodyApplication, cast: Cast) -> None:
    """GIVEN a dossier digitised with two pages
    WHEN its receiver hands it over counting three sheets
    THEN the handover is refused by the page-count rule and nothing is stored."""
    code = receive(custody, cast)
    pages = [custody.objects.put(f"{code} trang {n}".encode(), "image/png").key for n in (1, 2)]
    custody.digitise(code, cast.receiver, pages)
    position = custody.recorder.max_notification_id()
    with pytest.raises(RuleViolation, match=r"\[rule: page-count\]"):
        custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier,
                          pages_counted=3)
    assert custody.recorder.max_notification_id() == position


def test_a_supervisor_release_is_recorded_as_an_override(
        custody: CustodyApplication, cast: Cast) -> None:
    """GIVEN a dossier held by its receiver
    WHEN a supervisor, not the custodian, hands it to a courier
    THEN the release is allowed and recorded as an override, the courier holding it."""
    code = receive(custody, cast)
    custody.hand_over(code, cast.supervisor, cast.agency, courier=cast.courier)
    handed = custody.history(code)[-1]
    assert (handed["type"], handed["override"], handed["custodian"]) == (
        "HandedOver", True, cast.courier)


def test_a_pause_moves_the_due_date_by_the_working_days_lost(
        custody: CustodyApplication, cast: Cast, clock: ManualClock) -> None:
    """GIVEN a dossier at its agency, received on Tuesday 10 March 2026
    WHEN it is paused on Wednesday and resumed on Friday
    THEN its due date is two working days later, and a decision on that day is on time."""
    code = at_agency(custody, cast)
    due = date.fromisoformat(custody.status(code)["due"])
    clock.advance(days=1)
    custody.pause(code, cast.official, "chờ ý kiến sở")
    clock.advance(days=2)
    resumed = date.fromisoformat(custody.resume(code, cast.official)["due"])
    assert resumed == custody.province().calendar.add_working_days(due, 2)
    clock.now = clock.now.replace(year=resumed.year, month=resumed.month, day=resumed.day)
    assert custody.resolve(code, cast.official)["timeliness"] == "on_time"
