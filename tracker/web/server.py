"""How ``hoso serve`` listens: the bind rule, waitress for plain HTTP, cheroot for HTTPS, and
the one proxy hop whose forwarded headers are trusted.

Plain HTTP is served on loopback only: anything that crosses a network is encrypted, either
here (HOSO_TLS_CERT and HOSO_TLS_KEY; waitress cannot terminate TLS, so cheroot serves then) or
by a reverse proxy in front (``--behind-proxy``). Forwarded headers are believed only then, and
only the last entry of each, the one that proxy added.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker.domain.errors import N_, BadInput
from tracker.web.station import MAX_UPLOAD_BYTES

if TYPE_CHECKING:  # cheroot is loaded only when this process terminates TLS
    from cheroot.ssl.builtin import BuiltinSSLAdapter


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1 (also written ``[::1]`` or IPv4-mapped)."""
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return False  # a name other than localhost may resolve to anything
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_bind(host: str, tls: bool, behind_proxy: bool) -> None:
    """Refuse (BadInput) to listen on ``host`` when it is not loopback, unless this process
    terminates TLS or a proxy in front of it does."""
    if is_loopback(host) or tls or behind_proxy:
        return
    raise BadInput(N_("refusing to listen on {value}: it is not a loopback address and the "
                      "traffic would cross the network unencrypted; set HOSO_TLS_CERT and "
                      "HOSO_TLS_KEY, or pass --behind-proxy when a TLS-terminating proxy "
                      "forwards to hoso"),
                   value=host or 'every address')


def trust_one_proxy(app: Flask) -> None:
    """Take the client's address, scheme and host from the X-Forwarded-For, -Proto and -Host
    entries the one proxy in front added (earlier entries are the client's to forge), so that
    ``request.is_secure`` and the trusted-host check see what the client asked for."""
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=1, x_proto=1, x_host=1)


def run(app: Flask, host: str, port: int, threads: int, behind_proxy: bool = False) -> None:
    """Serve ``app`` with waitress. Waitress drops forwarded headers itself unless told the
    proxy is trusted: ``behind_proxy`` keeps them for ``trust_one_proxy`` to read. Its "task
    queue depth" warning fires on every request once requests wait for a thread, which under
    load costs time and floods the log with nothing an operator can act on; real errors still
    reach the log."""
    from waitress import serve

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    serve(app, host=host, port=port, threads=threads, ident="hoso", asyncore_use_poll=True,
          max_request_body_size=MAX_UPLOAD_BYTES, clear_untrusted_proxy_headers=not behind_proxy)


def tls_adapter(cert: Path, key: Path) -> BuiltinSSLAdapter:
    """TLS 1.2 or later with the certificate chain and key in these PEM files; BadInput when
    they cannot be loaded, said before anything starts."""
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    try:
        adapter = BuiltinSSLAdapter(str(cert), str(key))
    except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
        raise BadInput(N_("HOSO_TLS_CERT {cert} and HOSO_TLS_KEY {key} cannot be used: "
                          "{error}"),
                       cert=cert, key=key, error=error) from None
    adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2
    return adapter


def run_tls(app: Flask, host: str, port: int, threads: int, adapter: BuiltinSSLAdapter) -> None:
    """Serve ``app`` over HTTPS with cheroot and ``threads`` workers."""
    from cheroot.wsgi import Server

    server = Server((host, port), app, numthreads=threads, max=threads, server_name="hoso")
    server.version = "hoso"
    server.max_request_body_size = MAX_UPLOAD_BYTES
    server.ssl_adapter = adapter
    try:
        server.start()
    finally:
        server.stop()
