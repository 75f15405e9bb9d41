"""Bags through the courier's page and the API, on SQLite and PostgreSQL: the scan box's three
answers, a bag handed over and accepted in one scan, a missing dossier flagged, page counts
checked at both ends, a photo's barcode decoded, and who may do what."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.districts import AGENCY, APPLICANT, AWAY_STAFF, HOME, HOME_STAFF, PROCEDURE
from tests.identities import Tokens
from tracker.bootstrap import Services
from tracker.web import create_app

PASSWORD = "mật khẩu túi chuyển 2026"
RECEIVER, COURIER, OFFICIAL = HOME_STAFF["receiver"], HOME_STAFF["courier"], "pl-off-001"


def signed_in(services: Services, staff: str) -> FlaskClient:
    services.accounts().set_password(staff, PASSWORD, "tests")
    client = create_app(services, {"TESTING": True}).test_client()
    client.post("/sign-in", data={"staff": staff, "password": PASSWORD,
                                  "csrf_token": csrf(client, "/sign-in")})
    return client


def csrf(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, path
    return found.group(1)


def receive(services: Services, pages: int = 0) -> str:
    custody = services.application()
    code: str = custody.receive(office=HOME, procedure=PROCEDURE, actor=RECEIVER,
                                accept_incomplete=True, **APPLICANT)["code"]
    if pages:
        keys = [custody.objects.put(f"{code} trang {n}".encode() * 300, "image/png").key
                for n in range(pages)]
        custody.digitise(code, HOME_STAFF["operator"], keys)
    return code


def start_bag(client: FlaskClient) -> str:
    made = client.post("/courier/bags", data={"csrf_token": csrf(client, "/courier/"),
                                              "to_office": AGENCY, "key": "TUI-ABCD2345"})
    assert made.status_code == 302, made.text
    return made.headers["Location"].rsplit("/", 1)[1]


def test_scans_fill_a_bag_that_is_handed_over_and_accepted_in_one_scan(
        services: Services) -> None:
    codes = [receive(services) for _ in range(3)]
    receiver = signed_in(services, RECEIVER)
    bag = start_bag(receiver)
    token = csrf(receiver, f"/courier/bags/{bag}")
    # GIVEN three scans, one of them twice, and a code of nothing
    answers = [receiver.post(f"/courier/bags/{bag}/scan", data={"csrf_token": token,
                                                                "code": code})
               for code in [*codes, codes[0]]]
    assert all('data-feedback="ok"' in a.text for a in answers[:3])
    assert 'data-feedback="repeat"' in answers[3].text
    wrong = receiver.post(f"/courier/bags/{bag}/scan", data={"csrf_token": token,
                                                            "code": "not a code"})
    assert wrong.status_code == 400
    assert 'data-feedback="refused"' in wrong.text
    # WHEN it is handed to the courier, and the official scans the manifest's code once
    handed = receiver.post(f"/courier/bags/{bag}/handover",
                           data={"csrf_token": token, "courier": COURIER})
    assert handed.status_code == 302
    official = signed_in(services, OFFICIAL)
    scanned = official.post("/courier/scan", data={"csrf_token": csrf(official, "/courier/"),
                                                   "code": bag.lower()})
    # THEN every dossier is the official's, each with its own events naming the bag
    assert scanned.status_code == 302
    assert scanned.headers["Location"].endswith("done=accepted")
    assert 'data-feedback="ok"' in official.get(scanned.headers["Location"]).text
    custody = services.application()
    for code in codes:
        steps = custody.history(code)
        assert (steps[-2]["type"], steps[-2]["manifest"]) == ("HandedOver", bag)
        assert (steps[-1]["type"], steps[-1]["bag"]) == ("Accepted", bag)
        assert custody.status(code)["custodian"] == OFFICIAL
    assert all(code in official.get("/queue").text for code in codes)


def test_a_dossier_missing_from_the_bag_is_flagged_and_left_in_transit(
        services: Services) -> None:
    codes = [receive(services) for _ in range(2)]
    receiver = signed_in(services, RECEIVER)
    bag = start_bag(receiver)
    token = csrf(receiver, f"/courier/bags/{bag}")
    for code in codes:
        receiver.post(f"/courier/bags/{bag}/scan", data={"csrf_token": token, "code": code})
    receiver.post(f"/courier/bags/{bag}/handover", data={"csrf_token": token,
                                                         "courier": COURIER})
    official = signed_in(services, OFFICIAL)
    accepted = official.post(f"/courier/bags/{bag}/accept", data={
        "csrf_token": csrf(official, f"/courier/bags/{bag}"), "missing": codes[1]})
    assert accepted.status_code == 302
    page = official.get(f"/courier/bags/{bag}").text
    assert f'<tr class="late"><td class="code">{codes[1]}</td>' in page  # flagged
    assert "Còn thiếu" in page
    custody = services.application()
    assert custody.status(codes[0])["custodian"] == OFFICIAL
    lost = custody.status(codes[1])
    assert lost["in_transit"]
    assert lost["custodian"] == COURIER


def test_page_counts_are_checked_at_both_ends_over_the_api(services: Services) -> None:
    tokens = Tokens(services)
    client = create_app(services, {"TESTING": True}).test_client()
    code = receive(services, pages=3)
    made = client.post("/api/v1/bags", json={"to_office": AGENCY, "codes": [code]},
                       headers=tokens.header(RECEIVER))
    assert made.status_code == 201, made.json
    bag = made.json["bag"]
    assert made.json["dossiers"] == [{"code": code, "pages": 3}]
    short = client.post(f"/api/v1/bags/{bag}/handover",
                        json={"courier": COURIER, "pages": {code: 2}},
                        headers=tokens.header(RECEIVER))
    assert short.status_code == 409
    assert "page-count" in short.json["message"]
    handed = client.post(f"/api/v1/bags/{bag}/handover",
                         json={"courier": COURIER, "pages": {code: 3}},
                         headers=tokens.header(RECEIVER))
    assert handed.status_code == 200
    assert handed.json["state"] == "handed_over"
    lost_page = client.post(f"/api/v1/bags/{bag}/accept",
                            json={"office": AGENCY, "pages": {code: 2}},
                            headers=tokens.header(OFFICIAL))
    assert lost_page.status_code == 409
    assert "page-count" in lost_page.json["message"]
    assert services.application().status(code)["in_transit"]
    done = client.post(f"/api/v1/bags/{bag}/accept", json={"office": AGENCY},
                       headers=tokens.header(OFFICIAL))
    assert done.status_code == 200
    assert done.json["accepted"] == [code]
    pdf = client.get(f"/api/v1/bags/{bag}/manifest.pdf", headers=tokens.header(COURIER))
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")


@pytest.mark.parametrize(("who", "status"), [
    (HOME_STAFF["receiver"], 201), (HOME_STAFF["supervisor"], 201),
    (HOME_STAFF["courier"], 403), (HOME_STAFF["inspector"], 403),
    (AWAY_STAFF["receiver"], 409)])  # a receiver elsewhere: the dossier is not at their office
def test_who_may_make_a_bag(services: Services, who: str, status: int) -> None:
    code = receive(services)
    client = create_app(services, {"TESTING": True}).test_client()
    made = client.post("/api/v1/bags", json={"to_office": AGENCY, "codes": [code]},
                       headers=Tokens(services).header(who))
    assert made.status_code == status, made.json


def test_a_photo_of_the_manifest_barcode_accepts_the_bag(services: Services,
                                                         tmp_path: Path) -> None:
    code = receive(services)
    custody = services.application()
    from tracker import bags
    bag = bags.create(custody, RECEIVER, AGENCY, [code])["bag"]
    bags.hand_over(custody, bag, RECEIVER, COURIER)
    photo = tmp_path / "photo.png"
    subprocess.run(["zint", "--barcode=20", f"--data={bag}", "--scale=3", "-o", str(photo)],
                   check=True, capture_output=True)
    official = signed_in(services, OFFICIAL)
    with photo.open("rb") as image:
        sent = official.post("/courier/scan", data={
            "csrf_token": csrf(official, "/courier/"), "photo": (image, "photo.png")},
            content_type="multipart/form-data")
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith("done=accepted")
    assert custody.status(code)["custodian"] == OFFICIAL
    blank = tmp_path / "blank.png"
    subprocess.run(["zint", "--barcode=20", "--data=x", "--scale=1", "-o", str(blank)],
                   check=True, capture_output=True)
    with (Path(__file__).parent / "test_bag_pages.py").open("rb") as not_an_image:
        refused = official.post("/courier/scan", data={
            "csrf_token": csrf(official, "/courier/"), "photo": (not_an_image, "x.png")},
            content_type="multipart/form-data")
    assert refused.status_code == 400
    assert 'data-feedback="refused"' in refused.text
