"""Where each relay got to: one row per relay in ``<events table>_relay``, beside the events.

The position is the notification id of the last event the broker acknowledged. It lives in the
same database as the events so that a backup or a restore moves both together, and it is only
ever moved forward: a second relay running by mistake duplicates messages (which consumers
drop) but cannot move the position back over events the first one already published. The table
is made with the store's other tables (``hoso init``), never by a running relay.
"""

from __future__ import annotations

from typing import Protocol

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder


def relay_table(events_table_name: str) -> str:
    return f"{events_table_name}_relay"


class RelayPositions(Protocol):
    def create_table(self) -> None: ...

    def get(self, relay: str) -> int:
        """The last acknowledged notification id, 0 when the relay never published."""

    def advance(self, relay: str, position: int) -> None:
        """Record ``position`` durably (committed) unless a later one is recorded already."""


class SQLiteRelayPositions:
    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self.datastore = recorder.datastore
        table = relay_table(recorder.events_table_name)
        self.create_statement = (f"CREATE TABLE IF NOT EXISTS {table} ("
                                 "relay TEXT PRIMARY KEY, position INTEGER NOT NULL)")
        self.select_statement = f"SELECT position FROM {table} WHERE relay = ?"
        self.advance_statement = (
            f"INSERT INTO {table} (relay, position) VALUES (?, ?) "
            "ON CONFLICT (relay) DO UPDATE SET position = excluded.position "
            "WHERE excluded.position > position")

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.create_statement)

    def get(self, relay: str) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_statement, (relay,))
            row = c.fetchone()
            return int(row[0]) if row else 0

    def advance(self, relay: str, position: int) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.advance_statement, (relay, position))


def relay_positions(recorder: ApplicationRecorder) -> RelayPositions:
    """The position table for the store ``recorder`` writes to (SQLite or PostgreSQL)."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SQLiteRelayPositions(recorder)
    from eventsourcing.postgres import PostgresApplicationRecorder

    if isinstance(recorder, PostgresApplicationRecorder):
        from events.relay_position_postgres import PostgresRelayPositions

        return PostgresRelayPositions(recorder)
    raise TypeError(f"no relay position table for {type(recorder).__name__}")
