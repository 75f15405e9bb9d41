"""``hoso serve``: the JSON API on a production WSGI server."""

from __future__ import annotations

import threading

import click

from tracker.cli.context import services


@click.command()
@click.option("--host", help="Address to listen on (default HOSO_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default HOSO_PORT or 8080).")
@click.option("--threads", type=int, default=8, show_default=True)
@click.option("--relay/--no-relay", default=True, show_default=True,
              help="With HOSO_KAFKA_BOOTSTRAP: also run the Kafka relay in this process "
                   "(--no-relay when a `hoso relay` service runs beside it).")
def serve(host: str | None, port: int | None, threads: int, relay: bool) -> None:
    """Serve the JSON API (loopback only unless --host says otherwise)."""
    from tracker.web import create_app, run  # Flask is loaded only for this command

    wired = services()
    settings = wired.settings
    host = host or settings.host
    port = port or settings.port
    app = create_app(wired)
    stop = threading.Event()
    checkpointer = wired.checkpointer()
    if checkpointer is not None:
        checkpointer.start(stop)
    else:
        click.echo("hoso: HOSO_AUDIT_KEY is not set: no periodic checkpoints", err=True)
    if settings.kafka_bootstrap is not None and not relay:
        click.echo("hoso: --no-relay: events reach Kafka through `hoso relay`", err=True)
    elif settings.kafka_bootstrap is not None:
        wired.relay().start(stop)  # kafka is loaded only when configured
        click.echo(f"hoso: relaying events to Kafka at {settings.kafka_bootstrap}", err=True)
    else:  # no Kafka: the views follow the log in this process
        wired.views().follower.start(stop)
    click.echo(f"hoso: serving {settings.describe_store()} on http://{host}:{port}", err=True)
    try:
        run(app, host=host, port=port, threads=threads)
    finally:
        stop.set()


COMMANDS = [serve]
