"""The boundary drill: every POST, every field, the values an attacker or a broken client sends.

Each is sent with a good token and must answer 4xx JSON and record nothing; afterwards another
dossier's status, the queues, the report and a rebuild of the views still answer as before.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cast import Cast, cast_from
from tests.hoso_cli import Hoso
from tests.identities import AsStaff, Tokens
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.commands.dossiers import DOSSIER_COMMANDS, Command, Receive
from tracker.web import create_app

LONE_SURROGATE = object()  # stands for "\ud800", which only raw JSON text can carry
VALUES: list[Any] = [2**63, -1, "9999-12-31", "a\x00b", LONE_SURROGATE, {}, [], True, 1.5,
                     ["\x00"]]
TEN_MB = "x" * (10 * 1024 * 1024)


def encode(body: dict[str, Any]) -> bytes:
    text = json.dumps(body, ensure_ascii=True)
    return text.replace(json.dumps("LONE-SURROGATE"), '"\\ud800"').encode()


def base_body(model: type[Command], c: Cast) -> dict[str, Any]:
    """A body that names nobody: the actor is whoever the token belongs to."""
    if model is Receive:
        return {"office": c.commune, "procedure": c.procedure.code, "applicant_name": "Ngô Thị Hà",
                "applicant_id": "036088001122", "components": c.components}
    return {}


def fields(model: type[Command]) -> list[str]:
    """Every field but the path's: the actor's too, which a body may not name at all."""
    return [name for name in model.model_fields if name != "code"]


@pytest.fixture
def client(services: Services, custody: CustodyApplication) -> AsStaff:
    """The receiver's token unless a request names another staff member."""
    c = cast_from(custody.province())
    return AsStaff(create_app(services, {"TESTING": True}).test_client(), Tokens(services),
                   c.receiver)


def answers_4xx_and_records_nothing(client: AsStaff, custody: CustodyApplication,
                                    path: str, data: bytes) -> None:
    before = custody.recorder.max_notification_id()
    response = client.post(path, data=data, content_type="application/json")
    assert 400 <= response.status_code < 500, (path, data[:200], response.status_code)
    answer = response.get_json()
    assert set(answer) >= {"error", "message"}, answer
    assert custody.recorder.max_notification_id() == before


def test_boundary_values_are_refused_and_break_nothing(
        client: AsStaff, custody: CustodyApplication, store_env: dict[str, str]) -> None:
    """GIVEN two dossiers, one of them the target of every command
    WHEN every POST is sent each boundary value in each field, a 10 MB string and 100k-deep
    JSON
    THEN each answers 4xx JSON and records nothing, and the other dossier's status, the
    queues, the report and a rebuild of the views answer as before."""
    c = cast_from(custody.province())
    codes = [client.post("/api/v1/dossiers", json=base_body(Receive, c)).get_json()["code"]
             for _ in range(2)]
    target, other = codes
    client.post(f"/api/v1/dossiers/{other}/handover",
                json={"by": c.receiver, "courier": c.courier, "to_office": c.agency})
    status, queue = f"/api/v1/dossiers/{other}", f"/api/v1/queues/{c.agency}"
    report = "/api/v1/report?from=2026-01-01&to=2026-12-31"
    inspector = c.inspector  # reads every office
    seen = {"status": client.get(status, as_=inspector).get_json(),
            "queue": client.get(queue, as_=inspector).get_json(),
            "report": client.get(report, as_=inspector).get_json()}
    for model in (Receive, *DOSSIER_COMMANDS):
        path = ("/api/v1/dossiers" if model is Receive
                else f"/api/v1/dossiers/{target}/{model.action}")
        base = base_body(model, c)
        for name in fields(model):
            for value in VALUES:
                if value == "9999-12-31" and name != "to":
                    continue  # a valid text elsewhere; the drill is for dates
                if value is True and model.model_fields[name].annotation is bool:
                    continue
                if value == model.model_fields[name].default:
                    continue  # e.g. no papers reused: the field's own default is valid
                sent = "LONE-SURROGATE" if value is LONE_SURROGATE else value
                answers_4xx_and_records_nothing(client, custody, path,
                                                encode({**base, name: sent}))
        text_field = "applicant_name" if model is Receive else "device"
        answers_4xx_and_records_nothing(client, custody, path,
                                        encode({**base, text_field: TEN_MB}))
        answers_4xx_and_records_nothing(client, custody, path,
                                        b"[" * 100_000 + b"]" * 100_000)
        answers_4xx_and_records_nothing(client, custody, path, b'{"by": "a"')
    assert client.get(status, as_=inspector).get_json() == seen["status"]
    assert client.get(queue, as_=inspector).get_json()["incoming"] == seen["queue"]["incoming"]
    assert client.get(report, as_=inspector).get_json() == seen["report"]
    rebuilt = Hoso(store_env)("project", "rebuild", "--json")
    assert rebuilt.code == 0, rebuilt.stderr
    assert client.get(status, as_=inspector).get_json() == seen["status"]


def test_a_reschedule_beyond_two_years_is_refused_by_rule(
        client: AsStaff, custody: CustodyApplication) -> None:
    """A far due date is well formed but refused: every later resume must stay computable."""
    c = cast_from(custody.province())
    code = client.post("/api/v1/dossiers", json=base_body(Receive, c)).get_json()["code"]
    client.post(f"/api/v1/dossiers/{code}/handover",
                json={"by": c.receiver, "courier": c.courier, "to_office": c.agency})
    client.post(f"/api/v1/dossiers/{code}/accept", json={"by": c.official, "office": c.agency})
    far = client.post(f"/api/v1/dossiers/{code}/reschedule",
                      json={"by": c.official, "to": "2099-12-31", "reason": "chờ"})
    assert far.status_code == 409
    assert "reschedule-window" in far.get_json()["message"]
