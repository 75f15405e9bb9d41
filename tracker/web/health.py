"""``/healthz``: answers 200 only when the event store can be read."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    custody = current_app.extensions["custody"]
    position = custody.recorder.max_notification_id()
    return jsonify({"status": "ok", "position": position or 0})
