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

import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)

from events.postgres_store import HashingPostgresApplicationRecorder
from events.records import record_leaf_hash
from events.sqlite_store import HashingSQLiteApplicationRecorder
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
