"""HTTP hygiene: body and nesting limits, 405 with Allow, a trusted-host list, and 500s that
name an incident rather than the exception; each request with a good token unless it says."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient

from tests.cast import cast_from
from tests.identities import AsStaff, Tokens
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.web import MAX_BODY, create_app


@pytest.fixture
def anonymous(services: Services) -> FlaskClient:
    return create_app(services, {"TESTING": True}).test_client()


@pytest.fixture
def client(services: Services, custody: CustodyApplication, anonymous: FlaskClient) -> AsStaff:
    """A receiver's token on every request, issued before the test runs."""
    tokens = Tokens(services)
    receiver = cast_from(custody.province()).receiver
    tokens.token(receiver)
    return AsStaff(anonymous, tokens, receiver)


def test_a_body_over_the_limit_gets_413_json(client: AsStaff, anonymous: FlaskClient) -> None:
    too_large = b"{" + b" " * MAX_BODY + b"}"
    response = client.post("/api/v1/dossiers", data=too_large, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"
    # AND without a token the body is not read: 401 comes first
    assert anonymous.post("/api/v1/dossiers", data=too_large,
                          content_type="application/json").status_code == 401


def test_deep_json_gets_400_json(client: AsStaff) -> None:
    response = client.post("/api/v1/dossiers", data=b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
                           content_type="application/json")
    assert response.status_code == 400
    assert "not valid JSON" in response.get_json()["message"]


def test_a_wrong_method_gets_405_with_allow(client: AsStaff) -> None:
    response = client.get("/api/v1/dossiers")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert response.get_json()["error"] == "method_not_allowed"
    history = client.post("/api/v1/dossiers/000.21.11.H40-260310-0001/history", json={})
    assert history.status_code == 405
    assert "POST" not in history.headers["Allow"]


@pytest.mark.parametrize("host", ["evil.example", "attacker.test:8080", "127.0.0.2"])
def test_an_unknown_host_gets_400(client: AsStaff, host: str) -> None:
    """A page elsewhere that rebinds its DNS name to 127.0.0.1 reaches the server with its
    own name in Host: refused before any route runs."""
    response = client.get("/api/v1/offices", headers={"Host": host})
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"
    assert client.get("/api/v1/offices", headers={"Host": "127.0.0.1:8080"}).status_code == 200


def test_an_unexpected_failure_names_an_incident_not_the_exception(
        client: AsStaff, custody: CustodyApplication, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise RuntimeError("password=hunter2 at db.internal")

    monkeypatch.setattr(custody, "province", broken)
    with caplog.at_level(logging.ERROR, logger="hoso.web"):
        response = client.get("/api/v1/offices")
    assert response.status_code == 500
    answer = response.get_json()
    assert "hunter2" not in response.get_data(as_text=True)
    assert answer["error"] == "internal"
    assert answer["incident"] in answer["message"]
    assert answer["incident"] in caplog.text
