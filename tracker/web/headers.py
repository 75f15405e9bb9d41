"""Security headers on every answer, so a browser that opens one runs nothing it did not get
from hoso itself, frames nothing, sends no referrer and guesses no content type.

A header a view set itself is kept. Strict-Transport-Security goes only on an answer to an
HTTPS request (this process terminating TLS, or the trusted proxy saying so with
``--behind-proxy``): sent over plain HTTP a browser ignores it anyway.
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
STRICT_TRANSPORT_SECURITY = "max-age=31536000"  # one year; subdomains are not hoso's to bind


def register(app: Flask) -> None:
    """Add the headers to every response ``app`` sends, errors included."""

    @app.after_request
    def secure(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        return response
