"""``/courier``: bags of dossiers built, handed over and accepted with a barcode gun or a phone.

A scan box keeps the focus for a keyboard-wedge gun (it types the code, then Enter). On a
bag's page each scan of a dossier code puts it in the bag, and the page says so, or says the
rule that refused it, or that it was scanned already; the bag goes to a courier in one step.
On ``/courier`` a scan of a bag's code (the manifest's barcode) accepts the whole bag at the
destination, or opens the bag elsewhere. A photo of a barcode is decoded on the server, for
phones without a gun. Every form is a plain POST over the bag commands, through ``Acting``;
htmx and ``static/courier.js`` only keep the focus, swap the bag in place and beep.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from scanning.barcodes import read_barcodes
from scanning.errors import BadPage
from scanning.images import load_pages
from tracker.commands.bags import AcceptBag, CreateBag, FillBag, HandOverBag
from tracker.commands.parse import parse
from tracker.domain import identifiers
from tracker.domain.bag import BAG_CODE, new_bag_code
from tracker.domain.errors import Forbidden, HosoError, RuleViolation
from tracker.identity.permissions import RULES
from tracker.web.auth import acting, services
from tracker.web.sessions import signed_in

blueprint = Blueprint("courier", __name__)
MAX_PHOTO = 8 * 1024 * 1024


@blueprint.before_request
@signed_in
def bag_workers_only() -> None:
    if g.identity.role not in RULES["bag"]:
        abort(403)


def _feedback(kind: str, message: str) -> dict[str, str]:
    """``kind``: ok (in the bag, accepted), repeat (scanned already) or refused."""
    return {"kind": kind, "message": message}


@blueprint.get("/")
def home(feedback: dict[str, str] | None = None, status: int = 200) -> Any:
    province = services().application().province()
    offices = [o for o in province.offices.values() if o.code != g.identity.office]
    return render_template("courier/home.html", feedback=feedback, offices=offices,
                           key=new_bag_code(), can_make=g.identity.role in RULES["bag-create"],
                           province=province), status


@blueprint.post("/bags")
def create() -> Any:
    try:
        command = parse(CreateBag, {"by": g.identity.staff, "bag": request.form.get("key"),
                                    "to_office": request.form.get("to_office", "")})
        made = acting().bag_command(command)
    except HosoError as error:
        if isinstance(error, Forbidden):
            raise
        return home(_feedback("refused", str(error)), error.http_status)
    return redirect(url_for("courier.bag", code=made["bag"]))


@blueprint.post("/scan")
def scan() -> Any:
    """A bag's code: accepted here when it is bound here and on its way, else opened."""
    text = _scanned()
    if text is None:
        return home(_feedback("refused", _("No barcode could be read from the photo.")), 400)
    if not re.match(BAG_CODE, text.upper()):
        return home(_feedback("refused", _("Scan the barcode on a bag's manifest here; "
                                           "dossiers are scanned on a bag's page.")), 400)
    try:
        found = acting().bag(text)
        if found["state"] == "handed_over" and found["to_office"] == g.identity.office:
            command = parse(AcceptBag, {"by": g.identity.staff, "bag": found["bag"],
                                        "office": g.identity.office})
            acting().bag_command(command)
            return redirect(url_for("courier.bag", code=found["bag"], done="accepted"))
    except HosoError as error:
        if isinstance(error, Forbidden):
            raise
        return home(_feedback("refused", str(error)), error.http_status)
    return redirect(url_for("courier.bag", code=found["bag"]))


@blueprint.get("/bags/<code>")
def bag(code: str, feedback: dict[str, str] | None = None, status: int = 200) -> Any:
    """The bag's page; a refusal's status is 200 for htmx, which swaps only successes."""
    if request.headers.get("HX-Request"):
        status = 200
    shown = acting().bag(code)
    province = services().application().province()
    couriers = sorted((s for s in province.staff.values() if s.role == "courier"),
                      key=lambda s: (s.office != g.identity.office, s.id))
    done = request.args.get("done")
    if feedback is None and done == "accepted":
        feedback = _feedback("ok", _("Bag accepted: %(n)s dossiers.", n=len(shown["accepted"])))
    if feedback is None and done == "handed_over":
        feedback = _feedback("ok", _("Bag handed over to %(courier)s.",
                                     courier=shown["courier"]))
    role = g.identity.role
    return render_template(
        "courier/bag.html", bag=shown, feedback=feedback, province=province,
        couriers=couriers, key=uuid.uuid4().hex,
        may_fill=shown["state"] == "open" and role in RULES["bag-fill"]
        and g.identity.office == shown["office"],
        may_accept=shown["state"] == "handed_over" and role in RULES["bag-accept"]
        and g.identity.office == shown["to_office"]), status


@blueprint.post("/bags/<code>/scan")
def fill(code: str) -> Any:
    """One scanned dossier code into the open bag, with the page saying what happened."""
    text = _scanned()
    if text is None:
        return bag(code, _feedback("refused", _("No barcode could be read from the photo.")),
                   400)
    if not re.match(identifiers.DOSSIER_CODE, text):
        return bag(code, _feedback("refused", _("%(text)s is not a dossier code.",
                                                text=text[:60])), 400)
    try:
        acting().bag_command(parse(FillBag, {"by": g.identity.staff, "bag": code,
                                             "codes": [text]}))
    except RuleViolation as error:
        if error.rule == "once-in-bag":
            return bag(code, _feedback("repeat", _("%(code)s was scanned already.",
                                                   code=text)))
        return bag(code, _feedback("refused", str(error)), error.http_status)
    except HosoError as error:
        if isinstance(error, Forbidden):
            raise
        return bag(code, _feedback("refused", str(error)), error.http_status)
    return bag(code, _feedback("ok", _("%(code)s is in the bag.", code=text)))


@blueprint.post("/bags/<code>/handover")
def handover(code: str) -> Any:
    return _step(code, HandOverBag, {"courier": request.form.get("courier", "")},
                 "handed_over")


@blueprint.post("/bags/<code>/accept")
def accept(code: str) -> Any:
    return _step(code, AcceptBag, {"office": g.identity.office,
                                   "missing": request.form.getlist("missing")}, "accepted")


def _step(code: str, model: type[HandOverBag | AcceptBag], fields: dict[str, Any],
          done: str) -> Any:
    try:
        acting().bag_command(parse(model, {**fields, "by": g.identity.staff, "bag": code}))
    except HosoError as error:
        if isinstance(error, Forbidden):
            raise
        return bag(code, _feedback("refused", str(error)), error.http_status)
    return redirect(url_for("courier.bag", code=code, done=done))


@blueprint.get("/bags/<code>/manifest.pdf")
def manifest(code: str) -> Any:
    from tracker.slips.bag_manifest import render_manifest
    from tracker.web.slips import attachment

    shown = acting().bag(code)
    body = render_manifest(shown, services().application().province())
    return attachment(body, "pdf", f"{shown['bag']}.pdf")


def _scanned() -> str | None:
    """The typed (or gun-typed) code, else the first barcode on an uploaded photo; None when a
    photo was sent and nothing could be read on it."""
    photo = request.files.get("photo")
    if photo is not None and photo.filename:
        return _decode(photo)
    return request.form.get("code", "").strip()


def _decode(photo: FileStorage) -> str | None:
    with tempfile.TemporaryDirectory(prefix="hoso-photo-") as folder:
        path = Path(folder) / "photo"
        data = photo.stream.read(MAX_PHOTO + 1)
        if len(data) > MAX_PHOTO:
            return None
        path.write_bytes(data)
        try:
            pages = load_pages(path)
        except BadPage:
            return None
    for page in pages[:1]:
        for symbol in read_barcodes(page.pixels):
            return symbol.text
    return None
