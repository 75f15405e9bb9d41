"""The view tables on SQLite, beside the events in the same file."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

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
from tracker.search.sqlite import SQLiteSearchIndex

IN_CHUNK = 500  # well under SQLite's limit on bound parameters
CACHE_PRAGMA = "PRAGMA cache_size = -65536"  # KiB: up to 64 MiB for the view writer
REFUSALS = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.ProgrammingError, OverflowError,
            ValueError, TypeError)
"""What SQLite and its driver raise for values they cannot store (binding, overflow,
encoding, constraints)."""


class SQLiteViewStore(SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore) -> None:
        super().__init__(datastore)
        self.upsert = upsert_sql(DOSSIERS_TABLE, "?")
        self.insert_figures = insert_figures_sql(FIGURES_TABLE, "?")
        self.insert_attention = insert_attention_sql(ATTENTION_TABLE, "?")
        # The first statement of a batch writes, so SQLite takes its write lock (waiting for it
        # up to the lock timeout) before anything is read: a read-then-write upgrade in WAL mode
        # fails at once when another process wrote in between.
        self.claim_statement = f"UPDATE {DOSSIERS_TABLE} SET version = version WHERE 0"

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                *dossiers_ddl(DOSSIERS_TABLE), *figures_ddl(FIGURES_TABLE),
                *attention_ddl(ATTENTION_TABLE)]

    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)
        c.execute(f"PRAGMA table_info({DOSSIERS_TABLE})")
        present = {row[1] for row in c.fetchall()}
        for name, definition in ADDED_COLUMNS.items():
            if name not in present:
                c.execute(f"ALTER TABLE {DOSSIERS_TABLE} ADD COLUMN {name} {definition}")
        for statement in added_indexes(DOSSIERS_TABLE):
            c.execute(statement)

    @contextmanager
    def batch(self) -> Iterator[_SQLiteBatch]:
        with self.datastore.transaction(commit=True) as c:
            # Dossier ids are random keys: once the view tables outgrow SQLite's default 2 MB
            # page cache, every batch re-reads B-tree pages. Memory only, per connection.
            c.execute(CACHE_PRAGMA)
            yield _SQLiteBatch(self, c)

    def clear(self, views: Sequence[str]) -> None:
        with self.datastore.transaction(commit=True) as c:
            for table in tables_of(views, DOSSIERS_TABLE, FIGURES_TABLE, ATTENTION_TABLE):
                c.execute(f"DELETE FROM {table}")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql.format(dossiers=DOSSIERS_TABLE, figures=FIGURES_TABLE,
                                 attention=ATTENTION_TABLE), tuple(params))
            return [dict(row) for row in c.fetchall()]

    def dossier_rows(self) -> Iterator[Row]:
        yield from self.query("SELECT * FROM {dossiers} ORDER BY dossier_id")

    def figure_rows(self) -> Iterator[dict[str, Any]]:
        yield from self.query("SELECT * FROM {figures} ORDER BY dossier_id, version")


class _SQLiteBatch(WritingBatch):
    refusals = REFUSALS

    def __init__(self, store: SQLiteViewStore, cursor: SQLiteCursor) -> None:
        super().__init__(store, cursor)
        self.store = store
        self.c: SQLiteCursor = cursor

    def track(self, tracking: Tracking) -> None:
        self.store._insert_tracking(self.c, tracking)

    def claim(self) -> None:
        self.c.execute(self.store.claim_statement)

    def rows(self, dossier_ids: Sequence[str]) -> dict[str, Row]:
        found: dict[str, Row] = {}
        for start in range(0, len(dossier_ids), IN_CHUNK):
            chunk = dossier_ids[start:start + IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            self.c.execute(f"SELECT * FROM {DOSSIERS_TABLE} WHERE dossier_id IN ({marks})",
                           tuple(chunk))
            for row in self.c.fetchall():
                found[row["dossier_id"]] = dict(row)
        return found



@contextmanager
def scratch_file(folder: Path) -> Iterator[Scratch]:
    """Empty views and search index in a new database file in ``folder`` (the store's own
    private folder, mode 0600: rebuilt rows hold applicants' names), deleted on exit."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".verify-", suffix=".sqlite")
    except OSError as error:
        raise ScratchUnavailable(N_("cannot make a scratch database in {folder} to verify "
                                    "the views in ({name}: {strerror})"),
                                 folder=folder, name=type(error).__name__,
                                 strerror=error.strerror) from None
    os.close(fd)
    datastore = SQLiteDatastore(name, lock_timeout=30)
    try:
        views = SQLiteViewStore(datastore)
        views.create_table()
        search = SQLiteSearchIndex(datastore)
        search.create_tables()
        yield Scratch(views, search)
    finally:
        datastore.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(name + suffix).unlink(missing_ok=True)
