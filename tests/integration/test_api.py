"""The JSON API: the same commands as the CLI, and errors as 4xx JSON that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.cast import Cast
from tests.conftest import ManualClock
from tests.identities import ENGLISH, AsStaff, Tokens
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.web import create_app


@pytest.fixture
def tokens(services: Services) -> Tokens:
    return Tokens(services)


@pytest.fixture
def anonymous(services: Services) -> FlaskClient:
    return create_app(services, {"TESTING": True}).test_client()


@pytest.fixture
def client(anonymous: FlaskClient, tokens: Tokens, cast: Cast) -> AsStaff:
    """Each request with the token of the staff member its body names (the receiver else)."""
    return AsStaff(anonymous, tokens, cast.receiver)


def receipt(c: Cast, **change: Any) -> dict[str, Any]:
    return {"office": c.commune, "procedure": c.procedure.code, "applicant_name": "Đỗ Văn Bình",
            "applicant_id": "036088001122", "actor": c.receiver, "components": c.components,
            **change}


def post(client: AsStaff, path: str, body: Any, status: int = 200) -> Any:
    response = client.post(f"/api/v1{path}", json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_scenario_over_http(client: AsStaff, cast: Cast, clock: ManualClock) -> None:
    c = cast
    code = post(client, "/dossiers", receipt(c), 201)["code"]
    post(client, f"/dossiers/{code}/handover",
         {"by": c.receiver, "courier": c.courier, "to_office": c.agency})
    clock.advance(hours=3)
    post(client, f"/dossiers/{code}/accept", {"by": c.official, "office": c.agency})
    post(client, f"/dossiers/{code}/request-supplement", {"by": c.official, "reason": "thiếu"})
    clock.advance(days=1)
    post(client, f"/dossiers/{code}/supplement-received", {"by": c.official})
    post(client, f"/dossiers/{code}/reschedule",
         {"by": c.official, "to": "2026-12-31", "reason": "cần xác minh thêm"})
    resolved = post(client, f"/dossiers/{code}/resolve", {"by": c.official})
    assert resolved["timeliness"] == "early"
    status = client.get(f"/api/v1/dossiers/{code}").get_json()
    assert status["stage"] == "resolved"
    assert status["due"] == "2026-12-31"
    assert status["custodian"] == c.official
    history = client.get(f"/api/v1/dossiers/{code}/history").get_json()
    assert [e["type"] for e in history] == [
        "Received", "HandedOver", "Accepted", "SupplementRequested", "SupplementReceived",
        "Rescheduled", "Resolved"]
    # as_of in local time without an offset: 09:00 +07 was the receipt, 10:00 before acceptance
    then = client.get(f"/api/v1/dossiers/{code}/history?as_of=2026-03-10T10:00").get_json()
    assert [e["type"] for e in then] == ["Received", "HandedOver"]


@pytest.mark.parametrize(("path", "body", "status", "error", "message"), [
    ("/dossiers", ["not", "an", "object"], 400, "bad_input",
     "the request body must be a JSON object"),
    ("/dossiers", {"office": "x"}, 400, "bad_input", "'procedure' is required"),
    ("/dossiers", "RECEIPT:procedure=9.999999", 404, "not_found", "unknown procedure"),
    ("/dossiers", "RECEIPT:office=nowhere", 403, "forbidden", "outside the offices of"),
    ("/dossiers", "RECEIPT:applicant_name= ", 400, "bad_input",
     "'applicant_name' must be visible text: not blank"),
    ("/dossiers", "RECEIPT:components=[]", 409, "rule_violation", "complete-dossier"),
    ("/dossiers", "RECEIPT:actor=someone-else", 400, "bad_input",
     "'actor' is given by your token or sign-in, not the body"),
    ("/dossiers/garbage/resolve", {}, 400, "bad_input", "'code' must be a dossier code"),
    ("/dossiers/000.00.01.H40-260310-0001/return", {}, 404, "not_found", "unknown dossier"),
    ("/dossiers/000.00.01.H40-260310-0001/resolve", {}, 403, "forbidden",
     "the role receiver may not resolve"),
    ("/dossiers/000.00.01.H40-260310-0001/teleport", {}, 404, "not_found", "not found"),
    ("/dossiers/000.00.01.H40-260310-0001/collect-fee", {"amount": "lots"}, 400,
     "bad_input", "'amount' must be a whole number"),
])
def test_bad_requests_get_4xx_json_and_store_nothing(
        anonymous: FlaskClient, tokens: Tokens, custody: CustodyApplication, cast: Cast,
        path: str, body: Any, status: int, error: str, message: str) -> None:
    """Sent with the receiver's token; the body names nobody unless the case is about that."""
    if isinstance(body, str) and body.startswith("RECEIPT:"):
        key, value = body.removeprefix("RECEIPT:").split("=")
        body = {name: given for name, given in receipt(cast).items() if name != "actor"}
        body[key] = [] if value == "[]" else value
    headers = {**tokens.header(cast.receiver), **ENGLISH}  # issuing it records an event
    position = custody.recorder.max_notification_id()
    response = anonymous.post(f"/api/v1{path}", json=body, headers=headers)
    assert response.status_code == status
    answer = response.get_json()
    assert answer["error"] == error
    assert message in answer["message"]
    assert custody.recorder.max_notification_id() == position


def test_refused_transition_is_409_naming_the_rule(client: AsStaff, cast: Cast) -> None:
    code = post(client, "/dossiers", receipt(cast), 201)["code"]
    answer = post(client, f"/dossiers/{code}/accept", {"by": cast.receiver,
                                                       "office": cast.commune}, 409)
    assert answer == {"error": "rule_violation", "message": answer["message"],
                      "rule": "accept-in-transit"}
    assert "[rule: accept-in-transit]" in answer["message"]


def test_without_a_good_token_nothing_is_read_or_recorded(
        anonymous: FlaskClient, tokens: Tokens, custody: CustodyApplication, cast: Cast) -> None:
    """GIVEN no token, a malformed one, or a token with a wrong secret
    WHEN a dossier is received or a listing read
    THEN each answers 401 JSON with a Bearer challenge, and nothing is recorded."""
    good = tokens.token(cast.receiver)
    position = custody.recorder.max_notification_id()
    body = {name: given for name, given in receipt(cast).items() if name != "actor"}
    for headers in ({}, {"Authorization": "Basic eDp5"}, {"Authorization": "Bearer nonsense"},
                    {"Authorization": f"Bearer {good[:-4]}AAAA"}):
        for response in (anonymous.post("/api/v1/dossiers", json=body, headers=headers),
                         anonymous.get("/api/v1/offices", headers=headers)):
            assert response.status_code == 401, headers
            assert response.get_json()["error"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert custody.recorder.max_notification_id() == position


def test_acting_outside_ones_offices_is_403_and_records_nothing(
        client: AsStaff, tokens: Tokens, custody: CustodyApplication, cast: Cast) -> None:
    """GIVEN a dossier held at the commune
    WHEN an official of another office hands it over, or reads its status or history
    THEN each answers 403 JSON, and nothing is recorded."""
    code = post(client, "/dossiers", receipt(cast), 201)["code"]
    tokens.token(cast.stranger)  # issuing it records an event
    position = custody.recorder.max_notification_id()
    handover = post(client, f"/dossiers/{code}/handover",
                    {"by": cast.stranger, "courier": cast.courier, "to_office": cast.agency},
                    403)
    assert handover["error"] == "forbidden"
    for read in (f"/api/v1/dossiers/{code}", f"/api/v1/dossiers/{code}/history"):
        assert client.get(read, as_=cast.stranger).status_code == 403
    assert custody.recorder.max_notification_id() == position


def test_unknown_path_and_bad_as_of_are_json_too(client: AsStaff) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "not_found"
    bad = client.get("/api/v1/dossiers/000.00.01.H40-260310-0001/history?as_of=soon")
    assert bad.status_code == 400
    assert "'as_of': must be an ISO-8601" in bad.get_json()["message"]


def test_reference_listings_health_and_openapi(client: AsStaff) -> None:
    assert client.get("/healthz").get_json()["status"] == "ok"
    offices = client.get("/api/v1/offices").get_json()
    assert len(offices) >= 20
    assert {"code", "name", "level", "parent"} <= set(offices[0])
    assert client.get("/api/v1/staff").get_json()
    assert client.get("/api/v1/procedures").get_json()
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert "/dossiers/{code}/handover" in spec["paths"]
