"""The ObjectStore port: content-addressed, verified-on-read storage for scanned evidence.

A key is derived from the SHA-256 of the bytes (``sha256/ab/abcdef…``), so the same page stored
twice is one object, and every read can prove it returns the bytes that were scanned. Adapters
(filesystem.py, s3.py) implement ``ObjectStore``; ``VerifiedReader`` gives them one shared way to
check the hash while streaming.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024
KEY_PATTERN = re.compile(r"^sha256/([0-9a-f]{2})/([0-9a-f]{64})$")
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class StorageError(Exception):
    """Base of the errors an object store raises; each says how the CLI and API report it."""

    code = "storage_failure"
    exit_code = 1
    http_status = 502


class InvalidKey(StorageError):
    """The text given is not an object key of the form sha256/ab/<64 hex digits>."""

    code = "bad_input"
    exit_code = 2
    http_status = 400


class MissingObject(StorageError):
    """No object is stored under the key."""

    code = "not_found"
    exit_code = 2
    http_status = 404


class CorruptObject(StorageError):
    """The stored bytes do not hash to their key: the object was altered or damaged."""

    code = "corrupt_object"
    http_status = 500


class StoreUnavailable(StorageError):
    """The backend cannot be reached; the caller may spool and retry later."""

    code = "store_unavailable"
    http_status = 503


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    content_type: str

    @property
    def sha256(self) -> str:
        return digest_of(self.key)


def key_for(sha256_hex: str) -> str:
    return f"sha256/{sha256_hex[:2]}/{sha256_hex}"


def digest_of(key: str) -> str:
    """The SHA-256 hex a key names; raises InvalidKey for anything else."""
    match = KEY_PATTERN.match(key)
    if not match or match[2][:2] != match[1]:
        raise InvalidKey(f"not an object key: {key!r} (expected sha256/ab/<64 hex digits>)")
    return match[2]


def chunks_of(data: bytes | BinaryIO) -> Iterator[bytes]:
    if isinstance(data, bytes):
        for start in range(0, len(data), CHUNK):
            yield data[start:start + CHUNK]
        return
    while chunk := data.read(CHUNK):
        yield chunk


def verified(key: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Pass ``chunks`` through, then raise CorruptObject if they did not hash to ``key``.

    The check can only finish at the end of the stream, so callers that write what they read
    (``hoso storage get``) write to a temporary file and keep it only when no error was raised.
    """
    expected = digest_of(key)
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        yield chunk
    if digest.hexdigest() != expected:
        raise CorruptObject(f"{key}: stored bytes hash to {digest.hexdigest()}")


class ObjectStore(Protocol):
    """What the tracker and the scanning station need from object storage."""

    backend: str

    def put(self, data: bytes | BinaryIO,
            content_type: str = DEFAULT_CONTENT_TYPE) -> ObjectInfo:
        """Store the bytes (idempotent) and return their key; the key is known only after
        the whole content was read and hashed."""

    def get(self, key: str) -> Iterator[bytes]:
        """Stream the object; MissingObject if absent, CorruptObject at the end on a mismatch."""

    def exists(self, key: str) -> bool:
        """True when an object is stored under ``key`` (not that its bytes are intact)."""

    def stat(self, key: str) -> ObjectInfo:
        """Size and content type; MissingObject if absent."""

    def keys(self) -> Iterator[str]:
        """Every stored key, for verification and status."""

    def listing(self) -> Iterator[tuple[str, datetime]]:
        """Every stored key with when it was stored (UTC), for finding old orphans."""

    def remove(self, key: str) -> None:
        """Delete the object if present. Only for objects no event names: a refused scan's
        own objects, and orphans ``hoso storage gc`` found."""

    def presigned_url(self, key: str, expires: timedelta) -> str | None:
        """A short-lived download URL, or None where the backend has no such thing."""
