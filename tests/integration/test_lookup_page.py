"""The citizens' lookup page: the code and four digits show the stage, the due date and the
steps by office name, never a staff member; it spends the same limits as the API lookup."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.districts import AGENCY, APPLICANT, HOME, HOME_STAFF, PROCEDURE
from tracker.bootstrap import Services
from tracker.web import create_app


@pytest.fixture
def code(services: Services) -> str:
    custody = services.application()
    code: str = custody.receive(office=HOME, procedure=PROCEDURE, actor=HOME_STAFF["receiver"],
                                accept_incomplete=True, **APPLICANT)["code"]
    custody.hand_over(code, HOME_STAFF["receiver"], AGENCY, courier=HOME_STAFF["courier"])
    return code


@pytest.fixture
def client(services: Services) -> FlaskClient:
    return create_app(services, {"TESTING": True}).test_client()


def test_the_right_digits_show_the_steps_by_office_and_nobody(client: FlaskClient, code: str,
                                                              services: Services) -> None:
    page = client.get(f"/lookup?code={code}&digits={APPLICANT['phone'][-4:]}")
    assert page.status_code == 200
    assert "Đang xử lý" in page.text  # the stage, in Vietnamese
    province = services.application().province()
    assert province.offices[HOME].name in page.text
    assert province.offices[AGENCY].name in page.text
    assert "Chuyển hồ sơ" in page.text
    for secret in (*HOME_STAFF.values(), APPLICANT["applicant_name"],
                   APPLICANT["applicant_id"], APPLICANT["phone"],
                   *(province.staff[s].name for s in HOME_STAFF.values())):
        assert secret not in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_wrong_digits_and_an_unknown_code_are_turned_away_alike(client: FlaskClient,
                                                                code: str) -> None:
    wrong = client.get(f"/lookup?code={code}&digits=0000")
    unknown = client.get(f"/lookup?code={code[:-1]}9&digits={APPLICANT['phone'][-4:]}")
    assert wrong.status_code == unknown.status_code == 404
    assert "Không tìm thấy hồ sơ" in wrong.text
    assert "Đang xử lý" not in wrong.text


def test_the_receipt_qr_opens_the_form_with_the_code(client: FlaskClient, code: str) -> None:
    page = client.get(f"/lookup?code={code}")
    assert page.status_code == 200
    assert f'value="{code}"' in page.text
    assert client.get(f"/lookup?code={code}&digits=12a4").status_code == 400


def test_the_page_and_the_api_share_one_budget_per_code(client: FlaskClient, code: str
                                                        ) -> None:
    for number in range(5):
        assert client.get(f"/lookup?code={code}&digits=00{number:02d}",
                          environ_base={"REMOTE_ADDR": f"10.0.0.{number}"}).status_code == 404
    for number in range(5, 10):
        assert client.get(f"/api/v1/public/status?code={code}&digits=00{number:02d}",
                          environ_base={"REMOTE_ADDR": f"10.0.0.{number}"}).status_code == 404
    refused = client.get(f"/lookup?code={code}&digits=1234",
                         environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert refused.status_code == 429
    assert "Tra cứu quá nhiều lần" in refused.text
