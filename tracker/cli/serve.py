"""``hoso serve``: the JSON API on a production WSGI server, plain HTTP on loopback only.

Anywhere else the traffic is encrypted: by this process (HOSO_TLS_CERT and HOSO_TLS_KEY) or by
a reverse proxy in front of it (``--behind-proxy``, whose forwarded headers are then believed
for one hop). Either way session cookies are marked Secure.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click

from tracker.cli.context import services
from tracker.logs import configure_logging

log = logging.getLogger("hoso.serve")


@click.command()
@click.option("--host", help="Address to listen on (default HOSO_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default HOSO_PORT or 8080).")
@click.option("--threads", type=int, default=8, show_default=True)
@click.option("--relay/--no-relay", default=True, show_default=True,
              help="With HOSO_KAFKA_BOOTSTRAP: also run the Kafka relay in this process "
                   "(--no-relay when a `hoso relay` service runs beside it).")
@click.option("--follow/--no-follow", default=True, show_default=True,
              help="Without Kafka: keep the views following the log in this process "
                   "(--no-follow when a `hoso project --follow-log` runs beside it).")
@click.option("--behind-proxy", is_flag=True,
              help="A TLS-terminating reverse proxy forwards to hoso: believe its "
                   "X-Forwarded-For/-Proto/-Host (one hop) and allow a non-loopback --host.")
def serve(host: str | None, port: int | None, threads: int, relay: bool, follow: bool,
          behind_proxy: bool) -> None:
    """Serve the JSON API: on loopback, or elsewhere over HTTPS (HOSO_TLS_CERT and
    HOSO_TLS_KEY) or behind a TLS-terminating proxy (--behind-proxy). Signs a checkpoint
    within HOSO_CHECKPOINT_SECONDS of every commit: refused without an audit key. Logs one
    JSON line per request on stderr; /metrics answers loopback (or HOSO_METRICS_TOKEN)."""
    from tracker.web import create_app  # Flask is loaded only for this command
    from tracker.web.server import check_bind, run, run_tls, tls_adapter, trust_one_proxy

    wired = services()
    settings = wired.settings
    host = host or settings.host
    port = port or settings.port
    tls = settings.tls
    check_bind(host, tls=tls is not None, behind_proxy=behind_proxy)
    adapter = None if tls is None else tls_adapter(tls.cert, tls.key)
    wired.signer()  # no key, no serving: refused here, naming how to make one
    configure_logging()
    app = create_app(wired, {"UPLOAD_SLOTS": max(1, threads // 2)})  # the rest for commands
    if behind_proxy:
        trust_one_proxy(app)
    if tls is not None or behind_proxy:
        app.config["SESSION_COOKIE_SECURE"] = True
    stop = threading.Event()
    signing = wired.checkpointer().start(stop)
    log.info("signing checkpoints within %g s of every commit with %s",
             settings.checkpoint_seconds, settings.audit_key)
    if settings.kafka_bootstrap is not None and not relay:
        log.info("--no-relay: events reach Kafka through `hoso relay`")
    elif settings.kafka_bootstrap is not None:
        wired.relay().start(stop)  # kafka is loaded only when configured
        log.info("relaying events to Kafka at %s", settings.kafka_bootstrap)
    elif follow:  # no Kafka: the views follow the log in this process
        wired.views().follower.start(stop)
    else:
        log.info("--no-follow: the views follow the log through `hoso project --follow-log`")
    if settings.view_verify_seconds:
        wired.view_verifier().start(stop)
        log.info("verifying the views against the log every %d s",
                 settings.view_verify_seconds)
    cosigning = wired.cosigning()
    if cosigning is not None:  # HOSO_WITNESSES: each new checkpoint goes to every witness
        cosigning.start(stop)
        log.info("asking %d witness(es) to cosign every checkpoint", len(cosigning.lanes))
    scheme = "http" if adapter is None else "https"
    proxied = " behind a proxy" if behind_proxy else ""
    log.info("serving %s on %s://%s:%d%s", settings.describe_store(), scheme, host, port, proxied)
    signal.signal(signal.SIGTERM, _stop_serving)
    try:
        if adapter is None:
            run(app, host=host, port=port, threads=threads, behind_proxy=behind_proxy)
        else:
            run_tls(app, host=host, port=port, threads=threads, adapter=adapter)
    finally:
        stop.set()
        signing.join(30)  # it signs what is still unsigned before it ends


def _stop_serving(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends serving as Ctrl-C does, so the threads are stopped in order and the
    signer signs what is still unsigned before the process ends."""
    raise SystemExit(0)


COMMANDS = [serve]
