"""Witness cosignatures (c2sp.org/tlog-cosignature v1, Ed25519) and the quorum a reader requires.

A cosignature is a signed-note signature line on a checkpoint, made by a witness that checked the
checkpoint is consistent with every one it cosigned before. An inspector holding the witnesses'
public keys counts the valid ones; nothing here touches a database, the network or the tracker
(``cryptography`` and the standard library only, so the offline verifier can carry it).

Formats, as c2sp.org/tlog-cosignature and signed-note define them:

- key ID: the first 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x04 || 32-byte public key);
- verifier key (vkey): ``<name>+<8 hex key ID>+base64(0x04 || public key)``;
- signer key: ``PRIVATE+KEY+<name>+<8 hex key ID>+base64(0x04 || seed)`` (as transparency-dev's
  ``NewSignerForCosignatureV1`` reads it);
- signature line: ``— <name> base64(key ID || u64 big-endian timestamp || Ed25519 signature)``;
- signed message: ``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint's note text
  (its final newline included, no signature line).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from events.evidence.notes import (
    SIGNATURE_PREFIX,
    NamedSigner,
    NamedVerifier,
    NoteError,
    SignatureLine,
    algorithm_key_id,
    split_note,
)

ALG_COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1"
TIMESTAMP_SIZE = 8
SIGNATURE_SIZE = 64
MAX_TIMESTAMP = 2**63 - 1

class MalformedCosignature(NoteError):
    """A signature line by a witness's name and key ID that is not a cosignature/v1 at all."""

    code = "malformed_cosignature"


def cosignature_key_id(name: str, public_key: bytes) -> int:
    """SHA-256(name, 0x0A, 0x04, key)[:4], big-endian: the key ID of a cosignature/v1 key."""
    return algorithm_key_id(name, ALG_COSIGNATURE_V1, public_key)


def signed_message(text: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: the header line, the time line, then the note text."""
    _check_timestamp(timestamp)
    return f"{HEADER}\ntime {timestamp}\n".encode() + text.encode("utf-8")


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise MalformedCosignature(f"a timestamp is whole seconds, not {timestamp!r}")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise MalformedCosignature(f"the timestamp {timestamp} is outside 0..2**63-1")


def _check_checkpoint_text(text: str) -> None:
    """A cosigner signs checkpoints only: a text of at least three newline-ended lines."""
    if not text.endswith("\n") or text.count("\n") < 3:
        raise MalformedCosignature("only a checkpoint (origin, size and root lines) is cosigned")


@dataclass(frozen=True)
class Cosignature:
    """One cosignature: ``name``'s key ``key_id`` signed the checkpoint as of ``timestamp``."""

    name: str
    key_id: int
    timestamp: int
    signature: bytes

    @classmethod
    def from_line(cls, line: SignatureLine) -> Cosignature:
        """The parts of a parsed signature line; MalformedCosignature unless it has the
        timestamped_signature's size (8 + 64 bytes after the key ID)."""
        if len(line.signature) != TIMESTAMP_SIZE + SIGNATURE_SIZE:
            raise MalformedCosignature(
                f"a cosignature/v1 by {line.name} holds a key ID, an 8-byte timestamp and a "
                f"64-byte signature, not {4 + len(line.signature)} bytes")
        timestamp = int.from_bytes(line.signature[:TIMESTAMP_SIZE], "big")
        _check_timestamp(timestamp)
        return cls(line.name, line.key_id, timestamp, line.signature[TIMESTAMP_SIZE:])

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)

    def to_line(self) -> str:
        """The signature line, ending in a newline, as a note carries it."""
        raw = (self.key_id.to_bytes(4, "big") + self.timestamp.to_bytes(TIMESTAMP_SIZE, "big")
               + self.signature)
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(raw).decode('ascii')}\n"


class CosignatureVerifier(NamedVerifier):
    """A witness's Ed25519 public key under its name (algorithm 0x04): checks its cosignatures
    offline."""

    ALGORITHM = ALG_COSIGNATURE_V1
    KIND = "witness key"

    @property
    def label(self) -> str:
        """``name+keyid``: how reports name the witness."""
        return f"{self.name}+{self.key_id:08x}"

    def made(self, line: SignatureLine) -> bool:
        """Whether ``line`` claims to be by this key (its name and key ID); nothing verified."""
        return (line.name, line.key_id) == (self.name, self.key_id)

    def verify(self, text: str, cosignature: Cosignature) -> bool:
        """Whether ``cosignature`` is this key's valid cosignature/v1 of the note ``text``."""
        if (cosignature.name, cosignature.key_id) != (self.name, self.key_id):
            return False
        return self._verifies(signed_message(text, cosignature.timestamp),
                              cosignature.signature)


class CosignatureSigner(NamedSigner):
    """A witness's Ed25519 private key under its name, as transparency-dev's
    ``NewSignerForCosignatureV1`` reads it."""

    VERIFIER = CosignatureVerifier
    KIND = "witness signer key"
    verifier: CosignatureVerifier

    def cosign(self, text: str, timestamp: int) -> Cosignature:
        """The cosignature/v1 of the checkpoint note ``text`` as of ``timestamp``."""
        _check_checkpoint_text(text)
        signature = self._key.sign(signed_message(text, timestamp))
        return Cosignature(self.name, self.key_id, timestamp, signature)


def cosignature_lines(note: str | bytes) -> list[SignatureLine]:
    """Every signature line of a well-formed note (the log's and any witness's), unverified."""
    return split_note(note)[1]


def add_cosignatures(note: str, lines: Iterable[str]) -> str:
    """``note`` with each line in ``lines`` it does not carry yet appended, in order."""
    have = set(note[note.rfind("\n\n") + 2:].splitlines(keepends=True))
    extra = [line for line in dict.fromkeys(lines) if line not in have]
    return note + "".join(extra)


@dataclass
class Quorum:
    """How many of the configured witnesses validly cosigned one checkpoint, and who is missing."""

    required: int
    witnesses: list[str]
    cosigned: dict[str, Cosignature] = field(default_factory=dict)
    invalid: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return len(self.cosigned) >= self.required

    @property
    def missing(self) -> list[str]:
        return [label for label in self.witnesses if label not in self.cosigned]

    def describe(self) -> str:
        head = f"{len(self.cosigned)} of {len(self.witnesses)} witnesses cosigned"
        need = f" ({self.required} required)" if self.required else ""
        gone = f"; missing: {', '.join(self.missing)}" if self.missing else ""
        bad = f"; invalid cosignature by: {', '.join(self.invalid)}" if self.invalid else ""
        return head + need + gone + bad

    def to_dict(self) -> dict[str, Any]:
        return {"required": self.required, "met": self.met,
                "cosigned": {label: c.time.isoformat() for label, c in self.cosigned.items()},
                "missing": self.missing, "invalid": self.invalid}


def check_quorum(note: str | bytes, extra_lines: Iterable[str],
                 witnesses: Sequence[CosignatureVerifier], required: int) -> Quorum:
    """Count the witnesses with a valid cosignature of ``note``'s text, among the note's own
    signature lines and ``extra_lines`` (kept apart from the note); ``required`` of them make
    the quorum. A line by a witness's name and key ID that fails to verify is named in
    ``invalid``; it never counts, and lines by unknown keys are ignored.
    """
    text, lines = split_note(note)
    extra = "".join(extra_lines)
    if extra:
        lines = lines + split_note(text + "\n" + extra)[1]
    report = Quorum(required, [w.label for w in witnesses])
    for witness in witnesses:
        for line in lines:
            if not witness.made(line):
                continue
            try:
                valid = witness.verify(text, Cosignature.from_line(line))
            except MalformedCosignature:
                valid = False
            if valid:
                report.cosigned[witness.label] = Cosignature.from_line(line)
                break
        if witness.label not in report.cosigned and any(map(witness.made, lines)):
            report.invalid.append(witness.label)
    return report
