"""``/api/v1`` reads answered by the projected views: queues and the report (the dossier
status route in api.py reads them too), each within the token's offices."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from tracker.commands.parse import parse
from tracker.commands.queries import QueueQuery, ReportQuery
from tracker.web.auth import acting, require_token

blueprint = Blueprint("views", __name__)
blueprint.before_request(require_token)


@blueprint.get("/queues/<who>")
def queue(who: str) -> Response:
    return jsonify(acting().queue(parse(QueueQuery, {"who": who}).who))


@blueprint.get("/report")
def report() -> Response:
    query = parse(ReportQuery, request.args.to_dict())
    return jsonify(acting().report(query.start, query.end, query.office, query.by,
                                   subtree=query.subtree, level=query.level,
                                   field=query.field))
