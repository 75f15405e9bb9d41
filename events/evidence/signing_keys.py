"""Which key may sign a checkpoint of a given size, for a signer that runs for days.

``hoso serve`` signs with the audit key it loaded when it started. ``hoso audit rotate-key``,
run beside it, keeps a statement that a new key signs from N leaves on and replaces the key
file (or, with ``--out``, leaves the new key elsewhere for the operator to put in place). The
old key's signature on a checkpoint of N leaves or more is then a finding ("signed by a retired
key"). So each signature asks a :class:`FollowedKey`, under the checkpoint folder's rotation lock
(a rotation holds it alone, from choosing N to replacing the key): when a statement its key
signed retires that key for the size, the key the file now holds signs if it may sign the size.
Otherwise (``--out`` with the new key not yet in place) nothing is signed, and the reason is
logged once. The statements are read again only when the key file or the folder's rotation
mark changes: a folder of a year's checkpoints takes seconds to list.

Only statements signed by the key being retired count, as ``rotate-key`` makes them: a
statement anyone could write into the checkpoint folder cannot stop a server's signing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from events.evidence.checkpoints import CheckpointDirectory
from events.evidence.keys import KeyFileError, load_signer
from events.evidence.notes import NoteError, Signer, Verifier
from events.evidence.rotation import Rotation, open_rotation

log = logging.getLogger(__name__)


class SigningKeys(Protocol):
    def signing(self, size: int) -> AbstractContextManager[Signer | None]:
        """The key that may sign a checkpoint of ``size`` leaves now, or None, for as long
        as the signature takes."""


class FixedKey:
    """The same key for every size: for a signer that runs briefly (a command, a test)."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer

    @contextmanager
    def signing(self, size: int) -> Iterator[Signer | None]:
        yield self.signer


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
        self._seen: tuple[tuple[int, int, int] | None, str] | None = None
        self._rotations: list[Rotation] = []
        self._in_file: Signer | None = None
        self._unreadable: str | None = None

    @contextmanager
    def signing(self, size: int) -> Iterator[Signer | None]:
        with self.directory.rotation_lock(exclusive=False):
            yield self.for_size(size)

    def for_size(self, size: int) -> Signer | None:
        """The key that may sign ``size`` leaves, or None; call it under the rotation lock."""
        self._look()
        retiring = _retiring(self.signer.verifier, size, self._rotations)
        if retiring is not None:
            if self._in_file is None:
                return self._wait(f"the audit key was rotated ({retiring.label}) and "
                                  f"{self.path} cannot be read: {self._unreadable}")
            if _retiring(self._in_file.verifier, size, self._rotations) is not None:
                return self._wait(f"the audit key was rotated ({retiring.label}) and "
                                  f"{self.path} still holds a retired key: nothing is signed "
                                  "until it holds the new one (HOSO_AUDIT_KEY)")
            self.signer = self._in_file
            log.info("signing with the new audit key from the rotation %s", retiring.label)
        start = _start(self.signer.verifier, self._rotations)
        if start is not None and size < start:
            return self._wait(f"the audit key signs from {start} leaves on; the log has "
                              f"{size}")
        self.waiting = None
        return self.signer

    def _look(self) -> None:
        """Read the key file and the statements again when either may have changed."""
        seen = (_stamp(self.path), self.directory.rotation_mark())
        if seen == self._seen:
            return
        self._seen = seen
        self._rotations = self._kept_rotations()
        try:
            self._in_file, self._unreadable = load_signer(self.path), None
        except (KeyFileError, NoteError) as error:
            self._in_file, self._unreadable = None, str(error)

    def _kept_rotations(self) -> list[Rotation]:
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


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when the file is replaced or rewritten (None: no file)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _retiring(key: Verifier, size: int, rotations: list[Rotation]) -> Rotation | None:
    """The rotation that hands checkpoints of ``size`` leaves from ``key`` to another key."""
    return next((r for r in rotations if r.old == key and r.from_size <= size), None)


def _start(key: Verifier, rotations: list[Rotation]) -> int | None:
    """The size a rotated-in ``key`` signs from (None for a key no rotation brought in)."""
    return next((r.from_size for r in rotations if r.new == key), None)
