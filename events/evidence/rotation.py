"""The log's signing keys over time: rotation statements and the key ring a verifier builds.

A new key takes over from a stated tree size. The rotation is a signed note (the offline
verifier reads it with the standard library and ``cryptography`` only)::

    hoso-audit-key-rotation/1
    origin <the log's origin>
    from <N>
    old <the old key, as a verifier key>
    new <the new key>
    time <YYYY-MM-DDTHH:MM:SSZ>

signed by the new key and, when it is at hand, the old one. It says: checkpoints of this log
with N leaves or more are signed by ``new``; ``old`` signs only smaller ones.

Trust runs backwards from the key a verifier is given (the log's current ``audit.pub``): a
statement the *new* key signed vouches for the old key below N, then a statement naming that
old key as new vouches for the one before, and so on. Nothing runs forwards: a statement signed
by an old key alone never makes a new key trusted, so whoever stole a retired key can neither
sign a checkpoint of N leaves or more nor make a key of their own the log's. A verifier given
a retired key learns that a rotation exists (``KeyRing.successors``) and is told to ask for the
current key. Checkpoint signature lines carry the key ID, so each checkpoint names its key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from events.evidence.notes import (
    Checkpoint,
    InvalidSignature,
    MalformedKey,
    NoteError,
    Signer,
    UnverifiedNote,
    Verifier,
    signature_line,
    split_note,
)

HEADER = "hoso-audit-key-rotation/1"
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_SIZE = re.compile(r"0|[1-9][0-9]*")


class MalformedRotation(NoteError):
    """A note that is not a well-formed key rotation statement."""

    code = "malformed_rotation"


@dataclass(frozen=True)
class Rotation:
    """``new`` signs the checkpoints of ``origin`` from ``from_size`` leaves; ``old`` those
    below."""

    origin: str
    from_size: int
    old: Verifier
    new: Verifier
    time: datetime

    def to_text(self) -> str:
        stamp = self.time.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        return (f"{HEADER}\norigin {self.origin}\nfrom {self.from_size}\n"
                f"old {self.old.to_text()}\nnew {self.new.to_text()}\ntime {stamp}Z\n")

    @classmethod
    def parse(cls, text: str) -> Rotation:
        lines = text.split("\n")
        if len(lines) != 7 or lines[0] != HEADER or lines[6] != "":
            raise MalformedRotation(f"a key rotation is the line {HEADER!r} and five fields")
        fields: dict[str, str] = {}
        for line, name in zip(lines[1:6], ("origin", "from", "old", "new", "time"), strict=True):
            if not line.startswith(name + " "):
                raise MalformedRotation(f"the rotation's field {name!r} is missing")
            fields[name] = line[len(name) + 1:]
        if not _SIZE.fullmatch(fields["from"]) or not _TIME.fullmatch(fields["time"]):
            raise MalformedRotation("the rotation's size or time is malformed")
        try:
            old, new = Verifier.parse(fields["old"]), Verifier.parse(fields["new"])
        except MalformedKey as error:
            raise MalformedRotation(f"the rotation names a malformed key: {error}") from None
        if old == new:
            raise MalformedRotation("a rotation names the same key as old and new")
        moment = datetime.fromisoformat(fields["time"][:-1]).replace(tzinfo=UTC)
        return cls(fields["origin"], int(fields["from"]), old, new, moment)

    def sign(self, new: Signer, old: Signer | None) -> str:
        """The signed statement: by the new key, then by the old one when it is given."""
        if new.verifier != self.new or (old is not None and old.verifier != self.old):
            raise MalformedRotation("the rotation is signed by the keys it names")
        text = self.to_text()
        lines = "".join(signature_line(text, signer) for signer in (new, *((old,) if old else ())))
        return f"{text}\n{lines}"

    @property
    def label(self) -> str:
        return (f"{self.old.name}+{self.old.key_id:08x} → {self.new.name}+{self.new.key_id:08x} "
                f"from size {self.from_size}")


def open_rotation(note: str | bytes) -> tuple[Rotation, bool]:
    """The rotation in ``note``, once its new key's signature verifies, and whether the old key
    signed it too; raises NoteError otherwise (an invalid signature by the old key included)."""
    text, lines = split_note(note)
    rotation = Rotation.parse(text)
    signed = {"new": False, "old": False}
    for line in lines:
        for role, key in (("new", rotation.new), ("old", rotation.old)):
            if (line.name, line.key_id) == (key.name, key.key_id) and not signed[role]:
                if not key.verify(text.encode(), line.signature):
                    raise InvalidSignature(f"the {role} key's signature on the rotation "
                                           f"{rotation.label} does not verify")
                signed[role] = True
    if not signed["new"]:
        raise UnverifiedNote(f"the rotation {rotation.label} is not signed by its new key")
    return rotation, signed["old"]


@dataclass(frozen=True)
class KeyPeriod:
    """``verifier`` signs the trees of ``first`` leaves up to (not including) ``end``."""

    verifier: Verifier
    first: int = 0
    end: int | None = None  # None: the log's current key

    def covers(self, size: int) -> bool:
        return self.first <= size and (self.end is None or size < self.end)

    def describe(self) -> str:
        return (f"{self.verifier.name}+{self.verifier.key_id:08x} signs sizes {self.first}–"
                + ("" if self.end is None else f"{self.end - 1}"))


@dataclass
class KeyRing:
    """The log's keys, oldest first, each for the tree sizes it signs; the last is current."""

    periods: list[KeyPeriod]
    problems: list[str] = field(default_factory=list)  # statements that could not be used
    successors: list[Rotation] = field(default_factory=list)  # rotations away from the current

    @classmethod
    def single(cls, verifier: Verifier) -> KeyRing:
        return cls([KeyPeriod(verifier)])

    @classmethod
    def build(cls, current: Verifier, statements: Iterable[str], origin: str) -> KeyRing:
        """The ring that ``current`` vouches for through ``statements`` (signed notes; those
        of other logs or that fail are named in ``problems`` and not used)."""
        opened: list[tuple[Rotation, bool]] = []
        problems: list[str] = []
        for note in statements:
            try:
                rotation, old_signed = open_rotation(note)
            except (NoteError, ValueError) as error:
                problems.append(f"a key rotation statement is not usable: {error}")
                continue
            if rotation.origin == origin:
                opened.append((rotation, old_signed))
        periods = [KeyPeriod(current)]
        key = current
        while True:
            found = {(r.from_size, r.old) for r, _ in opened if r.new == key}
            if not found:
                break
            if len(found) > 1:
                problems.append(f"key {key.name}+{key.key_id:08x} signed {len(found)} different "
                                "rotations to itself: none of them is used")
                break
            from_size, old = found.pop()
            end = periods[0].end
            if any(p.verifier == old for p in periods) or (end is not None and from_size >= end):
                problems.append(f"the rotation to {key.name}+{key.key_id:08x} does not go back "
                                "in size and key: not used")
                break
            periods[0] = KeyPeriod(key, from_size, periods[0].end)
            periods.insert(0, KeyPeriod(old, 0, from_size))
            key = old
        successors = [r for r, old_signed in opened if r.old == current and old_signed]
        return cls(periods, problems, successors)

    @property
    def current(self) -> Verifier:
        return self.periods[-1].verifier

    @property
    def label(self) -> str:
        return ", ".join(f"{p.verifier.name}+{p.verifier.key_id:08x}" for p in self.periods)

    def period_of(self, name: str, key_id: int) -> KeyPeriod | None:
        return next((p for p in self.periods
                     if (p.verifier.name, p.verifier.key_id) == (name, key_id)), None)

    def signed_by_ring(self, name: str, key_id: int) -> bool:
        return self.period_of(name, key_id) is not None

    def open_checkpoint(self, note: str | bytes, origin: str | None = None) -> Checkpoint:
        """The checkpoint in ``note``, signed by the key that signs its size; raises NoteError
        (UnverifiedNote naming the key and the sizes it signs) otherwise."""
        text, lines = split_note(note)
        misplaced: list[str] = []
        for line in lines:
            period = self.period_of(line.name, line.key_id)
            if period is None:
                continue
            if not period.verifier.verify(text.encode("utf-8"), line.signature):
                raise InvalidSignature(
                    f"the signature by {line.name}+{line.key_id:08x} does not verify: the note "
                    "was altered or signed by another key")
            checkpoint = Checkpoint.parse(text)
            if origin is not None and checkpoint.origin != origin:
                raise UnverifiedNote(f"the checkpoint is from {checkpoint.origin!r}, not "
                                     f"{origin!r}")
            if period.covers(checkpoint.size):
                return checkpoint
            misplaced.append(f"it is signed by a retired key ({period.describe()}), not for "
                             f"size {checkpoint.size}")
        if misplaced:
            raise UnverifiedNote(misplaced[0])
        hint = "".join(f"; a rotation signed by that key names {r.new.name}+{r.new.key_id:08x} "
                       f"from size {r.from_size}: verify with the log's current public key"
                       for r in self.successors[:1])
        raise UnverifiedNote(f"the note carries no signature by {self.label}{hint}")
