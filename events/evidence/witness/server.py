"""``hoso witness serve``: a c2sp.org/tlog-witness v1 witness over the standard library's HTTP.

The witness cosigns a checkpoint only when the log's key signed it and a consistency proof
leads from the checkpoint it cosigned last to this one. It never cosigns a smaller tree or a
different root at the same size, and the check and the new state are one step under a lock,
the state fsynced before the cosignature leaves (events/evidence/witness/state.py). Every
refusal of a request the log signed is kept as evidence.

Routes: ``POST /add-checkpoint`` (the specification's), and ``GET /latest-checkpoint?origin=O``,
a read-only extension that answers the note the witness last cosigned for O (with its
cosignature) so that an auditor can hold the log's store against it.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from events.evidence.cosignature import CosignatureSigner, add_cosignatures
from events.evidence.notes import InvalidSignature, NoteError, UnverifiedNote, Verifier, open_note
from events.evidence.verify import VerificationError, verify_consistency
from events.evidence.witness.protocol import (
    LATEST_PATH,
    MAX_REQUEST_BYTES,
    PATH,
    SIZE_CONTENT_TYPE,
    AddCheckpoint,
    MalformedRequest,
    size_body,
)
from events.evidence.witness.state import EvidenceFolder, LogHead, WitnessState

log = logging.getLogger(__name__)
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, body and content type, and why (for the log and evidence)."""

    status: int
    body: bytes
    why: str
    content_type: str = TEXT

    @classmethod
    def text(cls, status: int, why: str, message: str) -> Answer:
        return cls(status, (message + "\n").encode(), why)


def _checkpoint_fields(text: str) -> tuple[int, bytes]:
    """Size and root of a tlog-checkpoint text (origin, size, base64 root, extension lines)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
        raise MalformedRequest("a checkpoint is an origin, a size, a root hash and optional "
                               "extension lines, each ending in a newline")
    size_text, root_text = lines[1], lines[2]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise MalformedRequest("the checkpoint's size is decimal without leading zeros")
    try:
        root = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedRequest("the checkpoint's root hash is not base64") from None
    if len(root) != 32:
        raise MalformedRequest("the checkpoint's root hash is not 32 bytes")
    return int(size_text), root


def _open_by_any(note: str, keys: Sequence[Verifier]) -> str:
    """The note's text once one of ``keys`` signed it; a signature by one of them that fails
    refuses the note (InvalidSignature), as ``open_note`` does for one key."""
    for key in keys:
        try:
            return open_note(note, key)
        except InvalidSignature:
            raise
        except UnverifiedNote:
            continue
    raise UnverifiedNote("no signature by the log's keys")


class Witness:
    """Decides add-checkpoint requests for the logs it knows (origin → the log's keys: any of
    them may sign, as a log that rotated its key is known by the old key and the new one until
    the witness's operator retires the old)."""

    def __init__(self, signer: CosignatureSigner, logs: Mapping[str, Sequence[Verifier]],
                 state: WitnessState, evidence: EvidenceFolder,
                 clock: Callable[[], float] = time.time) -> None:
        self.signer = signer
        self.logs = {origin: tuple(keys) for origin, keys in logs.items()}
        self.state = state
        self.evidence = evidence
        self.clock = clock
        self._lock = threading.Lock()

    def add_checkpoint(self, body: bytes, peer: str = "") -> Answer:
        """The answer to one request body; cosigns only when every check passes."""
        try:
            request = AddCheckpoint.parse(body)
        except MalformedRequest as error:
            return Answer.text(400, "malformed", str(error))
        origin = request.note.split("\n", 1)[0]
        keys = self.logs.get(origin)
        if keys is None:
            return Answer.text(404, "unknown-log", f"this witness does not witness {origin!r}")
        try:
            text = _open_by_any(request.note, keys)
        except (UnverifiedNote, InvalidSignature):
            return Answer.text(403, "unsigned", f"no valid signature by the key of {origin!r}")
        except NoteError as error:
            return Answer.text(400, "malformed", str(error))
        try:
            size, root = _checkpoint_fields(text)
        except MalformedRequest as error:
            return Answer.text(400, "malformed", str(error))
        if request.old_size > size:
            return self._refuse(body, peer, origin, Answer.text(
                400, "old-beyond-size", f"old size {request.old_size} > checkpoint size {size}"))
        with self._lock:
            held = self.state.head(origin)
            answer = self._check(request, size, root, held)
            if answer is not None:
                if answer.why == "stale-old-size":  # the log learns the size: nothing wrong
                    return answer
                return self._refuse(body, peer, origin, answer, held)
            timestamp = max(int(self.clock()), held.timestamp)
            cosignature = self.signer.cosign(text, timestamp)
            line = cosignature.to_line()
            self.state.record(origin, LogHead(size, root, add_cosignatures(request.note, [line]),
                                              timestamp))
        log.info("cosigned %s at size %d for %s", origin, size, peer or "?")
        return Answer(200, line.encode(), "cosigned")

    def _check(self, request: AddCheckpoint, size: int, root: bytes,
               held: LogHead) -> Answer | None:
        conflict = Answer(409, size_body(held.size), "stale-old-size", SIZE_CONTENT_TYPE)
        if size < held.size:
            return Answer(409, size_body(held.size), "rollback", SIZE_CONTENT_TYPE)
        if size == held.size and root != held.root:
            return Answer(409, size_body(held.size), "fork", SIZE_CONTENT_TYPE)
        if request.old_size != held.size:
            return conflict
        try:
            verify_consistency(held.size, size, list(request.proof), held.root, root)
        except VerificationError as error:
            return Answer.text(422, "bad-proof", f"the consistency proof from size {held.size} "
                                                 f"does not verify: {error}")
        return None

    def _refuse(self, body: bytes, peer: str, origin: str, answer: Answer,
                held: LogHead | None = None) -> Answer:
        """Keep a refused request the log signed; the answer goes out even if keeping fails."""
        held = held or self.state.head(origin)
        detail: dict[str, Any] = {"peer": peer, "origin": origin, "witness": self.signer.name,
                                  "held_size": held.size,
                                  "held_root": base64.b64encode(held.root).decode("ascii"),
                                  "held_checkpoint": held.note,
                                  "answer": answer.body.decode(errors="replace")}
        try:
            kept = self.evidence.keep(body, answer.status, answer.why, detail)
            log.warning("refused %s (%s, %d) from %s: kept as %s", origin, answer.why,
                        answer.status, peer or "?", kept)
        except OSError:
            log.exception("refused %s (%s): the evidence could not be kept", origin, answer.why)
        return answer

    def latest(self, origin: str) -> str | None:
        with self._lock:
            return self.state.head(origin).note


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the specification recommends
    disable_nagle_algorithm = True  # headers and body leave at once, not a delayed ACK apart
    timeout = 60  # an idle kept-alive connection is closed (and its thread ended) after this
    server_version = "hoso-witness"
    witness: Witness

    def do_POST(self) -> None:
        if urlsplit(self.path).path != PATH:
            self._send(Answer.text(404, "no-route", "POST /add-checkpoint only"))
            return
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            self._send(Answer.text(411, "no-length", "a Content-Length is required"))
            return
        if int(length) > MAX_REQUEST_BYTES:
            self._send(Answer.text(413, "too-large", f"at most {MAX_REQUEST_BYTES} bytes"))
            self.close_connection = True
            return
        body = self.rfile.read(int(length))
        self._send(self.witness.add_checkpoint(body, f"{self.client_address[0]}"))

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != LATEST_PATH:
            self._send(Answer.text(404, "no-route", "GET /latest-checkpoint?origin=… only"))
            return
        origin = (parse_qs(url.query).get("origin") or [""])[0]
        note = self.witness.latest(origin)
        if note is None:
            self._send(Answer.text(404, "none", f"nothing cosigned for {origin!r}"))
        else:
            self._send(Answer(200, note.encode(), "latest"))

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status, HTTPStatus(answer.status).phrase)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.client_address[0], *args)


def make_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    """A threading HTTP server answering for ``witness`` on ``host:port`` (not yet serving)."""
    handler = type("WitnessHandler", (_Handler,), {"witness": witness})
    kind = type("WitnessServer", (ThreadingHTTPServer,),
                {"daemon_threads": True, "request_queue_size": 64})
    server: ThreadingHTTPServer = kind((host, port), handler)
    return server
