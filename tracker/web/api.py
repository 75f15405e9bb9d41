"""``/api/v1``: the CLI's commands over HTTP. Commands are POSTs on a dossier's sub-resources."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from tracker.application import CustodyApplication
from tracker.domain.errors import BadInput, UnknownReference
from tracker.domain.scan_details import ScanDetails
from tracker.presenters import office_rows, procedure_rows, staff_rows
from tracker.timeparse import parse_date, parse_moment
from tracker.web.views import views

blueprint = Blueprint("api", __name__)


def custody() -> CustodyApplication:
    app: CustodyApplication = current_app.extensions["custody"]
    return app


class Body:
    """The JSON request body, read with a clear 400 for anything missing or mistyped."""

    def __init__(self) -> None:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadInput("the request body must be a JSON object")
        self.data: dict[str, Any] = data

    def required(self, name: str) -> str:
        if self.data.get(name) is None:
            raise BadInput(f"{name!r} is required")
        return self._string(name)

    def optional(self, name: str) -> str | None:
        return None if self.data.get(name) is None else self._string(name)

    def _string(self, name: str) -> str:
        value = self.data[name]
        if not isinstance(value, str):
            raise BadInput(f"{name!r} must be a string")
        return value

    def flag(self, name: str) -> bool:
        value = self.data.get(name, False)
        if not isinstance(value, bool):
            raise BadInput(f"{name!r} must be true or false")
        return value

    def strings(self, name: str) -> list[str]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadInput(f"{name!r} must be a list of strings")
        return value

    def optional_integer(self, name: str) -> int | None:
        return None if self.data.get(name) is None else self.integer(name)

    def integer(self, name: str) -> int:
        value = self.data.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadInput(f"{name!r} must be a whole number")
        return value

    def scan_details(self, station: str | None = None) -> ScanDetails:
        """What a scanning station reports with a scan: resolution, blank pages (1-based, kept
        in the scan, only flagged) and the quality notes the operator was shown."""
        notes = self.data.get("quality_notes", [])
        blank = self.data.get("blank_pages", [])
        if not isinstance(notes, list) or not all(isinstance(n, dict) for n in notes):
            raise BadInput("'quality_notes' must be a list of objects")
        if not isinstance(blank, list) or not all(type(n) is int for n in blank):
            raise BadInput("'blank_pages' must be a list of page numbers")
        return ScanDetails(dpi=self.optional_integer("dpi"), blank_pages=blank,
                           quality_notes=notes, station=station)


@blueprint.post("/dossiers")
def receive() -> tuple[Response, int]:
    body = Body()
    status = custody().receive(
        office=body.required("office"), procedure=body.required("procedure"),
        applicant_name=body.required("applicant_name"),
        applicant_id=body.required("applicant_id"), actor=body.required("actor"),
        components=body.strings("components"), phone=body.optional("phone"),
        accept_incomplete=body.flag("accept_incomplete"),
        device=body.optional("device"),
    )
    return jsonify(status), 201


@blueprint.get("/dossiers/<code>")
def status(code: str) -> Response:
    return jsonify(views().status(code))  # the status view, caught up with the log first


@blueprint.get("/dossiers/<code>/history")
def history(code: str) -> Response:
    as_of = request.args.get("as_of")
    moment = parse_moment(as_of, "as_of") if as_of else None
    return jsonify(custody().history(code, as_of=moment))


@blueprint.get("/dossiers/<code>/objects/<path:key>")
def download(code: str, key: str) -> Response:
    """A scanned object of the dossier, verified before it is sent. ``by`` names the staff member
    asking; until accounts exist (issue 7) it is a claim, which is why the API stays on loopback.
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


@blueprint.post("/dossiers/<code>/<action>")
def act(code: str, action: str) -> Response:
    body = Body()
    by = body.required("by")
    device = body.optional("device")
    app = custody()
    commands = {
        "handover": lambda: app.hand_over(
            code, by, body.required("to_office"), courier=body.optional("courier"),
            to_person=body.optional("to"), manifest=body.optional("manifest"),
            device=device, pages_counted=body.optional_integer("pages")),
        "accept": lambda: app.accept(code, by, body.required("office"), device=device),
        "request-supplement": lambda: app.request_supplement(
            code, by, body.required("reason"), device=device),
        "supplement-received": lambda: app.receive_supplement(code, by, device=device),
        "pause": lambda: app.pause(code, by, body.required("reason"), device=device),
        "resume": lambda: app.resume(code, by, device=device),
        "reschedule": lambda: app.reschedule(
            code, by, parse_date(body.required("to"), "to"), body.required("reason"),
            device=device),
        "reject": lambda: app.reject(code, by, body.required("reason"), device=device),
        "resolve": lambda: app.resolve(code, by, device=device),
        "return": lambda: app.return_result(code, by, by_post=body.flag("by_post"),
                                            device=device),
        "cancel": lambda: app.cancel(code, by, body.required("reason"), device=device),
        "collect-fee": lambda: app.collect_fee(code, by, body.integer("amount"),
                                               device=device),
        "digitise": lambda: app.digitise(
            code, by, body.strings("pages"), ocr_text_key=body.optional("ocr_text_key"),
            pdf_key=body.optional("pdf_key"), quality=body.optional("quality") or "ok",
            device=device, cleaned=body.strings("cleaned"), details=body.scan_details()),
    }
    if action not in commands:
        raise UnknownReference(f"unknown action {action!r}; one of {', '.join(commands)}")
    return jsonify(commands[action]())


@blueprint.get("/offices")
def offices() -> Response:
    return jsonify(office_rows(custody().province()))


@blueprint.get("/staff")
def staff() -> Response:
    return jsonify(staff_rows(custody().province()))


@blueprint.get("/procedures")
def procedures() -> Response:
    return jsonify(procedure_rows(custody().province()))
