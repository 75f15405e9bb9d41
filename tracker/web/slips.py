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


def _slip_route(kind: str) -> None:
    """``GET /dossiers/<code>/slips/<kind>.pdf``: one route per slip, so each path is listed
    and checked on its own."""

    def slip(code: str) -> Response:
        document = acting().slip(code, kind)
        url = lookup_url(services().settings.public_url, document.code)
        return attachment(render_slip(document, url), "pdf", f"{document.code}-{kind}.pdf")

    blueprint.add_url_rule(f"/dossiers/<code>/slips/{kind}.pdf", f"slip_{kind}", slip,
                           methods=["GET"])


def _register_route(form: str) -> None:
    def register(office: str) -> Response:
        query = parse(RegisterQuery, {**request.args.to_dict(), "office": office})
        document = acting().register(query.office, query.start, query.end)
        body = render_register(document) if form == "pdf" else register_csv(document)
        name = f"so-theo-doi-{query.office}-{query.start}-{query.end}.{form}"
        return attachment(body, form, name)

    blueprint.add_url_rule(f"/offices/<office>/register.{form}", f"register_{form}", register,
                           methods=["GET"])


for _kind in SLIP_KINDS:
    _slip_route(_kind)
for _form in REGISTER_FORMATS:
    _register_route(_form)
