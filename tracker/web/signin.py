"""Signing in and out of the pages, changing one's password, and the signed-in home page.

Failed sign-ins are limited per account and per client address (Flask-Limiter): after
``PER_ACCOUNT`` failures in 15 minutes the account is locked for the rest of that window, even
to the right password, and the page says when to try again. Only failures count, so a busy
office signing in every morning behind one address is never locked out by its successes.
"""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError

from tracker.domain.errors import BadInput, HosoError, Unauthenticated
from tracker.identity.permissions import RULES
from tracker.metrics import SIGN_IN_FAILURES
from tracker.web import labels
from tracker.web.auth import accounts, acting, services
from tracker.web.i18n import explain
from tracker.web.limits import limiter
from tracker.web.sessions import current, end, safe_next, signed_in, start

PER_ACCOUNT = "5 per 15 minutes"
PER_ADDRESS = "20 per 15 minutes"
"""Failed sign-ins: five guesses at one account, twenty from one address (an office's staff
mistyping behind one address stay well under it; a guesser trying many accounts does not)."""

ENDED = {"idle": _l("Your session ended after a while without use. Please sign in again."),
         "changed": _l("Your account has just changed (a new password, or disabled). Please "
                       "sign in again."),
         "out": _l("You have signed out.")}

blueprint = Blueprint("signin", __name__)


def failed(response: Response) -> bool:
    return response.status_code == 401


def account_key() -> str:
    return "account:" + request.form.get("staff", "").strip().lower()[:64]


@blueprint.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(PER_ADDRESS, methods=["POST"], deduct_when=failed)
@limiter.limit(PER_ACCOUNT, key_func=account_key, methods=["POST"], deduct_when=failed)
def sign_in() -> Any:
    target = request.values.get("next")
    if request.method == "GET":
        if current() is not None:
            return redirect(safe_next(target))
        return render_template("sign_in.html", notice=ENDED.get(request.args.get("ended", "")),
                               next=target)
    staff = request.form.get("staff", "").strip()
    try:
        identity, generation = accounts().sign_in(staff, request.form.get("password", ""))
    except Unauthenticated:
        SIGN_IN_FAILURES.inc()
        return render_template("sign_in.html", staff=staff, next=target,
                               error=_("Wrong staff id or password, or the account is "
                                       "disabled.")), 401
    start(identity, generation)
    return redirect(safe_next(target))


@blueprint.post("/sign-out")
def sign_out() -> Any:
    end()
    return redirect(url_for("signin.sign_in", ended="out"))


HOME_ITEMS = 20
"""How many held dossiers the home page lists, the most pressing first (the queue has all)."""


@blueprint.get("/")
@signed_in
def home() -> str:
    identity = g.identity
    province = services().application().province()
    queue = (acting().queue_page(identity.office, 1, HOME_ITEMS)
             if identity.role in RULES["queue"] else None)
    return render_template("home.html", person=province.staff[identity.staff],
                           role=labels.ROLES.get(identity.role, identity.role),
                           office=province.offices[identity.office], queue=queue,
                           can_receive=identity.role in RULES["receive"],
                           can_carry=identity.role in RULES["bag"],
                           can_inspect=identity.role in RULES["inspect"],
                           can_report=identity.role in RULES["report"],
                           can_scan=identity.role in RULES["digitised"],
                           stages=labels.STAGES)


@blueprint.route("/password", methods=["GET", "POST"])
@signed_in
def password() -> Any:
    if request.method == "GET":
        return render_template("password.html")
    new = request.form.get("new", "")
    if new != request.form.get("confirm", ""):
        return render_template("password.html",
                               error=_("The two new passwords differ.")), 400
    try:
        generation = accounts().change_password(g.identity.staff,
                                                request.form.get("current", ""), new)
    except Unauthenticated:
        return render_template("password.html",
                               error=_("The current password is wrong.")), 401
    except BadInput:
        return render_template("password.html", error=_(
            "A new password needs 12 characters or more, with at least 4 different ones.")), 400
    start(g.identity, generation)
    return render_template("password.html", done=True)


@blueprint.errorhandler(RateLimitExceeded)
def locked(error: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
    """The lockout: the sign-in page again, saying how long until the next try."""
    window = limiter.current_limit
    seconds = window.reset_at - time.time() if window else 15 * 60
    minutes = max(1, math.ceil(seconds / 60))
    page = render_template("sign_in.html", staff=request.form.get("staff", ""),
                           error=_("Too many failed sign-ins. Please try again in "
                                   "%(minutes)d minutes.", minutes=minutes))
    return page, 429, {"Retry-After": str(minutes * 60)}


@blueprint.errorhandler(CSRFError)
def stale_form(error: CSRFError) -> tuple[str, int]:
    return render_template("sign_in.html", error=_(
        "This form has expired or is not valid. Please try again.")), 400


@blueprint.errorhandler(HosoError)
def refused(error: HosoError) -> tuple[str, int]:
    return render_template("sign_in.html", error=explain(error)), error.http_status
