"""``/counter``: the receiver's pages at the one-stop shop counter.

Find the procedure by name or code (accents and case ignored), tick its components with the
required ones marked, type the applicant's details, and receive: the dossier gets its code, the
fee can be collected in the same step, and the next page offers the receipt. An incomplete
dossier is received only with a stated reason. The same form says how the dossier came (its
channel) and can instead refuse it, with the reason, which records the refusal under a code of
its own and offers the refusal slip (Mẫu 03). The form carries an idempotency key made when it
was shown, so a double click or a resent form records one dossier, not two.

The citizen writes nothing: the QR code of their chip ID card, typed by a gun into the scan box
or photographed by a phone and decoded here, fills in their name and ID number, proposes the
commune their address names, and shows their date of birth, sex and address for the receiver
to check; none of these three and nothing of the card's text is kept (the page is not cached
either). Without JavaScript the scan box posts and the form comes back filled; with it, htmx
swaps the filled applicant's fields in place. A procedure decided where the applicant lives
asks for their commune, and any counter receives it (tracker.domain.province.Province.route).
A postal receiver at a home appointment uses the same page on a phone, with the channel
"home".

Once the applicant's ID number is known (read from the card, or typed and looked up), the form
offers the papers digitised for their earlier dossiers, of the kinds the procedure needs: each
paper's kind, the day it was scanned and the office, never its pages, and every earlier dossier
named is logged as read. The receiver ticks those the citizen confirms are still valid; the
receipt then records them as taken again from the earlier scan (``ComponentsReused``) and counts
them as handed in.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.commands.dossiers import CollectFee, Receive, RefuseAtCounter
from tracker.commands.parse import parse
from tracker.domain.cccd import IdCard, read_card
from tracker.domain.errors import BadInput, Forbidden, HosoError
from tracker.domain.province import Locality, Procedure, Province
from tracker.identity.permissions import RULES
from tracker.search.fold import fold
from tracker.web import labels
from tracker.web.auth import acting, services
from tracker.web.i18n import explain
from tracker.web.photos import codes_on
from tracker.web.sessions import signed_in

blueprint = Blueprint("counter", __name__)
MAX_LISTED = 50
SEXES = {"Nam": _l("Male"), "Nữ": _l("Female")}
"""The sexes an ID card states, as the page names them."""


@blueprint.before_request
@signed_in
def receivers_only() -> None:
    if g.identity.role not in RULES["receive"]:
        abort(403)


@blueprint.after_request
def not_cached(response: Response) -> Response:
    """Counter pages show an applicant's identity: no browser or proxy keeps a copy."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def matching(query: str) -> list[Procedure]:
    """The procedures whose code or name holds every word of ``query``, accents ignored."""
    words = fold(query).split()
    procedures = services().application().province().procedures.values()
    return [p for p in procedures
            if all(w in fold(f"{p.code} {p.name} {p.field}") for w in words)][:MAX_LISTED]


@blueprint.get("/")
def find_procedure() -> str:
    query = request.args.get("q", "").strip()
    return render_template("counter/procedures.html", query=query,
                           procedures=matching(query))


@blueprint.get("/receive")
def receive_form() -> Any:
    procedure = services().application().province().procedures.get(
        request.args.get("procedure", ""))
    if procedure is None:
        return redirect(url_for("counter.find_procedure"))
    return form_page(procedure, {}, [], uuid.uuid4().hex)


def form_page(procedure: Procedure, form: Any, ticked: list[str], key: str, **shown: Any
              ) -> str:
    """The receive form of ``procedure`` with ``form``'s values; ``shown``: an ``error``, the
    ``card`` just read or a ``card_error``. Once the applicant's ID number is known, the form
    offers their papers digitised for earlier dossiers, of the kinds the procedure needs."""
    province = services().application().province()
    applicant_id = str(form.get("applicant_id", "") or "").strip()
    earlier = acting().earlier_papers(applicant_id, procedure.code) if applicant_id else None
    return render_template("counter/receive.html", procedure=procedure, form=form,
                           ticked=ticked, key=key, labels=labels, sexes=SEXES,
                           communes=communes(province) if procedure.resolving_by_locality
                           else [], earlier=earlier, reusing=reused_ticks(form),
                           component_names={c.code: c.name for c in procedure.components},
                           offices=province.offices, **shown)


def reused_ticks(form: Any) -> list[str]:
    """The earlier papers ticked on ``form``, each ``<source dossier>|<component>``."""
    return list(form.getlist("reuse")) if hasattr(form, "getlist") else []


def reused_from(form: Any) -> list[dict[str, str]]:
    """The earlier papers the citizen confirmed, as the Receive command names them."""
    chosen = []
    for tick in reused_ticks(form):
        source, _, component = tick.partition("|")
        chosen.append({"source": source, "component": component})
    return chosen


def communes(province: Province) -> list[tuple[str, list[Locality]]]:
    """The localities an applicant may be said to live in (those with none within them),
    grouped under the name of the one each is within ("" for none), in the file's order."""
    larger = {item.within for item in province.localities.values() if item.within}
    groups: dict[str, list[Locality]] = {}
    for item in province.localities.values():
        if item.code not in larger:
            around = province.localities.get(item.within or "")
            groups.setdefault(around.name if around else "", []).append(item)
    return list(groups.items())


def the_procedure() -> Procedure | None:
    """The procedure the form names, or None when it names none."""
    return services().application().province().procedures.get(
        request.form.get("procedure", ""))


def form_again(procedure: Procedure, error: str, status: int) -> tuple[str, int]:
    """The receive form shown again with what was typed and what to fix."""
    form = request.form
    return form_page(procedure, form, form.getlist("components"), form_key(),
                     error=error), status


def form_key() -> str:
    return request.form.get("key", "") or uuid.uuid4().hex


def applicant_fields(procedure: Procedure) -> dict[str, Any]:
    """The fields a receipt and a refusal share, from the form and the session."""
    form = request.form
    return {"office": g.identity.office, "procedure": procedure.code,
            "applicant_name": form.get("applicant_name", ""),
            "applicant_id": form.get("applicant_id", ""),
            "phone": form.get("phone", "").strip() or None,
            "components": form.getlist("components"),
            "channel": form.get("channel") or "counter", "actor": g.identity.staff}


@blueprint.post("/receive")
def receive() -> Any:
    procedure = the_procedure()
    if procedure is None:
        return redirect(url_for("counter.find_procedure"))
    form = request.form
    reuse = reused_from(form)
    missing = [c for c in procedure.required_components
               if c not in form.getlist("components")
               and c not in {item["component"] for item in reuse}]
    reason = form.get("incomplete_reason", "").strip()
    if missing and not reason:
        return form_again(procedure, _(
            "Required components are missing: give the reason for receiving the "
            "dossier incomplete, or tick what the citizen handed in."), 400)
    key = form_key()
    try:
        command = parse(Receive, {**applicant_fields(procedure),
                                  "accept_incomplete": bool(missing),
                                  "incomplete_reason": reason or None,
                                  "locality": form.get("locality") or None,
                                  "reuse": reuse})
        status = acting().execute(command, f"counter-{key}")
        if form.get("collect_fee") and procedure.fee > 0:
            acting().execute(parse(CollectFee, {"code": status["code"], "by": g.identity.staff,
                                                "amount": procedure.fee}), f"fee-{key}")
    except HosoError as error:
        if isinstance(error, Forbidden):
            raise
        return form_again(procedure, explain(error), error.http_status)
    return redirect(url_for("counter.received", code=status["code"]))


@blueprint.post("/papers")
def papers() -> Any:
    """The receive form again as it was filled, with the applicant's earlier digitised papers
    offered for the ID number typed (the ID card's scan offers them too)."""
    procedure = the_procedure()
    if procedure is None:
        return redirect(url_for("counter.find_procedure"))
    form = request.form
    return form_page(procedure, form, form.getlist("components"), form_key())


@blueprint.post("/card")
def card() -> Any:
    """The receive form again, filled from the ID card the scan box or the photo holds; for
    htmx, always 200 so the message is swapped in too."""
    procedure = the_procedure()
    if procedure is None:
        return redirect(url_for("counter.find_procedure"))
    photo = request.files.get("photo")
    texts = codes_on(photo) if photo is not None and photo.filename else [
        request.form.get("card", "")]
    status = 200 if request.headers.get("HX-Request") else 400
    form = {k: v for k, v in request.form.items() if k not in ("card", "csrf_token")}
    if not any(text.strip() for text in texts):
        problem = (_("No QR code could be read from the photo.") if photo and photo.filename
                   else _("Scan the QR code on the citizen's ID card into the box."))
        return form_page(procedure, form, [], form_key(), card_error=problem), status
    try:
        read = _first_card(texts)
    except BadInput as error:
        return form_page(procedure, form, [], form_key(), card_error=explain(error)), status
    return form_page(procedure, _filled(form, read, procedure), [], form_key(), card=read)


def _first_card(texts: list[str]) -> IdCard:
    """The first of ``texts`` that is an ID card's QR code; BadInput saying why the first is
    not, when none is."""
    for text in texts:
        try:
            return read_card(text)
        except BadInput:
            continue
    return read_card(texts[0])  # refused again, saying why


def _filled(form: dict[str, str], read: IdCard, procedure: Procedure) -> dict[str, str]:
    """``form`` with the applicant's name and ID number from the card, and the commune the
    card's address names unless one was chosen."""
    filled = {**form, "applicant_name": read.name, "applicant_id": read.id_number}
    if procedure.resolving_by_locality and not form.get("locality") and read.address:
        found = services().application().province().locality_in(read.address)
        if found:
            filled["locality"] = found
    return filled


@blueprint.post("/refuse")
def refuse() -> Any:
    """Refuse the dossier on the form, with the reason typed; then offer the refusal slip."""
    procedure = the_procedure()
    if procedure is None:
        return redirect(url_for("counter.find_procedure"))
    reason = request.form.get("refusal_reason", "").strip()
    if not reason:
        return form_again(procedure, _("Give the reason for refusing the dossier."), 400)
    try:
        command = parse(RefuseAtCounter, {**applicant_fields(procedure), "reason": reason})
        status = acting().execute(command, f"refusal-{form_key()}")
    except HosoError as error:
        if isinstance(error, Forbidden):
            raise
        return form_again(procedure, explain(error), error.http_status)
    return redirect(url_for("counter.received", code=status["code"]))


@blueprint.get("/dossiers/<code>")
def received(code: str) -> str:
    status = acting().status(code)
    province = services().application().province()
    return render_template("counter/received.html", status=status, labels=labels,
                           procedure=province.procedures.get(status["procedure"]),
                           province=province)
