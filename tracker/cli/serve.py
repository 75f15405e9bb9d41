"""``hoso serve``: the JSON API on a production WSGI server."""

from __future__ import annotations

import click

from tracker.cli.context import application
from tracker.settings import Settings


@click.command()
@click.option("--host", help="Address to listen on (default HOSO_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default HOSO_PORT or 8080).")
@click.option("--threads", type=int, default=8, show_default=True)
def serve(host: str | None, port: int | None, threads: int) -> None:
    """Serve the JSON API (loopback only unless --host says otherwise)."""
    from tracker.web import create_app, run  # Flask is loaded only for this command

    settings = Settings.from_environ()
    host = host or settings.host
    port = port or settings.port
    app = create_app(application())
    click.echo(f"hoso: serving {settings.describe_store()} on http://{host}:{port}", err=True)
    run(app, host=host, port=port, threads=threads)


COMMANDS = [serve]
