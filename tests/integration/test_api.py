"""The JSON API: the same commands as the CLI, and errors as 4xx JSON that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.cast import Cast, cast_from
from tests.conftest import ManualClock
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.web import create_app


@pytest.fixture
def cast(custody: CustodyApplication) -> Cast:
    return cast_from(custody.province())


@pytest.fixture
def client(services: Services) -> FlaskClient:
    return create_app(services, {"TESTING": True}).test_client()


def receipt(c: Cast, **change: Any) -> dict[str, Any]:
    return {"office": c.commune, "procedure": c.procedure.code, "applicant_name": "Đỗ Văn Bình",
            "applicant_id": "036088001122", "actor": c.receiver, "components": c.components,
            **change}


def post(client: FlaskClient, path: str, body: Any, status: int = 200) -> Any:
    response = client.post(f"/api/v1{path}", json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_scenario_over_http(client: FlaskClient, cast: Cast, clock: ManualClock) -> None:
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
    ("/dossiers", "RECEIPT:office=nowhere", 404, "not_found", "unknown office 'nowhere'"),
    ("/dossiers", "RECEIPT:applicant_name= ", 400, "bad_input",
     "'applicant_name' must be visible text: not blank"),
    ("/dossiers", "RECEIPT:components=[]", 409, "rule_violation", "complete-dossier"),
    ("/dossiers/garbage/resolve", {"by": "x"}, 400, "bad_input",
     "'code' must be a dossier code"),
    ("/dossiers/000.00.01.H40-260310-0001/resolve", {"by": "x"}, 404, "not_found",
     "unknown dossier"),
    ("/dossiers/000.00.01.H40-260310-0001/teleport", {"by": "x"}, 404, "not_found",
     "not found"),
    ("/dossiers/000.00.01.H40-260310-0001/collect-fee", {"by": "x", "amount": "lots"}, 400,
     "bad_input", "'amount' must be a whole number"),
])
def test_bad_requests_get_4xx_json_and_store_nothing(
        client: FlaskClient, custody: CustodyApplication, cast: Cast, path: str, body: Any,
        status: int, error: str, message: str) -> None:
    if isinstance(body, str) and body.startswith("RECEIPT:"):
        key, value = body.removeprefix("RECEIPT:").split("=")
        body = receipt(cast, **{key: [] if value == "[]" else value})
    position = custody.recorder.max_notification_id()
    response = client.post(f"/api/v1{path}", json=body)
    assert response.status_code == status
    answer = response.get_json()
    assert answer["error"] == error
    assert message in answer["message"]
    assert custody.recorder.max_notification_id() == position


def test_refused_transition_is_409_naming_the_rule(client: FlaskClient, cast: Cast) -> None:
    code = post(client, "/dossiers", receipt(cast), 201)["code"]
    answer = post(client, f"/dossiers/{code}/accept", {"by": cast.official,
                                                       "office": cast.agency}, 409)
    assert answer == {"error": "rule_violation", "message": answer["message"]}
    assert "[rule: accept-in-transit]" in answer["message"]


def test_unknown_path_and_bad_as_of_are_json_too(client: FlaskClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "not_found"
    bad = client.get("/api/v1/dossiers/000.00.01.H40-260310-0001/history?as_of=soon")
    assert bad.status_code == 400
    assert "'as_of': must be an ISO-8601" in bad.get_json()["message"]


def test_reference_listings_health_and_openapi(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json()["status"] == "ok"
    offices = client.get("/api/v1/offices").get_json()
    assert len(offices) >= 20
    assert {"code", "name", "level", "parent"} <= set(offices[0])
    assert client.get("/api/v1/staff").get_json()
    assert client.get("/api/v1/procedures").get_json()
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert "/dossiers/{code}/handover" in spec["paths"]
