"""The PostgreSQL application recorder that stores each event's leaf hash in the same
transaction, under the table lock the library's recorder already takes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from events.evidence.audit import StoredLeaf, StoredRecord
from events.store.leaves import checkpoints_table, leaf_hashes, leaves_table
from events.store.range_scan_postgres import PostgresRangeScanner


class HashingPostgresApplicationRecorder(PostgresApplicationRecorder):
    """PostgreSQL events, each with its leaf in ``<events table>_leaves``."""

    def __init__(self, datastore: PostgresDatastore, *,
                 events_table_name: str = "stored_events") -> None:
        if datastore.enable_db_functions:
            raise ValueError("leaf hashes are written by the recorder, not by the database "
                             "function: set POSTGRES_ENABLE_DB_FUNCTIONS=no")
        super().__init__(datastore, events_table_name=events_table_name)
        self.leaves_table_name = leaves_table(events_table_name)
        table = (Identifier(self.datastore.schema), Identifier(self.leaves_table_name))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {}.{} ("
            "leaf_index bigint PRIMARY KEY, "
            "notification_id bigint NOT NULL, "
            "leaf_hash bytea NOT NULL)").format(*table))
        self.checkpoints_table_name = checkpoints_table(events_table_name)
        notes = (Identifier(self.datastore.schema), Identifier(self.checkpoints_table_name))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {}.{} ("
            "tree_size bigint PRIMARY KEY, note text NOT NULL)").format(*notes))
        self.select_leaves_statement = SQL(
            "SELECT leaf_index, notification_id, leaf_hash FROM {}.{} "
            "WHERE leaf_index >= %s ORDER BY leaf_index LIMIT %s").format(*table)
        # kept only when larger than every kept one: signers in several processes take the
        # table's lock in turn (reads go on), and each statement sees the last one committed
        self.lock_checkpoints_statement = SQL(
            "LOCK TABLE {}.{} IN SHARE ROW EXCLUSIVE MODE").format(*notes)
        self.insert_checkpoint_statement = SQL(
            "INSERT INTO {0}.{1} (tree_size, note) SELECT %(size)s, %(note)s "
            "WHERE %(size)s > (SELECT COALESCE(MAX(tree_size), -1) FROM {0}.{1})").format(*notes)
        self.select_checkpoints_statement = SQL(
            "SELECT note FROM {}.{} ORDER BY tree_size").format(*notes)
        self.select_latest_checkpoint_statement = SQL(
            "SELECT note FROM {}.{} ORDER BY tree_size DESC LIMIT 1").format(*notes)
        self.select_checkpoint_statement = SQL(
            "SELECT note FROM {}.{} WHERE tree_size = %s").format(*notes)
        self.select_records_from_leaf_statement = SQL(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state "
            "FROM {0}.{1} AS e JOIN {0}.{2} AS l ON l.notification_id = e.notification_id "
            "WHERE l.leaf_index >= %s ORDER BY l.leaf_index LIMIT %s").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name),
            Identifier(self.leaves_table_name))
        events = (Identifier(self.datastore.schema), Identifier(self.events_table_name))
        records = ("SELECT notification_id, originator_id, originator_version, topic, state "
                   "FROM {}.{} ")
        self.select_first_records_statement = SQL(
            records + "ORDER BY notification_id LIMIT %s").format(*events)
        self.select_records_statement = SQL(
            records + "WHERE notification_id > %s ORDER BY notification_id LIMIT %s").format(
            *events)
        self.select_aggregate_records_statement = SQL(
            records + "WHERE originator_id = %s ORDER BY originator_version, notification_id"
        ).format(*events)
        self.next_leaf_statement = SQL(
            "SELECT COALESCE(MAX(leaf_index), -1) + 1 AS next FROM {}.{}").format(*table)
        # each leaf takes its index in its own insert (MAX + 1 sees the rows inserted before it
        # in this transaction, under the events table's lock), as on SQLite: no SELECT first,
        # and scalar parameters (pure-Python psycopg adapts arrays slowly, ~0.2 ms a statement)
        self.insert_leaves_statement = SQL(
            "INSERT INTO {0}.{1} (leaf_index, notification_id, leaf_hash) "
            "SELECT COALESCE(MAX(leaf_index), -1) + 1, %s, %s FROM {0}.{1}").format(*table)

    def _fetch_ids_after_insert_events(self, curs: Cursor[DictRow],
                                       stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if not stored_events or notification_ids is None:
            return notification_ids
        leaves = leaf_hashes(stored_events, notification_ids)
        if len(leaves) == 1:
            curs.execute(self.insert_leaves_statement, leaves[0])
        else:  # one round trip for all (psycopg pipelines executemany)
            curs.executemany(self.insert_leaves_statement, leaves)
        return notification_ids

    def select_leaves(self, after: StoredLeaf | None, limit: int) -> list[StoredLeaf]:
        """Stored leaves after ``after`` (from the first with None), in index order."""
        start = 0 if after is None else after.leaf_index + 1
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_leaves_statement, (start, limit))
            return [StoredLeaf(row["leaf_index"], row["notification_id"],
                               bytes(row["leaf_hash"])) for row in curs.fetchall()]

    def insert_checkpoint(self, tree_size: int, note: str) -> bool:
        """Keep ``note`` when its tree is larger than every kept one; whether it was kept."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.lock_checkpoints_statement)
            curs.execute(self.insert_checkpoint_statement, {"size": tree_size, "note": note})
            return curs.rowcount == 1

    def select_checkpoints(self) -> list[str]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_checkpoints_statement)
            return [row["note"] for row in curs.fetchall()]

    def select_latest_checkpoint(self) -> str | None:
        """The kept note with the largest tree, if any."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_latest_checkpoint_statement)
            row = curs.fetchone()
            return str(row["note"]) if row else None

    def select_checkpoint(self, tree_size: int) -> str | None:
        """The kept note for ``tree_size`` leaves, if any."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_checkpoint_statement, (tree_size,))
            row = curs.fetchone()
            return str(row["note"]) if row else None

    def select_records_from_leaf(self, leaf_index: int, limit: int) -> list[StoredRecord]:
        """Raw rows of the leaves from ``leaf_index`` on, in leaf order."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_records_from_leaf_statement, (leaf_index, limit))
            return [StoredRecord(row["notification_id"], row["originator_id"].hex,
                                 row["originator_version"], row["topic"], bytes(row["state"]))
                    for row in curs.fetchall()]

    def leaf_count(self) -> int:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.next_leaf_statement)
            row = curs.fetchone()
            return int(row["next"]) if row else 0

    def select_records(self, after: int | None, limit: int) -> list[StoredRecord]:
        """Raw rows after position ``after`` (from the first with None), ids as hex, as the
        canonical record has them."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            if after is None:
                curs.execute(self.select_first_records_statement, (limit,))
            else:
                curs.execute(self.select_records_statement, (after, limit))
            return [StoredRecord(row["notification_id"], row["originator_id"].hex,
                                 row["originator_version"], row["topic"], bytes(row["state"]))
                    for row in curs.fetchall()]

    def select_aggregate_records(self, originator_id: UUID) -> list[StoredRecord]:
        """One aggregate's raw rows in version order, through the primary key's index."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_aggregate_records_statement, (originator_id,))
            return [StoredRecord(row["notification_id"], row["originator_id"].hex,
                                 row["originator_version"], row["topic"], bytes(row["state"]))
                    for row in curs.fetchall()]

    def range_scanner(self) -> PostgresRangeScanner:
        """Connection settings for verification workers, as the pool connects."""
        pool = self.datastore.pool
        kwargs = pool.kwargs() if callable(pool.kwargs) else pool.kwargs or {}
        settings = {k: v for k, v in kwargs.items() if k != "row_factory"}
        if pool.get_password_func is not None:
            settings["password"] = pool.get_password_func()
        return PostgresRangeScanner(settings, self.datastore.schema, self.events_table_name,
                                    self.leaves_table_name)
