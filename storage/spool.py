"""A station's spool: pages are kept on local disk first and reach the object store in order.

Scanning must not stop because the network or the object store is down. ``SpoolingObjectStore``
writes every object to a local filesystem store (fsynced) and queues it; ``sync_once`` uploads the
queue oldest first and stops at the first sign the primary is unreachable. After an outage is
seen, ``put`` stops trying inline (scanning never waits on a dead network) until the back-off
delay has passed; ``run_sync`` keeps retrying on the same back-off. An object leaves the spool
only after the primary holds it with the right size, so nothing acknowledged is lost.

Queue entries are small files named ``<ns>-<sha256>`` holding the key, written to a temporary
name, fsynced, renamed and the folder fsynced. An entry that cannot be uploaded for a reason of
its own (unreadable, not a key, its spooled copy missing or corrupt, the primary storing other
bytes) is moved aside into ``rejected/`` and reported, and the rest of the queue goes on.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from storage.durable import fsync_directory
from storage.filesystem import FilesystemObjectStore
from storage.objects import (
    DEFAULT_CONTENT_TYPE,
    CorruptObject,
    InvalidKey,
    MissingObject,
    ObjectInfo,
    ObjectStore,
    StorageError,
    StoreUnavailable,
    digest_of,
)
from storage.private import private_folders

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpoolStatus:
    objects: int
    bytes: int
    oldest: datetime | None
    rejected: int = 0


class SpoolingObjectStore:
    """The primary store, with a local spool in front that absorbs outages."""

    def __init__(self, primary: ObjectStore, spool_dir: Path, first_retry: float = 0.5,
                 max_retry: float = 30.0) -> None:
        self.primary = primary
        self.local = FilesystemObjectStore(spool_dir / "objects")
        self.queue_dir = spool_dir / "queue"
        self.rejected_dir = spool_dir / "rejected"
        self.backend = primary.backend
        self.first_retry = first_retry
        self.max_retry = max_retry
        self._delay = first_retry
        self._retry_at = 0.0
        self._sync_lock = threading.Lock()

    # -- the ObjectStore port --------------------------------------------------------------

    def put(self, data: bytes | BinaryIO,
            content_type: str = DEFAULT_CONTENT_TYPE) -> ObjectInfo:
        """Keep the bytes locally, queue them, and try to upload the queue now."""
        info = self.local.put(data, content_type)
        self._enqueue(info.key)
        if time.monotonic() >= self._retry_at:
            self.sync_once()
        return info

    def get(self, key: str) -> Iterator[bytes]:
        if self.is_pending(key):
            return self.local.get(key)
        return self.primary.get(key)

    def exists(self, key: str) -> bool:
        return self.is_pending(key) or self.primary.exists(key)

    def stat(self, key: str) -> ObjectInfo:
        return self.local.stat(key) if self.is_pending(key) else self.primary.stat(key)

    def keys(self) -> Iterator[str]:
        pending = set(self.pending())
        yield from sorted(pending)
        for key in self.primary.keys():
            if key not in pending:
                yield key

    def listing(self) -> Iterator[tuple[str, datetime]]:
        return self.primary.listing()

    def remove(self, key: str) -> None:
        """Drop the object from the queue, the spool and the primary (when reachable)."""
        for entry in list(self.queue_dir.glob(f"*-{digest_of(key)}")):
            entry.unlink(missing_ok=True)
        self.local.remove(key)
        self.primary.remove(key)

    def presigned_url(self, key: str, expires: timedelta) -> str | None:
        return None if self.is_pending(key) else self.primary.presigned_url(key, expires)

    # -- the queue ---------------------------------------------------------------------------

    def pending(self) -> list[str]:
        """Keys waiting for the primary, oldest first (entries that cannot be read aside)."""
        keys = []
        for entry in self._entries():
            try:
                keys.append(self._key_of(entry))
            except (OSError, UnicodeError, InvalidKey):
                continue
        return keys

    def rejected(self) -> list[str]:
        """Names of the queue entries moved aside, for the operator to look at."""
        if not self.rejected_dir.is_dir():
            return []
        return sorted(p.name for p in self.rejected_dir.iterdir())

    def is_pending(self, key: str) -> bool:
        return any(self.queue_dir.glob(f"*-{digest_of(key)}"))

    def status(self) -> SpoolStatus:
        entries = self._entries()
        size = 0
        for key in self.pending():
            try:
                size += self.local.stat(key).size
            except MissingObject:
                continue
        oldest = None
        if entries and entries[0].name.split("-")[0].isdigit():
            oldest = datetime.fromtimestamp(int(entries[0].name.split("-")[0]) / 1e9, UTC)
        return SpoolStatus(objects=len(entries), bytes=size, oldest=oldest,
                           rejected=len(self.rejected()))

    def sync_once(self) -> int:
        """Upload queued objects oldest first; returns how many left the spool.

        Stops quietly at the first StoreUnavailable: the queue keeps the rest, in order. An
        entry that fails for a reason of its own (see the module) is moved aside and the next
        one tried: a spooled copy that no longer matches its key is never uploaded.
        """
        uploaded = 0
        with self._sync_lock:
            for entry in self._entries():
                try:
                    key = self._key_of(entry)
                    local = self.local.stat(key)
                    stored = self.primary.put(b"".join(self.local.get(key)), local.content_type)
                    if stored.key != key or stored.size != local.size:
                        raise CorruptObject(f"{key}: the primary stored {stored.key}, "
                                            f"{stored.size} B")
                except StoreUnavailable:
                    self._retry_at = time.monotonic() + self._delay
                    self._delay = min(self._delay * 2, self.max_retry)
                    break
                except (StorageError, OSError, UnicodeError) as error:
                    self._reject(entry, error)
                    continue
                self._delay = self.first_retry
                self._retry_at = 0.0
                entry.unlink()
                self.local.remove(key)
                uploaded += 1
        return uploaded

    def _reject(self, entry: Path, error: Exception) -> None:
        """Move a queue entry that cannot be uploaded aside (the spooled bytes stay where they
        are, for the operator) and say so; its name holds a hash, never a page's content."""
        private_folders(self.rejected_dir)
        os.replace(entry, self.rejected_dir / entry.name)
        fsync_directory(self.rejected_dir)
        log.error("spool entry %s moved aside to %s: %s", entry.name, self.rejected_dir,
                  type(error).__name__)

    def run_sync(self, stop: threading.Event, idle: float = 1.0) -> None:
        """Keep the queue draining until ``stop`` is set, backing off while the primary is down."""
        while not stop.is_set():
            self.sync_once()
            wait = idle if not self._entries() else max(self._retry_at - time.monotonic(), 0.05)
            stop.wait(wait)

    def _enqueue(self, key: str) -> None:
        if self.is_pending(key):
            return
        private_folders(self.queue_dir)
        name = f"{time.time_ns():020d}-{digest_of(key)}"
        temp = self.queue_dir / f".{name}.tmp"
        with temp.open("w", encoding="utf-8") as out:
            out.write(key)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.queue_dir / name)
        fsync_directory(self.queue_dir)

    def _entries(self) -> list[Path]:
        if not self.queue_dir.is_dir():
            return []
        return sorted(p for p in self.queue_dir.iterdir() if not p.name.startswith("."))

    @staticmethod
    def _key_of(entry: Path) -> str:
        """The entry's key; InvalidKey when it holds anything else (a torn or altered file)."""
        key = entry.read_text(encoding="utf-8").strip()
        digest_of(key)
        return key
