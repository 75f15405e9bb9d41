"""The app's one rate limiter (Flask-Limiter), for routes a stranger can call: the public status
lookup, and sign-in.

Routes opt in with ``@limiter.limit(...)``; nothing is limited by default. Counters are kept in
the process's memory (``memory://``) with a moving window, so "10 per hour" means at most 10 in
any 60 minutes; they start empty when the process starts, and two ``hoso serve`` processes
count separately. Answers from a limited route carry ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``; a refusal is 429 with ``Retry-After`` (in
seconds) and the API's JSON error body (``tracker/web/errors.py`` renders it like every HTTP
error: ``{"error": "too_many_requests", "message": …}``).

The client address is the connection's (``request.remote_addr``). Behind a reverse proxy that is
the proxy's, shared by every citizen, unless the app trusts the proxy's forwarded-for header.
An IPv6 client is counted by its /64 network, the block one subscriber is given, so it cannot
step round its limit by changing address within it.

Only the blueprints in ``LIMITED_BLUEPRINTS`` declare limits; a request to any other skips the
limiter altogether (its per-request bookkeeping was a tenth of an API request's CPU).

Tests switch limiting off with the app config ``RATELIMIT_ENABLED = False``; ``init`` reads the
switch afresh for each app. The limiter is one object per process, so the app initialised last
sets the switch and the counters' storage: a process serves one app.
"""

from __future__ import annotations

import ipaddress

from flask import Flask, request
from flask_limiter import Limiter


def client_address() -> str:
    """The key of the client's address: the IPv4 address, or the IPv6 /64 network."""
    address = request.remote_addr or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"addr:{address or 'unknown'}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"addr:{ip.ipv4_mapped}"
        return f"addr:{ipaddress.IPv6Network((ip, 64), strict=False)}"
    return f"addr:{ip}"


limiter = Limiter(key_func=client_address, storage_uri="memory://", strategy="moving-window",
                  headers_enabled=True, retry_after="delta-seconds")
"""Limits nothing until a route asks; configured, not connected: storage is made by ``init``."""

LIMITED_BLUEPRINTS = frozenset({"public", "lookup", "signin"})
"""The blueprints with limited routes (the public lookup, its page, and sign-in)."""


@limiter.request_filter
def _nothing_limited_here() -> bool:
    return request.blueprint not in LIMITED_BLUEPRINTS


def init(app: Flask) -> None:
    """Attach the limiter to ``app``: on unless the app's config says ``RATELIMIT_ENABLED``
    False, with fresh counters."""
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
