"""``/api/v1`` reads answered by the projected views: queues and the report (the dossier
status route in api.py reads them too)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from tracker.application import CustodyApplication
from tracker.domain.errors import BadInput
from tracker.projections.report import GROUPINGS, TOTALS
from tracker.projections.views import Views, open_views
from tracker.timeparse import parse_date

blueprint = Blueprint("views", __name__)


def views() -> Views:
    """The app's views: ``hoso serve`` puts the ones its follower thread keeps fresh there."""
    found: Views | None = current_app.extensions.get("views")
    if found is None:
        from tracker.settings import Settings

        custody: CustodyApplication = current_app.extensions["custody"]
        found = open_views(custody, follow=Settings.from_environ().kafka_bootstrap is None)
        current_app.extensions["views"] = found
    return found


@blueprint.get("/queues/<who>")
def queue(who: str) -> Response:
    return jsonify(views().queue(who))


@blueprint.get("/report")
def report() -> Response:
    args = request.args
    if "from" not in args or "to" not in args:
        raise BadInput("the report needs from and to dates (YYYY-MM-DD)")
    by = args.get("by", "office")
    if by not in GROUPINGS:
        raise BadInput(f"by must be one of {', '.join(GROUPINGS)}, not {by!r}")
    return jsonify(views().report(parse_date(args["from"], "from"), parse_date(args["to"], "to"),
                                  args.get("office") or None, by))


def view_paths(answers: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI paths of these routes (``answers`` is openapi.py's)."""
    text = {"type": "string"}
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    figures = {name: {"type": "integer"} for name in TOTALS}
    totals = {"type": "object", "required": list(TOTALS), "properties": figures}
    row = {"type": "object", "properties": {
        **figures, "digitisation_rate": {"type": ["number", "null"]},
        "rejected_by_reason": counts, "cancelled_by_reason": counts}}
    item = {"type": "object", "properties": {
        "code": text, "stage": text, "due": text, "overdue": {"type": "boolean"},
        "in_transit": {"type": "boolean"}, "late_in_transit": {"type": "boolean"}}}
    items = {"type": "array", "items": item}
    codes = {"type": "array", "items": text}
    return {
        "/queues/{who}": {"get": {
            "summary": "What an office or a person holds, what is coming, what is due or late",
            "parameters": [{"name": "who", "in": "path", "required": True, "schema": text,
                            "description": "an office code or a staff id"}],
            "responses": answers({"type": "object", "properties": {
                "holder": {"type": "object"}, "holds": items, "incoming": items,
                "sent": items, "due_today": codes, "overdue": codes,
                "late_in_transit": codes}})}},
        "/report": {"get": {
            "summary": "The provincial report for a period (local dates, both included)",
            "parameters": [
                {"name": "from", "in": "query", "required": True, "schema": text},
                {"name": "to", "in": "query", "required": True, "schema": text},
                {"name": "office", "in": "query", "schema": text},
                {"name": "by", "in": "query", "schema": {"enum": list(GROUPINGS)}}],
            "responses": answers({"type": "object", "required": ["totals", "rows"],
                                  "properties": {"totals": totals,
                                                 "rows": {"type": "array", "items": row}}})}},
    }
