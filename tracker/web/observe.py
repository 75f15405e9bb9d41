"""What an operator watches of the web service: a request id on every request, one JSON log
line per request, its latency in the metrics, and ``/metrics`` itself.

The request id is the client's X-Request-Id when it is well formed, else a new one; it is
answered in the X-Request-Id header, written in every log line of the request and recorded in
the metadata of every event the request saves. The log line names the route (the URL rule,
``/api/v1/dossiers/<code>``), never the path, so no dossier code, name or query reaches it.

``/metrics`` answers loopback clients, and any client sending ``Authorization: Bearer`` with
HOSO_METRICS_TOKEN; anyone else gets 404, as if there were nothing there.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Flask, Response, abort, current_app, g, request

from tracker.metrics import REQUEST_SECONDS, Stopwatch
from tracker.request_context import current_request_id, request_id_from
from tracker.store_gauges import CONTENT_TYPE, exposition
from tracker.web.auth import services
from tracker.web.server import is_loopback

blueprint = Blueprint("metrics", __name__)
log = logging.getLogger("hoso.requests")
UNMATCHED = "(unmatched)"


def register(app: Flask) -> None:
    """Give every request an id and a stopwatch first, and log and measure it last."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.teardown_request(_forget)
    app.register_blueprint(blueprint)


def _start() -> None:
    g.request_id = request_id_from(request.headers.get("X-Request-Id"))
    g.request_clock = Stopwatch()
    g.request_id_token = current_request_id.set(g.request_id)


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    clock = g.get("request_clock")
    if request_id is None or clock is None:  # a request refused before ours started
        return response
    response.headers["X-Request-Id"] = request_id
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    seconds = clock.seconds()
    REQUEST_SECONDS.labels(route, request.method, str(response.status_code)).observe(seconds)
    identity = g.get("identity")
    log.info("request", extra={"fields": {
        "method": request.method, "route": route, "status": response.status_code,
        "duration_ms": round(seconds * 1000, 1),
        "actor": getattr(identity, "staff", None)}})
    return response


def _forget(error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        current_request_id.reset(token)


def may_read_metrics() -> bool:
    token = services().settings.metrics_token
    if token is not None:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(),
                                                              token.encode()):
            return True
    return is_loopback(request.remote_addr or "")


@blueprint.get("/metrics")
def metrics() -> Response:
    if not may_read_metrics():
        abort(404)
    return current_app.response_class(exposition(services()), mimetype=None,
                                      content_type=CONTENT_TYPE)
