"""Views that no event can break, on SQLite and PostgreSQL.

GIVEN a month of ordinary dossiers, and events written straight into the append-only log that
the projector cannot apply (a FeeCollected without its amount, a stored event that is not even
JSON, a fold that raises) or whose values do not fit a column as they are (amounts beyond 64
bits, NUL characters, lone surrogates, keys longer than an index entry),
WHEN the views follow the log, receive the same facts as Kafka would deliver them, or are rebuilt,
THEN every other dossier's status, the queues and the report answer as before; values are
clamped or cleaned the same way on both backends; only the dossiers whose events could not be
applied are named by ``Views.needing_attention()`` and ``hoso project status``, with reasons
that quote no personal data; and a rebuild after the fault is fixed clears their marks.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from tests.hoso_cli import Hoso
from tests.month import SAMPLER, A, run_month
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.cloudevents import Fact, from_cloudevent, to_cloudevent
from tracker.domain.codes import DossierCode
from tracker.domain.dossier import Dossier
from tracker.projections import fold, projector
from tracker.projections.fit import INT64_MAX, INT64_MIN, KEY_LIMIT
from tracker.projections.rebuild import rebuild
from tracker.projections.views import Views
from tracker.web import create_app

SECRET_NAME = "Nguyễn Thị Bí Mật"
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
BIG = 2**70


@pytest.fixture
def views(services: Services) -> Views:
    return services.open_views()


def receive(custody: CustodyApplication) -> str:
    return str(custody.receive(office=A.office, procedure=A.procedure,
                               applicant_name=SECRET_NAME, applicant_id="035190000099",
                               actor=A.receiver, components=A.components)["code"])


def write_raw(custody: CustodyApplication, code: str, event_class: type[Dossier.Event],
              drop: tuple[str, ...] = (), state: bytes | None = None, **fields: Any) -> int:
    """Append an event to the dossier's log as it stands, bypassing the domain's checks; returns
    its version. ``drop`` removes fields from the stored JSON; ``state`` replaces it whole."""
    dossier_id = DossierCode.parse(code).dossier_id
    version = custody.recorder.select_events(dossier_id, desc=True, limit=1)[0].originator_version
    event = event_class(originator_id=dossier_id, originator_version=version + 1,
                        timestamp=custody.clock(), actor=A.receiver, office=A.office,
                        device=None, **fields)
    stored = custody.mapper.to_stored_event(event)
    document = json.loads(stored.state)
    for name in drop:
        del document[name]
    raw = state if state is not None else json.dumps(document).encode()
    custody.recorder.insert_events(
        [StoredEvent(stored.originator_id, stored.originator_version, stored.topic, raw)])
    return version + 1


def contents(views: Views) -> tuple[list[dict], list[dict], list[dict]]:
    return (list(views.store.dossier_rows()), list(views.store.figure_rows()),
            views.store.query("SELECT * FROM {attention} ORDER BY dossier_id"))


def test_a_poisoned_event_marks_only_its_dossier(services, custody, clock, store_env, views):
    """GIVEN a month of dossiers whose views were read, and three more: one with a FeeCollected
    missing its amount then a Paused, one with a stored event that is not JSON, one with fees of
    2^70 and 2^63 and a rejection reason holding a NUL,
    WHEN the views catch up, THEN the month reads as before, the report sums the clamped fees
    exactly, only the first two dossiers need attention, and a rebuild gives the same views."""
    month = run_month(custody, clock, SAMPLER)
    clock.now = datetime.fromisoformat("2026-03-20T09:00:00+07:00")
    before = {code: views.status(code) for code in month}
    report_before = views.report(*MARCH)["totals"]
    shapeless, unreadable, huge = (receive(custody) for _ in range(3))
    shapeless_v = write_raw(custody, shapeless, Dossier.FeeCollected, drop=("amount",), amount=1)
    write_raw(custody, shapeless, Dossier.Paused, reason="chờ xác minh")
    unreadable_v = write_raw(custody, unreadable, Dossier.FeeCollected, amount=1,
                             state=b"\xff not JSON " + SECRET_NAME.encode())
    write_raw(custody, huge, Dossier.FeeCollected, amount=BIG)
    write_raw(custody, huge, Dossier.FeeCollected, amount=2**63)
    write_raw(custody, huge, Dossier.Rejected, reason="hồ sơ\x00giả", reason_code=None)

    marked = views.needing_attention()

    assert {code: views.status(code) for code in month} == before
    assert [(m["code"], m["version"]) for m in marked] == sorted(
        [(shapeless, shapeless_v), (unreadable, unreadable_v)])
    for item in marked:
        assert "Bí Mật" not in json.dumps(item, ensure_ascii=False)
        assert item["event"] in ("FeeCollected", "(unreadable)")
        assert item["position"] > 0
    assert "amount" in next(m for m in marked if m["code"] == shapeless)["reason"]
    later = views.status(shapeless)
    assert (later["clock_stopped"], later["version"]) == ("paused", shapeless_v + 1)
    assert views.status(unreadable)["version"] == unreadable_v
    rejected = views.status(huge)
    assert rejected["fee_paid"] == INT64_MAX
    assert (rejected["stage"], rejected["outcome_reason"]) == ("rejected", "hồ sơ\ufffdgiả")
    totals = views.report(*MARCH)["totals"]
    assert totals["received"] == report_before["received"] + 3
    assert totals["fees_vnd"] == report_before["fees_vnd"] + 2 * INT64_MAX
    assert totals["rejected"] == report_before["rejected"] + 1
    queue = views.queue(A.office)
    assert {shapeless, unreadable} <= {item["code"] for item in queue["holds"]}

    hoso = Hoso(store_env)
    status = hoso.ok("project", "status")
    assert [(m["code"], m["version"]) for m in status["needs_attention"]] == [
        (m["code"], m["version"]) for m in marked]
    assert {v["view"]: v["lag"] for v in status["views"]} == {
        "status": 0, "queues": 0, "report": 0}
    lines = hoso("project", "status")
    assert lines.code == 0
    assert sum(m["code"] in line for line in lines.stdout.splitlines() for m in marked) == 2

    ready = create_app(services, {"TESTING": True}).test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["status"] == "unavailable"
    assert all(m["code"] in " ".join(ready.get_json()["problems"]) for m in marked)
    assert "Bí Mật" not in ready.get_data(as_text=True)

    live = contents(views)
    done = hoso.ok("project", "rebuild")
    assert done["refused"] == 2
    assert contents(views) == live


def test_a_fixed_fold_is_cleared_by_a_rebuild(custody, clock, store_env, views, monkeypatch):
    """GIVEN a fold that raises on Paused (a bug) with a message quoting an applicant,
    WHEN the views follow a month, THEN only the paused dossiers are marked, with the error's
    class as the reason; WHEN the fold is fixed and the views rebuilt, THEN no mark is left and
    the paused dossiers read paused."""

    def broken(row: dict, new: dict, data: Any, when: str) -> str | None:
        raise RuntimeError(f"cannot pause {SECRET_NAME}")

    monkeypatch.setitem(fold._CHANGES, "Paused", broken)
    month = run_month(custody, clock, SAMPLER)
    views.catch_up()
    marked = views.needing_attention()
    paused = {code for code in month if custody.status(code)["clock_stopped"] == "paused"}
    assert paused
    assert {m["code"] for m in marked} == paused
    assert {m["reason"] for m in marked} == {"it could not be folded (RuntimeError)"}
    assert all(views.status(code)["clock_stopped"] is None for code in paused)
    assert views.report(*MARCH)["totals"]["paused"] == 0

    monkeypatch.undo()
    done = rebuild(views)
    assert done.refused == 0
    assert views.needing_attention() == []
    assert all(views.status(code)["clock_stopped"] == "paused" for code in paused)
    assert Hoso(store_env).ok("project", "status")["needs_attention"] == []


def as_delivered(fact: Fact) -> Fact:
    """The fact as a Kafka consumer gets it: a CloudEvent serialised to JSON and parsed."""
    return from_cloudevent(json.loads(json.dumps(to_cloudevent(fact, "test"))))


def received(dossier_id: UUID, at: datetime, **data: Any) -> Fact:
    return Fact(0, dossier_id, 1, f"code-{dossier_id.hex[:6]}", "Received", at, {
        "procedure": A.procedure, "office": A.office, "resolving_office": A.agency,
        "applicant_name": "Lê Văn A", "missing_components": [], "actor": A.receiver,
        "due": "2026-03-31", **data})


def later(first: Fact, version: int, kind: str, **data: Any) -> Fact:
    return first._replace(version=version, kind=kind,
                          data={"actor": A.receiver, "office": A.office, **data})


def test_values_beyond_the_columns_are_fitted_on_both_backends(custody, clock, views):
    """GIVEN facts as Kafka delivers them with a NUL and a lone surrogate in a name, fees of
    2^70 and 5, a page count of 2^64, a negative fee beyond 64 bits, and a 10,000-character
    destination office (an indexed column),
    WHEN they are projected, THEN nothing needs attention, integers are clamped, fees saturate,
    text is cleaned with U+FFFD, the key is cut, and status, queues and report all answer."""
    now = clock()
    one, two = uuid4(), uuid4()
    first = received(one, now, applicant_name="A\x00\ud800B")
    facts = [first, later(first, 2, "FeeCollected", amount=BIG),
             later(first, 3, "FeeCollected", amount=5),
             later(first, 4, "Digitised", pages=2**64),
             later(first, 5, "HandedOver", carrier=A.courier, to_office="Đ" * 10_000)]
    second = received(two, now)
    facts += [second, later(second, 2, "FeeCollected", amount=-BIG)]

    outcome = views.projector.apply([as_delivered(f) for f in facts])

    assert (outcome.applied, outcome.refused) == (len(facts), 0)
    assert views.store.query("SELECT * FROM {attention}") == []
    rows = {row["dossier_id"]: row for row in views.store.dossier_rows()}
    row = rows[str(one)]
    assert row["applicant_name"] == "A\ufffd\ufffdB"
    assert (row["fee_paid"], row["pages"]) == (INT64_MAX, INT64_MAX)
    assert row["transit_to"] == "Đ" * KEY_LIMIT
    assert rows[str(two)]["fee_paid"] == INT64_MIN
    amounts = [f["amount"] for f in views.store.figure_rows() if f["figure"] == "fee"]
    assert sorted(amounts) == [INT64_MIN, 5, INT64_MAX]
    totals = views.report(*MARCH)["totals"]
    assert totals["fees_vnd"] == INT64_MIN + 5 + INT64_MAX
    assert views.queue(A.courier)["holds"][0]["to_office"] == "Đ" * KEY_LIMIT


def test_facts_the_views_cannot_use_mark_only_their_dossiers(custody, clock, views):
    """GIVEN, as Kafka delivers them in one batch, a due date that is no date, a timeliness the
    report does not know, a carrier that is a list, an event far ahead of a dossier the store
    has never seen, and a Received without a due date followed by a fee, beside an ordinary
    dossier,
    WHEN they are projected, THEN each bad dossier is marked at its event's version with a
    reason naming the field, its later events still apply, and the ordinary dossier is whole."""
    now = clock()
    ids = [uuid4() for _ in range(4)]
    firsts = [received(i, now) for i in ids]
    bad_due, bad_figure, bad_carrier, fine = firsts
    stranger = received(uuid4(), now)
    no_due = received(uuid4(), now, due=None)
    facts = [*firsts, no_due, later(no_due, 2, "FeeCollected", amount=1),
             later(bad_due, 2, "Rescheduled", due="soon", reason="x"),
             later(bad_due, 3, "Paused", reason="chờ"),
             later(bad_figure, 2, "Resolved", timeliness="whenever"),
             later(bad_carrier, 2, "HandedOver", carrier=["x"], to_office=A.agency),
             later(fine, 2, "FeeCollected", amount=50_000),
             later(stranger, 7, "Accepted")]

    outcome = views.projector.apply([as_delivered(f) for f in facts])

    assert outcome.refused == 6
    marks = {m["dossier_id"]: m for m in views.store.query("SELECT * FROM {attention}")}
    assert {key: (m["version"], m["event"]) for key, m in marks.items()} == {
        str(bad_due.dossier_id): (2, "Rescheduled"),
        str(bad_figure.dossier_id): (2, "Resolved"),
        str(bad_carrier.dossier_id): (2, "HandedOver"),
        str(stranger.dossier_id): (7, "Accepted"),
        str(no_due.dossier_id): (1, "Received")}
    assert "due" in marks[str(bad_due.dossier_id)]["reason"]
    assert "is not text" in marks[str(bad_carrier.dossier_id)]["reason"]
    assert "store has no events 1..6" in marks[str(stranger.dossier_id)]["reason"]
    assert marks[str(no_due.dossier_id)]["reason"] == "due is missing"
    rows = {row["dossier_id"]: row for row in views.store.dossier_rows()}
    assert (rows[str(bad_due.dossier_id)]["clock_stopped"],
            rows[str(bad_due.dossier_id)]["version"]) == ("paused", 3)
    assert rows[str(fine.dossier_id)]["fee_paid"] == 50_000
    assert str(stranger.dossier_id) not in rows
    assert str(no_due.dossier_id) not in rows


def test_a_row_the_database_refuses_marks_only_its_dossier(custody, clock, views, monkeypatch):
    """GIVEN a fitting step that lets a 2^70 fee through unchanged (a bug),
    WHEN it is followed in-process with an ordinary event of another dossier in the same batch,
    THEN the database's refusal marks only that dossier, the other is written, and the tracking
    position moves to the end of the log."""
    code = run_month(custody, clock, SAMPLER[:1])[0]
    clock.now = datetime.fromisoformat("2026-03-20T09:00:00+07:00")
    poisoned, other = receive(custody), receive(custody)
    views.catch_up()
    version = write_raw(custody, poisoned, Dossier.FeeCollected, amount=BIG)
    custody.collect_fee(other, A.receiver, 50_000)
    monkeypatch.setattr(projector, "fit_row", lambda row, names: row)

    views.catch_up()

    [item] = views.needing_attention()
    assert (item["code"], item["version"]) == (poisoned, version)
    assert item["reason"].startswith("the view store refused its row (")
    assert views.status(other)["fee_paid"] == 50_000
    assert views.status(code)["code"] == code
    assert views.projector.position() == custody.recorder.max_notification_id()
