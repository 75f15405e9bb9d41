"""The add-checkpoint exchange of c2sp.org/tlog-witness v1, byte for byte, for both ends.

Request body: ``old <size>\\n``, up to 63 consistency proof lines (one base64 hash each), an empty
line, then the signed checkpoint note. Answers: 200 with one or more cosignature lines; 409 with
``<size>\\n`` (``Content-Type: text/x.tlog.size``) when the old size is not the size the witness
last cosigned; 400, 403, 404 and 422 as the specification assigns them. Standard library only.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from events.evidence.notes import NoteError, SignatureLine, split_note

MAX_PROOF_LINES = 63
HASH_SIZE = 32
MAX_REQUEST_BYTES = 1 << 20  # a note may carry many signatures; proofs are at most 2 KiB
SIZE_CONTENT_TYPE = "text/x.tlog.size"
PATH = "/add-checkpoint"
LATEST_PATH = "/latest-checkpoint"  # hoso's read-only extension (events/evidence/witness/server.py)
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")


class MalformedRequest(NoteError):
    """A body that is not an add-checkpoint request (answered 400)."""

    code = "malformed_request"
    http_status = 400


class MalformedAnswer(NoteError):
    """A witness answer that does not follow the specification."""

    code = "malformed_answer"


def _size(text: str, what: str) -> int:
    if not _DECIMAL.fullmatch(text) or int(text) > 2**64 - 1:
        raise MalformedRequest(f"{what} must be a decimal tree size without leading zeros")
    return int(text)


def _hash(line: str) -> bytes:
    try:
        raw = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedRequest("a consistency proof line is not base64") from None
    if len(raw) != HASH_SIZE or base64.b64encode(raw).decode("ascii") != line:
        raise MalformedRequest("a consistency proof line is one 32-byte hash in base64")
    return raw


@dataclass(frozen=True)
class AddCheckpoint:
    """One add-checkpoint request: the size the log believes the witness holds, the proof from
    that size to the checkpoint's, and the checkpoint as a signed note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str

    def to_bytes(self) -> bytes:
        if len(self.proof) > MAX_PROOF_LINES:
            raise MalformedRequest(f"at most {MAX_PROOF_LINES} consistency proof lines")
        head = [f"old {self.old_size}"]
        head += [base64.b64encode(h).decode("ascii") for h in self.proof]
        return ("\n".join(head) + "\n\n" + self.note).encode("utf-8")

    @classmethod
    def parse(cls, body: bytes) -> AddCheckpoint:
        """The request in ``body``; MalformedRequest naming the first rule it breaks. The note
        is only checked to be a well-formed note here, never verified."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedRequest("the request is not UTF-8") from None
        head, blank, note = text.partition("\n\n")
        if not blank:
            raise MalformedRequest("the request needs an empty line before the checkpoint")
        lines = head.split("\n")
        if not lines[0].startswith("old "):
            raise MalformedRequest("the request starts with 'old <size>'")
        old = _size(lines[0][4:], "the old size")
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise MalformedRequest(f"more than {MAX_PROOF_LINES} consistency proof lines")
        proof = tuple(_hash(line) for line in lines[1:])
        try:
            split_note(note)
        except NoteError as error:
            raise MalformedRequest(f"the checkpoint is not a signed note: {error}") from None
        return cls(old, proof, note)


def size_body(size: int) -> bytes:
    """A 409 answer's body: the witness's tree size in decimal and a newline."""
    return f"{size}\n".encode("ascii")


def parse_size_body(body: bytes) -> int:
    text = body.decode("ascii", errors="replace")
    if not text.endswith("\n"):
        raise MalformedAnswer(f"a 409 answer is '<size>\\n', not {text[:40]!r}")
    try:
        return _size(text[:-1], "the witness's size")
    except MalformedRequest as error:
        raise MalformedAnswer(str(error)) from None


def parse_cosignature_lines(body: bytes) -> list[SignatureLine]:
    """The signature lines of a 200 answer (each ``— name base64`` and a newline), unverified."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedAnswer("the answer is not UTF-8") from None
    if not text.endswith("\n"):
        raise MalformedAnswer("cosignature lines each end with a newline")
    placeholder = "x\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"  # read as a note's lines
    try:
        return split_note(placeholder + text)[1]
    except NoteError as error:
        raise MalformedAnswer(f"the answer holds no cosignature lines: {error}") from None
