"""``/api/v1/station``: what a scanning station asks of the tracker, behind a station token.

Every route needs ``Authorization: Bearer <token>`` naming one of HOSO_STATION_TOKENS; the token
is compared in constant time against each configured one, and a scan may only be recorded in the
name of the station the token belongs to. Without a valid token: 401 with a JSON body. With no
tokens configured the routes are closed. ``POST /scans`` is upload acquisition: a station
without a scanner pipeline of its own sends page files and the tracker's machine processes them.
"""

from __future__ import annotations

import hmac
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.utils import secure_filename

from scanning.station import RecordRefused
from tracker.bootstrap import Services
from tracker.commands.dossiers import RecordStationScan
from tracker.domain.errors import BadInput, HosoError, UnknownReference
from tracker.handling import execute
from tracker.web.api import command_from, custody, idempotency_key

blueprint = Blueprint("station", __name__)
MAX_UPLOAD_FILES = 500
MAX_UPLOAD_BYTES = 500 * 1024 * 1024


class Unauthorised(HosoError):
    code = "unauthorized"
    http_status = 401


class WrongStation(HosoError):
    code = "forbidden"
    http_status = 403


def station_of(token: str, tokens: tuple[tuple[str, str], ...]) -> str | None:
    """The station whose token this is; every configured token is compared, in constant time."""
    found = None
    for station, expected in tokens:
        if hmac.compare_digest(token.encode(), expected.encode()):
            found = station
    return found


@blueprint.before_request
def authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    station = station_of(token.strip(), current_app.config.get("STATION_TOKENS", ()))
    if scheme.lower() != "bearer" or not token or station is None:
        raise Unauthorised("a station token is required: Authorization: Bearer <token>")
    g.station = station


@blueprint.after_request
def challenge(response: Response) -> Response:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="hoso-station"'
    return response


@blueprint.get("/dossiers/<code>")
def known(code: str) -> Response:
    return jsonify({"code": code, "known": custody().known_dossier(code)})


@blueprint.post("/dossiers/<code>/digitised")
def digitised(code: str) -> Response:
    command = command_from(RecordStationScan, code=code)
    if command.station != g.station:
        raise WrongStation(f"this token belongs to station {g.station}, not {command.station}")
    return jsonify(execute(custody(), command, idempotency_key()))


@blueprint.post("/scans")
def upload() -> Response:
    """Multipart ``files`` (in page order) with form fields ``operator`` and optionally
    ``dossier``: processed as one batch here; answers the batch report."""
    request.max_content_length = MAX_UPLOAD_BYTES
    operator = request.form.get("operator", "").strip()
    if not operator:
        raise BadInput("'operator' (the staff id scanning) is required")
    files = request.files.getlist("files")
    if not files or len(files) > MAX_UPLOAD_FILES:
        raise BadInput(f"send 1 to {MAX_UPLOAD_FILES} page files as 'files'")
    custody().province().person(operator)
    services: Services = current_app.extensions["services"]
    station = services.upload_station(g.station, operator)
    with tempfile.TemporaryDirectory(prefix="hoso-upload-") as folder:
        paths = []
        for number, upload_file in enumerate(files, start=1):
            name = secure_filename(upload_file.filename or "") or "page"
            path = Path(folder) / f"{number:04d}-{name}"
            upload_file.save(path)
            paths.append(path)
        try:
            report = station.process(paths, assign_to=request.form.get("dossier") or None)
        except RecordRefused as error:  # the named dossier is unknown: nothing was done
            raise UnknownReference(str(error)) from None
    answer: dict[str, Any] = report.as_json()
    for bad in answer["bad_files"]:
        bad["file"] = Path(bad["file"]).name.split("-", 1)[-1]
    return jsonify(answer)
