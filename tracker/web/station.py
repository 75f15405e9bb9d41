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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.utils import secure_filename

from scanning.station import RecordRefused, Station
from tracker.domain.errors import BadInput, HosoError, UnknownReference
from tracker.station_link import InProcessTracker
from tracker.web.api import Body, custody

blueprint = Blueprint("station", __name__)
MAX_UPLOAD_FILES = 500


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
    body = Body()
    station = body.required("station")
    if station != g.station:
        raise WrongStation(f"this token belongs to station {g.station}, not {station}")
    details = body.scan_details(station)
    return jsonify(custody().digitise(
        code, body.required("by"), body.strings("pages"),
        ocr_text_key=body.optional("ocr_text_key"), pdf_key=body.optional("pdf_key"),
        quality=body.optional("quality") or "ok", device=body.optional("device"),
        cleaned=body.strings("cleaned"), details=details))


@blueprint.post("/scans")
def upload() -> Response:
    """Multipart ``files`` (in page order) with form fields ``operator`` and optionally
    ``dossier``: processed as one batch here; answers the batch report."""
    operator = request.form.get("operator", "").strip()
    if not operator:
        raise BadInput("'operator' (the staff id scanning) is required")
    files = request.files.getlist("files")
    if not files or len(files) > MAX_UPLOAD_FILES:
        raise BadInput(f"send 1 to {MAX_UPLOAD_FILES} page files as 'files'")
    app = custody()
    app.province().person(operator)
    station = Station(app.objects, InProcessTracker(app), g.station, operator)
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


def station_paths(answers: Callable[[dict[str, Any]], dict[str, Any]],
                  error: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI paths of these routes (``answers`` and ``error`` are openapi.py's)."""
    security: list[dict[str, list[str]]] = [{"stationToken": []}]
    code = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
    refused = {"401": {"description": "no valid station token",
                       "content": {"application/json": {"schema": error}}}}
    record = {"type": "object", "required": ["by", "station", "pages"], "properties": {
        "by": {"type": "string"}, "station": {"type": "string"},
        "pages": {"type": "array", "items": {"type": "string"}},
        "cleaned": {"type": "array", "items": {"type": "string"}},
        "pdf_key": {"type": "string"}, "ocr_text_key": {"type": "string"},
        "dpi": {"type": ["integer", "null"]},
        "blank_pages": {"type": "array", "items": {"type": "integer"}},
        "quality_notes": {"type": "array", "items": {"type": "object"}},
        "quality": {"type": "string"}, "device": {"type": ["string", "null"]}}}
    obj = {"type": "object"}
    return {
        "/station/dossiers/{code}": {"get": {
            "summary": "Whether a scanned code names a received dossier", "security": security,
            "parameters": [code], "responses": {**answers(obj), **refused}}},
        "/station/dossiers/{code}/digitised": {"post": {
            "summary": "Record a scan whose objects are all stored", "security": security,
            "parameters": [code],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": record}}},
            "responses": {**answers(obj), **refused}}},
        "/station/scans": {"post": {
            "summary": "Upload page files (multipart 'files', 'operator', 'dossier')",
            "security": security, "responses": {**answers(obj), **refused}}},
    }
