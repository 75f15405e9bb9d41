"""The CosignatureStore contract, run on every adapter: the table on SQLite and on PostgreSQL.

One abstract case states what the log's witnessing relies on (lines kept per checkpoint size
and witness, never replaced; the newest size each witness cosigned; the newest checkpoint);
each adapter subclasses it in a few lines, making the store from a hashing recorder of its
backend as the composition root does. The base is deleted at the end. The cosignature files
beside the checkpoints are checked at the bottom.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from events.evidence.checkpoints import CheckpointDirectory
from events.evidence.cosignature import CosignatureSigner
from events.evidence.notes import Checkpoint, Signer, sign_checkpoint
from events.evidence.witness.store import CosignatureDirectory, CosignatureStore
from events.store.postgres import HashingPostgresApplicationRecorder
from events.store.sqlite import HashingSQLiteApplicationRecorder
from tests.contracts.conftest import open_postgres
from tracker.bootstrap import POSTGRES, SQLITE, Backend, cosignature_store

W1, W2 = "w1.example/w+0a36ccf1", "w2.example/w+3c429dbd"


def line(name: str, n: int) -> str:
    return f"— {name} {base64.b64encode(bytes([n]) * 76).decode()}\n"


class CosignatureStoreContract:
    backend: Backend

    @pytest.fixture
    def recorder(self) -> Any:
        raise NotImplementedError

    @pytest.fixture
    def store(self, recorder: Any) -> CosignatureStore:
        made = cosignature_store(self.backend, recorder)
        made.create_table()
        return made

    @pytest.fixture
    def reopen(self) -> Callable[[], CosignatureStore]:
        """The same table through a fresh connection, as another process reads it."""
        raise NotImplementedError

    def test_an_empty_store_has_nothing(self, store: CosignatureStore) -> None:
        assert store.lines_for(5) == []
        assert store.newest_by(W1) is None
        assert store.latest_checkpoint() is None

    def test_a_line_is_committed_and_read_by_size(
            self, store: CosignatureStore, reopen: Callable[[], CosignatureStore]) -> None:
        store.add(7, W1, line("w1.example/w", 1))
        store.add(7, W2, line("w2.example/w", 2))
        store.add(9, W1, line("w1.example/w", 3))
        assert reopen().lines_for(7) == [line("w1.example/w", 1), line("w2.example/w", 2)]
        assert store.lines_for(9) == [line("w1.example/w", 3)]
        assert store.lines_for(8) == []

    def test_the_first_line_of_a_witness_for_a_size_is_kept(self, store: CosignatureStore) -> None:
        store.add(7, W1, line("w1.example/w", 1))
        store.add(7, W1, line("w1.example/w", 9))
        assert store.lines_for(7) == [line("w1.example/w", 1)]

    def test_the_newest_size_each_witness_cosigned(self, store: CosignatureStore) -> None:
        for size in (3, 2**40 + 1, 12):
            store.add(size, W1, line("w1.example/w", size % 200))
        store.add(4, W2, line("w2.example/w", 4))
        assert store.newest_by(W1) == 2**40 + 1
        assert store.newest_by(W2) == 4
        assert store.newest_by("w3+00000000") is None

    def test_the_latest_checkpoint_is_the_largest_tree(self, store: CosignatureStore,
                                                       recorder: Any) -> None:
        signer = Signer.generate("hoso-audit")
        notes = {}
        for size in (3, 9):
            checkpoint = Checkpoint("o", size, hashlib.sha256(bytes([size])).digest(),
                                    datetime(2026, 12, 6, tzinfo=UTC))
            notes[size] = sign_checkpoint(checkpoint, signer)
            recorder.insert_checkpoint(size, notes[size])
        assert store.latest_checkpoint() == notes[9]

    def test_creating_the_table_again_keeps_the_lines(
            self, store: CosignatureStore, reopen: Callable[[], CosignatureStore]) -> None:
        store.add(7, W1, line("w1.example/w", 1))
        again = reopen()
        again.create_table()
        assert again.lines_for(7) == [line("w1.example/w", 1)]


class TestSQLiteCosignatures(CosignatureStoreContract):
    backend = SQLITE

    @pytest.fixture
    def recorder(self, sqlite_datastore: SQLiteDatastore) -> Any:
        recorder = HashingSQLiteApplicationRecorder(sqlite_datastore)
        recorder.create_table()
        return recorder

    @pytest.fixture
    def reopen(self, sqlite_path: str) -> Iterator[Callable[[], CosignatureStore]]:
        opened: list[SQLiteDatastore] = []

        def fresh() -> CosignatureStore:
            opened.append(SQLiteDatastore(sqlite_path, lock_timeout=10))
            return cosignature_store(self.backend, HashingSQLiteApplicationRecorder(opened[-1]))

        yield fresh
        for datastore in opened:
            datastore.close()


class TestPostgresCosignatures(CosignatureStoreContract):
    backend = POSTGRES

    @pytest.fixture
    def recorder(self, postgres_datastore: PostgresDatastore) -> Any:
        recorder = HashingPostgresApplicationRecorder(postgres_datastore)
        recorder.create_table()
        return recorder

    @pytest.fixture
    def reopen(self, postgres_datastore: PostgresDatastore
               ) -> Iterator[Callable[[], CosignatureStore]]:
        opened: list[PostgresDatastore] = []

        def fresh() -> CosignatureStore:
            opened.append(open_postgres(postgres_datastore.schema))
            return cosignature_store(self.backend,
                                     HashingPostgresApplicationRecorder(opened[-1]))

        yield fresh
        for datastore in opened:
            datastore.close()


del CosignatureStoreContract


def test_cosignature_files_sit_beside_their_checkpoint_and_are_never_replaced(
        tmp_path: Path) -> None:
    """GIVEN a checkpoint file WHEN two witnesses' lines are kept, one of them twice THEN each
    is a file named after the checkpoint and the witness, holding the first line it got."""
    signer = Signer.generate("hoso-audit")
    checkpoint = Checkpoint("o", 5, hashlib.sha256(b"r").digest(),
                            datetime(2026, 12, 6, 10, 0, 0, tzinfo=UTC))
    CheckpointDirectory(tmp_path).write(sign_checkpoint(checkpoint, signer), checkpoint)
    witness = CosignatureSigner.generate("w1.example/w")
    folder = CosignatureDirectory(tmp_path)
    first = folder.write(checkpoint, witness.verifier.label, line("w1.example/w", 1))
    folder.write(checkpoint, witness.verifier.label, line("w1.example/w", 2))
    folder.write(checkpoint, W2, line("w2.example/w", 3))
    assert first.name == (f"000000000005-20261206T100000Z.w1.example_w+"
                          f"{witness.key_id:08x}.cosignature")
    assert folder.lines_for(checkpoint) == [line("w1.example/w", 1), line("w2.example/w", 3)]
    assert CheckpointDirectory(tmp_path).all() == [sign_checkpoint(checkpoint, signer)]
    other = Checkpoint("o", 6, checkpoint.root, checkpoint.time)
    assert folder.lines_for(other) == []
