"""``/api/v1`` reads answered by the projected views: queues and the report (the dossier
status route in api.py reads them too)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from tracker.bootstrap import Services
from tracker.commands.parse import parse
from tracker.commands.queries import QueueQuery, ReportQuery
from tracker.projections.views import Views

blueprint = Blueprint("views", __name__)


def views() -> Views:
    """The process's views, followed in-process unless Kafka feeds them (``hoso serve`` then
    also runs their follower thread)."""
    services: Services = current_app.extensions["services"]
    return services.views()


@blueprint.get("/queues/<who>")
def queue(who: str) -> Response:
    return jsonify(views().queue(parse(QueueQuery, {"who": who}).who))


@blueprint.get("/report")
def report() -> Response:
    query = parse(ReportQuery, request.args.to_dict())
    return jsonify(views().report(query.start, query.end, query.office, query.by))
