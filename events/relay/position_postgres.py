"""The relay position table on PostgreSQL, in the store's own schema (psycopg loaded only here)."""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from events.relay.position import relay_table


class PostgresRelayPositions:
    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self.datastore = recorder.datastore
        table = (Identifier(self.datastore.schema),
                 Identifier(relay_table(recorder.events_table_name)))
        self.create_statement = SQL("CREATE TABLE IF NOT EXISTS {}.{} ("
                                    "relay text PRIMARY KEY, position bigint NOT NULL)"
                                    ).format(*table)
        self.select_statement = SQL("SELECT position FROM {}.{} WHERE relay = %s").format(*table)
        self.advance_statement = SQL(
            "INSERT INTO {}.{} AS r (relay, position) VALUES (%s, %s) "
            "ON CONFLICT (relay) DO UPDATE SET position = excluded.position "
            "WHERE excluded.position > r.position").format(*table)

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.create_statement)

    def get(self, relay: str) -> int:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_statement, (relay,))
            row = curs.fetchone()
            return int(row["position"]) if row else 0

    def advance(self, relay: str, position: int) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.advance_statement, (relay, position))
