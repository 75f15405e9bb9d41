"""The API does what its OpenAPI document says: schemathesis finds no failure, every answer
fits its answer model, and a field added to a command appears in the API and the CLI alike."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from flask.testing import FlaskClient

from tests.cast import cast_from
from tests.hoso_cli import Hoso
from tests.identities import AsStaff, Tokens
from tests.servers.hoso import live_hoso
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.cli.generated import command_for, option_name
from tracker.commands import answers
from tracker.commands.dossiers import DOSSIER_COMMANDS, HandOver, Receive
from tracker.commands.fields import Label
from tracker.web import create_app
from tracker.web.openapi import Spec, spec

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


IDENTITIES = (("supervisor", "hnm-sup-001", "api"), ("inspector", "hnm-ins-001", "api"),
              ("station", "hnm-rcv-001", "station"))
"""Whose tokens schemathesis sends, tried in this order on each operation until one is let in.

First the supervisor at the provincial centre: of all the roles the one that reaches the most of
the API past the permission table. A supervisor both works the counter (receive, collect a fee,
return) and decides (pause, reschedule, reject, resolve), hands over within their subtree and
reads it, so generated commands meet the validation and the custody rules rather than a 403.
What a supervisor may not do is left to the inspector (the access log) and to station st-1's
token, held by the centre's receiver (the station's routes), so that every operation is also
answered 2xx, and schemathesis's auth checks can send those requests again without a token
and with a made-up one and see them refused."""


@pytest.mark.parametrize("backend", ["sqlite"])
def test_schemathesis_finds_no_failure(store_env: dict[str, str], tmp_path: Path) -> None:
    """GIVEN a live hoso serve on the demo province and the tokens of IDENTITIES
    WHEN schemathesis runs every check on every operation of the API document with them
    THEN it reports no failure (exit 0), response schemas and enforced auth included."""
    with live_hoso(store_env, tmp_path) as base:
        hoso = Hoso(store_env)
        auth = [{"name": name, "fixedHeaders": [{"name": "Authorization", "value": "Bearer " + (
            hoso.ok("token", "create", "--staff", staff, "--kind", kind,
                    *(("--station", "st-1") if kind == "station" else ()))["token"])}]}
                for name, staff, kind in IDENTITIES]
        wfc = tmp_path / "auth.json"  # the Web Fuzzing Commons auth document
        wfc.write_text(json.dumps({"schemaVersion": "1", "auth": auth}))
        run = subprocess.run(
            [str(SCHEMATHESIS), "run", f"{base}/api/v1/openapi.json", "--url",
             f"{base}/api/v1", "--auth-wfc", str(wfc), "--checks", "all",
             "--max-examples", "40", "--seed", "20261206", "--no-color",
             "--report-dir", str(tmp_path / "report")],
            capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


def test_answers_fit_their_models(services: Services, custody: CustodyApplication) -> None:
    """GIVEN a dossier received, handed over and accepted
    THEN its status, history, the queues and the report each fit their answer model."""
    c = cast_from(custody.province())
    flask_client: FlaskClient = create_app(services, {"TESTING": True}).test_client()
    client = AsStaff(flask_client, Tokens(services), c.supervisor)
    code = client.post("/api/v1/dossiers", json={
        "office": c.commune, "procedure": c.procedure.code, "applicant_name": "Lê Văn Tám",
        "applicant_id": "036088001122", "actor": c.receiver, "components": c.components,
        "phone": "0912 345 678"}).get_json()["code"]
    client.post(f"/api/v1/dossiers/{code}/handover",
                json={"by": c.receiver, "courier": c.courier, "to_office": c.agency})
    client.post(f"/api/v1/dossiers/{code}/accept", json={"by": c.official, "office": c.agency})
    courier = custody.province().person(c.courier)
    counter = next(s.id for s in custody.province().staff.values()
                   if s.role == "receiver" and s.office == courier.office)
    at_couriers_office = client.post("/api/v1/dossiers", as_=counter, json={
        "office": courier.office, "procedure": c.procedure.code, "applicant_name": "Lê Văn Tư",
        "applicant_id": "036088001123", "components": c.components}).get_json()["code"]
    # a courier's answers leave the applicant out
    for reader, read in ((c.official, code), (c.courier, at_couriers_office)):
        status = client.get(f"/api/v1/dossiers/{read}", as_=reader).get_json()
        answers.Status.model_validate(status)
        assert ("applicant_name" in status) == (reader != c.courier)
        for entry in client.get(f"/api/v1/dossiers/{read}/history", as_=reader).get_json():
            answers.HistoryEntry.model_validate(entry)
    for who in (c.agency, c.official):
        answers.Queue.model_validate(client.get(f"/api/v1/queues/{who}", as_=c.official
                                                ).get_json())
    answers.Queue.model_validate(client.get(f"/api/v1/queues/{c.courier}", as_=c.courier
                                            ).get_json())
    for by in ("office", "level", "field"):
        report = client.get(f"/api/v1/report?from=2026-01-01&to=2026-12-31&by={by}",
                            as_=c.inspector)
        answers.Report.model_validate(report.get_json())
    for entry in client.get("/api/v1/access-log", as_=c.inspector).get_json():
        answers.AccessLogEntry.model_validate(entry)


def cli_options(command: click.Command) -> set[str]:
    return {opt for p in command.params if isinstance(p, click.Option) for opt in p.opts}


def test_every_command_field_is_in_the_api_document_and_on_the_command_line() -> None:
    """GIVEN the command models
    THEN each field of each is in its request schema but the path's and the actor (whom the
    token names), and on the command line unless the model keeps it off (x-cli false)."""
    document = spec()
    for model in (Receive, *DOSSIER_COMMANDS):
        path = "/dossiers" if model is Receive else f"/dossiers/{{code}}/{model.action}"
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        options = cli_options(command_for(model))
        for name, field in model.model_fields.items():
            flag = option_name(name, field)
            if name == model.actor_field:
                assert name not in body["schema"]["properties"], (model.__name__, name)
                assert name not in body["schema"].get("required", []), (model.__name__, name)
                assert flag in options, (model.__name__, name, flag)
                continue
            if name == "code":
                continue
            assert name in body["schema"]["properties"], (model.__name__, name)
            assert flag is None or flag in options, (model.__name__, name, flag)


def test_a_field_added_to_a_command_appears_in_the_api_and_the_cli() -> None:
    """GIVEN a handover model with one more field, defined only there
    THEN the API document's request schema has it, with its bounds, and the CLI has --seal."""

    class SealedHandOver(HandOver):
        seal: Label | None = None

    body: dict[str, Any] = Spec().body(SealedHandOver, ("code",))
    seal = body["content"]["application/json"]["schema"]["properties"]["seal"]
    assert seal["anyOf"][0]["maxLength"] == 100
    assert "--seal" in cli_options(command_for(SealedHandOver))
    assert "--seal" not in cli_options(command_for(HandOver))
