"""Office and courier queues, through the views and through ``hoso queue`` and the API.

GIVEN dossiers received at a commune office, one handed to a courier for the land registry
branch, WHEN time passes beyond the branch's transit limit with nobody accepting it, THEN the
courier's, the sender's and the receiver's queues all show it flagged late in transit (nothing
lost), and once accepted it moves to the branch's holdings, due and overdue as the calendar says.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta

import pytest

from tests.districts import HOME as HOME_OFFICE
from tests.hoso_cli import Hoso
from tests.identities import AsStaff, Tokens
from tests.month import SAMPLER, A, B, run_month
from tracker.domain.calendar import local_date
from tracker.projections.queues import LISTS
from tracker.web import create_app

FLAGS = ("due_today", "overdue", "late_in_transit")


@pytest.fixture
def two_dossiers(custody, clock):
    codes = [custody.receive(office=A.office, procedure=A.procedure, applicant_name="Trần Văn Cư",
                             applicant_id=f"03519000001{i}", actor=A.receiver,
                             components=A.components)["code"] for i in range(2)]
    custody.hand_over(codes[0], A.receiver, A.agency, courier=A.courier)
    return codes


def test_an_unaccepted_release_is_flagged_late_not_lost(services, custody, clock,
                                                         two_dossiers):
    moving, staying = two_dossiers
    views = services.open_views()
    clock.advance(hours=23)
    courier = views.queue(A.courier)
    assert [i["code"] for i in courier["holds"]] == [moving]
    assert courier["late_in_transit"] == []
    clock.advance(hours=2)  # 25 h: past the default 24 h transit limit
    for who in (A.courier, A.office, A.agency):
        assert views.queue(who)["late_in_transit"] == [moving], who
    sender = views.queue(A.office)
    assert [i["code"] for i in sender["holds"]] == [staying]
    assert [i["code"] for i in sender["sent"]] == [moving]
    assert [i["code"] for i in views.queue(A.agency)["incoming"]] == [moving]


def test_accepted_dossiers_are_held_and_fall_due(services, custody, clock, two_dossiers):
    moving, staying = two_dossiers
    custody.accept(moving, A.official, A.agency)
    views = services.open_views()
    branch = views.queue(A.agency)
    assert [i["code"] for i in branch["holds"]] == [moving]
    assert branch["incoming"] == []
    assert branch["late_in_transit"] == []
    official = views.queue(A.official)
    assert [i["code"] for i in official["holds"]] == [moving]
    due = branch["holds"][0]["due"]
    clock.now = clock.now.replace(year=int(due[:4]), month=int(due[5:7]), day=int(due[8:]))
    assert views.queue(A.agency)["due_today"] == [moving]
    clock.advance(days=1)
    assert views.queue(A.agency)["overdue"] == [moving]
    assert views.queue(A.office)["overdue"] == [staying]  # same due date, held at the counter


def test_queue_and_status_commands(custody, store_env, two_dossiers):
    moving, staying = two_dossiers
    hoso = Hoso(store_env)
    queue = hoso.ok("queue", A.office)
    assert queue["holder"]["kind"] == "office"
    assert [i["code"] for i in queue["holds"]] == [staying]
    assert [i["code"] for i in queue["sent"]] == [moving]
    assert hoso.ok("status", moving)["custodian"] == A.courier
    human = hoso("queue", A.courier)
    assert human.code == 0
    assert moving in human.stdout
    unknown = hoso("queue", "nobody-at-all")
    assert unknown.code == 2
    assert unknown.stderr.strip() == ("hoso: 'nobody-at-all' is neither an office code nor "
                                      "a staff id")


def test_the_api_reads_the_views(services, custody, two_dossiers):
    """Read by the province's inspector, whose scope is every office."""
    moving, _ = two_dossiers
    inspector = next(s.id for s in custody.province().staff.values() if s.role == "inspector")
    client = AsStaff(create_app(services, {"TESTING": True}).test_client(), Tokens(services),
                     inspector)
    assert client.get(f"/api/v1/dossiers/{moving}").get_json()["custodian"] == A.courier
    queue = client.get(f"/api/v1/queues/{A.agency}").get_json()
    assert [i["code"] for i in queue["incoming"]] == [moving]
    report = client.get("/api/v1/report?from=2026-03-01&to=2026-03-31&by=level").get_json()
    assert report["totals"]["received"] == 2
    assert report["rows"][0]["level"] == "commune"
    bad = client.get("/api/v1/report?from=2026-03-31&to=2026-02-30")
    assert bad.status_code == 400
    assert bad.get_json()["error"] == "bad_input"
    reversed_period = client.get("/api/v1/report?from=2026-03-31&to=2026-03-01").get_json()
    assert reversed_period["totals"]["received"] == 0  # a period with no days
    assert reversed_period["rows"] == []
    assert client.get("/api/v1/queues/nobody").status_code == 404
    # AND a receiver reads only their own office's queue and report
    assert client.get(f"/api/v1/queues/{A.agency}", as_=A.receiver).status_code == 403
    own = client.get("/api/v1/report?from=2026-03-01&to=2026-03-31", as_=A.receiver)
    assert [row["office"] for row in own.get_json()["rows"]] == [A.office]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/queues/{who}", "/report"} <= set(paths)


def test_a_store_set_up_before_the_views_says_to_run_init_again(services, store_env,
                                                               two_dossiers):
    """A store initialised by an older hoso has no view tables: a clear failure, then 'hoso
    init' (which keeps what is stored) creates them and the views follow the whole log."""
    moving, _ = two_dossiers
    store = services.open_views().store
    with store.batch() as batch:  # as if the tables had never been created
        batch.c.execute(f"DROP TABLE {getattr(store, 'dossiers', 'hoso_view_dossiers')}")
    hoso = Hoso(store_env)
    for command in (("status", moving), ("project", "rebuild")):
        missing = hoso(*command)
        assert missing.code == 1
        assert "run 'hoso init' again" in missing.stderr
    hoso.ok("init", "--demo")
    assert hoso.ok("status", moving)["custodian"] == A.courier


LIMITS = {A.agency: 48, HOME_OFFICE: 6}
"""Transit limits other than the default 24 h, set in the province file for these tests."""


def test_a_queue_read_page_by_page_is_the_whole_queue_most_pressing_first(
        services, custody, clock, demo_document):
    """GIVEN a month's dossiers of every outcome, then four more received at a commune, two
    sent on to its agency (transit limit 48 h), one to the district's one-stop (6 h), one
    kept, and one resolved dossier sent back from the agency, nobody accepting any of them,
    WHEN each holder's queue is read at moments before and after each limit and the due
    dates, three items a page,
    THEN the pages read one after the other are each whole list, overdue or late first, then
    by due date and code; the counts are the whole lists'; and every flag is what the
    calendar and the destination's limit say."""
    province = copy.deepcopy(demo_document)
    for office in province["offices"]:
        if office["code"] in LIMITS:
            office["transit_hours"] = LIMITS[office["code"]]
    custody.load_province(province)
    month = run_month(custody, clock, SAMPLER)
    clock.now = datetime.fromisoformat("2026-03-16T09:00:00+07:00")
    codes = [custody.receive(office=A.office, procedure=A.procedure, applicant_name="Hà Văn Tư",
                             applicant_id=f"03519000002{i}", actor=A.receiver,
                             components=A.components)["code"] for i in range(4)]
    clock.advance(minutes=30)
    custody.hand_over(codes[0], A.receiver, A.agency, courier=A.courier)
    custody.hand_over(codes[1], A.receiver, A.agency, courier=A.courier)
    custody.hand_over(codes[2], A.receiver, HOME_OFFICE, courier=A.courier)
    resolved = next(c for c in month if custody.status(c)["stage"] == "resolved"
                    and custody.status(c)["office"] == A.agency)
    custody.hand_over(resolved, A.official, A.office, courier=A.courier)
    views = services.open_views()
    start = clock.now
    carried = {}
    for hours in (0, 5.9, 6.1, 23.9, 24.1, 47.9, 48.1, 24 * 15):
        clock.now = start + timedelta(hours=hours)
        whole = {who: views.queue(who) for who in holders(views)}
        for who, answer in whole.items():
            check_flags(answer, clock.now)
            check_pages(views, who, answer, per_page=3)
        carried[hours] = whole[A.courier]["late_in_transit"]
    assert carried == {0: [], 5.9: [], 6.1: [codes[2]], 23.9: [codes[2]],
                       24.1: sorted([codes[2], resolved]), 47.9: sorted([codes[2], resolved]),
                       48.1: sorted([*codes[:3], resolved]),
                       24 * 15: sorted([*codes[:3], resolved])}
    assert whole[A.office]["overdue"] == [codes[3]]  # 15 days on


def holders(views):
    """Every office and person the dossier view names, and an office that holds nothing."""
    found = {B.office, A.courier}
    for row in views.store.dossier_rows():
        found.update(v for k, v in row.items() if v and k in (
            "office", "custodian", "transit_to", "transit_from"))
    return sorted(found)


def check_flags(answer, now):
    today = local_date(now)
    for item in (i for name in LISTS for i in answer[name]):
        assert item["overdue"] == (item["open"] and today > date.fromisoformat(item["due"]))
        since = item["in_transit_since"]
        limit = timedelta(hours=LIMITS.get(item["to_office"], 24))
        assert item["late_in_transit"] == (
            since is not None and now - datetime.fromisoformat(since) > limit), item


def check_pages(views, who, answer, per_page):
    first = views.queue_page(who, 1, per_page)
    assert first["counts"] == {**{name: len(answer[name]) for name in LISTS},
                               **{flag: len(answer[flag]) for flag in FLAGS}}, who
    longest = max(len(answer[name]) for name in LISTS)
    assert first["pages"] == max(1, -(-longest // per_page))
    read = [views.queue_page(who, page, per_page) for page in range(1, first["pages"] + 1)]
    for name in LISTS:
        assert [i for page in read for i in page[name]] == sorted(
            answer[name], key=lambda i: (not (i["overdue"] or i["late_in_transit"]),
                                         i["due"], i["code"])), (who, name)
    past = views.queue_page(who, first["pages"] + 5, per_page)
    assert past["page"] == first["pages"]
    assert past["holds"] == read[-1]["holds"]


def test_a_dossier_refused_at_the_counter_is_in_no_queue(services, custody, two_dossiers):
    """Nothing more can happen to it: neither the office nor the receiver has it to do."""
    refused = custody.refuse_at_counter(office=A.office, procedure=A.procedure,
                                        applicant_name="Trần Văn Cư",
                                        applicant_id="035190000199", actor=A.receiver,
                                        reason="Sai thủ tục")["code"]
    views = services.open_views()
    for who in (A.office, A.receiver):
        listed = {i["code"] for name in LISTS for i in views.queue(who)[name]}
        assert refused not in listed, who
        assert two_dossiers[1] in listed, who
    assert views.queue_page(A.office, 1, 10)["counts"]["holds"] == 1
