"""What only the S3 adapter does, on a real SeaweedFS: buckets, multipart, outages, tampering.

The behaviour every ObjectStore shares (put/get/exists/stat/idempotency) is in the contract tests.
Each test here uses a bucket of its own, so tests never see each other's objects.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from urllib.error import HTTPError

import pytest
import urllib3
from minio.error import S3Error

from storage.objects import CorruptObject, StorageError, StoreUnavailable, key_for
from storage.s3 import PART_SIZE, S3ObjectStore
from tests.servers.seaweedfs import SeaweedFS

MB = 1024 * 1024


def new_bucket() -> str:
    return f"t-{uuid.uuid4().hex[:24]}"


def store_on(server: SeaweedFS, bucket: str | None = None, secret_key: str | None = None
             ) -> S3ObjectStore:
    return S3ObjectStore(server.endpoint, bucket or new_bucket(), server.access_key,
                         secret_key or server.secret_key, secure=False)


def drain(chunks: Iterable[bytes], into: list[bytes]) -> None:
    for chunk in chunks:
        into.append(chunk)


def seconds_to_fail(action: Callable[[], object]) -> float:
    """How long ``action`` took to raise StoreUnavailable (the test fails if it raised nothing)."""
    began = time.monotonic()
    with pytest.raises(StoreUnavailable):
        action()
    return time.monotonic() - began


@pytest.fixture
def store(seaweedfs_server: SeaweedFS) -> S3ObjectStore:
    return store_on(seaweedfs_server)


def test_bucket_is_made_on_first_use_and_is_private(seaweedfs_server: SeaweedFS) -> None:
    # GIVEN a store on a bucket that does not exist yet
    client = seaweedfs_server.client()
    store = store_on(seaweedfs_server)
    assert not client.bucket_exists(store.bucket)

    # WHEN the first object is put
    info = store.put(b"page 1 of dossier 000.00.12.H40-231115-0007", "text/plain")

    # THEN the bucket exists and an anonymous download of the object is refused
    assert client.bucket_exists(store.bucket)
    with pytest.raises(HTTPError) as refused:
        urllib.request.urlopen(f"{seaweedfs_server.url}/{store.bucket}/{info.key}", timeout=10)
    assert refused.value.code == 403


def test_large_stream_goes_multipart_and_round_trips(seaweedfs_server: SeaweedFS,
                                                     store: S3ObjectStore) -> None:
    # GIVEN a 20 MB scan arriving as a stream, and a 5 MB one
    large = os.urandom(20 * MB)
    medium = os.urandom(5 * MB)

    # WHEN both are put
    large_info = store.put(io.BytesIO(large), "application/pdf")
    medium_info = store.put(io.BytesIO(medium), "application/pdf")

    # THEN the 20 MB one went up in 8 MiB parts (a multipart ETag ends in -<parts>), the 5 MB one
    # in a single PUT, and both read back byte for byte
    client = seaweedfs_server.client()
    assert client.stat_object(store.bucket, large_info.key).etag.endswith("-3")
    assert "-" not in client.stat_object(store.bucket, medium_info.key).etag
    assert PART_SIZE == 8 * MB
    assert large_info.size == len(large)
    assert large_info.key == key_for(hashlib.sha256(large).hexdigest())
    assert b"".join(store.get(large_info.key)) == large
    assert b"".join(store.get(medium_info.key)) == medium


def test_same_bytes_put_twice_are_one_object(store: S3ObjectStore) -> None:
    # GIVEN a page already stored
    page = os.urandom(200 * 1024)
    first = store.put(page, "image/png")

    # WHEN the same bytes are put again, once as bytes and once as a stream
    again = store.put(page, "image/png")
    streamed = store.put(io.BytesIO(page), "image/png")

    # THEN there is one object, listed once
    assert first.key == again.key == streamed.key
    assert list(store.keys()) == [first.key]
    assert store.stat(first.key).size == len(page)


def test_presigned_url_downloads_with_plain_urllib(store: S3ObjectStore) -> None:
    # GIVEN a stored PDF
    pdf = b"%PDF-1.7\n" + os.urandom(50_000)
    info = store.put(pdf, "application/pdf")

    # WHEN a presigned URL is made for it
    url = store.presigned_url(info.key, timedelta(minutes=5))

    # THEN anyone holding the URL can download exactly those bytes, without credentials
    assert url is not None
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == pdf
        assert response.headers["Content-Type"] == "application/pdf"


def test_encryption_reports_what_the_server_allowed(seaweedfs_server: SeaweedFS,
                                                    store: S3ObjectStore) -> None:
    # GIVEN a store whose bucket was not made yet
    assert store.encryption == "unknown"

    # WHEN the bucket is made
    store.ensure_bucket()
    info = store.put(b"encrypted at rest?")

    # THEN the store says what the server agreed to: SeaweedFS 4.48 takes SSE-S3 and marks objects
    client = seaweedfs_server.client()
    assert store.encryption == "sse-s3"
    assert store.encryption_refused is None
    config = client.get_bucket_encryption(store.bucket)
    assert config is not None
    assert config.rule.sse_algorithm == "AES256"
    stat = client.stat_object(store.bucket, info.key)
    assert stat.metadata is not None
    assert stat.metadata.get("x-amz-server-side-encryption") == "AES256"


def test_a_server_refusing_encryption_still_stores(store: S3ObjectStore,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a server that answers NotImplemented to a bucket encryption request (a test double
    # for such servers, on the real client)
    def refuse(bucket: str, config: object) -> None:
        raise S3Error(urllib3.HTTPResponse(body=b"", status=501), "NotImplemented",
                      "not supported", f"/{bucket}", None, None, bucket)

    monkeypatch.setattr(store._client, "set_bucket_encryption", refuse)

    # WHEN the store is used
    info = store.put(b"plain at rest")

    # THEN it says so and carries on
    assert store.encryption == "none"
    assert store.encryption_refused is not None
    assert store.encryption_refused.startswith("NotImplemented")
    assert b"".join(store.get(info.key)) == b"plain at rest"


def test_first_use_from_many_threads_makes_the_bucket_once(store: S3ObjectStore) -> None:
    # GIVEN a fresh store shared by eight scanning threads
    pages = [os.urandom(10_000) for _ in range(8)]
    errors: list[BaseException] = []

    def put(page: bytes) -> None:
        try:
            store.put(page)
        except BaseException as error:
            errors.append(error)

    # WHEN they all put at once
    threads = [threading.Thread(target=put, args=(page,)) for page in pages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN every page is stored
    assert errors == []
    assert sorted(store.keys()) == sorted(
        key_for(hashlib.sha256(page).hexdigest()) for page in pages)


def test_wrong_credentials_are_an_s3_error_not_an_outage(seaweedfs_server: SeaweedFS
                                                         ) -> None:
    # GIVEN a store configured with a wrong secret key
    store = store_on(seaweedfs_server, secret_key="not-the-secret")

    # WHEN it is used
    with pytest.raises(StorageError) as refused:
        store.put(b"anything")

    # THEN the error names the S3 code, and is not mistaken for an unreachable server (the first
    # request is a HEAD, whose 403 has no body, so minio names it AccessDenied)
    assert not isinstance(refused.value, StoreUnavailable)
    assert any(code in str(refused.value) for code in ("AccessDenied", "SignatureDoesNotMatch"))


def test_stopped_server_fails_fast_and_objects_survive_a_restart(tmp_path: Path) -> None:
    # GIVEN a server of its own (this test stops it) holding one object
    with SeaweedFS(tmp_path / "seaweedfs") as server:
        store = store_on(server)
        page = os.urandom(300 * 1024)
        info = store.put(page, "image/png")

        # WHEN the server stops
        server.stop()

        # THEN every call fails within seconds with StoreUnavailable, which the spool waits out
        timings = {
            "put": seconds_to_fail(lambda: store.put(b"a new page")),
            "put stream": seconds_to_fail(lambda: store.put(io.BytesIO(b"another page"))),
            "get": seconds_to_fail(lambda: b"".join(store.get(info.key))),
            "exists": seconds_to_fail(lambda: store.exists(info.key)),
            "stat": seconds_to_fail(lambda: store.stat(info.key)),
            "keys": seconds_to_fail(lambda: list(store.keys())),
            "first use": seconds_to_fail(lambda: store_on(server).put(b"x")),
        }
        assert all(seconds < 10 for seconds in timings.values()), timings

        # WHEN it comes back on the same data directory and ports
        server.restart()

        # THEN the object stored before is still there and intact, and new puts work again
        assert store.exists(info.key)
        assert b"".join(store.get(info.key)) == page
        assert store.put(b"a new page").size == len(b"a new page")


def test_bytes_overwritten_in_the_bucket_are_reported_corrupt(seaweedfs_server: SeaweedFS,
                                                              store: S3ObjectStore) -> None:
    # GIVEN a stored scan whose bytes someone replaced directly in the bucket
    original = os.urandom(3 * MB)
    info = store.put(original, "image/tiff")
    forged = os.urandom(len(original))
    seaweedfs_server.client().put_object(store.bucket, info.key, io.BytesIO(forged), len(forged))

    # WHEN it is read back
    received: list[bytes] = []
    with pytest.raises(CorruptObject):
        drain(store.get(info.key), received)

    # THEN the whole stream came through first, and only its end revealed the forgery
    assert b"".join(received) == forged
