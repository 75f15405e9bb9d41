"""Who a request acts as: a bearer token on the API, a signed-in session on the pages.

API blueprints call ``require_token`` before each request: without a good
``Authorization: Bearer <token>`` the answer is 401 with a JSON body and a ``WWW-Authenticate``
challenge. The identity is kept in ``g.identity``; ``acting()`` wraps it with the application
and views, so every route goes through the permission table and the access log.
"""

from __future__ import annotations

from typing import TypeVar

from flask import Flask, Response, current_app, g, request

from tracker.acting import Acting
from tracker.bootstrap import Services
from tracker.commands.dossiers import Command
from tracker.commands.parse import parse, parse_json_object
from tracker.domain.errors import N_, BadInput, Unauthenticated
from tracker.identity.accounts import Accounts
from tracker.identity.principal import Identity

C = TypeVar("C", bound=Command)


def services() -> Services:
    found: Services = current_app.extensions["services"]
    return found


def accounts() -> Accounts:
    found: Accounts = current_app.extensions["accounts"]
    return found


def require_token() -> None:
    """Authenticate the request's bearer token into ``g.identity``; 401 without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(N_("send a token: Authorization: Bearer <token> "
                              "(hoso token create makes one)"))
    g.identity = accounts().from_token(token.strip())


def identity() -> Identity:
    found: Identity = g.identity
    return found


def acting() -> Acting:
    """The signed-in identity acting through this request's route."""
    rule = request.url_rule.rule if request.url_rule else request.path
    return Acting(services().application(), services().views(), identity(),
                  f"{request.method} {rule}")


def command_from(model: type[C], **path: str) -> C:
    """The request body as a ``model`` command, with the path's parameters, acted by the
    signed-in identity: a body naming the actor or a path parameter is refused."""
    body = parse_json_object(request.get_data(cache=False))
    for name in (*path, model.actor_field):
        if name in body:
            given = "the path" if name in path else "your token or sign-in"
            raise BadInput(N_("{name!r} is given by {given}, not the body"),
                           name=name, given=given)
    return parse(model, {**body, **path, model.actor_field: identity().staff})


def challenge(response: Response) -> Response:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="hoso"'
    return response


def register(app: Flask) -> None:
    app.extensions["accounts"] = services_of(app).accounts()
    app.after_request(challenge)


def services_of(app: Flask) -> Services:
    found: Services = app.extensions["services"]
    return found
