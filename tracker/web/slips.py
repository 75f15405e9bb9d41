"""``/api/v1``: the printed papers as files, each as the token's identity.

``GET /dossiers/<code>/slips/<kind>.pdf`` for the four slips and
``GET /offices/<office>/register.pdf|.csv?from=&to=`` for the register. They show the
applicant's name and ID, so each goes through ``Acting`` (the permission table, then the access
log, which records the read before a byte is sent); couriers are refused.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from tracker.commands.parse import parse
from tracker.commands.slips import REGISTER_FORMATS, SLIP_KINDS, RegisterQuery
from tracker.slips.documents import lookup_url
from tracker.slips.pdf import render_slip
from tracker.slips.register import register_csv
from tracker.slips.register_pdf import render_register
from tracker.web.auth import acting, require_token, services

blueprint = Blueprint("slips", __name__)
blueprint.before_request(require_token)

MEDIA = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


def attachment(body: bytes, form: str, name: str) -> Response:
    disposition = f'attachment; filename="{name}"'
    return Response(body, content_type=MEDIA[form], headers={
        "Content-Disposition": disposition, "Cache-Control": "private, no-store"})


def slip_file(code: str, kind: str) -> Response:
    """The dossier's ``kind`` slip as a PDF download, for the signed-in identity of this
    request: its bearer token here, or a page's session behind ``signed_in``."""
    document = acting().slip(code, kind)
    url = lookup_url(services().settings.public_url, document.code)
    return attachment(render_slip(document, url), "pdf", f"{document.code}-{kind}.pdf")


def register_file(office: str, form: str) -> Response:
    """``office``'s register for the request's ``from`` and ``to`` as a ``form`` (pdf, csv)
    download, for the signed-in identity of this request."""
    query = parse(RegisterQuery, {**request.args.to_dict(), "office": office})
    document = acting().register(query.office, query.start, query.end)
    body = render_register(document) if form == "pdf" else register_csv(document)
    return attachment(body, form, f"so-theo-doi-{query.office}-{query.start}-{query.end}.{form}")


def _slip_route(kind: str) -> None:
    """``GET /dossiers/<code>/slips/<kind>.pdf``: one route per slip, so each path is listed
    and checked on its own."""
    blueprint.add_url_rule(f"/dossiers/<code>/slips/{kind}.pdf", f"slip_{kind}",
                           lambda code: slip_file(code, kind), methods=["GET"])


def _register_route(form: str) -> None:
    blueprint.add_url_rule(f"/offices/<office>/register.{form}", f"register_{form}",
                           lambda office: register_file(office, form), methods=["GET"])


for _kind in SLIP_KINDS:
    _slip_route(_kind)
for _form in REGISTER_FORMATS:
    _register_route(_form)
