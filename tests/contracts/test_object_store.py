"""The ObjectStore contract, run on every adapter: filesystem, S3 and the station's spool.

S3 is a real SeaweedFS; the spool runs in front of a primary that is up, and of one refusing
writes, where objects stay spooled. One abstract case states what any object store must do;
each adapter subclasses it with a ``store`` fixture and nothing else. The base is deleted at the
end so pytest does not collect it. The spool's own promises (order, back-off, nothing lost,
nothing damaged uploaded) follow it.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import pytest

from storage.filesystem import FilesystemObjectStore
from storage.objects import (
    DEFAULT_CONTENT_TYPE,
    CorruptObject,
    InvalidKey,
    MissingObject,
    ObjectInfo,
    ObjectStore,
    StoreUnavailable,
    key_for,
)
from storage.s3 import S3ObjectStore
from storage.spool import SpoolingObjectStore
from tests.servers.seaweedfs import SeaweedFS

PAGE = "Trang 1 — Đơn đăng ký biến động đất đai".encode() * 2000


def absent_key() -> str:
    return key_for(hashlib.sha256(uuid.uuid4().bytes).hexdigest())


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))


class FlakyStore(FilesystemObjectStore):
    """A primary behind a network the test can cut: while ``down`` every call fails as
    unreachable, while ``writes_down`` only puts do. ``arrived`` lists keys in arrival order."""

    def __init__(self, root: Path, writes_down: bool = False) -> None:
        super().__init__(root)
        self.down = False
        self.writes_down = writes_down
        self.arrived: list[str] = []

    def _reach(self, writing: bool = False) -> None:
        if self.down or (writing and self.writes_down):
            raise StoreUnavailable("the object store is unreachable")

    def put(self, data: bytes | BinaryIO, content_type: str = DEFAULT_CONTENT_TYPE
            ) -> ObjectInfo:
        self._reach(writing=True)
        info = super().put(data, content_type)
        self.arrived.append(info.key)
        return info

    def get(self, key: str) -> Iterator[bytes]:
        self._reach()
        return super().get(key)

    def exists(self, key: str) -> bool:
        self._reach()
        return super().exists(key)

    def stat(self, key: str) -> ObjectInfo:
        self._reach()
        return super().stat(key)

    def keys(self) -> Iterator[str]:
        self._reach()
        return super().keys()


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
        flip_a_byte(store.root / key)

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


class TestSpoolingStore(ObjectStoreContract):
    """The station's spool while the primary is up: every put goes straight through."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> ObjectStore:
        return SpoolingObjectStore(FilesystemObjectStore(tmp_path / "primary"),
                                   tmp_path / "spool")

    def corrupt(self, store: ObjectStore, key: str) -> None:
        assert isinstance(store, SpoolingObjectStore)
        assert not store.is_pending(key)
        assert isinstance(store.primary, FilesystemObjectStore)
        flip_a_byte(store.primary.root / key)


class TestSpoolingStoreWhileWritesFail(ObjectStoreContract):
    """The station's spool while the primary refuses every write: objects stay in the spool."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> ObjectStore:
        return SpoolingObjectStore(FlakyStore(tmp_path / "primary", writes_down=True),
                                   tmp_path / "spool", first_retry=0.0)

    def corrupt(self, store: ObjectStore, key: str) -> None:
        assert isinstance(store, SpoolingObjectStore)
        assert store.is_pending(key)
        flip_a_byte(store.local.root / key)


del ObjectStoreContract


@pytest.fixture
def primary(tmp_path: Path) -> FlakyStore:
    return FlakyStore(tmp_path / "primary")


@pytest.fixture
def spool(primary: FlakyStore, tmp_path: Path) -> SpoolingObjectStore:
    return SpoolingObjectStore(primary, tmp_path / "spool", first_retry=0.0, max_retry=0.0)


def pages(count: int) -> list[bytes]:
    return [f"hồ sơ 0007 — trang {n}\n".encode() * (500 + n) for n in range(count)]


def test_pages_put_during_an_outage_reach_the_primary_in_order(
        primary: FlakyStore, spool: SpoolingObjectStore) -> None:
    """GIVEN a primary that has gone down
    WHEN a station puts twelve pages
    THEN each put answers its key at once, the pages wait in the spool and read back from it
    AND once the primary is back one sync uploads them oldest first and empties the spool."""
    primary.down = True
    keys = [spool.put(page, "image/png").key for page in pages(12)]
    assert spool.pending() == keys
    assert spool.status().objects == 12
    assert spool.status().bytes == sum(len(page) for page in pages(12))
    assert spool.status().oldest is not None
    assert [b"".join(spool.get(key)) for key in keys] == pages(12)
    assert spool.stat(keys[0]).content_type == "image/png"
    assert all(spool.exists(key) for key in keys)
    primary.down = False
    assert spool.sync_once() == 12
    assert primary.arrived == keys
    assert (spool.pending(), spool.status().objects, list(spool.local.keys())) == ([], 0, [])
    assert [b"".join(primary.get(key)) for key in keys] == pages(12)
    assert primary.stat(keys[0]).content_type == "image/png"


def test_after_an_outage_is_seen_puts_wait_for_the_back_off(
        primary: FlakyStore, tmp_path: Path) -> None:
    """GIVEN a spool that saw the primary fail, with a minute's back-off
    WHEN more pages are put
    THEN none of them tries the primary (scanning never waits on a dead network)."""
    attempts: list[int] = []
    spool = SpoolingObjectStore(primary, tmp_path / "spool", first_retry=60.0)
    primary.down = True
    original = primary.put

    def counted(data: bytes | BinaryIO, content_type: str = DEFAULT_CONTENT_TYPE
                ) -> ObjectInfo:
        attempts.append(1)
        return original(data, content_type)

    primary.put = counted  # type: ignore[method-assign]
    for page in pages(5):
        spool.put(page)
    assert len(attempts) == 1
    assert len(spool.pending()) == 5


def test_a_spooled_copy_damaged_on_disk_is_never_uploaded(
        primary: FlakyStore, spool: SpoolingObjectStore) -> None:
    """GIVEN pages waiting in the spool, the first damaged on the station's disk
    WHEN the primary is back and the spool syncs
    THEN the primary has none of its bytes, its entry is set aside for someone to look at
    (its spooled copy kept), and the other pages go up."""
    primary.down = True
    keys = [spool.put(page).key for page in pages(3)]
    flip_a_byte(spool.local.root / keys[0])
    primary.down = False
    assert spool.sync_once() == 2
    assert not primary.exists(keys[0])
    assert spool.pending() == []
    assert [name.split("-")[1] for name in spool.rejected()] == [keys[0].split("/")[-1]]
    assert (spool.local.root / keys[0]).exists()


def test_the_same_page_spooled_twice_is_queued_once(
        primary: FlakyStore, spool: SpoolingObjectStore) -> None:
    primary.down = True
    first, again = spool.put(PAGE), spool.put(io.BytesIO(PAGE))
    assert first.key == again.key
    assert spool.pending() == [first.key]
    primary.down = False
    assert spool.sync_once() == 1
    assert primary.arrived == [first.key]
