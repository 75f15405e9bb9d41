"""What a witness remembers across restarts, and the refused requests it keeps as evidence.

The state file (JSON, format ``hoso-witness-state/1``) holds, per log origin, the size and root
of the checkpoint the witness last cosigned and that cosigned note. It is replaced atomically:
written whole to a temporary file beside it, fsynced, renamed over the old one, and the folder
fsynced, all before the witness answers. A crash at any moment leaves the old state or the new
one, never a mix, so after a restart the witness refuses exactly what it refused before.

Evidence: every refused request that the log validly signed (a fork, a rollback, a failing
proof) is kept byte for byte in a folder, with a JSON file saying when, from where and why.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from events.evidence.notes import NoteError
from storage.durable import fsync_directory

FORMAT = "hoso-witness-state/1"
EMPTY_ROOT = hashlib.sha256(b"").digest()


class WitnessStateError(NoteError):
    """A state file that cannot be trusted as it stands: the witness refuses to start."""

    code = "witness_state"
    exit_code = 1


@dataclass(frozen=True)
class LogHead:
    """The checkpoint a witness last cosigned for one log (size 0 and the empty root before)."""

    size: int
    root: bytes
    note: str | None = None
    timestamp: int = 0


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        os.replace(temp, path)
    finally:
        Path(temp).unlink(missing_ok=True)
    fsync_directory(path.parent)


class WitnessState:
    """The state file of one witness key; ``load`` reads it, ``record`` replaces it durably."""

    def __init__(self, path: Path, witness: str) -> None:
        self.path = path
        self.witness = witness
        self._logs: dict[str, LogHead] = {}

    def load(self) -> bool:
        """Read the file; False when it does not exist yet (a new witness). A file that is not
        this witness's valid state raises WitnessStateError: starting afresh would let the
        witness cosign a rollback or a fork of a log it already witnessed."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return False
        try:
            document = json.loads(raw)
            if document.get("format") != FORMAT:
                raise ValueError(f"format {document.get('format')!r}")
            logs = {origin: LogHead(int(entry["size"]), base64.b64decode(entry["root"]),
                                    entry.get("checkpoint"), int(entry.get("timestamp", 0)))
                    for origin, entry in document["logs"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise WitnessStateError(f"{self.path} is not a readable witness state ({error}): "
                                    "restore it from a backup; never start this witness "
                                    "afresh with the same key") from None
        if document.get("witness") != self.witness:
            raise WitnessStateError(f"{self.path} belongs to the witness "
                                    f"{document.get('witness')!r}, not {self.witness!r}")
        self._logs = logs
        return True

    def head(self, origin: str) -> LogHead:
        return self._logs.get(origin, LogHead(0, EMPTY_ROOT))

    def record(self, origin: str, head: LogHead) -> None:
        """Make ``head`` the state for ``origin``, durably, before returning."""
        logs = {**self._logs, origin: head}
        self._write(logs)
        self._logs = logs

    def save(self) -> None:
        """Write the state as it is (a new witness writes its empty state when it starts)."""
        self._write(self._logs)

    def _write(self, logs: dict[str, LogHead]) -> None:
        document = {"format": FORMAT, "witness": self.witness, "logs": {
            name: {"size": h.size, "root": base64.b64encode(h.root).decode("ascii"),
                   "timestamp": h.timestamp, "checkpoint": h.note}
            for name, h in sorted(logs.items())}}
        _write_atomically(self.path, json.dumps(document, indent=2).encode() + b"\n", 0o644)


class EvidenceFolder:
    """Refused requests kept as files: ``<time>-<status>-<why>-<digest>.request`` holds the
    body byte for byte, the ``.json`` beside it what the witness held and why it refused."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def keep(self, body: bytes, status: int, why: str, detail: dict[str, Any]) -> Path:
        now = datetime.now(UTC)
        stem = (f"{now:%Y%m%dT%H%M%S}.{now.microsecond:06d}Z-{status}-{why}-"
                f"{hashlib.sha256(body).hexdigest()[:12]}")
        request = self.path / f"{stem}.request"
        _write_atomically(request, body, 0o644)
        meta = {"received": now.isoformat(), "status": status, "why": why,
                "sha256": hashlib.sha256(body).hexdigest(), **detail}
        _write_atomically(self.path / f"{stem}.json",
                          json.dumps(meta, indent=2).encode() + b"\n", 0o644)
        return request

    def files(self) -> list[Path]:
        """The kept requests, oldest first."""
        return sorted(self.path.glob("*.request")) if self.path.is_dir() else []
