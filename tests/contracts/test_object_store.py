"""The ObjectStore contract, run on every adapter: filesystem and S3 (a real SeaweedFS).

One abstract case states what any object store must do; each adapter subclasses it with a
``store`` fixture and nothing else. The base is deleted at the end so pytest does not collect it.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from storage.filesystem import FilesystemObjectStore
from storage.objects import CorruptObject, InvalidKey, MissingObject, ObjectStore, key_for
from storage.s3 import S3ObjectStore
from tests.servers.seaweedfs import SeaweedFS

PAGE = "Trang 1 — Đơn đăng ký biến động đất đai".encode() * 2000


def absent_key() -> str:
    return key_for(hashlib.sha256(uuid.uuid4().bytes).hexdigest())


class ObjectStoreContract:
    @pytest.fixture
    def store(self) -> ObjectStore:
        raise NotImplementedError

    def test_put_returns_the_content_address(self, store: ObjectStore) -> None:
        info = store.put(PAGE, "image/png")
        assert info.key == key_for(hashlib.sha256(PAGE).hexdigest())
        assert info.sha256 in info.key
        assert info.size == len(PAGE)
        assert store.stat(info.key).content_type == "image/png"

    def test_get_streams_the_same_bytes(self, store: ObjectStore) -> None:
        info = store.put(io.BytesIO(PAGE))
        assert b"".join(store.get(info.key)) == PAGE

    def test_putting_the_same_bytes_twice_stores_one_object(self, store: ObjectStore) -> None:
        first = store.put(PAGE)
        second = store.put(io.BytesIO(PAGE))
        assert first.key == second.key
        assert list(store.keys()).count(first.key) == 1

    def test_exists_and_stat(self, store: ObjectStore) -> None:
        info = store.put(b"%PDF-1.7 tiny", "application/pdf")
        assert store.exists(info.key)
        assert store.stat(info.key).size == len(b"%PDF-1.7 tiny")
        missing = absent_key()
        assert not store.exists(missing)
        with pytest.raises(MissingObject):
            store.stat(missing)

    def test_get_of_an_absent_object_fails(self, store: ObjectStore) -> None:
        with pytest.raises(MissingObject):
            b"".join(store.get(absent_key()))

    def test_an_empty_object_is_an_object(self, store: ObjectStore) -> None:
        info = store.put(b"")
        assert b"".join(store.get(info.key)) == b""

    @pytest.mark.parametrize("bad", ["", "page.png", "sha256/zz/" + "0" * 64,
                                     "sha256/ab/" + "cd" * 32, "../../etc/passwd"])
    def test_malformed_keys_are_refused(self, store: ObjectStore, bad: str) -> None:
        with pytest.raises(InvalidKey):
            store.exists(bad)
        with pytest.raises(InvalidKey):
            b"".join(store.get(bad))

    def test_a_corrupted_object_fails_loudly_on_read(self, store: ObjectStore) -> None:
        info = store.put(PAGE)
        self.corrupt(store, info.key)
        with pytest.raises(CorruptObject, match=info.key):
            b"".join(store.get(info.key))

    def corrupt(self, store: ObjectStore, key: str) -> None:
        """Flip bytes of the stored object behind the adapter's back."""
        raise NotImplementedError


class TestFilesystemStore(ObjectStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> ObjectStore:
        return FilesystemObjectStore(tmp_path / "objects")

    def corrupt(self, store: ObjectStore, key: str) -> None:
        assert isinstance(store, FilesystemObjectStore)
        path = store.root / key
        data = bytearray(path.read_bytes())
        data[100] ^= 0xFF
        path.write_bytes(bytes(data))

    def test_no_presigned_urls(self, store: ObjectStore) -> None:
        assert store.presigned_url(store.put(PAGE).key, timedelta(minutes=5)) is None

    def test_objects_are_files_made_by_rename(self, store: ObjectStore) -> None:
        assert isinstance(store, FilesystemObjectStore)
        info = store.put(PAGE)
        assert (store.root / info.key).read_bytes() == PAGE
        assert os.listdir(store.root / ".partial") == []


class TestS3Store(ObjectStoreContract):
    @pytest.fixture
    def store(self, seaweedfs_server: SeaweedFS) -> ObjectStore:
        self.server = seaweedfs_server
        return S3ObjectStore(endpoint=seaweedfs_server.endpoint,
                             bucket=f"contract-{uuid.uuid4().hex[:10]}",
                             access_key=seaweedfs_server.access_key,
                             secret_key=seaweedfs_server.secret_key, secure=False)

    def corrupt(self, store: ObjectStore, key: str) -> None:
        assert isinstance(store, S3ObjectStore)
        tampered = bytearray(PAGE)
        tampered[100] ^= 0xFF
        self.server.client().put_object(store.bucket, key, io.BytesIO(bytes(tampered)),
                                        len(tampered))


del ObjectStoreContract
