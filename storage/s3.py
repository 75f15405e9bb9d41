"""The MinIO/S3 object store: the one module that talks to S3 (through the minio SDK and urllib3).

Objects live in one private bucket under their content key (``sha256/ab/abcdef…``). The bucket is
made on first use, with server-side encryption switched on where the server offers it. An S3 PUT
is atomic, so a killed upload leaves no object behind. A server that cannot be reached fails fast
with StoreUnavailable, so a station's spool can keep the bytes and retry later.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import BinaryIO, TypeVar, cast

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from minio.sseconfig import Rule, SSEConfig

from storage.objects import (
    CHUNK,
    DEFAULT_CONTENT_TYPE,
    InvalidKey,
    MissingObject,
    ObjectInfo,
    StorageError,
    StoreUnavailable,
    chunks_of,
    digest_of,
    key_for,
    verified,
)

log = logging.getLogger(__name__)

PART_SIZE = 8 * 1024 * 1024
"""Objects up to this size go in one PUT; larger ones by multipart upload in parts this big."""
SPOOL_LIMIT = 8 * 1024 * 1024
"""A streamed put is hashed into memory up to this size, then into a temporary file."""
KEY_PREFIX = "sha256/"
NOT_FOUND = frozenset({"NoSuchKey", "NoSuchObject", "NotFound"})
UNAVAILABLE_STATUS = frozenset({502, 503, 504})
ALREADY_MINE = "BucketAlreadyOwnedByYou"

T = TypeVar("T")


def _http_client() -> urllib3.PoolManager:
    """Short connect timeout and a single retry: an unreachable server fails in seconds (about
    1 ms when the port is closed, 2 × 2 s when packets vanish). 5xx answers are retried once too,
    and when they persist count as the server being unavailable."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=2, read=30),
        maxsize=10,
        retries=urllib3.Retry(
            total=1,
            backoff_factor=0.2,
            status_forcelist=[500, 502, 503, 504],
        ),
    )


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turn minio and urllib3 errors into the port's exceptions."""
    try:
        yield
    except S3Error as error:
        if error.code in NOT_FOUND:
            raise MissingObject(f"no object {what}") from None
        raise StorageError(f"{what}: S3 error {error.code}: {error.message}") from error
    except ServerError as error:
        if error.status_code in UNAVAILABLE_STATUS:
            raise StoreUnavailable(f"{what}: server answered {error.status_code}") from error
        raise StorageError(f"{what}: server answered {error.status_code}: {error}") from error
    except InvalidResponseError as error:
        raise StorageError(f"{what}: not an S3 answer: {error}") from error
    except MinioException as error:
        raise StorageError(f"{what}: {error}") from error
    except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as error:
        raise StoreUnavailable(f"{what}: S3 server unavailable: {error}") from error


class S3ObjectStore:
    """Objects in one private bucket of an S3 server (MinIO in production, SeaweedFS in tests).

    The constructor does no I/O; the first call makes the bucket (``ensure_bucket``), once per
    instance. ``encryption`` says, after that, whether the server encrypts at rest ("sse-s3") or
    refused ("none"); before it, "unknown".
    """

    backend = "s3"

    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str,
                 secure: bool = True, region: str = "us-east-1") -> None:
        if "://" in endpoint:
            raise ValueError(f"endpoint is host:port without a scheme, not {endpoint!r}")
        self.endpoint = endpoint
        self.bucket = bucket
        self.encryption = "unknown"
        self.encryption_refused: str | None = None
        # Passing the region spares minio a GetBucketLocation round trip per bucket.
        self._client = Minio(endpoint, access_key=access_key, secret_key=secret_key,
                             secure=secure, region=region, http_client=_http_client())
        self._ready = False
        self._ready_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3ObjectStore({self.endpoint!r}, bucket={self.bucket!r})"

    # -- set-up -------------------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        """Make the bucket if absent (private: no policy is ever set) and ask for SSE-S3."""
        with _translated(f"bucket {self.bucket}"):
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket)
                except S3Error as error:
                    if error.code != ALREADY_MINE:  # another process made it meanwhile
                        raise
            self._switch_on_encryption()
        self._ready = True

    def _switch_on_encryption(self) -> None:
        try:
            self._client.set_bucket_encryption(self.bucket, SSEConfig(Rule.new_sse_s3_rule()))
        except S3Error as error:
            # NotImplemented, MethodNotAllowed, AccessDenied…: the bucket still works, unencrypted.
            self.encryption = "none"
            self.encryption_refused = f"{error.code}: {error.message}"
            log.warning("bucket %s: server-side encryption refused (%s)",
                        self.bucket, self.encryption_refused)
        else:
            self.encryption = "sse-s3"
            self.encryption_refused = None

    def _use(self) -> None:
        if self._ready:
            return
        with self._ready_lock:
            if not self._ready:
                self.ensure_bucket()

    def _call(self, what: str, action: Callable[[], T]) -> T:
        self._use()
        with _translated(what):
            return action()

    # -- the ObjectStore port -------------------------------------------------------------------

    def put(self, data: bytes | BinaryIO,
            content_type: str = DEFAULT_CONTENT_TYPE) -> ObjectInfo:
        if isinstance(data, bytes):
            key = key_for(hashlib.sha256(data).hexdigest())
            return self._upload(key, io.BytesIO(data), len(data), content_type)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT) as spool:
            digest = hashlib.sha256()
            size = 0
            for chunk in chunks_of(data):
                digest.update(chunk)
                spool.write(chunk)
                size += len(chunk)
            spool.seek(0)
            # SpooledTemporaryFile reads like any binary file; typeshed just doesn't say BinaryIO.
            body = cast(BinaryIO, spool)
            return self._upload(key_for(digest.hexdigest()), body, size, content_type)

    def _upload(self, key: str, body: BinaryIO, size: int, content_type: str) -> ObjectInfo:
        """PUT without asking first: the key is the content's hash, so a second PUT of the same
        bytes leaves the same single object (a stat first cost small pages 20 % of throughput).
        On a versioned bucket it adds a version of identical bytes."""
        self._call(key, lambda: self._client.put_object(
            self.bucket, key, body, length=size, content_type=content_type,
            part_size=PART_SIZE))
        return ObjectInfo(key=key, size=size, content_type=content_type)

    def get(self, key: str) -> Iterator[bytes]:
        digest_of(key)
        response = self._call(key, lambda: self._client.get_object(self.bucket, key))
        return verified(key, _stream(key, response))

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except MissingObject:
            return False
        return True

    def stat(self, key: str) -> ObjectInfo:
        digest_of(key)
        found = self._call(key, lambda: self._client.stat_object(self.bucket, key))
        if found.size is None:
            raise StorageError(f"{key}: the server gave no size")
        return ObjectInfo(key=key, size=found.size,
                          content_type=found.content_type or DEFAULT_CONTENT_TYPE)

    def keys(self) -> Iterator[str]:
        self._use()
        with _translated(f"listing bucket {self.bucket}"):
            for found in self._client.list_objects(self.bucket, prefix=KEY_PREFIX,
                                                   recursive=True):
                name = found.object_name or ""
                try:
                    digest_of(name)
                except InvalidKey:
                    continue  # not ours: something else put it in the bucket
                yield name

    def listing(self) -> Iterator[tuple[str, datetime]]:
        self._use()
        with _translated(f"listing bucket {self.bucket}"):
            for found in self._client.list_objects(self.bucket, prefix=KEY_PREFIX,
                                                   recursive=True):
                name = found.object_name or ""
                try:
                    digest_of(name)
                except InvalidKey:
                    continue
                stored = found.last_modified or datetime.now(UTC)
                yield name, stored if stored.tzinfo else stored.replace(tzinfo=UTC)

    def remove(self, key: str) -> None:
        digest_of(key)
        self._call(key, lambda: self._client.remove_object(self.bucket, key))

    def presigned_url(self, key: str, expires: timedelta) -> str | None:
        digest_of(key)
        with _translated(key):
            return self._client.presigned_get_object(self.bucket, key, expires=expires)


def _stream(key: str, response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    """The body in CHUNK pieces; the connection goes back to the pool however the read ends."""
    try:
        with _translated(key):
            yield from response.stream(CHUNK)
    finally:
        response.close()
        response.release_conn()
