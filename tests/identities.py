"""Credentials for API tests: a token per staff member, made through the real accounts.

``Tokens.header(staff)`` is the ``Authorization`` header of an ``api`` token for ``staff``
(a ``station`` or ``handheld`` one when asked). ``AsStaff`` wraps a Flask test client so a test
can still say who acts the way a person would: the body's ``by`` (or ``actor``) names them,
and the client sends that person's token instead, with the field taken out of the body, as the
API requires. It asks for English messages (``Accept-Language: en``), which the tests read;
``test_languages`` checks the Vietnamese the API answers by default.
"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tracker.bootstrap import Services

ENGLISH = {"Accept-Language": "en"}


class Tokens:
    def __init__(self, services: Services) -> None:
        self.accounts = services.accounts()
        self._made: dict[tuple[str, str, str | None], str] = {}

    def token(self, staff: str, kind: str = "api", station: str | None = None) -> str:
        key = (staff, kind, station)
        if key not in self._made:
            _, self._made[key] = self.accounts.issue_token(staff, kind, "tests", station)
        return self._made[key]

    def header(self, staff: str, kind: str = "api", station: str | None = None
               ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(staff, kind, station)}"}


class AsStaff:
    """A test client acting as whoever each request names (``as_=`` or the body's actor)."""

    def __init__(self, client: FlaskClient, tokens: Tokens, default: str) -> None:
        self.client = client
        self.tokens = tokens
        self.default = default

    def post(self, path: str, json: Any = None, as_: str | None = None,
             headers: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
        who = as_ or self.default
        if isinstance(json, dict):
            json = dict(json)
            who = as_ or json.pop("by", None) or json.pop("actor", None) or who
        return self.client.post(path, json=json, headers={**self.tokens.header(who), **ENGLISH,
                                                          **(headers or {})}, **kwargs)

    def get(self, path: str, as_: str | None = None, headers: dict[str, str] | None = None,
            **kwargs: Any) -> TestResponse:
        return self.client.get(path, headers={**self.tokens.header(as_ or self.default),
                                              **ENGLISH, **(headers or {})}, **kwargs)
