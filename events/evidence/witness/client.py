"""The log's side of c2sp.org/tlog-witness v1: one witness, asked over one kept-alive connection.

Every answer is turned into an outcome: ``Cosigned`` (a cosignature by the witness's key that
verifies over the checkpoint), ``Conflict`` (409 with the size the witness holds), ``Refused``
(any other answer, including a 200 without a valid cosignature) or ``Unreachable`` (no answer in
time). Nothing here raises for a witness's behaviour; only a wrongly configured URL does.
"""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from events.evidence.cosignature import Cosignature, CosignatureVerifier, MalformedCosignature
from events.evidence.notes import MalformedKey, NoteError, note_text
from events.evidence.witness.protocol import (
    LATEST_PATH,
    PATH,
    SIZE_CONTENT_TYPE,
    AddCheckpoint,
    MalformedAnswer,
    parse_cosignature_lines,
    parse_size_body,
)


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness as the log is configured with it: its name, URL prefix and public key."""

    name: str
    url: str
    verifier: CosignatureVerifier

    def __post_init__(self) -> None:
        if self.name != self.verifier.name:
            raise MalformedKey(f"witness {self.name!r}: its key is named "
                               f"{self.verifier.name!r}; use the key's name")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise MalformedKey(f"witness {self.name!r}: {self.url!r} is not an http(s) URL")

    @property
    def label(self) -> str:
        return self.verifier.label


@dataclass(frozen=True)
class Cosigned:
    cosignature: Cosignature

    @property
    def line(self) -> str:
        return self.cosignature.to_line()


@dataclass(frozen=True)
class Conflict:
    size: int


@dataclass(frozen=True)
class Refused:
    status: int
    message: str


@dataclass(frozen=True)
class Unreachable:
    error: str


Outcome = Cosigned | Conflict | Refused | Unreachable


class WitnessClient:
    """Asks one witness; not thread-safe (one client per thread)."""

    def __init__(self, endpoint: WitnessEndpoint, timeout: float = 10.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        parts = urlsplit(endpoint.url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._connection: http.client.HTTPConnection | None = None

    def add_checkpoint(self, request: AddCheckpoint) -> Outcome:
        """Submit ``request``; its note's text is what the cosignature must cover."""
        try:
            status, content_type, body = self._exchange(
                "POST", self._prefix + PATH, request.to_bytes())
        except (OSError, http.client.HTTPException) as error:
            return Unreachable(f"{type(error).__name__}: {error}")
        if status == 409 and content_type.split(";")[0].strip() == SIZE_CONTENT_TYPE:
            try:
                return Conflict(parse_size_body(body))
            except MalformedAnswer as error:
                return Refused(status, str(error))
        if status != 200:
            return Refused(status, body.decode("utf-8", errors="replace").strip()[:300])
        return self._cosigned(note_text(request.note), body)

    def _cosigned(self, text: str, body: bytes) -> Outcome:
        verifier = self.endpoint.verifier
        try:
            lines = parse_cosignature_lines(body)
        except MalformedAnswer as error:
            return Refused(200, str(error))
        for line in lines:
            if not verifier.made(line):
                continue  # another key of the witness, or one the log does not know: ignored
            try:
                cosignature = Cosignature.from_line(line)
            except MalformedCosignature as error:
                return Refused(200, str(error))
            if verifier.verify(text, cosignature):
                return Cosigned(cosignature)
            return Refused(200, f"the cosignature by {verifier.label} does not verify")
        return Refused(200, f"the answer carries no cosignature by {verifier.label}")

    def latest_checkpoint(self, origin: str) -> str | None:
        """The note the witness last cosigned for ``origin`` (None when it holds none);
        OSError or HTTPException when it cannot be asked, NoteError for a bad answer."""
        status, _, body = self._exchange(
            "GET", f"{self._prefix}{LATEST_PATH}?origin={quote(origin, safe='')}", None)
        if status == 404:
            return None
        if status != 200:
            raise NoteError(f"witness {self.endpoint.label} answered {status}")
        return body.decode("utf-8", errors="surrogateescape")

    def _exchange(self, method: str, path: str, body: bytes | None) -> tuple[int, str, bytes]:
        """One request on the kept connection; a connection the witness closed while idle is
        opened again once, for that request only."""
        for attempt in (1, 2):
            fresh = self._connection is None
            connection = self._connection or self._connect()
            try:
                headers = {"Content-Type": "text/plain; charset=utf-8"} if body else {}
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (ConnectionError, http.client.RemoteDisconnected,
                    http.client.CannotSendRequest, http.client.BadStatusLine):
                self.close()
                if fresh or attempt == 2:
                    raise
                continue
            except (OSError, http.client.HTTPException):
                self.close()
                raise
            if response.will_close:
                self.close()
            return response.status, response.getheader("Content-Type", ""), data
        raise OSError("unreachable")  # not reached: the loop returns or raises

    def _connect(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        self._connection = kind(self._host, self._port, timeout=self.timeout)
        self._connection.connect()
        self._connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
