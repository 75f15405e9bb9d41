"""The admin role manages accounts and tokens over the API; nobody else can."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.identities import Tokens
from tracker.bootstrap import Services
from tracker.web import create_app

ADMIN = "hnm-adm-001"


@pytest.fixture
def client(services: Services) -> FlaskClient:
    return create_app(services, {"TESTING": True}).test_client()


def test_an_admin_issues_lists_and_revokes_a_token(client: FlaskClient,
                                                   services: Services) -> None:
    admin = Tokens(services).header(ADMIN)
    made = client.post("/api/v1/tokens", headers=admin,
                       json={"staff": "hnm-opr-001", "kind": "station", "station": "st-1",
                             "expires_days": 30})
    assert made.status_code == 201, made.get_json()
    token = made.get_json()["token"]
    station = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/station/dossiers/x", headers=station).status_code == 200
    rows = client.get("/api/v1/tokens?staff=hnm-opr-001", headers=admin).get_json()
    assert [(r["id"], r["kind"], r["station"], r["state"]) for r in rows] == [
        (made.get_json()["id"], "station", "st-1", "live")]
    assert token not in str(rows)  # listed without its secret
    revoked = client.post(f"/api/v1/tokens/{made.get_json()['id']}/revoke", headers=admin)
    assert revoked.get_json() == {"id": made.get_json()["id"], "state": "revoked"}
    assert client.get("/api/v1/station/dossiers/x", headers=station).status_code == 401


def test_an_admin_sets_a_password_and_disables_an_account(client: FlaskClient,
                                                          services: Services) -> None:
    tokens = Tokens(services)
    admin, official = tokens.header(ADMIN), tokens.header("hnm-off-001")
    weak = client.post("/api/v1/accounts/hnm-off-001/password", headers=admin,
                       json={"password": "short"})
    assert weak.status_code == 400
    assert "short" not in weak.get_data(as_text=True)  # a refusal never echoes a secret
    assert client.post("/api/v1/accounts/hnm-off-001/password", headers=admin,
                       json={"password": "một mật khẩu đủ dài"}).status_code == 200
    assert client.post("/api/v1/accounts/hnm-off-001/disable", headers=admin).status_code == 200
    assert client.get("/api/v1/offices", headers=official).status_code == 401
    rows = {r["staff"]: r for r in client.get("/api/v1/accounts", headers=admin).get_json()}
    assert rows["hnm-off-001"]["enabled"] is False
    assert rows["hnm-off-001"]["has_password"] is True
    assert client.post("/api/v1/accounts/hnm-off-001/enable", headers=admin).status_code == 200
    assert client.get("/api/v1/offices", headers=official).status_code == 200


@pytest.mark.parametrize("staff", ["hnm-sup-001", "hnm-ins-001", "hnm-rcv-001"])
def test_no_other_role_manages_accounts(client: FlaskClient, services: Services,
                                        staff: str) -> None:
    header = Tokens(services).header(staff)
    assert client.get("/api/v1/accounts", headers=header).status_code == 403
    assert client.post("/api/v1/tokens", headers=header,
                       json={"staff": staff}).status_code == 403
    assert client.get("/api/v1/tokens").status_code == 401
