"""``/lookup``: the citizens' page for the public status lookup, without an account.

The citizen types the code from the receipt (or opens the receipt's QR, which fills it in) and
the last four digits of their phone or ID number, and sees the stage, the due date, where the
dossier is, and its steps by office name — never a staff member's name. It answers through the
same lookup as ``GET /api/v1/public/status`` and spends the same rate limits. It also states
how many of those steps the custody log holds as of a checkpoint the witnesses cosigned, and
``/lookup/proof`` (after the same check, spending the same limits) downloads the proof of it,
which the offline verifier checks (tracker.custody_proof, events.export.proof).
"""

from __future__ import annotations

import json
import logging
import math
import time
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded

from events.evidence.inclusion import ProofUnavailable
from tracker.commands.parse import parse
from tracker.commands.queries import PublicStatusQuery
from tracker.custody_proof import CustodyClaim, custody_claim
from tracker.domain.errors import BadInput, UnknownReference
from tracker.public_lookup import lookup, public_steps
from tracker.web import labels
from tracker.web.auth import services
from tracker.web.limits import limiter
from tracker.web.public import per_address, per_code

blueprint = Blueprint("lookup", __name__)
log = logging.getLogger(__name__)


@blueprint.get("/lookup")
@per_code
@per_address
def lookup_page() -> Any:
    code = request.args.get("code", "").strip()
    if "digits" not in request.args:
        return render_template("lookup.html", code=code)
    try:
        query = parse(PublicStatusQuery, request.args.to_dict())
    except BadInput:
        return render_template("lookup.html", code=code, error=_(
            "Type the dossier code from your receipt, and exactly four digits.")), 400
    try:
        status = lookup(services().application(), query)
    except UnknownReference:
        return render_template("lookup.html", code=code, error=_(
            "No dossier has that code and those digits. Check both against your "
            "receipt.")), 404
    steps = public_steps(services().application(), status.code)
    claim = _claim(status.code)
    return render_template("lookup.html", code=code, status=status, steps=steps,
                           labels=labels, claim=claim, digits=query.digits)


@blueprint.get("/lookup/proof")
@per_code
@per_address
def proof() -> Any:
    """The custody proof of the dossier, as a JSON file, for the same code and digits."""
    code = request.args.get("code", "").strip()
    try:
        query = parse(PublicStatusQuery, request.args.to_dict())
        status = lookup(services().application(), query)
    except BadInput:
        return render_template("lookup.html", code=code, error=_(
            "Type the dossier code from your receipt, and exactly four digits.")), 400
    except UnknownReference:
        return render_template("lookup.html", code=code, error=_(
            "No dossier has that code and those digits. Check both against your "
            "receipt.")), 404
    claim = _claim(status.code)
    if not isinstance(claim, CustodyClaim):
        return render_template("lookup.html", code=code, error=_(
            "The custody log cannot prove this dossier's steps right now. Please try again "
            "later.")), 503
    body = json.dumps(claim.document, ensure_ascii=False, indent=1) + "\n"
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="hoso-proof-{status.code}.json"'})


def _claim(code: str) -> CustodyClaim | str | None:
    """The custody claim; None before the log's first checkpoint; "unavailable" when the
    stored leaves do not give the checkpoint's root (logged: the log needs an inspector)."""
    try:
        return custody_claim(services(), code)
    except ProofUnavailable as error:
        log.error("no custody proof for a public lookup: %s", error)
        return "unavailable"


@blueprint.errorhandler(RateLimitExceeded)
def too_many(error: RateLimitExceeded) -> tuple[str, int]:
    window = limiter.current_limit
    minutes = max(1, math.ceil((window.reset_at - time.time()) / 60)) if window else 60
    return render_template("lookup.html", code=request.args.get("code", ""), error=_(
        "Too many lookups. Please try again in %(minutes)d minutes.", minutes=minutes)), 429


@blueprint.after_request
def not_kept(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    return response
