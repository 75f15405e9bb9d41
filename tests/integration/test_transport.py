"""Transport: where ``hoso serve`` may listen, HTTPS, the one trusted proxy hop, security
headers, and the modes of the files that hold the store — all on real ``hoso`` processes.

The store is SQLite here: nothing about transport depends on the store, and the file modes are
those of SQLite's files. That a foreign ``Host`` gets 400 is in test_http_hygiene.py; here it is
checked where a real server adds a path to it (HTTPS, a forwarded host).
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import ssl
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask

from tests.cast import cast_from
from tests.hoso_cli import Hoso
from tests.servers.hoso import live_hoso
from tracker.domain.province import Province
from tracker.province_file import demo_province_path, load_province_file
from tracker.web import headers
from tracker.web.server import is_loopback

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@pytest.fixture
def ordinary_umask() -> Iterator[None]:
    """The children run under umask 022, as a service usually does, so the modes checked are
    the ones hoso sets and not a strict umask's."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {"HOSO_DATA_DIR": str(tmp_path / "var")}


def fetch(base: str, path: str, headers: dict[str, str] | None = None,
          tls: ssl.SSLContext | None = None) -> http.client.HTTPResponse:
    """GET ``path`` with exactly these extra headers (``Host`` included); the body is read."""
    url = urlsplit(base)
    assert url.hostname is not None
    connection = (http.client.HTTPSConnection(url.hostname, url.port, timeout=10, context=tls)
                  if url.scheme == "https" else
                  http.client.HTTPConnection(url.hostname, url.port, timeout=10))
    try:
        connection.request("GET", path, headers=headers or {})
        answer = connection.getresponse()
        answer.read()
        return answer
    finally:
        connection.close()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by its own key: (cert, key) PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hoso transport test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- where it may listen --------------------------------------------------------------------

@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("LOCALHOST", True), ("::ffff:127.0.0.1", True),
    ("0.0.0.0", False), ("::", False), ("", False), ("192.0.2.10", False),
    ("::ffff:192.0.2.10", False), ("hoso.example", False), ("localhost.example", False),
])
def test_only_loopback_addresses_count_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("how", [("--host", "0.0.0.0"), ("HOSO_HOST", "192.0.2.10")])
def test_serving_plain_http_beyond_loopback_is_refused_saying_why(
        sqlite_env: dict[str, str], how: tuple[str, str]) -> None:
    """GIVEN no TLS files and no --behind-proxy
    WHEN hoso serve is asked to listen on an address other than loopback (option or setting)
    THEN it exits 2 with one line naming the address and the two ways to allow it, having
    opened no store."""
    option, address = how
    if option == "HOSO_HOST":
        done = Hoso({**sqlite_env, "HOSO_HOST": address})("serve")
    else:
        done = Hoso(sqlite_env)("serve", option, address)
    assert done.code == 2
    line, = done.stderr.strip().splitlines()
    assert f"refusing to listen on {address}: it is not a loopback address" in line
    assert "HOSO_TLS_CERT and HOSO_TLS_KEY" in line
    assert "--behind-proxy" in line
    assert not Path(sqlite_env["HOSO_DATA_DIR"]).exists()


@pytest.mark.parametrize("only", ["HOSO_TLS_CERT", "HOSO_TLS_KEY"])
def test_a_certificate_without_its_key_or_the_reverse_is_bad_input(
        sqlite_env: dict[str, str], tmp_path: Path, only: str) -> None:
    done = Hoso({**sqlite_env, only: str(tmp_path / "some.pem")})("serve")
    assert done.code == 2
    assert "HOSO_TLS_CERT and HOSO_TLS_KEY go together" in done.stderr


def test_unreadable_tls_files_are_refused_before_anything_starts(
        sqlite_env: dict[str, str], tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    done = Hoso({**sqlite_env, "HOSO_TLS_CERT": str(key), "HOSO_TLS_KEY": str(cert)})("serve")
    assert done.code == 2
    assert f"HOSO_TLS_CERT {key} and HOSO_TLS_KEY {cert} cannot be used" in done.stderr
    assert "serving" not in done.stderr


# -- HTTPS ----------------------------------------------------------------------------------

def test_with_tls_files_it_serves_https_beyond_loopback(
        sqlite_env: dict[str, str], tmp_path: Path) -> None:
    """GIVEN a certificate and key in HOSO_TLS_CERT and HOSO_TLS_KEY
    WHEN hoso serve listens on every address
    THEN a client that trusts only that certificate gets /healthz over HTTPS at 127.0.0.1,
    with HSTS; plain HTTP on that port is not answered as a request; a foreign Host is still
    400, with the security headers."""
    cert, key = self_signed_certificate(tmp_path)
    trusting = ssl.create_default_context(cafile=str(cert))
    env = {**sqlite_env, "HOSO_TLS_CERT": str(cert), "HOSO_TLS_KEY": str(key)}
    with live_hoso(env, tmp_path, args=["--host", "0.0.0.0"], tls=trusting) as base:
        assert base.startswith("https://127.0.0.1:")
        health = fetch(base, "/healthz", tls=trusting)
        assert health.status == 200
        assert health.getheader("Strict-Transport-Security") == "max-age=31536000"
        assert health.getheader("Server") == "hoso"
        with pytest.raises(ssl.SSLCertVerificationError):  # the default trust store: unknown
            fetch(base, "/healthz", tls=ssl.create_default_context())
        try:  # cheroot answers 400 in plain text or drops the connection
            plain: int | None = fetch(base.replace("https://", "http://"), "/healthz").status
        except (ConnectionError, http.client.HTTPException):
            plain = None
        assert plain in (400, None)
        ignored = fetch(base, "/healthz", {"X-Forwarded-Host": "evil.example"}, tls=trusting)
        assert ignored.status == 200  # no --behind-proxy: the real Host is the one checked
        foreign = fetch(base, "/healthz", {"Host": "evil.example"}, tls=trusting)
        assert foreign.status == 400
        for name, value in SECURITY_HEADERS.items():
            assert foreign.getheader(name) == value


# -- the proxy in front ----------------------------------------------------------------------

@pytest.fixture
def proxied(sqlite_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    with live_hoso(sqlite_env, tmp_path, args=["--host", "0.0.0.0", "--behind-proxy"]) as base:
        yield base


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("direct")
    with live_hoso({"HOSO_DATA_DIR": str(folder / "var")}, folder) as base:
        yield base


def test_behind_a_proxy_its_forwarded_scheme_and_host_are_believed_for_one_hop(
        proxied: str) -> None:
    """GIVEN hoso serve --behind-proxy on every address
    WHEN requests carry X-Forwarded-Proto and X-Forwarded-Host as the proxy sets them
    THEN https makes the request secure (HSTS appears), the forwarded host is the one checked
    against the trusted hosts, and only the last entry of each (the proxy's own) counts."""
    assert fetch(proxied, "/healthz").getheader("Strict-Transport-Security") is None
    secure = fetch(proxied, "/healthz", {"X-Forwarded-Proto": "https"})
    assert secure.status == 200
    assert secure.getheader("Strict-Transport-Security") == "max-age=31536000"
    forged = fetch(proxied, "/healthz", {"X-Forwarded-Proto": "https, http"})
    assert forged.getheader("Strict-Transport-Security") is None
    assert fetch(proxied, "/healthz", {"X-Forwarded-Host": "evil.example"}).status == 400
    assert fetch(proxied, "/healthz",
                 {"X-Forwarded-Host": "evil.example, 127.0.0.1"}).status == 200


def test_without_behind_proxy_forwarded_headers_are_ignored(direct: str) -> None:
    """GIVEN hoso serve on loopback without --behind-proxy
    WHEN a request claims https and another host through forwarded headers
    THEN neither counts: no HSTS, and the real Host is the one checked."""
    answer = fetch(direct, "/healthz", {"X-Forwarded-Proto": "https",
                                        "X-Forwarded-Host": "evil.example"})
    assert answer.status == 200
    assert answer.getheader("Strict-Transport-Security") is None


# -- security headers -------------------------------------------------------------------------

def test_every_answer_carries_the_security_headers(direct: str) -> None:
    """GIVEN a running hoso serve
    WHEN it answers with JSON, a 404 and a 400
    THEN each carries the security headers, and none has HSTS over plain HTTP."""
    answers = [fetch(direct, "/healthz"), fetch(direct, "/api/v1/no-such-thing"),
               fetch(direct, "/healthz", {"Host": "evil.example"})]
    assert [a.status for a in answers] == [200, 404, 400]
    for answer in answers:
        assert answer.getheader("Content-Type") == "application/json"
        for name, value in SECURITY_HEADERS.items():
            assert answer.getheader(name) == value
        assert answer.getheader("Strict-Transport-Security") is None


def test_a_header_a_view_set_is_kept() -> None:
    app = Flask(__name__)
    headers.register(app)

    @app.get("/framed")
    def framed() -> tuple[str, int, dict[str, str]]:
        return "ok", 200, {"Content-Security-Policy": "frame-ancestors 'self'"}

    answer = app.test_client().get("/framed")
    assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


# -- file modes -------------------------------------------------------------------------------

@pytest.mark.usefixtures("ordinary_umask")
@pytest.mark.parametrize("before", ["absent", "loose"])
def test_the_data_folder_and_database_files_are_for_hoso_s_user_only(
        sqlite_env: dict[str, str], tmp_path: Path, before: str) -> None:
    """GIVEN no data folder, or one left 0755 with its database, -wal and -shm files 0644
    WHEN hoso init --demo runs, hoso serve holds the store open and a dossier is received
    and a page stored
    THEN the data folder is 0700, hoso.sqlite, hoso.sqlite-wal and hoso.sqlite-shm are 0600,
    and the object store's folders are 0700."""
    data = Path(sqlite_env["HOSO_DATA_DIR"])
    database = data / "hoso.sqlite"
    siblings = [database.with_name("hoso.sqlite-wal"), database.with_name("hoso.sqlite-shm")]
    hoso = Hoso(sqlite_env)
    if before == "loose":
        hoso.ok("init", "--demo")
        data.chmod(0o755)
        database.chmod(0o644)
        for sibling in siblings:  # as a crashed writer of an older version would leave them
            sibling.touch(mode=0o644)
            sibling.chmod(0o644)
    with live_hoso(sqlite_env, tmp_path):
        c = cast_from(Province(load_province_file(demo_province_path())))
        components = [arg for comp in c.components for arg in ("--component", comp)]
        hoso.ok("receive", "--office", c.commune, "--procedure", c.procedure.code,
                "--applicant-name", "Phạm Thị Hoa", "--applicant-id", "035190004321",
                *components, "--actor", c.receiver)
        page = tmp_path / "page.txt"
        page.write_text("a scanned page")
        key = hoso("storage", "put", str(page)).stdout.strip()
        assert mode(data) == 0o700
        for path in [database, *siblings]:
            assert path.exists(), f"{path.name} is missing while the server holds the store"
            assert mode(path) == 0o600, f"{path.name} is {oct(mode(path))}"
        objects = data / "objects"
        stored = objects / key
        for folder in [objects, objects / ".partial", stored.parent.parent, stored.parent]:
            assert mode(folder) == 0o700, f"{folder} is {oct(mode(folder))}"
