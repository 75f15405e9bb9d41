"""Which key may sign a checkpoint of a given size, for a signer that runs for days.

``hoso serve`` signs with the audit key it loaded when it started. ``hoso audit rotate-key``,
run beside it, keeps a statement that a new key signs from N leaves on, then renames the new key
over the old key's file. The old key's signature on a checkpoint of N leaves or more is then a
finding ("signed by a retired key"). So before each signature the server asks a
:class:`FollowedKey`: when a statement its key signed retires that key for the size, it reads the
key file again and signs with what it finds there if that key may sign the size. Until then (the
rotation between its two steps, or the new key written elsewhere with ``--out``) nothing is
signed, and the reason is logged once.

Only statements signed by the key being retired count, as ``rotate-key`` makes them: a
statement anyone could write into the checkpoint folder cannot stop a server's signing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from events.evidence.checkpoints import CheckpointDirectory
from events.evidence.keys import KeyFileError, load_signer
from events.evidence.notes import NoteError, Signer, Verifier
from events.evidence.rotation import Rotation, open_rotation

log = logging.getLogger(__name__)


class SigningKeys(Protocol):
    def for_size(self, size: int) -> Signer | None:
        """The key that may sign a checkpoint of ``size`` leaves now, or None."""


class FixedKey:
    """The same key for every size: for a signer that runs briefly (a command, a test)."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer

    def for_size(self, size: int) -> Signer | None:
        return self.signer


class FollowedKey:
    """The key in ``path``, followed across the rotations kept in ``directory`` for the log
    ``origin``. ``signer`` is the key loaded at start (read from ``path`` when not given)."""

    def __init__(self, path: Path, directory: CheckpointDirectory, origin: str,
                 signer: Signer | None = None) -> None:
        self.path = path
        self.directory = directory
        self.origin = origin
        self.signer = signer if signer is not None else load_signer(path)
        self.waiting: str | None = None  # why nothing is signed now, once said

    def for_size(self, size: int) -> Signer | None:
        rotations = self._rotations()
        retiring = _retiring(self.signer.verifier, size, rotations)
        if retiring is not None:
            try:
                found = load_signer(self.path)
            except (KeyFileError, NoteError) as error:
                return self._wait(f"the audit key was rotated ({retiring.label}) and "
                                  f"{self.path} cannot be read: {error}")
            if _retiring(found.verifier, size, rotations) is not None:
                return self._wait(f"the audit key was rotated ({retiring.label}) and "
                                  f"{self.path} still holds a retired key: nothing is signed "
                                  "until it holds the new one (HOSO_AUDIT_KEY)")
            self.signer = found
            log.info("signing with the new audit key from the rotation %s", retiring.label)
        start = _start(self.signer.verifier, rotations)
        if start is not None and size < start:
            return self._wait(f"the audit key signs from {start} leaves on; the log has "
                              f"{size}")
        self.waiting = None
        return self.signer

    def _rotations(self) -> list[Rotation]:
        """The statements kept for this log that the key they retire signed; any other is
        skipped here and named by ``audit verify``."""
        kept = []
        for text in self.directory.rotations():
            try:
                rotation, by_old_key = open_rotation(text)
            except NoteError:
                continue
            if by_old_key and rotation.origin == self.origin:
                kept.append(rotation)
        return kept

    def _wait(self, reason: str) -> Signer | None:
        """No key now: ``reason`` is logged the first time it is the reason."""
        if reason != self.waiting:
            log.error("no checkpoint signed: %s", reason)
            self.waiting = reason
        return None


def _retiring(key: Verifier, size: int, rotations: list[Rotation]) -> Rotation | None:
    """The rotation that hands checkpoints of ``size`` leaves from ``key`` to another key."""
    return next((r for r in rotations if r.old == key and r.from_size <= size), None)


def _start(key: Verifier, rotations: list[Rotation]) -> int | None:
    """The size a rotated-in ``key`` signs from (None for a key no rotation brought in)."""
    return next((r.from_size for r in rotations if r.new == key), None)
