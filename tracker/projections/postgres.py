"""The view tables on PostgreSQL, in the event store's schema."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import PersistenceError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from tracker.domain.errors import N_
from tracker.projections.fold import Row
from tracker.projections.store import (
    ADDED_COLUMNS,
    ATTENTION_TABLE,
    DOSSIERS_TABLE,
    FIGURES_TABLE,
    Scratch,
    ScratchUnavailable,
    WritingBatch,
    added_indexes,
    attention_ddl,
    dossiers_ddl,
    figures_ddl,
    insert_attention_sql,
    insert_figures_sql,
    tables_of,
    upsert_sql,
)
from tracker.search.postgres import PostgresSearchIndex

log = logging.getLogger(__name__)
TRACKING_TABLE = "hoso_view_tracking"
REFUSALS = (psycopg.DataError, psycopg.IntegrityError, psycopg.errors.ProgramLimitExceeded,
            OverflowError, ValueError, TypeError)
"""What PostgreSQL and psycopg raise for values they cannot store (out of range, NUL, encoding,
constraints, an index entry too large)."""


class PostgresViewStore(PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore, tracking_table_name=TRACKING_TABLE)
        schema = '"' + datastore.schema.replace('"', '""') + '"'
        self.dossiers = f"{schema}.{DOSSIERS_TABLE}"
        self.figures = f"{schema}.{FIGURES_TABLE}"
        self.attention = f"{schema}.{ATTENTION_TABLE}"
        self.sql_create_statements.extend(
            # built from fixed names only; a column default's braces are literal
            SQL(statement.replace("{", "{{").replace("}", "}}")).format()
            for statement in [*dossiers_ddl(self.dossiers, integer="BIGINT"),
                              *figures_ddl(self.figures, integer="BIGINT"),
                              *attention_ddl(self.attention, integer="BIGINT"),
                              *(f"ALTER TABLE {self.dossiers} ADD COLUMN IF NOT EXISTS "
                                f"{name} {definition}"
                                for name, definition in ADDED_COLUMNS.items()),
                              *added_indexes(self.dossiers)])
        self.upsert = upsert_sql(self.dossiers, "%s")
        self.insert_figures = insert_figures_sql(self.figures, "%s")
        self.insert_attention = insert_attention_sql(self.attention, "%s")

    @contextmanager
    def batch(self) -> Iterator[_PostgresBatch]:
        with self.datastore.transaction(commit=True) as c:
            yield _PostgresBatch(self, c)

    def clear(self, views: Sequence[str]) -> None:
        with self.datastore.transaction(commit=True) as c:
            for table in tables_of(views, self.dossiers, self.figures, self.attention):
                c.execute(f"DELETE FROM {table}")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        text = sql.format(dossiers=self.dossiers, figures=self.figures,
                          attention=self.attention).replace("?", "%s")
        with self.datastore.transaction(commit=False) as c:
            c.execute(text, tuple(params))
            return [dict(row) for row in c.fetchall()]

    def dossier_rows(self) -> Iterator[Row]:
        yield from self.query("SELECT * FROM {dossiers} ORDER BY dossier_id")

    def figure_rows(self) -> Iterator[dict[str, Any]]:
        yield from self.query("SELECT * FROM {figures} ORDER BY dossier_id, version")


class _PostgresBatch(WritingBatch):
    refusals = REFUSALS

    def __init__(self, store: PostgresViewStore, cursor: Cursor[DictRow]) -> None:
        super().__init__(store, cursor)
        self.store = store
        self.c: Cursor[DictRow] = cursor

    def track(self, tracking: Tracking) -> None:
        self.store._insert_tracking(self.c, tracking)

    def claim(self) -> None:
        """Row versions guard every write; PostgreSQL needs no up-front lock."""

    def rows(self, dossier_ids: Sequence[str]) -> dict[str, Row]:
        self.c.execute(f"SELECT * FROM {self.store.dossiers} "
                       "WHERE dossier_id = ANY(%s)", (list(dossier_ids),))
        return {row["dossier_id"]: dict(row) for row in self.c.fetchall()}


@contextmanager
def scratch_schema(dbname: str, host: str, port: str, user: str, password: str
                   ) -> Iterator[Scratch]:
    """Empty views and search index in a new schema ``hoso_verify_<random>`` of the store's
    database (the user needs CREATE on it), dropped with everything in it on exit."""
    schema = f"hoso_verify_{secrets.token_hex(6)}"
    datastore = PostgresDatastore(dbname, host, port, user, password, schema=schema,
                                  lock_timeout=30)
    created = False
    try:
        try:
            with datastore.transaction(commit=True) as c:
                c.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
        except (PersistenceError, psycopg.Error) as error:
            raise ScratchUnavailable(
                N_("cannot create the scratch schema {schema} to verify the views in "
                   "({name}): the user needs CREATE on database {dbname}"),
                schema=schema, name=type(error).__name__, dbname=dbname
            ) from None
        created = True
        views = PostgresViewStore(datastore)
        views.create_table()
        search = PostgresSearchIndex(datastore)
        search.create_tables()
        yield Scratch(views, search)
    finally:
        try:
            if created:
                with datastore.transaction(commit=True) as c:
                    c.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)))
        except (PersistenceError, psycopg.Error) as error:
            log.error("the scratch schema %s could not be dropped (%s): drop it by hand",
                      schema, type(error).__name__)
        finally:
            datastore.close()
