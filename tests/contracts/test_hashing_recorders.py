"""The hashing recorders pass the eventsourcing library's own recorder test cases, on SQLite and
PostgreSQL, and every stored event has exactly one leaf, densely numbered, matching its record.

Each library case is subclassed once per backend with only ``create_recorder``; a check of the
leaves runs after every library test, so the leaf table is exercised by all of them. The library's
AggregateRecorderTestCase does not apply: it asserts ``insert_events`` returns None, the
aggregate-recorder contract, which every application recorder (the library's own included)
deliberately breaks by returning notification ids; the library runs it only on aggregate
recorders. ApplicationRecorderTestCase covers the same select semantics for these.
"""

from __future__ import annotations

import sqlite3
import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)

from events.evidence.records import record_leaf_hash
from events.store.postgres import HashingPostgresApplicationRecorder
from events.store.sqlite import HashingSQLiteApplicationRecorder
from tests.conftest import postgres_test_url


class LeafCheckedRecorders:
    """Makes each library test's recorders on ``self.datastore`` and, after the test, checks
    the leaves of every one; subclasses open and close the datastore around it."""

    recorder_class: Any

    def setUp(self) -> None:
        self.recorders: list[Any] = []
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        for recorder in self.recorders:
            assert_leaves_match(recorder)

    def create_recorder(self) -> Any:
        recorder = self.recorder_class(self.datastore)  # type: ignore[attr-defined]
        recorder.create_table()
        self.recorders.append(recorder)
        return recorder


class SQLiteRecorders(LeafCheckedRecorders):
    """Recorders on a fresh SQLite file (concurrency tests need a file, not :memory:)."""

    recorder_class = HashingSQLiteApplicationRecorder

    def setUp(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.datastore = SQLiteDatastore(str(Path(self.folder.name) / "events.sqlite"),
                                         lock_timeout=10)
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        self.datastore.close()
        self.folder.cleanup()


class PostgresRecorders(LeafCheckedRecorders):
    """Recorders in a schema of their own on the test server."""

    recorder_class = HashingPostgresApplicationRecorder

    def setUp(self) -> None:
        url = urlparse(postgres_test_url())
        self.url = postgres_test_url()
        self.schema = f"r_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA {self.schema}")
        self.datastore = PostgresDatastore(
            dbname=url.path.strip("/"), host=url.hostname or "127.0.0.1",
            port=url.port or 5432, user=url.username or "", password=url.password or "",
            schema=self.schema, pool_size=4, max_overflow=4)
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        self.datastore.close()
        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {self.schema} CASCADE")


def stored_leaves(recorder: Any) -> list[tuple[int, int, bytes]]:
    """(leaf index, position, leaf hash) as stored: in the event rows on SQLite, in a table of
    their own on PostgreSQL."""
    if isinstance(recorder, HashingSQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT leaf_index, rowid, leaf_hash FROM {recorder.events_table_name} "
                      "ORDER BY leaf_index")
            return [(r[0], r[1], bytes(r[2])) for r in c.fetchall()]
    with recorder.datastore.get_connection() as conn, conn.cursor() as c:
        c.execute(f"SELECT leaf_index, notification_id, leaf_hash FROM "
                  f"{recorder.datastore.schema}.{recorder.leaves_table_name} ORDER BY leaf_index")
        return [(r["leaf_index"], r["notification_id"], bytes(r["leaf_hash"]))
                for r in c.fetchall()]


def assert_leaves_match(recorder: Any) -> None:
    """One leaf per stored event, indexed 0…n-1 in notification order, hashing its record."""
    notifications = recorder.select_notifications(start=None, limit=10**9)
    leaves = stored_leaves(recorder)
    assert [leaf[0] for leaf in leaves] == list(range(len(notifications)))
    assert [leaf[1] for leaf in leaves] == [n.id for n in notifications]
    for (_, _, leaf), n in zip(leaves, notifications, strict=True):
        assert leaf == record_leaf_hash(n.id, n.originator_id, n.originator_version, n.topic,
                                        n.state)


class TestSQLiteApplicationRecorder(SQLiteRecorders, ApplicationRecorderTestCase[Any]):
    pass


class TestSQLiteNonInterleaving(SQLiteRecorders, NonInterleavingNotificationIDsBaseCase):
    pass


class TestPostgresApplicationRecorder(PostgresRecorders, ApplicationRecorderTestCase[Any]):
    pass


class TestPostgresNonInterleaving(PostgresRecorders, NonInterleavingNotificationIDsBaseCase):
    pass


del ApplicationRecorderTestCase, NonInterleavingNotificationIDsBaseCase


def received(originator: uuid.UUID, version: int = 1) -> StoredEvent:
    return StoredEvent(originator_id=originator, originator_version=version,
                       topic="tracker.domain.dossier:Dossier.Received", state=b'{"n": 1}')


def test_sqlite_leaves_stay_dense_across_writers_and_rollbacks(tmp_path: Path) -> None:
    """The SQLite recorder puts a leaf in with its event when it foresees the position (it
    wrote the last row): GIVEN two recorders on one file writing in turn, a batch rolled back
    by a version conflict, and rows forged without a leaf THEN every leaf it writes still has
    the next index and hashes the position the event got."""
    path = str(tmp_path / "events.sqlite")
    one, two = (HashingSQLiteApplicationRecorder(SQLiteDatastore(path)) for _ in range(2))
    one.create_table()
    dossier = uuid.uuid4()
    one.insert_events([received(dossier)])
    one.insert_events([received(uuid.uuid4())])  # foreseen
    two.insert_events([received(uuid.uuid4()), received(uuid.uuid4())])
    one.insert_events([received(uuid.uuid4())])  # another writer since: read
    with pytest.raises(IntegrityError):  # the new event is rolled back with the conflict
        one.insert_events([received(uuid.uuid4()), received(dossier)])
    one.insert_events([received(uuid.uuid4())])  # given the rolled-back position again
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO stored_events (originator_id, originator_version, topic, "
                     "state) VALUES (?, 1, 't', x'')", (uuid.uuid4().hex,))
    one.insert_events([received(uuid.uuid4())])
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT rowid, originator_id, originator_version, topic, state, "
                            "leaf_index, leaf_hash FROM stored_events ORDER BY rowid").fetchall()
    assert [row[0] for row in rows] == list(range(1, 9))
    assert [row[5] for row in rows] == [0, 1, 2, 3, 4, 5, None, 6]  # row 7 forged
    assert all(row[6] == record_leaf_hash(*row[:5]) for row in rows if row[5] is not None)
