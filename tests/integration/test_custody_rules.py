"""Every illegal transition is refused with the rule it breaks, and stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from tests.cast import Cast
from tests.conftest import ManualClock
from tracker.application import CustodyApplication
from tracker.bootstrap import bootstrap
from tracker.domain.errors import BadInput, RuleViolation, UnknownReference
from tracker.settings import Settings


def receive(custody: CustodyApplication, cast: Cast) -> str:
    status = custody.receive(office=cast.commune, procedure=cast.procedure.code,
                             applicant_name="Trần Văn An", applicant_id="034090001234",
                             actor=cast.receiver, components=cast.components)
    code: str = status["code"]
    return code


def at_agency(custody: CustodyApplication, cast: Cast) -> str:
    code = receive(custody, cast)
    custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier)
    custody.accept(code, cast.official, cast.agency)
    return code


def in_transit(custody: CustodyApplication, cast: Cast) -> str:
    code = receive(custody, cast)
    custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier)
    return code


def resolved(custody: CustodyApplication, cast: Cast) -> str:
    code = at_agency(custody, cast)
    custody.resolve(code, cast.official)
    return code


def returned(custody: CustodyApplication, cast: Cast) -> str:
    code = resolved(custody, cast)
    custody.hand_over(code, cast.official, cast.commune, courier=cast.courier)
    custody.accept(code, cast.receiver, cast.commune)
    custody.return_result(code, cast.receiver)
    return code


def cancelled(custody: CustodyApplication, cast: Cast) -> str:
    code = receive(custody, cast)
    custody.cancel(code, cast.receiver, "công dân rút hồ sơ", reason_code="cong-dan-rut")
    return code


def paused(custody: CustodyApplication, cast: Cast) -> str:
    code = at_agency(custody, cast)
    custody.pause(code, cast.official, "chờ xác minh thực địa")
    return code


def awaiting_supplement(custody: CustodyApplication, cast: Cast) -> str:
    code = at_agency(custody, cast)
    custody.request_supplement(code, cast.official, "thiếu bản vẽ")
    return code


Setup = Callable[[CustodyApplication, Cast], str]
Act = Callable[[CustodyApplication, Cast, str], object]

ILLEGAL: list[tuple[str, Setup, Act, str]] = [
    ("release by someone who does not hold it", receive,
     lambda a, c, code: a.hand_over(code, c.official, c.agency, courier=c.courier),
     "custodian-releases"),
    ("release while already in transit", in_transit,
     lambda a, c, code: a.hand_over(code, c.courier, c.agency, to_person=c.official),
     "no-processing-in-transit"),
    ("hand over to oneself", receive,
     lambda a, c, code: a.hand_over(code, c.receiver, c.agency, to_person=c.receiver),
     "handover-to-another"),
    ("a 'courier' who is not one", receive,
     lambda a, c, code: a.hand_over(code, c.receiver, c.agency, courier=c.official),
     "actor-role"),
    ("accept what is not in transit", receive,
     lambda a, c, code: a.accept(code, c.official, c.agency), "accept-in-transit"),
    ("accept at another office", in_transit,
     lambda a, c, code: a.accept(code, c.receiver, c.commune), "accept-at-destination"),
    ("resolve while in transit", in_transit,
     lambda a, c, code: a.resolve(code, c.official), "no-processing-in-transit"),
    ("collect a fee while in transit", in_transit,
     lambda a, c, code: a.collect_fee(code, c.receiver, 10000), "no-processing-in-transit"),
    ("resolve by a receiver", at_agency,
     lambda a, c, code: a.resolve(code, c.receiver), "actor-role"),
    ("resolve by an official elsewhere", at_agency,
     lambda a, c, code: a.resolve(code, c.stranger), "actor-at-dossier-office"),
    ("reject by an official elsewhere", at_agency,
     lambda a, c, code: a.reject(code, c.stranger, "x", reason_code="khac"),
     "actor-at-dossier-office"),
    ("reject without a reason code where the province lists them", at_agency,
     lambda a, c, code: a.reject(code, c.official, "x"), "reason-code"),
    ("cancel without a reason code where the province lists them", at_agency,
     lambda a, c, code: a.cancel(code, c.official, "x"), "reason-code"),
    ("resolve while paused", paused,
     lambda a, c, code: a.resolve(code, c.official), "clock-running"),
    ("pause twice", paused,
     lambda a, c, code: a.pause(code, c.official, "again"), "clock-running"),
    ("resolve while awaiting a supplement", awaiting_supplement,
     lambda a, c, code: a.resolve(code, c.official), "clock-running"),
    ("resume what is not paused", at_agency,
     lambda a, c, code: a.resume(code, c.official), "only-when-paused"),
    ("resume what awaits a supplement", awaiting_supplement,
     lambda a, c, code: a.resume(code, c.official), "only-when-paused"),
    ("supplement received when none was asked", at_agency,
     lambda a, c, code: a.receive_supplement(code, c.official),
     "only-when-awaiting-supplement"),
    ("reschedule to an earlier date", at_agency,
     lambda a, c, code: a.reschedule(code, c.official, date(2026, 3, 10), "x"),
     "reschedule-later"),
    ("reschedule beyond the window", at_agency,
     lambda a, c, code: a.reschedule(code, c.official, date(2028, 3, 12), "x"),
     "reschedule-window"),
    ("return before any result", receive,
     lambda a, c, code: a.return_result(code, c.receiver), "decided-before-return"),
    ("resolve twice", resolved,
     lambda a, c, code: a.resolve(code, c.official), "decision-final"),
    ("reject after resolving", resolved,
     lambda a, c, code: a.reject(code, c.official, "x", reason_code="khac"), "decision-final"),
    ("cancel after resolving", resolved,
     lambda a, c, code: a.cancel(code, c.official, "x", reason_code="khac"), "decision-final"),
    ("ask for a supplement after resolving", resolved,
     lambda a, c, code: a.request_supplement(code, c.official, "x"), "decision-final"),
    ("hand over after return", returned,
     lambda a, c, code: a.hand_over(code, c.receiver, c.agency, courier=c.courier),
     "terminal-final"),
    ("return twice", returned,
     lambda a, c, code: a.return_result(code, c.receiver), "terminal-final"),
    ("collect a fee after cancelling", cancelled,
     lambda a, c, code: a.collect_fee(code, c.receiver, 10000), "terminal-final"),
    ("resume a cancelled dossier", cancelled,
     lambda a, c, code: a.resume(code, c.receiver), "terminal-final"),
]


@pytest.mark.parametrize(("setup", "act", "rule"), [row[1:] for row in ILLEGAL],
                         ids=[row[0] for row in ILLEGAL])
def test_illegal_transition_is_refused_and_stores_nothing(
        custody: CustodyApplication, cast: Cast, setup: Setup, act: Act, rule: str) -> None:
    # GIVEN a dossier in the state the setup leaves it in
    code = setup(custody, cast)
    before = custody.history(code)
    position = custody.recorder.max_notification_id()
    # WHEN the illegal command is attempted
    with pytest.raises(RuleViolation) as refused:
        act(custody, cast, code)
    # THEN the error names the rule, and the log is exactly as it was
    assert refused.value.rule == rule
    assert f"[rule: {rule}]" in str(refused.value)
    assert custody.history(code) == before
    assert custody.recorder.max_notification_id() == position


@pytest.mark.parametrize(("change", "rule"), [
    ({"actor": "inspector"}, "actor-role"),
    ({"office": "agency"}, "receiving-office"),
    ({"components": []}, "complete-dossier"),
])
def test_illegal_receipts_are_refused_and_store_nothing(
        custody: CustodyApplication, cast: Cast, change: dict[str, str], rule: str) -> None:
    args = {"office": cast.commune, "procedure": cast.procedure.code,
            "applicant_name": "Trần Văn An", "applicant_id": "034090001234",
            "actor": cast.receiver, "components": cast.components}
    for key, role in change.items():
        args[key] = getattr(cast, role) if isinstance(role, str) else role
    if change.get("office") == "agency":
        args["actor"] = cast.official
        rule = "actor-role"
    position = custody.recorder.max_notification_id()
    with pytest.raises(RuleViolation) as refused:
        custody.receive(**args)  # type: ignore[arg-type]
    assert refused.value.rule == rule
    assert custody.recorder.max_notification_id() == position


def test_receiver_at_another_office_cannot_receive_here(
        custody: CustodyApplication, cast: Cast) -> None:
    other = next(s for s in custody.province().staff.values()
                 if s.role == "receiver" and s.office != cast.commune)
    with pytest.raises(RuleViolation, match="actor-at-dossier-office"):
        custody.receive(office=cast.commune, procedure=cast.procedure.code,
                        applicant_name="A", applicant_id="1", actor=other.id,
                        components=cast.components)


def test_incomplete_receipt_is_allowed_when_accepted_and_recorded(
        custody: CustodyApplication, cast: Cast) -> None:
    status = custody.receive(office=cast.commune, procedure=cast.procedure.code,
                             applicant_name="A", applicant_id="1", actor=cast.receiver,
                             components=[], accept_incomplete=True)
    received = custody.history(status["code"])[0]
    assert received["accepted_incomplete"] is True
    assert received["missing_components"] == cast.components


def test_supervisor_may_release_and_it_is_recorded_as_an_override(
        custody: CustodyApplication, cast: Cast) -> None:
    code = receive(custody, cast)
    custody.hand_over(code, cast.supervisor, cast.agency, courier=cast.courier)
    handed = custody.history(code)[-1]
    assert handed["type"] == "HandedOver"
    assert handed["override"] is True
    assert handed["custodian"] == cast.courier


def test_unknown_names_are_refused(custody: CustodyApplication, cast: Cast) -> None:
    code = receive(custody, cast)
    with pytest.raises(UnknownReference, match="unknown staff member 'ghost'"):
        custody.hand_over(code, "ghost", cast.agency, courier=cast.courier)
    with pytest.raises(UnknownReference, match="unknown office 'nowhere'"):
        custody.hand_over(code, cast.receiver, "nowhere", courier=cast.courier)
    with pytest.raises(RuleViolation, match="exactly one of a courier or a person"):
        custody.hand_over(code, cast.receiver, cast.agency)
    with pytest.raises(BadInput, match="positive"):
        custody.collect_fee(code, cast.receiver, 0)
    with pytest.raises(UnknownReference, match="unknown dossier"):
        custody.status(code[:-4] + "9999")


def test_due_date_moves_with_a_pause_and_timeliness_is_recorded(
        custody: CustodyApplication, cast: Cast, clock: ManualClock) -> None:
    # GIVEN a dossier received on Tuesday 10 March 2026 at 09:00
    code = at_agency(custody, cast)
    due = date.fromisoformat(custody.status(code)["due"])
    # WHEN it is paused for two days (Wed → Fri) and resolved on its new due date
    clock.advance(days=1)
    custody.pause(code, cast.official, "chờ ý kiến sở")
    clock.advance(days=2)
    resumed = custody.resume(code, cast.official)
    # THEN the due date moved by the two working days lost, and resolving on it is on time
    assert date.fromisoformat(resumed["due"]) == custody.province().calendar.add_working_days(
        due, 2)
    clock.now = clock.now.replace(year=int(resumed["due"][:4]), month=int(resumed["due"][5:7]),
                                  day=int(resumed["due"][8:]))
    assert custody.resolve(code, cast.official)["timeliness"] == "on_time"


def test_two_writers_on_one_store_keep_codes_gap_free(
        custody: CustodyApplication, cast: Cast, store_env: dict[str, str],
        clock: ManualClock) -> None:
    # GIVEN a second application on the same store, as a second server process would be
    other = bootstrap(Settings.from_environ(store_env), clock=clock)
    try:
        # WHEN both receive at the same office in turns (each one's remembered counter is stale)
        codes = [receive(app, cast) for _ in range(5) for app in (custody, other)]
    finally:
        other.close()
    # THEN the numbers still run 1…10 with no gap and no repeat
    assert sorted(int(code[-4:]) for code in codes) == list(range(1, 11))
