"""``/courier``: bags of dossiers built, handed over and accepted with a barcode gun or a phone.

A scan box keeps the focus for a keyboard-wedge gun (it types the code, then Enter). On a
bag's page each scan of a dossier code puts it in the bag, and the page says so, or says the
rule that refused it, or that it was scanned already; the bag goes to a courier in one step.
On ``/courier`` a scan of a bag's code (the manifest's barcode) accepts the whole bag at the
destination, or opens the bag elsewhere. A photo of a barcode is decoded on the server, for
phones without a gun. Every form is a plain POST over the bag commands, through ``Acting``;
``static/courier.js`` keeps the focus, sends the scans without reloading the page, and beeps.

Offline, ``courier.js`` keeps each scan on the device (IndexedDB) with its device time and an
idempotency key, and sends it when the link returns: the scan routes take ``device_time`` and
the ``Idempotency-Key`` header, so a queue sent twice records once and the events keep the
device's time apart from their own. A service worker (``/courier/sw.js``, its scope the
courier's pages) keeps these pages and their assets for a reload without a link.
"""

from __future__ import annotations

import re
import uuid
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
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _

from tracker.commands.bags import AcceptBag, CreateBag, FillBag, HandOverBag
from tracker.commands.parse import parse
from tracker.domain import identifiers
from tracker.domain.bag import BAG_CODE, new_bag_code
from tracker.domain.errors import Forbidden, HosoError, RuleViolation
from tracker.identity.permissions import RULES
from tracker.web import labels
from tracker.web.api import idempotency_key
from tracker.web.auth import acting, services
from tracker.web.i18n import explain
from tracker.web.photos import codes_on
from tracker.web.sessions import signed_in

blueprint = Blueprint("courier", __name__)
SERVICE_WORKER = "courier-sw.js"


@blueprint.before_request
def bag_workers_only() -> Any:
    if request.endpoint == "courier.service_worker":
        return None  # fetched by the browser itself, also after the session has ended
    return _bag_worker()


@signed_in
def _bag_worker() -> None:
    if g.identity.role not in RULES["bag"]:
        abort(403)


@blueprint.get("/sw.js")
def service_worker() -> Response:
    """The service worker, served here so its scope is the courier's pages; checked for a
    new version on every visit."""
    answer = send_from_directory(str(current_app.static_folder), SERVICE_WORKER,
                                 mimetype="text/javascript", max_age=0)
    answer.headers["Cache-Control"] = "no-cache"
    answer.headers["Service-Worker-Allowed"] = url_for("courier.home")
    return answer


def _feedback(kind: str, message: str, late: bool = False) -> dict[str, Any]:
    """``kind``: ok (in the bag, accepted), repeat (scanned already) or refused; ``late``:
    the scan was sent late and recorded with the device's time of it."""
    return {"kind": kind, "message": message, "late": late}


def _device_time() -> str | None:
    """The device's time of a scan sent late (a form field the page's script adds)."""
    return request.form.get("device_time") or None


def _late_note(shown: dict[str, Any], step: str) -> tuple[str, bool]:
    """`` (scanned …, synced late)`` when the bag's last step is ``step`` and came late."""
    last = shown["steps"][-1] if shown["steps"] else None
    if last is None or last["step"] != step or not last["synced_late"]:
        return "", False
    return " " + _("Scanned on the device at %(time)s; synced late.",
                   time=labels.local_time(last["device_time"])), True


@blueprint.get("/")
def home(feedback: dict[str, Any] | None = None, status: int = 200) -> Any:
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
        return home(_feedback("refused", explain(error)), error.http_status)
    return redirect(url_for("courier.bag", code=made["bag"]))


@blueprint.post("/scan")
def scan() -> Any:
    """A bag's code: accepted here when it is bound here and on its way, else opened. A scan
    sent late (with its device time and key) is accepted when the bag is bound here, so a
    queue sent twice answers as the first time, and refused otherwise: opening a bag means
    nothing to a scan made earlier."""
    text = _scanned()
    if text is None:
        return home(_feedback("refused", _("No barcode could be read from the photo.")), 400)
    if not re.match(BAG_CODE, text.upper()):
        return home(_feedback("refused", _("Scan the barcode on a bag's manifest here; "
                                           "dossiers are scanned on a bag's page.")), 400)
    late = _device_time()
    try:
        key = idempotency_key()
        found = acting().bag(text)
        bound_here = found["to_office"] == g.identity.office
        if bound_here and (found["state"] == "handed_over" or late is not None):
            command = parse(AcceptBag, {"by": g.identity.staff, "bag": found["bag"],
                                        "office": g.identity.office, "device_time": late})
            acting().bag_command(command, key)
            return redirect(url_for("courier.bag", code=found["bag"], done="accepted"))
    except HosoError as error:
        if isinstance(error, Forbidden) and late is None:
            raise  # a scan sent late is answered in place: its device lists the refusal
        return home(_feedback("refused", explain(error)), error.http_status)
    if late is not None:
        return home(_feedback("refused", _("%(bag)s is not on its way to this office; nothing "
                                           "was recorded.", bag=found["bag"])), 409)
    return redirect(url_for("courier.bag", code=found["bag"]))


@blueprint.get("/bags/<code>")
def bag(code: str, feedback: dict[str, Any] | None = None, status: int = 200) -> Any:
    """The bag's page, with what the last step or scan did."""
    shown = acting().bag(code)
    province = services().application().province()
    couriers = sorted((s for s in province.staff.values() if s.role == "courier"),
                      key=lambda s: (s.office != g.identity.office, s.id))
    done = request.args.get("done")
    if feedback is None and done == "accepted":
        note, late = _late_note(shown, "accepted")
        feedback = _feedback("ok", _("Bag accepted: %(n)s dossiers.", n=len(shown["accepted"]))
                             + note, late)
    if feedback is None and done == "handed_over":
        carrier = province.staff.get(shown["courier"] or "")
        feedback = _feedback("ok", _("Bag handed over to %(courier)s.",
                                     courier=carrier.name if carrier else shown["courier"]))
    role = g.identity.role
    return render_template(
        "courier/bag.html", bag=shown, feedback=feedback, province=province,
        couriers=couriers, key=uuid.uuid4().hex, labels=labels,
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
        key = idempotency_key()
        filled = acting().bag_command(parse(FillBag, {
            "by": g.identity.staff, "bag": code, "codes": [text],
            "device_time": _device_time()}), key)
    except RuleViolation as error:
        if error.rule == "once-in-bag":
            return bag(code, _feedback("repeat", _("%(code)s was scanned already.",
                                                   code=text)))
        return bag(code, _feedback("refused", explain(error)), error.http_status)
    except HosoError as error:
        if isinstance(error, Forbidden):
            raise
        return bag(code, _feedback("refused", explain(error)), error.http_status)
    note, late = _late_note(filled, "filled")
    return bag(code, _feedback("ok", _("%(code)s is in the bag.", code=text) + note, late))


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
        return bag(code, _feedback("refused", explain(error)), error.http_status)
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
        return next(iter(codes_on(photo)), None)
    return request.form.get("code", "").strip()
