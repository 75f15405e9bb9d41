"""The cosignatures table on PostgreSQL, in the store's own schema (psycopg loaded only here)."""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from events.evidence.witness.store import cosignatures_table
from events.store.leaves import checkpoints_table


class PostgresCosignatures:
    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self.datastore = recorder.datastore
        schema = Identifier(self.datastore.schema)
        table = (schema, Identifier(cosignatures_table(recorder.events_table_name)))
        notes = (schema, Identifier(checkpoints_table(recorder.events_table_name)))
        self.create_statement = SQL(
            "CREATE TABLE IF NOT EXISTS {}.{} (tree_size bigint NOT NULL, witness text NOT NULL, "
            "line text NOT NULL, PRIMARY KEY (tree_size, witness))").format(*table)
        self.insert_statement = SQL(
            "INSERT INTO {}.{} (tree_size, witness, line) VALUES (%s, %s, %s) "
            "ON CONFLICT (tree_size, witness) DO NOTHING").format(*table)
        self.select_statement = SQL(
            "SELECT line FROM {}.{} WHERE tree_size = %s ORDER BY witness").format(*table)
        self.newest_statement = SQL(
            "SELECT MAX(tree_size) AS size FROM {}.{} WHERE witness = %s").format(*table)
        self.latest_statement = SQL(
            "SELECT note FROM {}.{} ORDER BY tree_size DESC LIMIT 1").format(*notes)

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.create_statement)

    def add(self, tree_size: int, witness: str, line: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.insert_statement, (tree_size, witness, line))

    def lines_for(self, tree_size: int) -> list[str]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_statement, (tree_size,))
            return [str(row["line"]) for row in curs.fetchall()]

    def newest_by(self, witness: str) -> int | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.newest_statement, (witness,))
            row = curs.fetchone()
            return None if row is None or row["size"] is None else int(row["size"])

    def latest_checkpoint(self) -> str | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.latest_statement)
            row = curs.fetchone()
            return None if row is None else str(row["note"])
