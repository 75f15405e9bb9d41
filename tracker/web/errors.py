"""Every error leaves the API as ``{"error": code, "message": …}`` (and ``"rule"`` for a rule's
refusal) with its status, and the pages as a page saying the same (``wants_page``), the message
in the visitor's language.

Refusals (``HosoError``, ``StorageError``) carry their code and status on the class. Werkzeug's
HTTP errors keep their headers (``Allow`` on a 405). Anything else is a fault of ours: it
answers 500 with a generic message and an incident id, and the id and the traceback go to the
log, never the exception's text to the caller.
"""

from __future__ import annotations

import logging
import uuid
from typing import cast

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from tracker.refusals import REFUSALS, Refusal
from tracker.web.i18n import explain

log = logging.getLogger("hoso.web")


def json_error(status: int, code: str, message: str, **extra: str) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message, **extra}), status


MACHINE_PATHS = ("/api/", "/healthz", "/readyz", "/static/")


def wants_page() -> bool:
    """True for a person's page, whose errors are pages too; the API and probes get JSON."""
    return not request.path.startswith(MACHINE_PATHS)


def error_page(status: int, message: str, incident: str | None = None) -> tuple[str, int]:
    return render_template("error.html", status=status, message=message,
                           incident=incident), status


def register(app: Flask) -> None:
    def refused(error: Exception) -> tuple[Response | str, int]:
        refusal = cast(Refusal, error)
        if wants_page():
            return error_page(refusal.http_status, explain(error))
        rule = getattr(error, "rule", None)
        return json_error(refusal.http_status, refusal.code, explain(error),
                          **({"rule": rule} if rule else {}))

    for kind in REFUSALS:
        app.register_error_handler(kind, refused)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | tuple[str, int]:
        if wants_page():
            return error_page(error.code or 500, "")
        code = (error.name or "error").lower().replace(" ", "_")
        response, status = json_error(error.code or 500, code, error.description or code)
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        response.status_code = status
        return response

    @app.errorhandler(Exception)
    def failure(error: Exception) -> tuple[Response | str, int]:
        incident = uuid.uuid4().hex[:12]
        log.error("incident %s: unhandled %s", incident, type(error).__name__,
                  exc_info=error)
        if wants_page():
            return error_page(500, "", incident)
        return json_error(500, "internal", "the server failed; report incident "
                          f"{incident} to the operators", incident=incident)
