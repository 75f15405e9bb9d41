"""``/counter``: the receiver's pages at the one-stop shop counter.

Find the procedure by name or code (accents and case ignored), tick its components with the
required ones marked, type the applicant's details, and receive: the dossier gets its code, the
fee can be collected in the same step, and the next page offers the receipt. An incomplete
dossier is received only with a stated reason. The same form says how the dossier came (its
channel) and can instead refuse it, with the reason, which records the refusal under a code of
its own and offers the refusal slip (Mẫu 03). The form carries an idempotency key made when it
was shown, so a double click or a resent form records one dossier, not two.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracker.commands.dossiers import CollectFee, Receive, RefuseAtCounter
from tracker.commands.parse import parse
from tracker.domain.errors import Forbidden, HosoError
from tracker.domain.province import Procedure
from tracker.identity.permissions import RULES
from tracker.search.fold import fold
from tracker.web import labels
from tracker.web.auth import acting, services
from tracker.web.sessions import signed_in

blueprint = Blueprint("counter", __name__)
MAX_LISTED = 50


@blueprint.before_request
@signed_in
def receivers_only() -> None:
    if g.identity.role not in RULES["receive"]:
        abort(403)


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
    return render_template("counter/receive.html", procedure=procedure, form={}, ticked=[],
                           key=uuid.uuid4().hex, labels=labels)


def the_procedure() -> Procedure | None:
    """The procedure the form names, or None when it names none."""
    return services().application().province().procedures.get(
        request.form.get("procedure", ""))


def form_again(procedure: Procedure, error: str, status: int) -> tuple[str, int]:
    """The receive form shown again with what was typed and what to fix."""
    form = request.form
    return render_template("counter/receive.html", procedure=procedure, form=form,
                           ticked=form.getlist("components"), key=form_key(), error=error,
                           labels=labels), status


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
    missing = [c for c in procedure.required_components
               if c not in form.getlist("components")]
    reason = form.get("incomplete_reason", "").strip()
    if missing and not reason:
        return form_again(procedure, _(
            "Required components are missing: give the reason for receiving the "
            "dossier incomplete, or tick what the citizen handed in."), 400)
    key = form_key()
    try:
        command = parse(Receive, {**applicant_fields(procedure),
                                  "accept_incomplete": bool(missing),
                                  "incomplete_reason": reason or None})
        status = acting().execute(command, f"counter-{key}")
        if form.get("collect_fee") and procedure.fee > 0:
            acting().execute(parse(CollectFee, {"code": status["code"], "by": g.identity.staff,
                                                "amount": procedure.fee}), f"fee-{key}")
    except HosoError as error:
        if isinstance(error, Forbidden):
            raise
        return form_again(procedure, str(error), error.http_status)
    return redirect(url_for("counter.received", code=status["code"]))


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
        return form_again(procedure, str(error), error.http_status)
    return redirect(url_for("counter.received", code=status["code"]))


@blueprint.get("/dossiers/<code>")
def received(code: str) -> str:
    status = acting().status(code)
    province = services().application().province()
    return render_template("counter/received.html", status=status, labels=labels,
                           procedure=province.procedures.get(status["procedure"]))
