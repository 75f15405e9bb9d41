"""The receiver's counter pages: find the procedure without accents, receive through the
checklist, and a page that says what to fix when something is wrong."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.districts import HOME, HOME_STAFF, PROCEDURE
from tracker.bootstrap import Services
from tracker.search.fold import fold
from tracker.web import create_app

PASSWORD = "mật khẩu quầy tiếp nhận"


def signed_in(services: Services, staff: str) -> FlaskClient:
    services.accounts().set_password(staff, PASSWORD, "tests")
    client = create_app(services, {"TESTING": True}).test_client()
    form = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    client.post("/sign-in", data={"staff": staff, "password": PASSWORD,
                                  "csrf_token": token.group(1)})
    return client


@pytest.fixture
def client(services: Services) -> FlaskClient:
    return signed_in(services, HOME_STAFF["receiver"])


def form_of(client: FlaskClient, procedure: str = PROCEDURE) -> dict[str, str]:
    page = client.get(f"/counter/receive?procedure={procedure}").text
    return dict(re.findall(r'name="(csrf_token|key|procedure)" value="([^"]*)"', page))


def applicant(**change: str) -> dict[str, str]:
    return {"applicant_name": "Trần Thị Thu", "applicant_id": "034186000222",
            "phone": "0987 654 321", **change}


def test_a_procedure_is_found_without_accents_or_case(client: FlaskClient,
                                                      services: Services) -> None:
    procedure = services.application().province().procedures[PROCEDURE]
    typed = fold(" ".join(procedure.name.split()[:3])).upper()  # no diacritics, capitals
    assert typed != " ".join(procedure.name.split()[:3])
    found = client.get(f"/counter/?q={typed}").text
    assert procedure.name in found
    assert f"procedure={PROCEDURE}" in found
    assert "Không có thủ tục phù hợp" in client.get("/counter/?q=zzzz qqqq").text


def test_a_complete_dossier_is_received_with_its_fee(client: FlaskClient,
                                                     services: Services) -> None:
    procedure = services.application().province().procedures[PROCEDURE]
    answer = client.post("/counter/receive", data={
        **form_of(client), **applicant(), "components": [c.code for c in procedure.components],
        "collect_fee": "1"})
    assert answer.status_code == 302, answer.text
    page = client.get(answer.headers["Location"])
    code = re.search(r"(\d{3}\.\d{2}\.\d{2}\.H40-\d{6}-\d{4})", page.text)
    assert code
    status = services.application().status(code.group(1))
    assert status["receiving_office"] == HOME
    assert status["fee_paid"] == procedure.fee
    assert status["missing_components"] == []
    assert "Đã tiếp nhận" in page.text
    assert "Trần Thị Thu" in page.text


def test_missing_components_need_a_reason(client: FlaskClient, services: Services) -> None:
    before = services.application().recorder.max_notification_id()
    refused = client.post("/counter/receive", data={**form_of(client), **applicant()})
    assert refused.status_code == 400
    assert "Còn thiếu thành phần bắt buộc" in refused.text
    assert 'value="Trần Thị Thu"' in refused.text  # what was typed stays in the form
    assert services.application().recorder.max_notification_id() == before
    kept = client.post("/counter/receive", data={
        **form_of(client), **applicant(), "incomplete_reason": "Công dân bổ sung sau"})
    assert kept.status_code == 302
    code = kept.headers["Location"].rsplit("/", 1)[-1]
    received = services.application().history(code)[0]
    assert received["incomplete_reason"] == "Công dân bổ sung sau"
    assert received["missing_components"]


def test_a_form_sent_twice_receives_one_dossier(client: FlaskClient, services: Services
                                                ) -> None:
    form = {**form_of(client), **applicant(), "incomplete_reason": "thiếu bản chính"}
    first = client.post("/counter/receive", data=form)
    second = client.post("/counter/receive", data=form)
    assert first.headers["Location"] == second.headers["Location"]


def test_bad_input_is_said_on_the_page(client: FlaskClient) -> None:
    answer = client.post("/counter/receive", data={
        **form_of(client), **applicant(applicant_name="   "), "incomplete_reason": "x"})
    assert answer.status_code == 400
    assert "applicant_name" in answer.text


def test_only_counter_staff_reach_the_counter(services: Services) -> None:
    courier = signed_in(services, HOME_STAFF["courier"])
    page = courier.get("/counter/")
    assert page.status_code == 403
    assert "Không được phép" in page.text
    anonymous = create_app(services, {"TESTING": True}).test_client()
    assert anonymous.get("/counter/").headers["Location"].startswith("/sign-in")


CARD = ("036190007788||Nguyễn Thị Ánh Tuyết|02031990|Nữ|Thôn Mỹ Tho, Xã Mộc Hoàn, Thị xã "
        "Duy Tiên, Hà Nam|10052022")
"""Made up, in the shape of a chip ID card's QR code: a resident of Mộc Hoàn (Duy Tiên)."""
BIRTH = "1.001193"
"""Decided where the applicant lives; HOME (Phủ Lý) does not serve Mộc Hoàn."""


def test_the_card_fills_the_form_without_javascript(client: FlaskClient,
                                                    services: Services) -> None:
    """GIVEN the receive form of a birth WHEN the gun's text is posted from the scan box, as a
    browser without JavaScript does THEN the form comes back with the name, the ID number and
    the commune filled, the date of birth, sex and address shown to check, the card's text
    itself nowhere, nothing recorded, kept in the session or cached."""
    before = services.application().recorder.max_notification_id()
    answer = client.post("/counter/card", data={**form_of(client, BIRTH), "card": CARD + "\r\n"})
    assert answer.status_code == 200, answer.text
    page = answer.text
    assert 'value="Nguyễn Thị Ánh Tuyết"' in page
    assert 'value="036190007788"' in page
    assert re.search(r'<option value="moc-hoan" selected>', page)
    for shown in ("02/03/1990", "Nữ", "Thôn Mỹ Tho, Xã Mộc Hoàn, Thị xã Duy Tiên, Hà Nam"):
        assert shown in page
    assert "036190007788||" not in page
    assert answer.headers["Cache-Control"] == "no-store"
    with client.session_transaction() as session:
        assert "036190007788" not in str(dict(session))
    assert services.application().recorder.max_notification_id() == before


def test_a_text_that_is_no_card_is_said_by_the_scan_box(client: FlaskClient) -> None:
    answer = client.post("/counter/card", data={**form_of(client, BIRTH),
                                                "card": "03619000778||Nguyễn Thị Ánh Tuyết"})
    assert answer.status_code == 400
    assert "12 chữ số" in answer.text
    assert "03619000778" not in answer.text
    empty = client.post("/counter/card", data={**form_of(client, BIRTH), "card": "  "},
                        headers={"HX-Request": "true"})
    assert empty.status_code == 200  # htmx swaps only successes: the message must be one
    assert re.search(r'id="card-feedback">\s*<p class="error"', empty.text)


def test_a_photo_of_the_card_fills_the_form(client: FlaskClient, tmp_path: Path) -> None:
    """GIVEN a phone's photo of the card's QR code (made with zint, UTF-8 under ECI 26)
    WHEN it is sent from the scan box THEN the form comes back filled; a photo without a code
    is said to have none."""
    photo = tmp_path / "card.png"
    subprocess.run(["zint", "--barcode=58", "--eci=26", "--scale=4", f"--data={CARD}", "-o",
                    str(photo)], check=True, capture_output=True)
    answer = client.post("/counter/card", content_type="multipart/form-data", data={
        **form_of(client, BIRTH), "photo": (photo.open("rb"), "card.png")})
    assert answer.status_code == 200, answer.text
    assert 'value="036190007788"' in answer.text
    blank = tmp_path / "blank.png"
    blank.write_bytes(photo.read_bytes()[:0] or b"not an image")
    none = client.post("/counter/card", content_type="multipart/form-data", data={
        **form_of(client, BIRTH), "photo": (blank.open("rb"), "blank.png")})
    assert none.status_code == 400
    assert "Không đọc được mã QR" in none.text


def test_a_birth_received_away_from_home_goes_to_the_applicants_commune(
        client: FlaskClient, services: Services) -> None:
    """GIVEN the form filled from the card WHEN the receiver receives it at Phủ Lý THEN the
    dossier goes to Mộc Hoàn's one-stop and the page says it was received regardless of the
    applicant's locality; without a commune chosen the form says to choose one."""
    fields = {**form_of(client, BIRTH), "applicant_name": "Nguyễn Thị Ánh Tuyết",
              "applicant_id": "036190007788", "components": ["to-khai", "giay-chung-sinh"]}
    unnamed = client.post("/counter/receive", data=fields)
    assert unnamed.status_code == 409
    assert 'value="Nguyễn Thị Ánh Tuyết"' in unnamed.text
    answer = client.post("/counter/receive", data={**fields, "locality": "moc-hoan"})
    assert answer.status_code == 302, answer.text
    page = client.get(answer.headers["Location"]).text
    code = answer.headers["Location"].rsplit("/", 1)[-1]
    status = services.application().status(code)
    assert (status["resolving_office"], status["locality"], status["non_local"]) == (
        "000.22.13.H40", "moc-hoan", True)
    assert 'id="non-local"' in page
    assert "Bộ phận Một cửa UBND xã Mộc Hoàn" in page
    assert "Xã Mộc Hoàn" in page


def test_a_home_appointment_is_received_in_the_field(client: FlaskClient,
                                                     services: Services) -> None:
    procedure = services.application().province().procedures[PROCEDURE]
    answer = client.post("/counter/receive", data={
        **form_of(client), **applicant(), "channel": "home",
        "components": list(procedure.required_components)})
    assert answer.status_code == 302, answer.text
    page = client.get(answer.headers["Location"]).text
    assert 'id="in-field"' in page
    code = answer.headers["Location"].rsplit("/", 1)[-1]
    status = services.application().status(code)
    assert (status["in_field"], status["custodian"]) == (True, HOME_STAFF["receiver"])
