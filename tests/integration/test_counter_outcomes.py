"""What the counter records besides a receipt: a refusal at the counter (Mẫu 03), the channel a
dossier came by, and the citizen's satisfaction when the result is returned — each recorded,
replayed, read back from events stored before the field existed, and counted in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ManualClock
from tests.districts import APPLICANT, HOME, HOME_STAFF, PROCEDURE
from tests.hoso_cli import Hoso
from tests.papers import pdf_text
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.cloudevents import fact_from_event
from tracker.domain.codes import DossierCode
from tracker.domain.dossier import Dossier
from tracker.domain.errors import BadInput, RuleViolation
from tracker.projections.fold import Figure, fold

SUPERVISOR = HOME_STAFF["supervisor"]
RECEIVER = HOME_STAFF["receiver"]
REASON = "Hồ sơ không thuộc thẩm quyền tiếp nhận của Bộ phận"


def receive(custody: CustodyApplication, **extra: object) -> str:
    return str(custody.receive(office=HOME, procedure=PROCEDURE, actor=SUPERVISOR,
                               accept_incomplete=True, **APPLICANT, **extra)["code"])


def test_a_refusal_is_its_own_event_under_the_next_code(services: Services,
                                                        custody: CustodyApplication) -> None:
    """GIVEN a dossier received at HOME WHEN the next one is refused at the counter THEN the
    refusal takes the office's next code, replays as stage refused with its reason and missing
    components, nothing more can happen to it, and the views show it."""
    first = receive(custody)
    refused = custody.refuse_at_counter(office=HOME, procedure=PROCEDURE, actor=RECEIVER,
                                        reason=REASON, channel="post", **APPLICANT)
    assert refused["code"].endswith("-0002")
    assert first.endswith("-0001")
    again = custody.status(refused["code"])  # replayed from the store
    assert (again["stage"], again["outcome_reason"], again["channel"]) == (
        "refused", REASON, "post")
    assert again["missing_components"]  # nothing ticked: every required one is missing
    history = custody.history(refused["code"])
    assert [row["type"] for row in history] == ["RefusedAtCounter"]
    assert history[0]["reason"] == REASON
    assert history[0]["office"] == HOME
    assert history[0]["actor"] == RECEIVER
    with pytest.raises(RuleViolation) as caught:
        custody.collect_fee(refused["code"], RECEIVER, 50_000)
    assert caught.value.rule == "terminal-final"
    with pytest.raises(BadInput):
        custody.refuse_at_counter(office=HOME, procedure=PROCEDURE, actor=RECEIVER,
                                  reason="   ", **APPLICANT)
    views = services.open_views()
    shown = views.status(refused["code"])
    assert {k: shown[k] for k in ("stage", "channel", "outcome_reason")} == {
        "stage": "refused", "channel": "post", "outcome_reason": REASON}
    assert views.status(first)["channel"] == "counter"


def test_channel_and_rating_are_recorded_and_counted(services: Services,
                                                     custody: CustodyApplication,
                                                     clock: ManualClock) -> None:
    """GIVEN four receipts (two at the counter, one online, one at a home appointment), two
    refusals, and three results returned with ratings 5, 4 and none WHEN the report is asked
    THEN it counts the channels, the refusals by reason, and two ratings averaging 4.5."""
    codes = [receive(custody), receive(custody), receive(custody, channel="online"),
             receive(custody, channel="home")]
    for reason in (REASON, REASON):
        custody.refuse_at_counter(office=HOME, procedure=PROCEDURE, actor=RECEIVER,
                                  reason=reason, **APPLICANT)
    for code, rating in zip(codes, (5, 4, None), strict=False):
        custody.resolve(code, SUPERVISOR)
        custody.return_result(code, RECEIVER, satisfaction=rating,
                              comment="Nhanh, chu đáo" if rating else None)
    returned = custody.history(codes[0])[-1]
    assert (returned["type"], returned["satisfaction"], returned["comment"]) == (
        "ResultReturned", 5, "Nhanh, chu đáo")
    assert custody.history(codes[2])[-1]["satisfaction"] is None
    custody.resolve(codes[3], SUPERVISOR)
    for wrong in ({"satisfaction": 6}, {"satisfaction": 0}, {"comment": "không chấm điểm"}):
        with pytest.raises(BadInput):
            custody.return_result(codes[3], RECEIVER, **wrong)  # type: ignore[arg-type]
    day = clock().date()
    report = services.open_views().report(day, day)
    totals = report["totals"]
    assert (totals["received"], totals["refused_at_counter"], totals["ratings"],
            totals["rating_points"]) == (4, 2, 2, 9)
    assert totals["in_progress"] == 0  # all four resolved; refusals never were in progress
    (row,) = report["rows"]
    assert row["received_by_channel"] == {"counter": 2, "online": 1, "post": 0, "home": 1}
    assert row["refused_by_reason"] == {REASON: 2}
    assert row["satisfaction_average"] == 4.5


def test_events_stored_before_the_fields_existed_read_back(custody: CustodyApplication) -> None:
    """GIVEN a receipt of class version 2 (no channel) and a return of version 1 (no rating),
    as the store holds them WHEN read back THEN the receipt came at the counter and the return
    was not rated; the views fold a receipt without a channel (a raw rebuild reads stored
    state without upcasting) as one at the counter."""
    code = receive(custody, channel="post")
    custody.resolve(code, SUPERVISOR)
    custody.return_result(code, RECEIVER, satisfaction=3)
    stored = custody.recorder.select_events(DossierCode.parse(code).dossier_id)
    old = []
    for record, drop, version in ((stored[0], ("channel",), 2),
                                  (stored[-1], ("satisfaction", "comment"), 1)):
        state = json.loads(record.state)
        for name in drop:
            del state[name]
        state["class_version"] = version
        old.append(type(record)(record.originator_id, record.originator_version,
                                record.topic, json.dumps(state).encode()))
    received = custody.mapper.to_domain_event(old[0])
    returned = custody.mapper.to_domain_event(old[1])
    assert isinstance(received, Dossier.Received)
    assert received.channel == "counter"
    assert isinstance(returned, Dossier.ResultReturned)
    assert (returned.satisfaction, returned.comment) == (None, None)
    figures: list[Figure] = []
    fact = fact_from_event(received, 1, code)
    data = {k: v for k, v in fact.data.items() if k != "channel"}
    row, _ = fold(None, fact._replace(data=data), figures)
    assert row["channel"] == "counter"
    assert figures[0].reason == "counter"


def test_the_cli_refuses_receives_by_channel_and_returns_with_a_rating(
        services: Services, custody: CustodyApplication, store_env: dict[str, str],
        tmp_path: Path) -> None:
    """GIVEN the hoso command WHEN a receiver refuses a dossier, another is received by post,
    resolved and returned with a rating THEN each is recorded, the refusal slip's text (through
    pdftotext) holds its title, code and reason, and bad ratings are refused with exit 2."""
    hoso = Hoso(store_env)
    refused = hoso.ok("refuse", "--office", HOME, "--procedure", PROCEDURE, "--actor",
                      RECEIVER, "--applicant-name", APPLICANT["applicant_name"],
                      "--applicant-id", APPLICANT["applicant_id"], "--reason", REASON,
                      "--channel", "online")
    assert refused["stage"] == "refused"
    slip = tmp_path / "refusal.pdf"
    hoso.ok("slip", "refusal", refused["code"], "-o", str(slip))
    text = " ".join(pdf_text(slip).split())
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert refused["code"] in text
    assert REASON in text
    received = hoso.ok("receive", "--office", HOME, "--procedure", PROCEDURE, "--actor",
                       SUPERVISOR, "--applicant-name", APPLICANT["applicant_name"],
                       "--applicant-id", APPLICANT["applicant_id"], "--accept-incomplete",
                       "--channel", "post")
    assert hoso.ok("status", received["code"])["channel"] == "post"
    assert hoso("receive", "--office", HOME, "--procedure", PROCEDURE, "--actor", SUPERVISOR,
                "--applicant-name", "A", "--applicant-id", "037195000111",
                "--channel", "fax").code == 2
    hoso.ok("resolve", received["code"], "--by", SUPERVISOR)
    for bad in ("6", "0", "năm"):
        assert hoso("return", received["code"], "--by", RECEIVER,
                    "--satisfaction", bad).code == 2
    done = hoso.ok("return", received["code"], "--by", RECEIVER, "--by-post",
                   "--satisfaction", "4", "--comment", "Tốt")
    assert done["stage"] == "returned"
    last = custody.history(received["code"])[-1]
    assert (last["by_post"], last["satisfaction"], last["comment"]) == (True, 4, "Tốt")
    register = tmp_path / "register.csv"
    day = DossierCode.parse(refused["code"]).day.isoformat()
    made = hoso("register", "--office", HOME, "--from", day, "--to", day, "-o", str(register))
    assert made.code == 0, made.stderr  # the refused dossier is no receipt in Mẫu 06
    assert refused["code"] not in register.read_text(encoding="utf-8")
