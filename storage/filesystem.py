"""The embedded object store: one file per object under a root directory, written atomically.

An object becomes visible only by ``rename`` of a fully written, fsynced temporary file, so a
crash mid-write leaves at most an orphan in ``.partial/`` and never a partial object; the first
write of each process clears ``.partial/`` of files older than ``PARTIAL_AGE`` (younger ones
may be another process's write in progress). The content
type sits beside the object in a small ``.type`` file renamed into place before the object appears.
Folders are created 0700 and objects 0600 (``mkstemp``): scans are for hoso's own user only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from storage.durable import fsync_directory
from storage.objects import (
    CHUNK,
    DEFAULT_CONTENT_TYPE,
    MissingObject,
    ObjectInfo,
    chunks_of,
    digest_of,
    key_for,
    verified,
)
from storage.private import private_folders

PARTIAL = ".partial"
TYPE_SUFFIX = ".type"
PARTIAL_AGE = timedelta(hours=1)


class FilesystemObjectStore:
    """Objects under ``root``; nothing is touched on disk until the first call."""

    backend = "filesystem"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._partial_cleared = False

    def _path(self, key: str) -> Path:
        digest_of(key)  # refuses anything that is not a well-formed key
        return self.root / key

    def put(self, data: bytes | BinaryIO,
            content_type: str = DEFAULT_CONTENT_TYPE) -> ObjectInfo:
        partial_dir = self.root / PARTIAL
        private_folders(partial_dir)
        if not self._partial_cleared:
            self.clear_partial()
        digest = hashlib.sha256()
        size = 0
        handle, temp_name = tempfile.mkstemp(dir=partial_dir)
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in chunks_of(data):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            key = key_for(digest.hexdigest())
            path = self.root / key
            if path.exists():
                temp.unlink()
                return self.stat(key)
            private_folders(path.parent)
            # The type is advisory (the bytes are the evidence): renamed into place, not fsynced.
            _write_atomically(path.with_name(path.name + TYPE_SUFFIX), content_type.encode())
            os.replace(temp, path)
            fsync_directory(path.parent)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return ObjectInfo(key=key, size=size, content_type=content_type)

    def get(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise MissingObject(f"no object {key}") from None
        return self._stream(key, handle)

    @staticmethod
    def _stream(key: str, handle: BinaryIO) -> Iterator[bytes]:
        with handle:
            yield from verified(key, iter(lambda: handle.read(CHUNK), b""))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise MissingObject(f"no object {key}") from None
        type_file = path.with_name(path.name + TYPE_SUFFIX)
        content_type = (type_file.read_text(encoding="utf-8") if type_file.exists()
                        else DEFAULT_CONTENT_TYPE)
        return ObjectInfo(key=key, size=size, content_type=content_type)

    def keys(self) -> Iterator[str]:
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for path in sorted(base.glob("*/*")):
            if not path.name.endswith(TYPE_SUFFIX):
                yield f"sha256/{path.parent.name}/{path.name}"

    def listing(self) -> Iterator[tuple[str, datetime]]:
        for key in self.keys():
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                mtime = (self.root / key).stat().st_mtime
                yield key, datetime.fromtimestamp(mtime, UTC)

    def presigned_url(self, key: str, expires: timedelta) -> str | None:
        return None

    def clear_partial(self, older_than: timedelta = PARTIAL_AGE) -> int:
        """Delete writes killed before their rename; returns how many files went."""
        self._partial_cleared = True
        partial_dir = self.root / PARTIAL
        if not partial_dir.is_dir():
            return 0
        cutoff = time.time() - older_than.total_seconds()
        cleared = 0
        for path in partial_dir.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    cleared += 1
        return cleared

    def partial_files(self) -> int:
        partial_dir = self.root / PARTIAL
        return sum(1 for _ in partial_dir.iterdir()) if partial_dir.is_dir() else 0

    def remove(self, key: str) -> None:
        """Drop an object and its type file (absent: nothing to do)."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        path.with_name(path.name + TYPE_SUFFIX).unlink(missing_ok=True)


def _write_atomically(path: Path, content: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temp.write_bytes(content)
    os.replace(temp, path)

