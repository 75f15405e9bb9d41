"""``/station/qc``: the scanning operator's QC page over the station's staging area.

An operator (or whoever may record a scan at the office) uploads a batch; it is split at its
covers, cleaned and read into staging (scanning/staging.py) with nothing recorded. The batch's
page shows the thumbnails grouped by dossier with each page's notes, blank flag, rotation and
OCR confidence, and a form per QC action, each parsed by the same model as ``hoso stage``
(tracker/commands/staging.py) and carried out by tracker/qc.py. Approving a dossier records
``Digitised`` as the signed-in person, through ``Acting`` (the permission table, the custody
rules). A refusal comes back on the page saying why, with nothing changed. Only batches staged
by staff of the person's own office are shown; any other is "not found".
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from scanning.station import RecordRefused, Station
from tracker.commands.dossiers import Command, RecordStationScan
from tracker.commands.parse import parse
from tracker.commands.staging import QC_ACTIONS, MarkComponent
from tracker.domain.errors import N_, Forbidden, HosoError, UnknownReference
from tracker.handling import execute
from tracker.identity.permissions import RULES, held_at, offices_in
from tracker.qc import QualityControl, refusal
from tracker.web import labels
from tracker.web.auth import services
from tracker.web.i18n import explain
from tracker.web.sessions import signed_in
from tracker.web.station import MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES, _within_pixel_budget
from tracker.web.uploads import RETRY_AFTER_SECONDS, UploadsBusy, upload_slot

blueprint = Blueprint("qc", __name__)
ACTIONS = {model.action: model for model in QC_ACTIONS}
READS_A_PAGE = {"rescan", "turn"}  # they clean and read a page again: an upload slot each
FORM_ONLY = {"csrf_token"}
UPLOAD_PREFIX = re.compile(r"^[0-9]{4}-")


@blueprint.before_request
@signed_in
def scanners_only() -> None:
    if g.identity.role not in RULES["digitised"]:
        abort(403)


@blueprint.after_request
def not_cached(response: Response) -> Response:
    """QC pages show scanned papers: no browser or proxy keeps a copy."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def station_name() -> str:
    """The station a page upload is staged and recorded as: the office's QC page."""
    return f"qc-{g.identity.office}"


def as_person(command: Command, key: str | None) -> dict[str, Any]:
    """Record a scan from the page: this page is an in-process station (as ``hoso scan`` on
    the tracker's machine is) whose operator is signed in. The permission table's
    ``digitised`` is checked for the person (role, and the dossier held at their office); the
    station-token requirement is the credential's, which a session stands in for here."""
    if not isinstance(command, RecordStationScan) or command.by != g.identity.staff:
        raise Forbidden(N_("{staff} may act only in their own name"),
                        staff=g.identity.staff)
    custody = services().application()
    scope = RULES["digitised"].get(g.identity.role)
    if scope is None:
        raise Forbidden(N_("{action} needs {need}"), action="digitised", need=g.identity.role)
    offices = offices_in(scope, g.identity, custody.province())
    if offices is not None and offices.isdisjoint(
            o for o in held_at(custody.status(command.code)) if o):
        raise Forbidden(N_("{action} here is outside the offices of {staff}"),
                        action="digitised", staff=g.identity.staff)
    return execute(custody, command, key)


def approving_station(_station: str, _operator: str) -> Station:
    """Approval records as the signed-in person."""
    return services().upload_station(station_name(), g.identity.staff, as_person)


def components_of(code: str) -> frozenset[str]:
    custody = services().application()
    procedure = custody.province().procedure(custody.status(code)["procedure"])
    return frozenset(c.code for c in procedure.components)


def quality_control() -> QualityControl:
    return QualityControl(services().staging_store(), approving_station, components_of)


def ours(batch: dict[str, Any]) -> bool:
    staff = services().application().province().staff.get(batch["operator"])
    return staff is not None and staff.office == g.identity.office


def our_batch(batch: str) -> dict[str, Any]:
    """The batch, if staged by someone of this office; otherwise 404 (nothing said of it)."""
    try:
        found = quality_control().show(batch)
    except UnknownReference:
        abort(404)
    if not ours(found):
        abort(404)
    return found


@blueprint.get("/station/qc")
def home(error: str | None = None, status: int = 200) -> Any:
    batches = [b for b in services().staging_store().batches() if ours(b)]
    return render_template("qc/home.html", batches=batches, error=error), status


@blueprint.post("/station/qc")
def upload() -> Any:
    """Multipart ``files`` in page order, and optionally ``dossier`` for pages before any
    cover: staged as one batch, then its page is shown. The body is limited as the station
    API's upload is (413), and so are its files' pixels together."""
    limit = int(current_app.config.get("UPLOAD_MAX_BYTES", MAX_UPLOAD_BYTES))
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"the upload is larger than {limit:,} bytes")
    request.max_content_length = limit  # a body without Content-Length stops there too
    try:
        with upload_slot():
            return _stage()
    except UploadsBusy:
        return busy(home)


def busy(show: Callable[[str, int], tuple[Any, int]]) -> tuple[Any, int, dict[str, str]]:
    """The page ``show`` renders when every upload slot is taken (for an upload, a turn or a
    rescan alike): 503, saying when to try again, with Retry-After."""
    page, status = show(_("The server is busy reading other scans. Try again in %(seconds)s "
                          "seconds.", seconds=RETRY_AFTER_SECONDS), 503)
    return page, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _stage() -> Any:
    """The upload's files staged as one batch; the batch's page, or home saying why not."""
    files = [f for f in request.files.getlist("files") if f.filename]
    if not files or len(files) > MAX_UPLOAD_FILES:
        return home(_("Choose 1 to %(count)s page files.", count=MAX_UPLOAD_FILES), 400)
    assign_to = request.form.get("dossier", "").strip() or None
    station = services().upload_station(station_name(), g.identity.staff, as_person)
    station.staging = services().staging_store()
    with tempfile.TemporaryDirectory(prefix="hoso-qc-") as folder:
        paths = []
        for number, sent in enumerate(files, start=1):
            path = Path(folder) / f"{number:04d}-{secure_filename(sent.filename or '') or 'page'}"
            sent.save(path)
            paths.append(path)
        try:
            _within_pixel_budget(paths)
            report = station.process(paths, assign_to=assign_to)
        except RecordRefused:
            return home(_("There is no dossier %(code)s.", code=assign_to), 404)
        except HosoError as error:
            return home(explain(error), error.http_status)
    if report.batch is None or (not any(d.staged for d in report.dossiers) and not (
            report.held or report.unassigned)):
        return home(_("Nothing in these files could be staged: check that they are page "
                      "images or PDFs, with a cover sheet first."), 400)
    return redirect(url_for("qc.batch", batch=report.batch))


@blueprint.get("/station/qc/<batch>")
def batch(batch: str, error: str | None = None, status: int = 200) -> Any:
    found = our_batch(batch)
    for page in [p for d in found["dossiers"] for p in d["pages"]] + found["unassigned"]:
        page["label"] = UPLOAD_PREFIX.sub("", page["label"])  # the upload's own numbering
    province = services().application().province()
    components: dict[str, list[Any]] = {}
    for dossier in found["dossiers"]:
        try:
            procedure = province.procedure(
                services().application().status(dossier["code"])["procedure"])
            components[dossier["code"]] = list(procedure.components)
        except HosoError:
            components[dossier["code"]] = []
    names = {c.code: c.name for items in components.values() for c in items}
    return render_template("qc/batch.html", batch=found, components=components, names=names,
                           notes=labels.PAGE_NOTES, error=error,
                           done=request.args.get("done")), status


@blueprint.get("/station/qc/<batch>/pages/<page_id>.jpg")
def thumbnail(batch: str, page_id: str) -> Any:
    from scanning.staging import StagingRefused

    our_batch(batch)
    try:
        data = services().staging_store().thumbnail(batch, page_id)
    except (StagingRefused, OSError):
        abort(404)
    return Response(data, mimetype="image/jpeg")


@blueprint.post("/station/qc/<batch>/<action>")
def act(batch: str, action: str) -> Any:
    our_batch(batch)
    fields: dict[str, Any] = {k: v.strip() for k, v in request.form.items()
                              if k not in FORM_ONLY and v.strip()}
    try:
        with upload_slot() if action in READS_A_PAGE else nullcontext():
            if action == "rescan":
                return rescan(batch, fields)
            model = ACTIONS.get(action)
            if model is None:
                abort(404)
            if "page" in fields and fields["page"].isdigit():
                fields["page"] = int(fields["page"])
            if model is MarkComponent:
                fields["pages"] = [int(p) for p in request.form.getlist("pages") if p.isdigit()]
            answer = quality_control().run(parse(model, {**fields, "batch": batch}))
    except UploadsBusy:
        return busy(partial(batch_page, batch))
    except HosoError as error:
        if isinstance(error, Forbidden):
            raise
        return batch_page(batch, explain(error), error.http_status)
    if "approved" in answer and answer["batch"] is None:
        return redirect(url_for("qc.home", done=answer["approved"]))
    return redirect(url_for("qc.batch", batch=batch, done=action) + f"#{_anchor(fields)}")


def batch_page(name: str, error: str, status: int) -> Any:
    return batch(name, error, status)


def rescan(name: str, fields: dict[str, Any]) -> Any:
    from scanning.staging import StagingRefused

    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return batch_page(name, _("Choose the rescanned page's file."), 400)
    page = int(fields["page"]) if str(fields.get("page", "")).isdigit() else 0
    with tempfile.TemporaryDirectory(prefix="hoso-qc-") as folder:
        path = Path(folder) / (secure_filename(sent.filename) or "page")
        sent.save(path)
        try:
            _within_pixel_budget([path])
            services().staging_store().rescan(name, str(fields.get("dossier", "")), page, path)
        except StagingRefused as error:
            return batch_page(name, explain(refusal(error)), 400)
    return redirect(url_for("qc.batch", batch=name, done="rescan") + f"#{_anchor(fields)}")


def _anchor(fields: dict[str, Any]) -> str:
    return f"d-{fields.get('dossier', '')}" if fields.get("dossier") else "main"
