"""``/api/v1``: the commands and reads over HTTP, each as the token's identity.

Commands are POSTs on a dossier's sub-resources; the actor is whoever the bearer token belongs
to, never a field of the request. Every route goes through ``Acting`` (permissions, access log).
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, Response, jsonify, request

from tracker.commands.dossiers import (
    DOSSIER_COMMANDS,
    DossierCommand,
    Receive,
    RefuseAtCounter,
)
from tracker.commands.parse import parse
from tracker.commands.queries import AccessLogQuery, HistoryQuery
from tracker.domain.errors import N_, BadInput
from tracker.idempotency import KEY_PATTERN
from tracker.presenters import office_rows, procedure_rows, staff_rows
from tracker.web.auth import acting, command_from, require_token, services

blueprint = Blueprint("api", __name__)
blueprint.before_request(require_token)


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not re.match(KEY_PATTERN, key):
        raise BadInput(N_("Idempotency-Key must be 8 to 128 printable ASCII characters, "
                       "without spaces (a UUID, say)"))
    return key


@blueprint.post("/dossiers")
def receive() -> tuple[Response, int]:
    return jsonify(acting().execute(command_from(Receive), idempotency_key())), 201


@blueprint.post("/refusals")
def refuse() -> tuple[Response, int]:
    """A dossier turned away at the counter, recorded under a code of its own."""
    return jsonify(acting().execute(command_from(RefuseAtCounter), idempotency_key())), 201


@blueprint.get("/dossiers/<code>")
def status(code: str) -> Response:
    return jsonify(acting().status(code))  # the status view, caught up with the log first


@blueprint.get("/dossiers/<code>/history")
def history(code: str) -> Response:
    query = parse(HistoryQuery, request.args.to_dict())
    return jsonify(acting().history(code, as_of=query.as_of))


@blueprint.get("/dossiers/<code>/objects/<path:key>")
def download(code: str, key: str) -> Response:
    """A scanned object of the dossier, verified before it is sent (the read is logged
    first). ``?presigned=1`` answers a 5-minute URL instead where the backend has them."""
    acting().may_download(code, key)
    objects = services().application().objects
    if request.args.get("presigned"):
        url = objects.presigned_url(key, timedelta(minutes=5))
        if url is None:
            raise BadInput(N_("the {backend} store has no presigned URLs"),
                           backend=objects.backend)
        return jsonify({"url": url, "expires_in": 300})
    info = objects.stat(key)
    body = b"".join(objects.get(key))  # whole and verified, or a 500 before any byte
    return Response(body, mimetype=info.content_type,
                    headers={"Cache-Control": "private, no-store"})


def _command_route(model: type[DossierCommand]) -> None:
    """``POST /dossiers/<code>/<action>`` for ``model``: one route per command, so each path
    answers exactly the methods the API document lists for it."""

    def act(code: str) -> Response:
        return jsonify(acting().execute(command_from(model, code=code), idempotency_key()))

    blueprint.add_url_rule(f"/dossiers/<code>/{model.action}", f"act_{model.action}", act,
                           methods=["POST"])


for _model in DOSSIER_COMMANDS:
    _command_route(_model)


@blueprint.get("/offices")
def offices() -> Response:
    acting().reference()
    return jsonify(office_rows(services().application().province()))


@blueprint.get("/staff")
def staff() -> Response:
    acting().reference()
    return jsonify(staff_rows(services().application().province()))


@blueprint.get("/procedures")
def procedures() -> Response:
    acting().reference()
    return jsonify(procedure_rows(services().application().province()))


@blueprint.get("/access-log")
def access_log() -> Response:
    query = parse(AccessLogQuery, request.args.to_dict())
    return jsonify(acting().access_log(query.dossier, query.staff, query.limit))
