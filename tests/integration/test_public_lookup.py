"""The citizen's status lookup: four answers, nothing personal, one 404 for every wrong guess,
and the rate limits that make guessing the digits slow."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_limiter.util import get_qualified_name
from werkzeug.test import TestResponse

from tests.cast import Cast
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.commands.answers import Error, PublicStatus
from tracker.web import create_app
from tracker.web.limits import LIMITED_BLUEPRINTS, limiter
from tracker.web.openapi import spec

NAME, ID_NUMBER, PHONE = "Nguyễn Thị Lan", "036188004321", "+84 912.345.678"
BY_ID, BY_PHONE = "4321", "5678"
PER_ADDRESS, PER_CODE = 30, 10


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app(services, {"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def receive(custody: CustodyApplication, c: Cast, phone: str | None = PHONE) -> str:
    code: str = custody.receive(office=c.commune, procedure=c.procedure.code,
                                applicant_name=NAME, applicant_id=ID_NUMBER, actor=c.receiver,
                                components=c.components, phone=phone)["code"]
    return code


@pytest.fixture
def code(custody: CustodyApplication, cast: Cast) -> str:
    return receive(custody, cast)


def lookup(client: FlaskClient, code: str | None, digits: str | None,
           address: str = "198.51.100.7") -> TestResponse:
    query = {k: v for k, v in (("code", code), ("digits", digits)) if v is not None}
    return client.get("/api/v1/public/status", query_string=query,
                      environ_base={"REMOTE_ADDR": address})


def office_name(custody: CustodyApplication, office: str) -> str:
    return custody.province().office(office).name


def test_the_last_four_of_the_id_number_give_the_four_public_fields(
        client: FlaskClient, custody: CustodyApplication, cast: Cast, code: str) -> None:
    """GIVEN a dossier just received at a commune one-stop shop
    WHEN a citizen asks with its code and the last four digits of the applicant's ID number
    THEN the answer is exactly its code, stage, due date and the office's name."""
    answer = lookup(client, code, BY_ID)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert set(body) == {"code", "stage", "due", "office"}
    PublicStatus.model_validate(body)
    status = custody.status(code)
    assert body == {"code": code, "stage": "in_progress", "due": status["due"],
                    "office": office_name(custody, cast.commune)}


def test_the_last_four_of_the_phone_count_its_digits_only(
        client: FlaskClient, code: str) -> None:
    """GIVEN a dossier whose phone was written '+84 912.345.678'
    WHEN a citizen asks with 5678
    THEN the answer is the dossier's status."""
    answer = lookup(client, code, BY_PHONE)
    assert answer.status_code == 200
    assert answer.get_json()["code"] == code


def test_in_transit_the_office_shown_is_the_one_it_is_bound_for(
        client: FlaskClient, custody: CustodyApplication, cast: Cast, code: str) -> None:
    """GIVEN a dossier handed to a courier for the resolving agency
    WHEN a citizen looks it up
    THEN the office is the agency's name, not the courier nor an empty office."""
    custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier)
    assert lookup(client, code, BY_ID).get_json()["office"] == office_name(custody, cast.agency)
    custody.accept(code, cast.official, cast.agency)
    custody.resolve(code, cast.official)
    assert lookup(client, code, BY_ID).get_json()["stage"] == "resolved"


def test_a_dossier_without_a_phone_matches_on_its_id_number_only(
        client: FlaskClient, custody: CustodyApplication, cast: Cast) -> None:
    """GIVEN a dossier received without a phone
    THEN its ID number's last four find it, and no other four digits do."""
    code = receive(custody, cast, phone=None)
    assert lookup(client, code, BY_ID).status_code == 200
    for digits in (BY_PHONE, "0000", "9999"):
        assert lookup(client, code, digits).status_code == 404


def test_wrong_digits_and_wrong_codes_get_the_same_answer(
        client: FlaskClient, code: str) -> None:
    """GIVEN a dossier
    WHEN it is asked for with wrong digits, and other codes are asked for with its right
    digits: unknown, malformed, for a day that never was, with its number zero
    THEN every answer is the same 404, byte for byte, in the API's error shape."""
    wrong = [(code, "0000"), (code, "1234"), (code[:-4] + "9999", BY_ID),
             ("no-such-code", BY_ID), ("000.21.11.H40-261131-0001", BY_ID),
             (code[:-4] + "0000", BY_PHONE), (code.lower(), BY_ID)]
    answers = [lookup(client, c, d) for c, d in wrong]
    assert {a.status_code for a in answers} == {404}
    assert len({a.data for a in answers}) == 1
    assert len({a.headers["Content-Type"] for a in answers}) == 1
    assert len({tuple(sorted(a.headers.keys())) for a in answers}) == 1
    assert Error.model_validate(answers[0].get_json()).error == "not_found"


@pytest.mark.parametrize(("query", "field"), [
    ({"digits": BY_ID}, "code"),
    ({"code": "   ", "digits": BY_ID}, "code"),
    ({"code": "X" * 101, "digits": BY_ID}, "code"),
    ({"code": "CODE"}, "digits"),
    ({"code": "CODE", "digits": "432"}, "digits"),
    ({"code": "CODE", "digits": "04321"}, "digits"),
    ({"code": "CODE", "digits": "43a1"}, "digits"),
    ({"code": "CODE", "digits": "٤٣٢١"}, "digits"),     # Arabic-Indic digits
    ({"code": "CODE", "digits": "４３２１"}, "digits"),  # full-width digits
    ({"code": "CODE", "digits": " 4321"}, "digits"),
])
def test_malformed_input_is_400_naming_the_field_not_the_value(
        client: FlaskClient, query: dict[str, str], field: str) -> None:
    """GIVEN a request without a code, or whose digits are not four ASCII digits
    THEN it is 400 naming the field, and the answer repeats nothing that was sent."""
    answer = client.get("/api/v1/public/status", query_string=query)
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["error"] == "bad_input"
    assert repr(field) in body["message"]
    for value in query.values():
        if value.strip():
            assert value.strip() not in body["message"]


def test_malformed_requests_do_not_spend_the_limits(client: FlaskClient, code: str) -> None:
    """GIVEN more malformed requests from one address than its hourly limit
    THEN they are all 400, and a good lookup from there still answers."""
    for _ in range(PER_ADDRESS + 5):
        assert lookup(client, code, "12").status_code == 400
    assert lookup(client, code, BY_ID).status_code == 200


def test_one_address_is_refused_after_its_hourly_lookups(
        client: FlaskClient, code: str) -> None:
    """GIVEN one address that has made its 30 lookups this hour, of 30 different codes
    WHEN it asks once more, even with the right digits
    THEN it is 429 in the API's error shape with Retry-After, and another address is not."""
    for n in range(PER_ADDRESS):
        assert lookup(client, f"{code[:-4]}{n + 100:04d}", BY_ID).status_code == 404
    refused = lookup(client, code, BY_ID)
    assert refused.status_code == 429
    assert_limited(refused, "address")
    assert lookup(client, code, BY_ID, address="192.0.2.1").status_code == 200


def test_one_code_is_refused_after_its_hourly_lookups_from_any_address(
        client: FlaskClient, code: str) -> None:
    """GIVEN one code looked up 10 times this hour, each time from another address
    WHEN an eleventh address asks for it, with the right digits
    THEN it is 429, while that address may still look up another code."""
    addresses = (f"203.0.113.{n}" for n in itertools.count(1))
    for _ in range(PER_CODE):
        assert lookup(client, code, "0000", next(addresses)).status_code == 404
    fresh = next(addresses)
    refused = lookup(client, code, BY_ID, fresh)
    assert refused.status_code == 429
    assert_limited(refused, "code")
    assert lookup(client, code[:-4] + "9999", BY_ID, fresh).status_code == 404


def test_an_ipv6_client_is_counted_by_its_64_network(client: FlaskClient, code: str) -> None:
    """GIVEN one IPv6 /64 that has made its lookups, from a different address each time
    THEN another address in it is refused and an address in the next /64 is not."""
    for n in range(PER_ADDRESS):
        assert lookup(client, f"{code[:-4]}{n + 100:04d}", BY_ID,
                      f"2001:db8:0:1::{n + 1:x}").status_code == 404
    assert lookup(client, code, BY_ID, "2001:db8:0:1:ffff::1").status_code == 429
    assert lookup(client, code, BY_ID, "2001:db8:0:2::1").status_code == 200


def test_the_limits_are_off_only_when_the_app_config_says_so(
        services: Services, code: str) -> None:
    """GIVEN an app made with RATELIMIT_ENABLED False
    THEN one address may look up more than its hourly limit;
    and an app made after it without that setting limits again."""
    unlimited = create_app(services, {"TESTING": True, "RATELIMIT_ENABLED": False})
    free = unlimited.test_client()
    assert all(lookup(free, code, BY_ID).status_code == 200 for _ in range(PER_ADDRESS + 1))
    limited = create_app(services, {"TESTING": True}).test_client()
    answers = [lookup(limited, code, BY_ID).status_code for _ in range(PER_CODE + 1)]
    assert answers == [200] * PER_CODE + [429]


def test_no_answer_carries_anything_personal(
        client: FlaskClient, custody: CustodyApplication, cast: Cast, code: str) -> None:
    """GIVEN a dossier with the applicant's name, ID number and phone
    WHEN it is looked up every way: right, wrong, malformed, and until refused
    THEN none of them, nor their digits, appears in any answer's headers or body."""
    custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier)
    answers = [lookup(client, code, BY_ID), lookup(client, code, BY_PHONE),
               lookup(client, code, "0000"), lookup(client, "nope", BY_ID),
               lookup(client, code, "43210"), lookup(client, None, BY_ID)]
    answers += [lookup(client, code, BY_ID) for _ in range(PER_CODE)]
    assert {a.status_code for a in answers} == {200, 400, 404, 429}
    secrets = [NAME, ID_NUMBER, PHONE, "912345678", "912 345", "912.345"]
    for answer in answers:
        raw = everything(answer)
        for secret in secrets:
            assert secret.encode() not in raw, (answer.status_code, secret)
            assert secret.encode("unicode_escape") not in raw
        assert cast.courier.encode() not in raw


def test_the_api_document_describes_the_lookup_without_a_token() -> None:
    """The document lists the lookup with no security, its two query parameters and its
    200, 400, 404 and 429 answers, the 200 holding exactly the four public fields."""
    operation = spec()["paths"]["/public/status"]["get"]
    assert operation["security"] == []
    assert {p["name"] for p in operation["parameters"]} == {"code", "digits"}
    assert set(operation["responses"]) == {"200", "400", "404", "429"}
    schema = spec()["components"]["schemas"]["PublicStatus"]
    assert set(schema["properties"]) == {"code", "stage", "due", "office"}
    assert operation["responses"]["429"]["headers"]["Retry-After"]["required"] is True


def assert_limited(answer: TestResponse, which: str) -> None:
    body: dict[str, Any] = answer.get_json()
    Error.model_validate(body)
    assert body["error"] == "too_many_requests"
    assert which in body["message"]
    assert 0 < int(answer.headers["Retry-After"]) <= 3600


def everything(answer: TestResponse) -> bytes:
    headers = "".join(f"{k}: {v}\n" for k, v in answer.headers.items())
    return headers.encode() + answer.data


def test_every_limited_route_is_in_a_blueprint_the_limiter_checks(app: Flask) -> None:
    """The limiter skips requests to blueprints outside LIMITED_BLUEPRINTS: a limit declared on
    a route anywhere else would never be applied."""
    marked = limiter._marked_for_limiting  # the view functions that declared a limit
    limited = {endpoint.split(".")[0] for endpoint, view in app.view_functions.items()
               if get_qualified_name(view) in marked}
    assert limited == LIMITED_BLUEPRINTS
