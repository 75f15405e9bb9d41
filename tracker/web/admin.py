"""``/api/v1/accounts`` and ``/api/v1/tokens``: the admin role's management of accounts and
tokens. Each change is recorded in the account's events with the admin's staff id, in the same
tamper-evident log as everything else: an admin can issue a token in anyone's name, and the log
says who did."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from tracker.commands.accounts import IssueToken, SetPassword
from tracker.commands.parse import parse, parse_json_object
from tracker.web.auth import accounts, acting, identity, require_token

blueprint = Blueprint("admin", __name__)
blueprint.before_request(require_token)


@blueprint.before_request
def admins_only() -> None:
    acting().administer()


@blueprint.get("/accounts")
def account_rows() -> Response:
    return jsonify(accounts().rows())


@blueprint.post("/accounts/<staff>/password")
def set_password(staff: str) -> Response:
    body = parse(SetPassword, parse_json_object(request.get_data(cache=False)))
    accounts().set_password(staff, body.password, identity().staff)
    return jsonify({"staff": staff, "password": "set"})


@blueprint.post("/accounts/<staff>/disable")
def disable(staff: str) -> Response:
    accounts().disable(staff, identity().staff)
    return jsonify({"staff": staff, "enabled": False})


@blueprint.post("/accounts/<staff>/enable")
def enable(staff: str) -> Response:
    accounts().enable(staff, identity().staff)
    return jsonify({"staff": staff, "enabled": True})


@blueprint.get("/tokens")
def token_rows() -> Response:
    return jsonify(accounts().token_rows(request.args.get("staff") or None))


@blueprint.post("/tokens")
def issue() -> tuple[Response, int]:
    body = parse(IssueToken, parse_json_object(request.get_data(cache=False)))
    grant, token = accounts().issue_token(body.staff, body.kind, identity().staff,
                                          body.station, body.expires_days)
    return jsonify({"id": grant.id, "token": token, "kind": grant.kind,
                    "expires": grant.expires}), 201


@blueprint.post("/tokens/<token_id>/revoke")
def revoke(token_id: str) -> Response:
    accounts().revoke_token(token_id, identity().staff)
    return jsonify({"id": token_id, "state": "revoked"})
