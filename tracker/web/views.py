"""``/api/v1`` reads answered by the projected views: queues and the report (the dossier
status route in api.py reads them too)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from tracker.application import CustodyApplication
from tracker.commands.parse import parse
from tracker.commands.queries import QueueQuery, ReportQuery
from tracker.projections.views import Views, open_views

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
    return jsonify(views().queue(parse(QueueQuery, {"who": who}).who))


@blueprint.get("/report")
def report() -> Response:
    query = parse(ReportQuery, request.args.to_dict())
    return jsonify(views().report(query.start, query.end, query.office, query.by))
