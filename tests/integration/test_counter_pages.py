"""The receiver's counter pages: find the procedure without accents, receive through the
checklist, and a page that says what to fix when something is wrong."""

from __future__ import annotations

import re

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
