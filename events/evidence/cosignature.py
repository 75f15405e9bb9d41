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
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from events.evidence.notes import (
    SIGNATURE_PREFIX,
    MalformedKey,
    NoteError,
    SignatureLine,
    split_note,
)

ALG_COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1"
TIMESTAMP_SIZE = 8
SIGNATURE_SIZE = 64
MAX_TIMESTAMP = 2**63 - 1

_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")


class MalformedCosignature(NoteError):
    """A signature line by a witness's name and key ID that is not a cosignature/v1 at all."""

    code = "malformed_cosignature"


def _check_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() or ch < " " for ch in name):
        raise MalformedKey(
            f"key name {name!r} must be non-empty, without spaces, '+' or control characters")


def _decode(text: str, what: str) -> bytes:
    """Standard base64 in its one canonical encoding; MalformedKey naming ``what`` otherwise."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedKey(f"{what}: key data is not standard base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise MalformedKey(f"{what}: key data is not the canonical base64 encoding")
    return raw


def cosignature_key_id(name: str, public_key: bytes) -> int:
    """SHA-256(name, 0x0A, 0x04, key)[:4], big-endian: the key ID of a cosignature/v1 key."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key)
    return int.from_bytes(digest.digest()[:4], "big")


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


class CosignatureVerifier:
    """A witness's Ed25519 public key under its name: checks its cosignatures offline."""

    def __init__(self, name: str, public_key: bytes) -> None:
        _check_name(name)
        if len(public_key) != 32:
            raise MalformedKey(f"an Ed25519 public key has 32 bytes, not {len(public_key)}")
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = cosignature_key_id(name, self.public_key)
        self._key = Ed25519PublicKey.from_public_bytes(self.public_key)

    @classmethod
    def parse(cls, text: str) -> CosignatureVerifier:
        """Read ``name+keyid+base64(0x04||key)``; the key ID must match the name and key."""
        name, _, rest = text.strip().partition("+")
        hex_id, _, key64 = rest.partition("+")
        _check_name(name)
        if not _KEY_ID.fullmatch(hex_id):
            raise MalformedKey(f"witness key for {name!r}: key ID must be 8 hex digits")
        key = _decode(key64, f"witness key for {name!r}")
        if len(key) != 33 or key[0] != ALG_COSIGNATURE_V1:
            raise MalformedKey(f"witness key for {name!r}: expected 0x04 (cosignature/v1) and a "
                               "32-byte Ed25519 key")
        verifier = cls(name, key[1:])
        if verifier.key_id != int(hex_id, 16):
            raise MalformedKey(f"witness key for {name!r}: key ID {hex_id} does not match the "
                               f"key (expected {verifier.key_id:08x})")
        return verifier

    @property
    def label(self) -> str:
        """``name+keyid``: how reports name the witness."""
        return f"{self.name}+{self.key_id:08x}"

    def to_text(self) -> str:
        key64 = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{key64}"

    def made(self, line: SignatureLine) -> bool:
        """Whether ``line`` claims to be by this key (its name and key ID); nothing verified."""
        return (line.name, line.key_id) == (self.name, self.key_id)

    def verify(self, text: str, cosignature: Cosignature) -> bool:
        """Whether ``cosignature`` is this key's valid cosignature/v1 of the note ``text``."""
        if (cosignature.name, cosignature.key_id) != (self.name, self.key_id):
            return False
        try:
            self._key.verify(cosignature.signature, signed_message(text, cosignature.timestamp))
        except _CryptoInvalidSignature:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CosignatureVerifier):
            return NotImplemented
        return (self.name, self.public_key) == (other.name, other.public_key)

    def __hash__(self) -> int:
        return hash((self.name, self.public_key))

    def __repr__(self) -> str:
        return f"CosignatureVerifier({self.to_text()!r})"


class CosignatureSigner:
    """A witness's Ed25519 private key under its name; its repr never shows the secret."""

    def __init__(self, name: str, seed: bytes) -> None:
        _check_name(name)
        if len(seed) != 32:
            raise MalformedKey(f"an Ed25519 private key seed has 32 bytes, not {len(seed)}")
        self.name = name
        self._seed = bytes(seed)
        self._key = Ed25519PrivateKey.from_private_bytes(self._seed)
        self.verifier = CosignatureVerifier(name, self._key.public_key().public_bytes_raw())
        self.key_id = self.verifier.key_id

    @classmethod
    def generate(cls, name: str) -> CosignatureSigner:
        return cls(name, Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, text: str) -> CosignatureSigner:
        """Read ``PRIVATE+KEY+name+keyid+base64(0x04||seed)``; errors never echo the secret."""
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise MalformedKey("a witness signer key starts with PRIVATE+KEY+<name>+<key ID>+")
        _, _, name, hex_id, key64 = parts
        _check_name(name)
        if not _KEY_ID.fullmatch(hex_id):
            raise MalformedKey(f"witness signer key for {name!r}: key ID must be 8 hex digits")
        try:
            key = _decode(key64, "")
        except MalformedKey:
            raise MalformedKey(f"witness signer key for {name!r}: key data is not base64"
                               ) from None
        if len(key) != 33 or key[0] != ALG_COSIGNATURE_V1:
            raise MalformedKey(f"witness signer key for {name!r}: expected 0x04 and a 32-byte "
                               "seed")
        signer = cls(name, key[1:])
        if signer.key_id != int(hex_id, 16):
            raise MalformedKey(f"witness signer key for {name!r}: key ID {hex_id} does not "
                               "match the key")
        return signer

    def to_text(self) -> str:
        key64 = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self._seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{key64}"

    def cosign(self, text: str, timestamp: int) -> Cosignature:
        """The cosignature/v1 of the checkpoint note ``text`` as of ``timestamp``."""
        _check_checkpoint_text(text)
        signature = self._key.sign(signed_message(text, timestamp))
        return Cosignature(self.name, self.key_id, timestamp, signature)

    def __repr__(self) -> str:
        return f"CosignatureSigner(name={self.name!r}, key_id={self.key_id:08x})"


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
