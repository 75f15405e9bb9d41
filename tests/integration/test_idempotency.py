"""Idempotency keys: a retried POST records once and answers as the first did, also when the
twins arrive together or at two server processes over one store; a reused key with another body
gets 422."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cast import Cast
from tests.conftest import ManualClock
from tests.hoso_cli import Hoso
from tests.identities import AsStaff, Tokens
from tests.servers.hoso import live_hoso
from tracker.application import CustodyApplication
from tracker.bootstrap import Services, compose
from tracker.settings import Settings
from tracker.web import create_app


@pytest.fixture
def tokens(services: Services) -> Tokens:
    return Tokens(services)


@pytest.fixture
def client(services: Services, tokens: Tokens, cast: Cast) -> AsStaff:
    return AsStaff(create_app(services, {"TESTING": True}).test_client(), tokens, cast.receiver)


@pytest.fixture
def second_process(store_env: dict[str, str], clock: ManualClock) -> Iterator[Services]:
    """Another application over the same store, as a second ``hoso serve`` would have."""
    other = compose(Settings.from_environ(store_env), clock=clock, create_tables=False)
    yield other
    other.close()


def receipt(c: Cast, name: str = "Đỗ Văn Bình") -> dict[str, Any]:
    return {"office": c.commune, "procedure": c.procedure.code, "applicant_name": name,
            "applicant_id": "036088001122", "actor": c.receiver, "components": c.components}


def post(client: AsStaff, path: str, body: Any, key: str) -> Any:
    return client.post(f"/api/v1{path}", json=body, headers={"Idempotency-Key": key})


def events(custody: CustodyApplication) -> int:
    return custody.recorder.max_notification_id() or 0


def test_a_retry_gets_the_first_answer_and_records_nothing(
        client: AsStaff, custody: CustodyApplication, cast: Cast) -> None:
    """GIVEN a receipt made with a key
    WHEN the client, unsure it arrived, sends it again with the same key
    THEN it gets the same answer, and the log holds nothing more."""
    key = str(uuid.uuid4())
    first = post(client, "/dossiers", receipt(cast), key)
    assert first.status_code == 201
    after_first = events(custody)
    again = post(client, "/dossiers", receipt(cast), key)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert events(custody) == after_first
    code = first.get_json()["code"]
    handover = {"by": cast.receiver, "courier": cast.courier, "to_office": cast.agency}
    handed = post(client, f"/dossiers/{code}/handover", handover, key + "-h")
    after_handover = events(custody)
    repeat = post(client, f"/dossiers/{code}/handover", handover, key + "-h")
    assert repeat.status_code == 200  # not 409: the dossier is no longer the receiver's
    assert repeat.get_json() == handed.get_json()
    assert events(custody) == after_handover


def test_the_same_key_with_another_body_is_refused(
        client: AsStaff, custody: CustodyApplication, cast: Cast) -> None:
    """GIVEN a receipt made with a key
    WHEN another receipt is sent with that key
    THEN it is refused with 422, and nothing is recorded."""
    key = str(uuid.uuid4())
    assert post(client, "/dossiers", receipt(cast), key).status_code == 201
    before = events(custody)
    other = post(client, "/dossiers", receipt(cast, "Trần Thị Lan"), key)
    assert other.status_code == 422
    assert other.get_json()["error"] == "idempotency_key_reused"
    assert events(custody) == before


@pytest.mark.parametrize("processes", [1, 2])
def test_twins_at_the_same_moment_record_one_dossier(
        services: Services, custody: CustodyApplication, second_process: Services, cast: Cast,
        tokens: Tokens, processes: int) -> None:
    """GIVEN one receipt sent twice with one key, at the same moment, to one server or to two
    server processes over the same store
    THEN one dossier is made, and both answers carry its code."""
    apps = [services, second_process if processes == 2 else services]
    clients = [AsStaff(create_app(app, {"TESTING": True}).test_client(), tokens, cast.receiver)
               for app in apps]
    tokens.token(cast.receiver)  # issued before the twins race
    codes = []
    for round_ in range(5):
        key = str(uuid.uuid4())
        start = threading.Barrier(2)
        answers: list[Any] = [None, None]

        def send(n: int, key: str = key, start: threading.Barrier = start,
                 answers: list[Any] = answers) -> None:
            start.wait()
            answers[n] = post(clients[n], "/dossiers", receipt(cast), key)

        threads = [threading.Thread(target=send, args=(n,)) for n in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [a.status_code for a in answers] == [201, 201], round_
        assert answers[0].get_json()["code"] == answers[1].get_json()["code"]
        codes.append(answers[0].get_json()["code"])
    numbers = [int(code.rsplit("-", 1)[1]) for code in codes]
    assert numbers == [1, 2, 3, 4, 5]  # no twin took a number of its own
    assert not custody.known_dossier(codes[-1][:-4] + "0006")


def test_a_malformed_key_is_refused(client: AsStaff, cast: Cast) -> None:
    response = post(client, "/dossiers", receipt(cast), "short")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["message"]


def test_twins_sent_to_two_live_servers_record_one_dossier(
        store_env: dict[str, str], tmp_path: Path, cast: Cast) -> None:
    """GIVEN two hoso serve processes over one store
    WHEN the same receipt with one key reaches both at the same moment, five times over
    THEN each time both answer 201 with the same code, and the codes run 0001 to 0005."""
    with live_hoso(store_env, tmp_path) as first, \
            live_hoso(store_env, tmp_path, init=False) as second:
        token = Hoso(store_env).ok("token", "create", "--staff", cast.receiver)["token"]
        body = {k: v for k, v in receipt(cast).items() if k != "actor"}
        codes = []
        for _ in range(5):
            key = str(uuid.uuid4())
            start = threading.Barrier(2)
            answers: list[tuple[int, dict[str, Any]]] = []

            def send(base: str, key: str = key, start: threading.Barrier = start,
                     answers: list[tuple[int, dict[str, Any]]] = answers) -> None:
                request = urllib.request.Request(
                    f"{base}/api/v1/dossiers", data=json.dumps(body).encode(),
                    method="POST", headers={"Content-Type": "application/json",
                                            "Authorization": f"Bearer {token}",
                                            "Idempotency-Key": key})
                start.wait()
                with urllib.request.urlopen(request, timeout=30) as response:
                    answers.append((response.status, json.loads(response.read())))

            threads = [threading.Thread(target=send, args=(base,)) for base in (first, second)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert [status for status, _ in answers] == [201, 201]
            assert answers[0][1]["code"] == answers[1][1]["code"]
            codes.append(answers[0][1]["code"])
    assert [int(code.rsplit("-", 1)[1]) for code in codes] == [1, 2, 3, 4, 5]
