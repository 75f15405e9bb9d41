"""``/api/v1/station``: what a scanning station asks of the tracker, behind a station token.

A station token (``hoso token create --kind station --station S``) is bound to its station, its
office and the operator it scans as: a scan may only be recorded in the name of that station,
by that operator, for a dossier held at that office. Any other credential gets 403, none 401.
``POST /scans`` is upload acquisition: a station without a scanner pipeline of its own sends
page files and the tracker's machine processes them. Its body is limited (``UPLOAD_MAX_BYTES``
in the app's config, else ``MAX_UPLOAD_BYTES``: 413), and so are its files' pixels together,
measured from their headers before anything is decoded (``MAX_UPLOAD_PIXELS``); clean-up and
OCR run in the station's worker processes, not in the web thread, and a web process takes only
so many uploads at once (tracker/web/uploads.py: 503 with Retry-After beyond them).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from scanning.errors import BadPage
from scanning.images import measure
from scanning.station import RecordRefused
from tracker.commands.dossiers import RecordStationScan
from tracker.domain.errors import N_, BadInput, Forbidden, UnknownReference
from tracker.web.api import idempotency_key
from tracker.web.auth import acting, command_from, identity, require_token, services
from tracker.web.uploads import upload_slot

blueprint = Blueprint("station", __name__)
blueprint.before_request(require_token)
MAX_UPLOAD_FILES = 500
MAX_UPLOAD_BYTES = 500 * 1024 * 1024
# About 230 A4 pages at 300 dpi: what one upload may make the tracker's machine decode.
MAX_UPLOAD_PIXELS = 2_000_000_000


def station() -> str:
    """The station of the request's token; 403 for any other kind of token."""
    acting().station()
    name = identity().station
    assert name is not None  # a station token always names its station
    return name


@blueprint.get("/dossiers/<code>")
def known(code: str) -> Response:
    station()
    return jsonify({"code": code,
                    "known": services().application().known_dossier(code)})


@blueprint.post("/dossiers/<code>/digitised")
def digitised(code: str) -> Response:
    name = station()
    command = command_from(RecordStationScan, code=code)
    if command.station != name:
        raise Forbidden(N_("this token belongs to station {name}, not {station}"),
                        name=name, station=command.station)
    return jsonify(acting().execute(command, idempotency_key()))


@blueprint.post("/scans")
def upload() -> Response:
    """Multipart ``files`` (in page order) and optionally ``dossier``: processed here as one
    batch, each scan recorded as the token's station and operator; answers the batch report."""
    name = station()
    limit = int(current_app.config.get("UPLOAD_MAX_BYTES", MAX_UPLOAD_BYTES))
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"the upload is larger than {limit:,} bytes")
    request.max_content_length = limit  # a body without Content-Length stops there too
    with upload_slot():  # 503 with Retry-After when this process has uploads enough at hand
        return _process(name)


def _process(name: str) -> Response:
    """The upload's files processed as one batch by station ``name``; its report."""
    if "operator" in request.form:
        raise BadInput(N_("'operator' is given by your token, not the form"))
    files = request.files.getlist("files")
    if not files or len(files) > MAX_UPLOAD_FILES:
        raise BadInput(N_("send 1 to {max_upload_files} page files as 'files'"),
                       max_upload_files=MAX_UPLOAD_FILES)
    assign_to = request.form.get("dossier") or None
    if assign_to is not None:
        acting().may_record_scan(assign_to)  # refused before a page is stored
    batch = services().upload_station(name, identity().staff, acting().execute)
    with tempfile.TemporaryDirectory(prefix="hoso-upload-") as folder:
        paths = []
        for number, upload_file in enumerate(files, start=1):
            filename = secure_filename(upload_file.filename or "") or "page"
            path = Path(folder) / f"{number:04d}-{filename}"
            upload_file.save(path)
            paths.append(path)
        _within_pixel_budget(paths)
        try:
            report = batch.process(paths, assign_to=assign_to)
        except RecordRefused as error:  # the named dossier is unknown: nothing was done
            raise UnknownReference(str(error)) from None
    answer: dict[str, Any] = report.as_json()
    for bad in answer["bad_files"]:
        bad["file"] = Path(bad["file"]).name.split("-", 1)[-1]
    return jsonify(answer)


def _within_pixel_budget(paths: list[Path]) -> None:
    """Refuse the whole upload when its files' pages together hold more pixels than one upload
    may; a file that cannot be measured is left for the batch to refuse by name."""
    total = 0
    for path in paths:
        try:
            total += measure(path).pixels
        except BadPage:
            continue
    if total > MAX_UPLOAD_PIXELS:
        raise BadInput(N_("the files hold {pixels} pixels together, more than one upload may "
                          "({limit}); send fewer pages at a time"),
                       pixels=f"{total:,}", limit=f"{MAX_UPLOAD_PIXELS:,}")
