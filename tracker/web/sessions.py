"""Page sessions: a signed cookie naming the staff member and their account's generation.

The cookie is signed with the key ``Services.session_key`` keeps (HttpOnly, SameSite=Lax, and
Secure when ``hoso serve`` runs over TLS or behind a TLS proxy). Every request re-reads the
account: a changed password or a disabled account (a new generation), a staff member disabled
or removed in the province file, ends the session at once. A session also ends after
``HOSO_SESSION_IDLE_MINUTES`` without a request, and twelve hours after sign-in whatever
happens. Signing out forgets the cookie in this browser. Every state-changing form carries a
CSRF token (Flask-WTF); the JSON API, which takes only bearer tokens and no cookie, is exempt.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from tracker.bootstrap import Services
from tracker.domain.errors import Unauthenticated
from tracker.identity.principal import Identity
from tracker.web.auth import accounts, services

LIFETIME = timedelta(hours=12)
"""The longest a session lasts, however busy: a shift, with its overtime."""

F = TypeVar("F", bound=Callable[..., Any])
csrf = CSRFProtect()


def configure(app: Flask, wired: Services, exempt: list[Any]) -> None:
    """Sign ``app``'s sessions with the service's key and protect its forms; ``exempt`` are the
    blueprints that take no cookie (the JSON API)."""
    app.config.update(
        SECRET_KEY=wired.session_key(),
        SESSION_COOKIE_NAME="hoso_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=LIFETIME,
        SESSION_IDLE=timedelta(minutes=wired.settings.session_idle_minutes),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it belongs to
    )
    csrf.init_app(app)
    for blueprint in exempt:
        csrf.exempt(blueprint)


def start(identity: Identity, generation: int) -> None:
    """Begin a session for ``identity`` in a fresh cookie (no value from before sign-in is
    carried over, so a planted session id or CSRF token is worthless)."""
    session.clear()
    now = services().clock().timestamp()
    session.permanent = True
    session.update(staff=identity.staff, generation=generation, since=now, seen=now)
    g.identity = identity


def end() -> None:
    session.clear()


def current() -> Identity | None:
    """The signed-in identity, or None when there is no session or it has ended (the cookie
    is then cleared, and ``g.ended`` says why)."""
    if "identity" in g:
        return cast(Identity, g.identity)
    staff = session.get("staff")
    if not isinstance(staff, str):
        return None
    now = services().clock().timestamp()
    idle_for = now - float(session.get("seen", 0))
    age = now - float(session.get("since", 0))
    if idle_for > idle_limit().total_seconds() or age > LIFETIME.total_seconds():
        g.ended = "idle"
        end()
        return None
    try:
        identity = accounts().from_session(staff, int(session.get("generation", -1)))
    except Unauthenticated:
        g.ended = "changed"
        end()
        return None
    session["seen"] = now
    g.identity = identity
    return identity


def signed_in(view: F) -> F:
    """Send a visitor without a session to the sign-in page, and back here afterwards."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if current() is None:  # back to this page after sign-in; a form's post is not
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("signin.sign_in", next=target, ended=g.get("ended")))
        return view(*args, **kwargs)

    return cast(F, guarded)


def idle_limit() -> timedelta:
    return cast(timedelta, current_app.config["SESSION_IDLE"])


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path on this site only, never another host."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("signin.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return url_for("signin.home")
    return target
