"""``/api/v1``: the CLI's commands over HTTP. Commands are POSTs on a dossier's sub-resources."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TypeVar

from flask import Blueprint, Response, current_app, jsonify, request

from tracker.application import CustodyApplication
from tracker.commands.dossiers import DOSSIER_COMMANDS, Command, DossierCommand, Receive
from tracker.commands.parse import parse, parse_json_object
from tracker.commands.queries import HistoryQuery
from tracker.domain.errors import BadInput
from tracker.handling import execute
from tracker.idempotency import KEY_PATTERN
from tracker.presenters import office_rows, procedure_rows, staff_rows
from tracker.web.views import views

blueprint = Blueprint("api", __name__)
C = TypeVar("C", bound=Command)


def custody() -> CustodyApplication:
    app: CustodyApplication = current_app.extensions["custody"]
    return app


def command_from(model: type[C], **path: str) -> C:
    """The request body, with the path's parameters, as a ``model`` command."""
    body = parse_json_object(request.get_data(cache=False))
    for name in path:
        if name in body:
            raise BadInput(f"{name!r} is given by the path, not the body")
    return parse(model, {**body, **path})


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not re.match(KEY_PATTERN, key):
        raise BadInput("Idempotency-Key must be 8 to 128 printable ASCII characters, "
                       "without spaces (a UUID, say)")
    return key


@blueprint.post("/dossiers")
def receive() -> tuple[Response, int]:
    return jsonify(execute(custody(), command_from(Receive), idempotency_key())), 201


@blueprint.get("/dossiers/<code>")
def status(code: str) -> Response:
    return jsonify(views().status(code))  # the status view, caught up with the log first


@blueprint.get("/dossiers/<code>/history")
def history(code: str) -> Response:
    query = parse(HistoryQuery, request.args.to_dict())
    return jsonify(custody().history(code, as_of=query.as_of))


@blueprint.get("/dossiers/<code>/objects/<path:key>")
def download(code: str, key: str) -> Response:
    """A scanned object of the dossier, verified before it is sent. ``by`` names the staff member
    asking; until accounts exist it is a claim, which is why the API stays on loopback.
    ``?presigned=1`` answers a 5-minute URL instead where the backend has them."""
    by = request.args.get("by")
    if not by:
        raise BadInput("'by' (the staff member asking) is required")
    app = custody()
    app.authorise_download(code, key, by)
    if request.args.get("presigned"):
        url = app.objects.presigned_url(key, timedelta(minutes=5))
        if url is None:
            raise BadInput(f"the {app.objects.backend} store has no presigned URLs")
        return jsonify({"url": url, "expires_in": 300})
    info = app.objects.stat(key)
    body = b"".join(app.objects.get(key))  # whole and verified, or a 500 before any byte
    return Response(body, mimetype=info.content_type,
                    headers={"Cache-Control": "private, no-store"})


def _command_route(model: type[DossierCommand]) -> None:
    """``POST /dossiers/<code>/<action>`` for ``model``: one route per command, so each path
    answers exactly the methods the API document lists for it."""

    def act(code: str) -> Response:
        return jsonify(execute(custody(), command_from(model, code=code), idempotency_key()))

    blueprint.add_url_rule(f"/dossiers/<code>/{model.action}", f"act_{model.action}", act,
                           methods=["POST"])


for _model in DOSSIER_COMMANDS:
    _command_route(_model)


@blueprint.get("/offices")
def offices() -> Response:
    return jsonify(office_rows(custody().province()))


@blueprint.get("/staff")
def staff() -> Response:
    return jsonify(staff_rows(custody().province()))


@blueprint.get("/procedures")
def procedures() -> Response:
    return jsonify(procedure_rows(custody().province()))
