"""``/queue`` and ``/dossiers/<code>``: an office's work list, and a dossier's page with the
actions the signed-in person may take on it.

Each action form is a thin form over its command: the fields the person types, the dossier's
code from the address and the actor from the session, parsed by the same model the API and the
CLI use, carried out through ``Acting`` (the permission table, the custody rules). A refusal
comes back on the dossier's page saying why; nothing is recorded. Each form carries an
idempotency key made when the page was shown, so a form sent twice records once.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracker.commands.dossiers import (
    Accept,
    Cancel,
    DossierCommand,
    HandOver,
    Pause,
    ReceiveSupplement,
    Reject,
    RequestSupplement,
    Reschedule,
    Resolve,
    Resume,
    ReturnResult,
)
from tracker.commands.parse import parse
from tracker.commands.slips import SLIP_KINDS
from tracker.domain.errors import Forbidden, HosoError
from tracker.identity.permissions import RULES
from tracker.web import labels
from tracker.web.auth import acting, services
from tracker.web.i18n import explain
from tracker.web.sessions import signed_in
from tracker.web.slips import slip_file

blueprint = Blueprint("office", __name__)
blueprint.before_request(signed_in(lambda: None))

ACTIONS: dict[str, type[DossierCommand]] = {model.action: model for model in (
    Accept, HandOver, RequestSupplement, ReceiveSupplement, Pause, Resume, Reschedule,
    Reject, Resolve, ReturnResult, Cancel)}
"""The actions a dossier's page offers, by the command's action name."""
FORM_ONLY = {"csrf_token", "key"}
PER_PAGE = 100
SLIP_EVENTS = {"receipt": ("Received",), "supplement": ("SupplementRequested",),
               "refusal": ("Rejected", "RefusedAtCounter"), "apology": ("Rescheduled",)}
"""Each slip, and the events one of which must have happened for it to be printed."""


@blueprint.get("/queue")
def queue() -> str:
    """The office's queue; ``?part=1`` answers only the lists, for htmx's periodic refresh.

    Each list shows the most pressing ``PER_PAGE`` (overdue or late first, then by due date);
    ``?page=N`` shows the next ones, and the counts are always of everything. The database
    counts, orders and pages (queues.queue_page): only what is shown is read."""
    page = request.args.get("page", 1, type=int) or 1
    work = acting().queue_page(g.identity.office, page, PER_PAGE)
    template = "office/queue_lists.html" if request.args.get("part") else "office/queue.html"
    stages = {stage: str(name) for stage, name in labels.STAGES.items()}  # once, not per row
    return render_template(template, queue=work, stages=stages, labels=labels,
                           province=services().application().province())


@blueprint.get("/dossiers/<code>")
def dossier(code: str) -> Any:
    return page(code)


@blueprint.get("/dossiers/<code>/slips/<kind>.pdf")
def slip(code: str, kind: str) -> Any:
    """A slip to print (Circular 01/2018 forms), checked and logged as the API's is."""
    if kind not in SLIP_KINDS:
        abort(404)
    return slip_file(code, kind)


@blueprint.post("/dossiers/<code>/<action>")
def act(code: str, action: str) -> Any:
    model = ACTIONS.get(action)
    if model is None:
        return page(code, _("There is no such action."), 404)
    fields = {k: v for k, v in request.form.items() if k not in FORM_ONLY and v.strip()}
    if model is Accept:
        fields["office"] = g.identity.office
    if model is ReturnResult:
        fields = returned(fields)
    try:
        command = parse(model, {**fields, "code": code, "by": g.identity.staff})
        acting().execute(command, f"page-{request.form.get('key') or uuid.uuid4().hex}")
    except HosoError as error:
        if isinstance(error, Forbidden):
            raise
        return page(code, explain(error), error.http_status)
    return redirect(url_for("office.dossier", code=code, done=action))


def returned(fields: dict[str, Any]) -> dict[str, Any]:
    """The return form as the command takes it: the post box a flag, the rating a number
    (anything else is left for the command to refuse)."""
    rating = fields.get("satisfaction", "")
    number = {"satisfaction": int(rating)} if rating.isascii() and rating.isdigit() else {}
    return {**fields, "by_post": "by_post" in fields, **number}


def page(code: str, error: str | None = None, status: int = 200) -> Any:
    """The dossier's page: status, steps, and the forms of the actions the role allows."""
    shown = acting().status(code)
    steps = acting().history(code)
    province = services().application().province()
    offer = [a for a in ACTIONS if g.identity.role in RULES.get(a, {})]
    couriers = sorted((s for s in province.staff.values() if s.role == "courier"),
                      key=lambda s: (s.office != g.identity.office, s.id))
    kinds = {step["type"] for step in steps}
    slips = [kind for kind, events in SLIP_EVENTS.items() if kinds.intersection(events)]
    return render_template("office/dossier.html", status=shown, steps=steps, offer=offer,
                           slips=slips,
                           error=error, done=request.args.get("done"), key=uuid.uuid4().hex,
                           labels=labels, province=province, couriers=couriers), status
