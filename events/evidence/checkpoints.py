"""Copies of signed checkpoints kept outside the event store, and the rule for when to make one.

A copy outside the store is what lets an inspector notice a rewritten store: the store alone
could be rewritten together with its own checkpoints. ``CheckpointDirectory`` is the default
sink; Kafka and object-storage sinks will implement the same ``CheckpointSink`` protocol.
"""

from __future__ import annotations

import fcntl
import math
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from events.evidence.notes import Checkpoint, MalformedCheckpoint, NoteError, note_text
from events.evidence.rotation import Rotation
from storage.durable import fsync_directory

SUFFIX = ".checkpoint"
ROTATION_SUFFIX = ".rotation"
PARTIAL_SUFFIX = ".partial"
LOCK_FILE = ".rotation.lock"
MARK_FILE = ".rotated"
FILE_MODE = 0o644  # checkpoints are public: inspectors read them with the public key only
_FILE_NAME = re.compile(r"([0-9]{12,})-([0-9]{8}T[0-9]{6}Z)" + re.escape(SUFFIX))


class CheckpointConflict(NoteError):
    """A different checkpoint is already kept under the same size and time: it is never replaced.

    Two checkpoints for one size and second that differ are evidence of a fork or a rewrite.
    """

    code = "checkpoint_conflict"
    http_status = 409


class InvalidCheckpointPolicy(NoteError):
    """A checkpoint policy with a negative or non-finite trigger."""

    code = "bad_input"
    exit_code = 2
    http_status = 400


class CheckpointSink(Protocol):
    """Somewhere outside the event store that keeps a copy of every signed checkpoint."""

    def write(self, signed_note: str, checkpoint: Checkpoint) -> object:
        """Keep ``signed_note`` (whose text is ``checkpoint.to_text()``) durably."""
        ...


def file_name(checkpoint: Checkpoint) -> str:
    """``<size, 12 digits>-<UTC time, compact>.checkpoint``: names sort by size, then time."""
    stamp = checkpoint.time.replace(tzinfo=None).isoformat(timespec="seconds")
    compact = stamp.replace("-", "").replace(":", "")
    return f"{checkpoint.size:012d}-{compact}Z{SUFFIX}"


class CheckpointDirectory:
    """Signed checkpoints as files in one directory; nothing is touched until the first call."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, signed_note: str, checkpoint: Checkpoint) -> Path:
        """Write the note atomically (temp file, fsync, link or rename); never replace a file.

        Writing the same note twice is harmless; a different note under the same name raises
        CheckpointConflict and leaves the kept file as it was.
        """
        if note_text(signed_note) != checkpoint.to_text():
            raise MalformedCheckpoint("the signed note's text is not this checkpoint's text")
        return self._keep(file_name(checkpoint), signed_note.encode("utf-8"))

    def write_rotation(self, signed_note: str, rotation: Rotation) -> Path:
        """Keep a key rotation statement beside the checkpoints, as ``write`` keeps those."""
        if note_text(signed_note) != rotation.to_text():
            raise MalformedCheckpoint("the signed note's text is not this rotation's text")
        name = (f"{rotation.from_size:012d}-{rotation.old.key_id:08x}-"
                f"{rotation.new.key_id:08x}{ROTATION_SUFFIX}")
        return self._keep(name, signed_note.encode("utf-8"))

    @contextmanager
    def rotation_lock(self, exclusive: bool) -> Iterator[None]:
        """Hold this folder's rotation lock: a rotation holds it alone (``exclusive``), each
        signature shares it, so no checkpoint is signed while a rotation chooses its size, keeps
        its statement and replaces the key."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / LOCK_FILE, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield  # closing the file releases the lock

    def mark_rotation(self) -> None:
        """Say that a rotation statement was kept: a signer watches this one small file rather
        than list a folder of many checkpoints before each signature."""
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / MARK_FILE).write_text(secrets.token_hex(8) + "\n", encoding="ascii")
        fsync_directory(self.path)

    def rotation_mark(self) -> str:
        """What ``mark_rotation`` wrote last ("" before any rotation)."""
        try:
            return (self.path / MARK_FILE).read_text(encoding="ascii")
        except FileNotFoundError:
            return ""

    def rotations(self) -> list[str]:
        """Every key rotation statement kept here, by size; each still to be checked."""
        if not self.path.is_dir():
            return []
        return [_read(path) for path in sorted(self.path.glob("*" + ROTATION_SUFFIX))
                if path.is_file()]

    def _keep(self, name: str, data: bytes) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        final = self.path / name
        handle, temp_name = tempfile.mkstemp(dir=self.path, prefix=".", suffix=PARTIAL_SUFFIX)
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fchmod(out.fileno(), FILE_MODE)
                os.fsync(out.fileno())
            _publish(temp, final, data)
        finally:
            temp.unlink(missing_ok=True)
        fsync_directory(self.path)
        return final

    def paths(self) -> list[Path]:
        """The checkpoint files, in tree-size order (then time)."""
        if not self.path.is_dir():
            return []
        found: list[tuple[int, str, Path]] = []
        for entry in self.path.iterdir():
            match = _FILE_NAME.fullmatch(entry.name)
            if match and entry.is_file():
                found.append((int(match[1]), match[2], entry))
        return [entry for _, _, entry in sorted(found)]

    def all(self) -> list[str]:
        """Every kept signed note, in tree-size order; each still to be opened with the key."""
        return [_read(path) for path in self.paths()]

    def latest(self) -> str | None:
        """The signed note with the largest tree size (the newest among equals), if any."""
        paths = self.paths()
        return _read(paths[-1]) if paths else None


def _read(path: Path) -> str:
    # bytes, not text mode: no newline translation may hide an altered byte; undecodable bytes
    # survive as lone surrogates, which open_note refuses as a malformed note
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


def _publish(temp: Path, final: Path, data: bytes) -> None:
    try:
        os.link(temp, final)  # atomic, and fails rather than replace an existing file
    except FileExistsError:
        _same_or_conflict(final, data)
    except OSError:
        # no hard links on this filesystem (FAT, some network shares): rename instead
        if final.exists():
            _same_or_conflict(final, data)
        else:
            os.rename(temp, final)


def _same_or_conflict(final: Path, data: bytes) -> None:
    if final.read_bytes() != data:
        raise CheckpointConflict(
            f"{final} already holds a different checkpoint for the same size and time: "
            "kept as it is; investigate before signing again"
        )


@dataclass(frozen=True)
class CheckpointPolicy:
    """Checkpoint every ``every_events`` new events or every ``every_seconds``, whichever first.

    0 disables a trigger; with both 0 no checkpoint is ever due. Nothing is due while no event
    has been stored since the last checkpoint: it would sign the same tree again.
    """

    every_events: int
    every_seconds: float

    def __post_init__(self) -> None:
        if isinstance(self.every_events, bool) or not isinstance(self.every_events, int):
            raise InvalidCheckpointPolicy("every_events must be a whole number of events")
        if self.every_events < 0:
            raise InvalidCheckpointPolicy(f"every_events must be 0 or more: {self.every_events}")
        if not math.isfinite(self.every_seconds) or self.every_seconds < 0:
            raise InvalidCheckpointPolicy(
                f"every_seconds must be 0 or a positive number, not {self.every_seconds}"
            )

    def due(self, events_since: int, seconds_since: float) -> bool:
        """Whether a checkpoint is due, given what happened since the last one."""
        if events_since <= 0:
            return False
        if self.every_events and events_since >= self.every_events:
            return True
        return bool(self.every_seconds) and seconds_since >= self.every_seconds
