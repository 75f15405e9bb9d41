"""The office's pages: the queue, and a dossier's page whose forms are its commands."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.conftest import ManualClock
from tests.districts import AGENCY, APPLICANT, HOME, HOME_STAFF, PROCEDURE
from tracker.bootstrap import Services
from tracker.web import create_app, office, signin

PASSWORD = "mật khẩu văn phòng 2026"


def signed_in(services: Services, staff: str) -> FlaskClient:
    services.accounts().set_password(staff, PASSWORD, "tests")
    client = create_app(services, {"TESTING": True}).test_client()
    client.post("/sign-in", data={"staff": staff, "password": PASSWORD,
                                  "csrf_token": csrf(client, "/sign-in")})
    return client


def csrf(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


@pytest.fixture
def code(services: Services) -> str:
    custody = services.application()
    received: str = custody.receive(office=HOME, procedure=PROCEDURE,
                                    actor=HOME_STAFF["receiver"], accept_incomplete=True,
                                    **APPLICANT)["code"]
    custody.hand_over(received, HOME_STAFF["receiver"], AGENCY, courier=HOME_STAFF["courier"])
    return received


def test_an_official_accepts_from_the_queue_and_resolves(services: Services, code: str,
                                                         clock: ManualClock) -> None:
    official = signed_in(services, "pl-off-001")
    queue = official.get("/queue").text
    assert code in queue
    assert "Đang chuyển đến" in queue or "đang chuyển đến" in queue
    token = csrf(official, f"/dossiers/{code}")
    posted = official.post(f"/dossiers/{code}/accept", data={"csrf_token": token, "key": "k1"})
    assert posted.status_code == 302
    assert "Đã thực hiện" in official.get(posted.headers["Location"]).text
    clock.advance(minutes=20)
    resolved = official.post(f"/dossiers/{code}/resolve", data={"csrf_token": token, "key": "k2"})
    assert resolved.headers["Location"] == f"/dossiers/{code}?done=resolve"
    assert services.application().status(code)["stage"] == "resolved"
    assert "Đã có kết quả" in official.get(f"/dossiers/{code}").text


def test_a_refusal_is_said_on_the_page_and_records_nothing(services: Services,
                                                           code: str) -> None:
    official = signed_in(services, "pl-off-001")
    token = csrf(official, f"/dossiers/{code}")
    before = services.application().history(code)
    refused = official.post(f"/dossiers/{code}/resolve", data={"csrf_token": token})
    assert refused.status_code == 409  # still in transit: accept it first
    assert 'role="alert"' in refused.text
    assert services.application().history(code) == before  # the page's reads are logged,
    # but the dossier is untouched


def test_a_form_sent_twice_records_once(services: Services, code: str) -> None:
    official = signed_in(services, "pl-off-001")
    token = csrf(official, f"/dossiers/{code}")
    for _ in range(2):
        official.post(f"/dossiers/{code}/accept", data={"csrf_token": token, "key": "same"})
    assert [s["type"] for s in services.application().history(code)].count("Accepted") == 1


def test_another_districts_official_cannot_open_the_dossier(services: Services,
                                                            code: str) -> None:
    stranger = signed_in(services, "dt-off-001")
    page = stranger.get(f"/dossiers/{code}")
    assert page.status_code == 403
    assert APPLICANT["applicant_name"] not in page.text
    assert code not in stranger.get("/queue").text


def test_a_reschedule_offers_the_apology_slip(services: Services, code: str) -> None:
    official = signed_in(services, "pl-off-001")
    token = csrf(official, f"/dossiers/{code}")
    official.post(f"/dossiers/{code}/accept", data={"csrf_token": token, "key": "a"})
    moved = official.post(f"/dossiers/{code}/reschedule", data={
        "csrf_token": token, "key": "r", "to": "2026-05-29", "reason": "Cần xác minh thực địa"})
    assert moved.status_code == 302
    page = official.get(moved.headers["Location"]).text
    link = re.search(r'href="([^"]+/slips/apology\.pdf)"', page)
    assert link
    slip = official.get(link.group(1))
    assert slip.status_code == 200
    assert slip.mimetype == "application/pdf"
    assert slip.data.startswith(b"%PDF")
    assert official.get(f"/dossiers/{code}/slips/nonsense.pdf").status_code == 404


def test_the_queue_shows_a_page_at_a_time_most_pressing_first_and_counts_all(
        services: Services, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN three dossiers sent to the agency, the first two days before the others (so late
    in transit), WHEN its official reads the queue one dossier a page, THEN the late one
    comes first and every page counts all three; a page past the end shows the last; and the
    htmx refresh asks for the page shown and answers the lists alone."""
    monkeypatch.setattr(office, "PER_PAGE", 1)
    custody = services.application()
    codes = []
    for hours in (0, 48, 1):
        clock.advance(hours=hours)
        code = custody.receive(office=HOME, procedure=PROCEDURE, actor=HOME_STAFF["receiver"],
                               accept_incomplete=True, **APPLICANT)["code"]
        custody.hand_over(code, HOME_STAFF["receiver"], AGENCY, courier=HOME_STAFF["courier"])
        codes.append(code)
    official = signed_in(services, "pl-off-001")
    shown = []
    for page in (1, 2, 3):
        text = official.get(f"/queue?page={page}").text
        assert counts(text) == ["0", "3", "0", "0", "1"]  # held, incoming, due, overdue, late
        shown += listed(text)
        assert (f'href="/queue?page={page + 1}"' in text) == (page < 3)  # a Next link
    assert shown == codes  # late first, then by due date (the later two due the same day)
    past = official.get("/queue?page=99").text
    assert listed(past) == [codes[2]]
    assert "/queue?part=1&amp;page=3" in past
    part = official.get("/queue?part=1&page=2")
    assert listed(part.text) == [codes[1]]
    assert "<html" not in part.text


def counts(page: str) -> list[str]:
    return re.findall(r"<li><strong>(\d+)</strong>", page)


def listed(page: str) -> list[str]:
    return re.findall(r'href="/dossiers/([^"?]+)"', page)


def test_the_home_page_counts_the_queue_and_lists_the_most_pressing(
        services: Services, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN an office holding two dossiers, the first received a month earlier (overdue),
    WHEN a receiver there opens the home page listing one, THEN it counts both, lists the
    overdue one and links to the office queue for the other."""
    monkeypatch.setattr(signin, "HOME_ITEMS", 1)
    custody = services.application()
    codes = []
    for days in (0, 30):
        clock.advance(days=days)
        codes.append(custody.receive(office=HOME, procedure=PROCEDURE,
                                     actor=HOME_STAFF["receiver"], accept_incomplete=True,
                                     **APPLICANT)["code"])
    home = signed_in(services, HOME_STAFF["receiver"]).get("/").text
    assert counts(home) == ["2", "0", "0", "1"]  # held, incoming, due today, overdue
    assert codes[0] in home
    assert codes[1] not in home
    assert home.count('href="/queue"') == 2  # the office queue's link, and "all 2 there"
