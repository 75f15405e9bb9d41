"""Signing in to the pages: sessions, their end, CSRF on every form, and the lockout."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import ManualClock
from tests.identities import Tokens
from tracker.bootstrap import Services
from tracker.identity.accounts import Accounts
from tracker.web import create_app

STAFF = "hnm-rcv-001"
PASSWORD = "mật khẩu đủ dài 2026"


@pytest.fixture
def client(services: Services) -> FlaskClient:
    services.accounts().set_password(STAFF, PASSWORD, "tests")
    return create_app(services, {"TESTING": True}).test_client()


def csrf(client: FlaskClient, path: str = "/sign-in") -> str:
    """The session's CSRF token, as a form on ``path`` carries it (the home page's sign-out
    form when ``path`` sends a signed-in visitor there)."""
    page = client.get(path, follow_redirects=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def sign_in(client: FlaskClient, staff: str = STAFF, password: str = PASSWORD,
            **extra: str) -> TestResponse:
    return client.post("/sign-in", data={"staff": staff, "password": password,
                                         "csrf_token": csrf(client), **extra})


def signed_in(client: FlaskClient) -> bool:
    page = client.get("/")
    return page.status_code == 200 and "Xin chào" in page.text


def test_sign_in_shows_the_home_page_and_sign_out_ends_it(client: FlaskClient) -> None:
    assert client.get("/").headers["Location"] == "/sign-in?next=/"
    answer = sign_in(client)
    assert answer.status_code == 302
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    home = client.get("/")
    assert "Nguyễn Thị Lan" in home.text
    assert "Nhân viên tiếp nhận" in home.text
    token = csrf(client, "/")
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert not signed_in(client)
    assert "Bạn đã đăng xuất" in client.get("/sign-in?ended=out").text


def test_a_wrong_password_or_unknown_staff_gets_the_same_refusal(client: FlaskClient) -> None:
    wrong = sign_in(client, password="not the password")
    unknown = sign_in(client, staff="nobody-here")
    assert wrong.status_code == unknown.status_code == 401
    assert "Sai mã cán bộ hoặc mật khẩu" in wrong.text
    assert "Sai mã cán bộ" in unknown.text
    assert not signed_in(client)


def test_after_sign_in_only_a_path_on_this_site_is_followed(client: FlaskClient) -> None:
    assert sign_in(client, next="/password").headers["Location"] == "/password"
    client.post("/sign-out", data={"csrf_token": csrf(client, "/")})
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        assert sign_in(client, next=target).headers["Location"] == "/"
        client.post("/sign-out", data={"csrf_token": csrf(client, "/")})


def test_the_session_ends_after_the_idle_timeout(client: FlaskClient, clock: ManualClock
                                                ) -> None:
    sign_in(client)
    clock.advance(minutes=25)
    assert signed_in(client)  # a request keeps it alive
    clock.advance(minutes=25)
    assert signed_in(client)
    clock.advance(minutes=31)
    answer = client.get("/")
    assert answer.status_code == 302
    assert "ended=idle" in answer.headers["Location"]
    assert not signed_in(client)  # the cookie was cleared, not just refused once


def test_a_session_ends_after_twelve_hours_however_busy(client: FlaskClient,
                                                        clock: ManualClock) -> None:
    sign_in(client)
    for _ in range(24):
        clock.advance(minutes=29)
        assert signed_in(client)
    clock.advance(minutes=29)
    assert not signed_in(client)


def test_a_form_posted_without_its_csrf_token_is_refused(client: FlaskClient) -> None:
    refused = client.post("/sign-in", data={"staff": STAFF, "password": PASSWORD})
    assert refused.status_code == 400
    assert "Biểu mẫu đã hết hạn" in refused.text
    assert not signed_in(client)
    sign_in(client)
    assert client.post("/sign-out").status_code == 400
    assert client.post("/sign-out", data={"csrf_token": "forged"}).status_code == 400
    assert signed_in(client)


def test_repeated_failures_lock_the_account_for_a_while(client: FlaskClient) -> None:
    for _ in range(5):
        assert sign_in(client, password="guess guess guess").status_code == 401
    locked = sign_in(client)  # even the right password, until the window passes
    assert locked.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in locked.text
    assert int(locked.headers["Retry-After"]) > 0
    assert not signed_in(client)
    other = "hnm-rcv-002"
    client.application.extensions["services"].accounts().set_password(other, PASSWORD, "t")
    assert sign_in(client, staff=other).status_code == 302  # only that account is locked


def test_failures_from_one_address_are_limited_across_accounts(client: FlaskClient) -> None:
    for number in range(20):
        assert sign_in(client, staff=f"guess-{number}", password="x" * 12).status_code == 401
    assert sign_in(client).status_code == 429


def test_disabling_ends_sessions_and_tokens_at_once(client: FlaskClient,
                                                    services: Services) -> None:
    sign_in(client)
    header = Tokens(services).header(STAFF)
    assert client.get("/api/v1/offices", headers=header).status_code == 200
    services.accounts().disable(STAFF, "tests")
    answer = client.get("/")
    assert answer.status_code == 302
    assert "ended=changed" in answer.headers["Location"]
    assert client.get("/api/v1/offices", headers=header).status_code == 401
    assert sign_in(client).status_code == 401
    services.accounts().enable(STAFF, "tests")
    assert sign_in(client).status_code == 302


def test_a_token_revoked_elsewhere_is_refused_on_its_next_request(
        client: FlaskClient, services: Services) -> None:
    """GIVEN a token the server has checked (its account now kept in memory) WHEN another
    process's accounts revoke it THEN its very next request is refused, and a token issued
    after that is accepted."""
    tokens = Tokens(services)
    header = tokens.header(STAFF)
    assert client.get("/api/v1/offices", headers=header).status_code == 200
    elsewhere = Accounts(services.application())
    token_id = header["Authorization"].removeprefix("Bearer ").rsplit(".", 1)[0]
    elsewhere.revoke_token(token_id, "tests")
    assert client.get("/api/v1/offices", headers=header).status_code == 401
    _, fresh = elsewhere.issue_token(STAFF, "api", "tests")
    assert client.get("/api/v1/offices",
                      headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_a_staff_member_marked_inactive_in_the_province_file_is_refused(
        client: FlaskClient, services: Services, demo_document: dict) -> None:
    sign_in(client)
    header = Tokens(services).header(STAFF)
    staff = [dict(s, active=False) if s["id"] == STAFF else s for s in demo_document["staff"]]
    services.application().load_province({**demo_document, "staff": staff})
    assert not signed_in(client)
    assert client.get("/api/v1/offices", headers=header).status_code == 401


def test_changing_ones_password_ends_the_other_sessions(services: Services,
                                                        client: FlaskClient) -> None:
    other = create_app(services, {"TESTING": True}).test_client()
    sign_in(client)
    sign_in(other)
    new = "một mật khẩu mới hơn"
    changed = client.post("/password", data={"current": PASSWORD, "new": new, "confirm": new,
                                             "csrf_token": csrf(client, "/password")})
    assert changed.status_code == 200
    assert "Đã đổi mật khẩu" in changed.text
    assert signed_in(client)
    assert not signed_in(other)
    assert sign_in(other, password=new).status_code == 302


def test_a_bad_password_change_says_what_to_fix(client: FlaskClient) -> None:
    sign_in(client)
    token = csrf(client, "/password")
    mismatch = client.post("/password", data={"current": PASSWORD, "new": "a" * 12,
                                              "confirm": "b" * 12, "csrf_token": token})
    assert mismatch.status_code == 400
    assert "không khớp" in mismatch.text
    short = client.post("/password", data={"current": PASSWORD, "new": "short",
                                           "confirm": "short", "csrf_token": token})
    assert short.status_code == 400
    assert "từ 12 ký tự" in short.text
    wrong = client.post("/password", data={"current": "not it at all", "new": "x1y2z3w4v5u6",
                                           "confirm": "x1y2z3w4v5u6", "csrf_token": token})
    assert wrong.status_code == 401
    assert sign_in(client, password=PASSWORD).status_code == 302
