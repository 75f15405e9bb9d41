"""``/api/v1/bags``: bags of dossiers made, filled, handed over and accepted over HTTP.

Each route is the bag command of the same name, acted by the token's identity through
``Acting`` (the permission table, then the custody rules of the bag and of every dossier in
it), at most once for an ``Idempotency-Key``; the manifest is the same A4 PDF ``hoso bag
manifest`` writes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from tracker.commands import answers
from tracker.commands.bags import (
    AcceptBag,
    BagAnswer,
    BagCommand,
    CreateBag,
    FillBag,
    HandOverBag,
)
from tracker.domain.bag import BAG_CODE
from tracker.slips.bag_manifest import render_manifest
from tracker.web.api import idempotency_key
from tracker.web.auth import acting, command_from, require_token, services
from tracker.web.slips import attachment

blueprint = Blueprint("bags_api", __name__)
blueprint.before_request(require_token)

STEPS: dict[str, type[BagCommand]] = {"fill": FillBag, "handover": HandOverBag,
                                      "accept": AcceptBag}


@blueprint.post("/bags")
def create() -> tuple[Response, int]:
    return jsonify(acting().bag_command(command_from(CreateBag), idempotency_key())), 201


@blueprint.get("/bags/<bag>")
def show(bag: str) -> Response:
    return jsonify(acting().bag(bag))


@blueprint.get("/bags/<bag>/manifest.pdf")
def manifest(bag: str) -> Response:
    document = acting().bag(bag)
    body = render_manifest(document, services().application().province())
    return attachment(body, "pdf", f"{document['bag']}.pdf")


def _step_route(step: str, model: type[BagCommand]) -> None:
    def act(bag: str) -> Response:
        return jsonify(acting().bag_command(command_from(model, bag=bag), idempotency_key()))

    blueprint.add_url_rule(f"/bags/<bag>/{step}", f"bag_{step}", act, methods=["POST"])


for _step, _model in STEPS.items():
    _step_route(_step, _model)


def paths(s: Any) -> dict[str, Any]:
    """The bag routes for the API document (``s`` is tracker.web.openapi's Spec)."""
    from tracker.web.openapi import IDEMPOTENCY_KEY

    bag = {"name": "bag", "in": "path", "required": True, "description": "TUI-XXXXXXXX",
           "schema": {"type": "string", "pattern": BAG_CODE}}
    answer = s.ref(BagAnswer)
    error = {"application/json": {"schema": s.ref(answers.Error)}}

    def post(model: type[BagCommand], path: tuple[str, ...], ok: str = "200"
             ) -> dict[str, Any]:
        return {"post": {"summary": (model.__doc__ or "").strip().splitlines()[0],
                         "operationId": model.__name__,
                         "parameters": [bag, IDEMPOTENCY_KEY] if path else [IDEMPOTENCY_KEY],
                         "requestBody": s.body(model, path),
                         "responses": s.answers(answer, "400", "404", "409", "413", "422",
                                                ok_status=ok)}}

    found = {"/bags": post(CreateBag, (), "201"),
             "/bags/{bag}": {"get": {"summary": "A bag: its offices, courier, state and "
                                                "dossiers", "operationId": "bag",
                                     "parameters": [bag],
                                     "responses": s.answers(answer, "400", "404")}},
             "/bags/{bag}/manifest.pdf": {"get": {
                 "summary": "The bag's manifest, an A4 PDF with its Code 128",
                 "operationId": "bagManifest", "parameters": [bag],
                 "responses": {"200": {"description": "the manifest", "content": {
                     "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                     **{status: {"description": "refused", "content": error}
                        for status in ("400", "404")}}}}}
    for step, model in STEPS.items():
        found[f"/bags/{{bag}}/{step}"] = post(model, ("bag",))
    return found
