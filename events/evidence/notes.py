"""Signed notes and checkpoints (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) for offline checks.

An inspector holding only the verifier key string can open a signed checkpoint and learn the
log's size and root hash at a moment; nothing here touches a database or the tracker. Ed25519
comes from ``cryptography``; everything else is the standard library.

Formats (as Go's golang.org/x/mod/sumdb/note writes them):

- key ID: the first 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || 32-byte public key);
- verifier key: ``<name>+<8 hex key ID>+base64(0x01 || public key)``;
- signer key: ``PRIVATE+KEY+<name>+<8 hex key ID>+base64(0x01 || seed)``;
- signed note: text ending in a newline, one blank line, then lines
  ``— <name> base64(key ID || signature)`` (em dash U+2014), each ending in a newline.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar, Self

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "— "  # em dash U+2014, then a space
MAX_SIGNATURES = 100  # as Go's note.Open; the spec asks verifiers to accept at least 16
HASH_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1
TIME_EXTENSION = "time "

_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")
_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")
_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")


class NoteError(Exception):
    """Base of the errors raised on keys, notes and checkpoints; carries its CLI and HTTP status."""

    code = "note_failure"
    exit_code = 1
    http_status = 422


class MalformedKey(NoteError):
    """A key string or key name that does not follow the signed-note key format."""

    code = "bad_key"
    exit_code = 2
    http_status = 400


class MalformedNote(NoteError):
    """Text that is not a well-formed signed note, or cannot be signed as one."""

    code = "malformed_note"


class UnverifiedNote(NoteError):
    """The note carries no valid signature by the expected key."""

    code = "unverified_note"


class InvalidSignature(UnverifiedNote):
    """The expected key signed the note, and that signature does not verify: reject it all."""

    code = "invalid_signature"


class MalformedCheckpoint(NoteError):
    """A checkpoint body (or checkpoint fields) that breaks the tlog-checkpoint rules."""

    code = "malformed_checkpoint"


def _check_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() or ch < " " for ch in name):
        raise MalformedKey(
            f"key name {name!r} must be non-empty, without spaces, '+' or control characters"
        )


def _b64decode(text: str) -> bytes:
    """Standard base64, refusing anything but the one canonical encoding of the bytes."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as err:
        raise ValueError("not standard base64") from err
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not the canonical base64 encoding")
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def algorithm_key_id(name: str, algorithm: int, public_key: bytes) -> int:
    """A signed-note key ID: SHA-256(name, 0x0A, algorithm byte, key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def key_id(name: str, public_key: bytes) -> int:
    """The signed-note key ID of an Ed25519 key: SHA-256(name, 0x0A, 0x01, key)[:4], big-endian."""
    return algorithm_key_id(name, ALG_ED25519, public_key)


def _key_parts(text: str, algorithm: int, kind: str, secret: bool) -> tuple[str, str, bytes]:
    """Split ``[PRIVATE+KEY+]name+keyid+base64(algorithm || 32 bytes)`` into the name, the hex
    key ID and the 32 bytes; MalformedKey naming ``kind`` (and never echoing a secret)."""
    parts = text.strip().split("+", 4 if secret else 2)
    if secret:
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise MalformedKey(f"a {kind} starts with PRIVATE+KEY+<name>+<key ID>+")
        parts = parts[2:]
    name, hex_id, key64 = [*parts, "", ""][:3]
    _check_name(name)
    if not _KEY_ID.fullmatch(hex_id):
        raise MalformedKey(f"{kind} for {name!r}: key ID must be 8 hex digits")
    try:
        key = _b64decode(key64)
    except ValueError as err:
        detail = "is not base64" if secret else str(err)
        raise MalformedKey(f"{kind} for {name!r}: key data {detail}") from None
    if len(key) != 33 or key[0] != algorithm:
        what = "seed" if secret else "key"
        raise MalformedKey(f"{kind} for {name!r}: expected 0x{algorithm:02x} and a 32-byte {what}")
    return name, hex_id, key[1:]


class NamedVerifier:
    """An Ed25519 public key under a name, written ``name+keyid+base64(ALGORITHM || key)``.

    The signed-note key format; subclasses fix the algorithm byte (what the key may sign) and
    add their way of checking a signature."""

    ALGORITHM: ClassVar[int]
    KIND: ClassVar[str]  # how errors name such a key

    def __init__(self, name: str, public_key: bytes) -> None:
        _check_name(name)
        if len(public_key) != 32:
            raise MalformedKey(f"an Ed25519 public key has 32 bytes, not {len(public_key)}")
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = algorithm_key_id(name, self.ALGORITHM, self.public_key)
        self._key = Ed25519PublicKey.from_public_bytes(self.public_key)

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read the key string; the key ID must match the name and key."""
        name, hex_id, public_key = _key_parts(text, cls.ALGORITHM, cls.KIND, secret=False)
        verifier = cls(name, public_key)
        if verifier.key_id != int(hex_id, 16):
            raise MalformedKey(f"{cls.KIND} for {name!r}: key ID {hex_id} does not match the "
                               f"key (expected {verifier.key_id:08x})")
        return verifier

    def to_text(self) -> str:
        key64 = _b64encode(bytes([self.ALGORITHM]) + self.public_key)
        return f"{self.name}+{self.key_id:08x}+{key64}"

    def _verifies(self, message: bytes, signature: bytes) -> bool:
        try:
            self._key.verify(signature, message)
        except _CryptoInvalidSignature:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return (self.name, self.public_key) == (other.name, other.public_key)

    def __hash__(self) -> int:
        return hash((self.name, self.public_key))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_text()!r})"


class NamedSigner:
    """An Ed25519 private key under a name, written ``PRIVATE+KEY+name+keyid+base64(ALGORITHM ||
    seed)``; its repr and its errors never show the secret."""

    VERIFIER: ClassVar[type[NamedVerifier]]
    KIND: ClassVar[str]

    def __init__(self, name: str, seed: bytes) -> None:
        _check_name(name)
        if len(seed) != 32:
            raise MalformedKey(f"an Ed25519 private key seed has 32 bytes, not {len(seed)}")
        self.name = name
        self._seed = bytes(seed)
        self._key = Ed25519PrivateKey.from_private_bytes(self._seed)
        self.verifier = self.VERIFIER(name, self._key.public_key().public_bytes_raw())
        self.key_id = self.verifier.key_id

    @classmethod
    def generate(cls, name: str) -> Self:
        return cls(name, Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read the private key string; the key ID must match the name and key."""
        name, hex_id, seed = _key_parts(text, cls.VERIFIER.ALGORITHM, cls.KIND, secret=True)
        signer = cls(name, seed)
        if signer.key_id != int(hex_id, 16):
            raise MalformedKey(f"{cls.KIND} for {name!r}: key ID {hex_id} does not match the key")
        return signer

    def to_text(self) -> str:
        key64 = _b64encode(bytes([self.VERIFIER.ALGORITHM]) + self._seed)
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{key64}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, key_id={self.key_id:08x})"


class Verifier(NamedVerifier):
    """A log's Ed25519 public key (algorithm 0x01): checks note signatures offline."""

    ALGORITHM = ALG_ED25519
    KIND = "verifier key"

    def verify(self, message: bytes, signature: bytes) -> bool:
        return self._verifies(message, signature)


class Signer(NamedSigner):
    """A log's Ed25519 private key (algorithm 0x01): signs notes."""

    VERIFIER = Verifier
    KIND = "signer key"
    verifier: Verifier

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def _check_text(text: str) -> bytes:
    """The UTF-8 of a note text, refused unless it could be read back by ``open_note``."""
    if not text.endswith("\n"):
        raise MalformedNote("a note text must end with a newline")
    if any(ch < " " and ch != "\n" for ch in text):
        raise MalformedNote("a note may contain no control characters other than newline")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise MalformedNote("a note must be valid UTF-8") from err


def signature_line(text: str, signer: Signer) -> str:
    """One signature line by ``signer`` over ``text``, its newline included."""
    signature = signer.key_id.to_bytes(4, "big") + signer.sign(_check_text(text))
    return f"{SIGNATURE_PREFIX}{signer.name} {_b64encode(signature)}\n"


def sign_note(text: str, signer: Signer) -> str:
    """The text, a blank line and one signature line by ``signer``."""
    return f"{text}\n{signature_line(text, signer)}"


@dataclass(frozen=True)
class SignatureLine:
    """One parsed, not yet verified, signature line of a note."""

    name: str
    key_id: int
    signature: bytes


def split_note(note: str | bytes) -> tuple[str, list[SignatureLine]]:
    """The text and signature lines of a well-formed note; nothing is verified here."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as err:
            raise MalformedNote("a note must be valid UTF-8") from err
    try:
        note.encode("utf-8")
    except UnicodeEncodeError as err:
        raise MalformedNote("a note must be valid UTF-8") from err
    if any(ch < " " and ch != "\n" for ch in note):
        raise MalformedNote("a note may contain no control characters other than newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote("a note needs a blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNote("a note must end with a signature line and a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"a note may carry at most {MAX_SIGNATURES} signatures")
    return text, [_parse_signature_line(line) for line in lines]


def _parse_signature_line(line: str) -> SignatureLine:
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNote(f"signature lines start with an em dash and a space: {line[:40]!r}")
    name, _, sig64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
    try:
        _check_name(name)
        raw = _b64decode(sig64)
    except (MalformedKey, ValueError) as err:
        raise MalformedNote(f"malformed signature line: {err}") from err
    if len(raw) < 5:
        raise MalformedNote("a signature is a 4-byte key ID and at least one byte")
    return SignatureLine(name, int.from_bytes(raw[:4], "big"), raw[4:])


def note_text(note: str | bytes) -> str:
    """The text of a well-formed note, NOT verified: for naming and comparing, never trusting."""
    return split_note(note)[0]


def open_note(note: str | bytes, verifier: Verifier) -> str:
    """The note's text, once a signature by ``verifier`` is found valid; raises otherwise.

    Signatures by other keys (another name or another key ID) are ignored, as the spec requires.
    The first signature by ``verifier``'s name and key ID decides: if it fails, InvalidSignature.
    """
    text, signatures = split_note(note)
    for line in signatures:
        if (line.name, line.key_id) != (verifier.name, verifier.key_id):
            continue
        if not verifier.verify(text.encode("utf-8"), line.signature):
            raise InvalidSignature(
                f"the signature by {verifier.name}+{verifier.key_id:08x} does not verify: "
                "the note was altered or signed by another key"
            )
        return text
    raise UnverifiedNote(f"the note carries no signature by {verifier.name}+{verifier.key_id:08x}")


def fingerprint_of(text: str) -> str:
    """First 16 hex digits of SHA-256 of a note text, in groups of four, for paper slips."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))


def _utc_seconds(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise MalformedCheckpoint("a checkpoint time must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: the log ``origin`` had ``size`` leaves with ``root`` at ``time``.

    ``time`` is kept in UTC, whole seconds: exactly what the checkpoint text carries.
    """

    origin: str
    size: int
    root: bytes
    time: datetime

    def __post_init__(self) -> None:
        if not self.origin or any(ch < " " for ch in self.origin):
            raise MalformedCheckpoint("the origin must be one non-empty line of text")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise MalformedCheckpoint(f"the tree size must be an integer, not {self.size!r}")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise MalformedCheckpoint(f"the tree size {self.size} is outside 0..2**64-1")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise MalformedCheckpoint(f"the root hash must be {HASH_SIZE} bytes")
        object.__setattr__(self, "time", _utc_seconds(self.time))

    def to_text(self) -> str:
        stamp = self.time.replace(tzinfo=None).isoformat(timespec="seconds")
        return f"{self.origin}\n{self.size}\n{_b64encode(self.root)}\n{TIME_EXTENSION}{stamp}Z\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """A checkpoint from its body text: origin, size, root, and exactly one time line."""
        if not text.endswith("\n"):
            raise MalformedCheckpoint("a checkpoint text ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedCheckpoint("a checkpoint has an origin, a tree size and a root hash")
        origin, size_text, root_text, *extensions = lines
        if not origin:
            raise MalformedCheckpoint("the origin line is empty")
        if not _TREE_SIZE.fullmatch(size_text):
            raise MalformedCheckpoint(
                f"the tree size must be decimal digits without leading zeros: {size_text[:24]!r}"
            )
        try:
            root = _b64decode(root_text)
        except ValueError as err:
            raise MalformedCheckpoint(f"the root hash is {err}") from err
        if len(extensions) != 1 or not extensions[0].startswith(TIME_EXTENSION):
            raise MalformedCheckpoint("a hoso checkpoint has exactly one extension line: time")
        return cls(origin, int(size_text), root, _parse_time(extensions[0]))

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.to_text())


def _parse_time(line: str) -> datetime:
    match = _TIME.fullmatch(line[len(TIME_EXTENSION) :])
    if not match:
        raise MalformedCheckpoint(
            f"the time line must read 'time YYYY-MM-DDTHH:MM:SSZ': {line[:40]!r}"
        )
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as err:
        raise MalformedCheckpoint(f"the time line names no real moment: {err}") from err


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    return sign_note(checkpoint.to_text(), signer)


def open_checkpoint(note: str | bytes, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """The checkpoint in a note signed by ``verifier`` (and issued by ``origin``, if given)."""
    checkpoint = Checkpoint.parse(open_note(note, verifier))
    if origin is not None and checkpoint.origin != origin:
        raise UnverifiedNote(f"the checkpoint is from {checkpoint.origin!r}, not {origin!r}")
    return checkpoint
