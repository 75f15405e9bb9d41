"""The API does what its OpenAPI document says: schemathesis finds no failure, every answer
fits its answer model, and a field added to a command appears in the API and the CLI alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from flask.testing import FlaskClient

from tests.cast import cast_from
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


@pytest.mark.parametrize("backend", ["sqlite"])
def test_schemathesis_finds_no_failure(store_env: dict[str, str], tmp_path: Path) -> None:
    """GIVEN a live hoso serve on the demo province
    WHEN schemathesis runs every check on every operation of the API document
    THEN it reports no failure (exit 0), response schemas included."""
    with live_hoso(store_env, tmp_path) as base:
        run = subprocess.run(
            [str(SCHEMATHESIS), "run", f"{base}/api/v1/openapi.json", "--url",
             f"{base}/api/v1", "--checks", "all", "--max-examples", "40", "--seed", "20261206",
             "--no-color", "--report-dir", str(tmp_path / "report")],
            capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


def test_answers_fit_their_models(services: Services, custody: CustodyApplication) -> None:
    """GIVEN a dossier received, handed over and accepted
    THEN its status, history, the queues and the report each fit their answer model."""
    c = cast_from(custody.province())
    client: FlaskClient = create_app(services, {"TESTING": True}).test_client()
    code = client.post("/api/v1/dossiers", json={
        "office": c.commune, "procedure": c.procedure.code, "applicant_name": "Lê Văn Tám",
        "applicant_id": "036088001122", "actor": c.receiver, "components": c.components,
        "phone": "0912 345 678"}).get_json()["code"]
    client.post(f"/api/v1/dossiers/{code}/handover",
                json={"by": c.receiver, "courier": c.courier, "to_office": c.agency})
    client.post(f"/api/v1/dossiers/{code}/accept", json={"by": c.official, "office": c.agency})
    answers.Status.model_validate(client.get(f"/api/v1/dossiers/{code}").get_json())
    for entry in client.get(f"/api/v1/dossiers/{code}/history").get_json():
        answers.HistoryEntry.model_validate(entry)
    for who in (c.agency, c.official, c.courier):
        answers.Queue.model_validate(client.get(f"/api/v1/queues/{who}").get_json())
    for by in ("office", "level", "field"):
        report = client.get(f"/api/v1/report?from=2026-01-01&to=2026-12-31&by={by}")
        answers.Report.model_validate(report.get_json())


def cli_options(command: click.Command) -> set[str]:
    return {opt for p in command.params if isinstance(p, click.Option) for opt in p.opts}


def test_every_command_field_is_in_the_api_document_and_on_the_command_line() -> None:
    """GIVEN the command models
    THEN each field of each is in its request schema, and on the command line unless the model
    keeps it off (x-cli false)."""
    document = spec()
    for model in (Receive, *DOSSIER_COMMANDS):
        path = "/dossiers" if model is Receive else f"/dossiers/{{code}}/{model.action}"
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        options = cli_options(command_for(model))
        for name, field in model.model_fields.items():
            if name == "code":
                continue
            assert name in body["schema"]["properties"], (model.__name__, name)
            flag = option_name(name, field)
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
