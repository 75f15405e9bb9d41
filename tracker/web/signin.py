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
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError

from tracker.domain.errors import BadInput, HosoError, Unauthenticated
from tracker.identity.permissions import RULES
from tracker.web.auth import accounts, acting, services
from tracker.web.limits import limiter
from tracker.web.sessions import current, end, safe_next, signed_in, start

PER_ACCOUNT = "5 per 15 minutes"
PER_ADDRESS = "20 per 15 minutes"
"""Failed sign-ins: five guesses at one account, twenty from one address (an office's staff
mistyping behind one address stay well under it; a guesser trying many accounts does not)."""

ROLE_NAMES = {"receiver": "Nhân viên tiếp nhận", "operator": "Nhân viên số hóa",
              "courier": "Nhân viên luân chuyển", "official": "Cán bộ xử lý",
              "inspector": "Thanh tra", "supervisor": "Giám sát", "admin": "Quản trị"}
STAGE_NAMES = {"in_progress": "Đang xử lý", "resolved": "Đã có kết quả",
               "rejected": "Từ chối", "returned": "Đã trả kết quả", "cancelled": "Đã hủy"}
ENDED = {"idle": "Phiên làm việc đã hết hạn vì lâu không thao tác. Vui lòng đăng nhập lại.",
         "changed": "Tài khoản vừa thay đổi (mật khẩu mới hoặc bị khóa). Vui lòng đăng nhập "
                    "lại.",
         "out": "Bạn đã đăng xuất."}

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
        return render_template("sign_in.html", staff=staff, next=target,
                               error="Sai mã cán bộ hoặc mật khẩu, hoặc tài khoản đã bị khóa."
                               ), 401
    start(identity, generation)
    return redirect(safe_next(target))


@blueprint.post("/sign-out")
def sign_out() -> Any:
    end()
    return redirect(url_for("signin.sign_in", ended="out"))


@blueprint.get("/")
@signed_in
def home() -> str:
    identity = g.identity
    province = services().application().province()
    queue = acting().queue(identity.office) if identity.role in RULES["queue"] else None
    return render_template("home.html", person=province.staff[identity.staff],
                           role=ROLE_NAMES.get(identity.role, identity.role),
                           office=province.offices[identity.office], queue=queue,
                           stages=STAGE_NAMES)


@blueprint.route("/password", methods=["GET", "POST"])
@signed_in
def password() -> Any:
    if request.method == "GET":
        return render_template("password.html")
    new = request.form.get("new", "")
    if new != request.form.get("confirm", ""):
        return render_template("password.html", error="Hai lần nhập mật khẩu mới không khớp."
                               ), 400
    try:
        generation = accounts().change_password(g.identity.staff,
                                                request.form.get("current", ""), new)
    except Unauthenticated:
        return render_template("password.html", error="Mật khẩu hiện tại không đúng."), 401
    except BadInput:
        return render_template("password.html", error="Mật khẩu mới cần từ 12 ký tự, gồm ít "
                               "nhất 4 ký tự khác nhau."), 400
    start(g.identity, generation)
    return render_template("password.html", done=True)


@blueprint.errorhandler(RateLimitExceeded)
def locked(error: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
    """The lockout: the sign-in page again, saying how long until the next try."""
    window = limiter.current_limit
    seconds = window.reset_at - time.time() if window else 15 * 60
    minutes = max(1, math.ceil(seconds / 60))
    page = render_template("sign_in.html", staff=request.form.get("staff", ""),
                           error=f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau "
                                 f"{minutes} phút.")
    return page, 429, {"Retry-After": str(minutes * 60)}


@blueprint.errorhandler(CSRFError)
def stale_form(error: CSRFError) -> tuple[str, int]:
    return render_template("sign_in.html", error="Biểu mẫu đã hết hạn hoặc không hợp lệ. "
                           "Vui lòng thử lại."), 400


@blueprint.errorhandler(HosoError)
def refused(error: HosoError) -> tuple[str, int]:
    return render_template("sign_in.html", error=str(error)), error.http_status
