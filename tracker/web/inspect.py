"""``/inspect``: the inspector's pages — search, a dossier's verified custody timeline, the
dossier as it stood at a moment, its scanned pages, its audit export and the read log.

Every read goes through ``tracker.inspecting.Inspecting``: the ``inspect`` rule of the
permission table, then ``Acting`` for the dossier's visibility and the access log, which records
each read of personal data before the page or file is sent. An uploaded export is checked with
the offline verifier only (events.export.offline), against the log's public key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from events.evidence.keys import KeyFileError, load_verifier
from events.evidence.notes import NoteError, Verifier
from events.export.files import MalformedExport, parse_export
from events.export.offline import verify_export
from tracker.application import NotInitialised
from tracker.custody_export import FORMATS, MEDIA_TYPES, ExportFailure, make_export, render
from tracker.domain.calendar import LOCAL_TZ
from tracker.domain.errors import N_, BadInput
from tracker.inspecting import Inspecting
from tracker.timeparse import parse_moment
from tracker.web import labels
from tracker.web.auth import acting, services
from tracker.web.i18n import explain
from tracker.web.sessions import signed_in

blueprint = Blueprint("inspect", __name__)
blueprint.before_request(signed_in(lambda: None))


@blueprint.context_processor
def helpers() -> dict[str, Any]:
    """Names for the codes a timeline holds, and times to the second in Vietnam's time."""
    province = services().application().province()

    def staff_name(staff: str | None) -> str:
        person = province.staff.get(staff or "")
        return f"{person.name} ({staff})" if person else staff or "—"

    def office_name(office: str | None) -> str:
        place = province.offices.get(office or "")
        return place.name if place else office or "—"

    return {"staff_name": staff_name, "office_name": office_name, "clock": clock}


def clock(moment: str | None) -> str:
    if not moment:
        return "—"
    return datetime.fromisoformat(moment).astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M:%S")


def inspecting() -> Inspecting:
    return Inspecting(services(), acting())


@blueprint.get("/")
def search() -> str:
    """Search by code or by words of the scans, accents and case ignored."""
    query = request.args.get("q", "").strip()
    found = inspecting().search(query) if query else None
    return render_template("inspect/search.html", query=query, found=found)


@blueprint.get("/dossiers/<code>")
def dossier(code: str) -> Any:
    """The custody timeline, each step verified; with ``?as_of=``, the dossier as it stood."""
    inspector = inspecting()
    status, found = inspector.timeline(code)
    replay = error = None
    moment = request.args.get("as_of", "").strip()
    if moment:
        try:
            replay = inspector.replay(status["code"], parse_moment(moment, _("Moment")))
        except BadInput as refused:
            error = explain(refused)
    return render_template("inspect/dossier.html", status=status, timeline=found,
                           replay=replay, error=error, moment=moment, labels=labels,
                           before=before, formats=FORMATS)


def before(moment: str | None) -> str:
    """The moment just before ``moment`` (an event's record time), in local time."""
    if not moment:
        return ""
    return (datetime.fromisoformat(moment) - timedelta(microseconds=1)).astimezone(
        LOCAL_TZ).isoformat()


@blueprint.get("/dossiers/<code>/pages")
def pages(code: str) -> str:
    """The scanned pages, one image after another, for roles that may see them."""
    inspector = inspecting()
    status = inspector.acting.status(code)
    return render_template("inspect/pages.html", status=status, pages=inspector.pages(code))


@blueprint.get("/dossiers/<code>/pages/<path:key>")
def page(code: str, key: str) -> Response:
    """One page image, after the download rule and the access log, as the API serves it."""
    inspecting().acting.may_download(code, key)
    objects = services().application().objects
    info = objects.stat(key)
    body = b"".join(objects.get(key))  # whole and verified, or a 500 before any byte
    return Response(body, mimetype=info.content_type,
                    headers={"Cache-Control": "private, no-store"})


@blueprint.get("/dossiers/<code>/export")
def export(code: str) -> Response:
    """The audit export (``?format=pdf|csv|json``), verified before it is sent; the read is
    logged as an export."""
    form = request.args.get("format", "pdf")
    if form not in FORMATS:
        abort(404)
    inspector = inspecting()
    status = inspector.acting.status(code)
    verifier = log_verifier()
    inspector.log_export(status["code"])
    try:
        made = make_export(services(), status["code"], verifier)
    except ExportFailure:
        raise NotInitialised(N_("the log cannot back an export now: run 'hoso audit verify'")
                             ) from None
    return Response(render(form, made.document, made.report), content_type=MEDIA_TYPES[form],
                    headers={"Content-Disposition":
                             f'attachment; filename="{status["code"]}-audit.{form}"',
                             "Cache-Control": "private, no-store"})


@blueprint.post("/verify")
def verify() -> tuple[str, int]:
    """Check an uploaded export with the offline verifier and the log's public key."""
    inspecting()
    upload = request.files.get("export")
    data = upload.read() if upload is not None else b""
    report = problem = None
    try:
        report = verify_export(parse_export(data), log_verifier())
    except MalformedExport as error:
        problem = str(error)
    return render_template("inspect/verified.html", report=report, problem=problem,
                           name=upload.filename if upload is not None else None), (
        200 if report is not None else 400)


@blueprint.get("/reads")
def reads() -> str:
    """The read log, filtered by dossier or by staff member."""
    dossier_code = request.args.get("dossier", "").strip()
    staff = request.args.get("staff", "").strip()
    rows = inspecting().reads(dossier_code, staff)
    return render_template("inspect/reads.html", rows=list(reversed(rows)),
                           dossier=dossier_code, staff=staff, labels=labels)


def log_verifier() -> Verifier:
    """The log's public key (HOSO_AUDIT_PUBLIC_KEY, or audit.pub beside the signing key)."""
    public = services().settings.audit_public_key
    if public is None:
        raise NotInitialised(N_("no public key of the log is configured"))
    try:
        return load_verifier(public)
    except (KeyFileError, NoteError, OSError):
        raise NotInitialised(N_("no public key of the log is configured")) from None
