"""The view tables' port: what the projector needs from SQLite or PostgreSQL, and their DDL.

Views live in the event store's own database, written through the library's tracking recorders
(``SQLiteTrackingRecorder``/``PostgresTrackingRecorder``) so that a batch of view changes and its
tracking record (``Tracking(VIEWS, notification id)``) commit in one transaction. Three tables:

- ``hoso_view_dossiers``: one row per dossier (status and, read by holder, the office queues);
- ``hoso_view_figures``: one row per event that counts in the provincial report, keyed by
  (dossier id, version), which the report sums by day, office and procedure;
- ``hoso_view_attention``: one row per dossier whose views lack an event the projector could
  not apply (tracker.projections.attention), cleared with the dossiers table on a rebuild.

A row is only ever replaced by one of a higher version (the upsert says so), and a figure is
written at most once, so two writers racing over the same events cannot regress a view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, NamedTuple, Protocol

from eventsourcing.persistence import Tracking

from tracker.domain.errors import HosoError
from tracker.projections.fold import DOSSIER_COLUMNS, FIGURE_COLUMNS, Figure, Row
from tracker.search.index import SearchIndex

VIEWS = "hoso-views"
"""The application name in the tracking table: how far the views have followed the log."""
DOSSIERS_TABLE = "hoso_view_dossiers"
FIGURES_TABLE = "hoso_view_figures"
ATTENTION_TABLE = "hoso_view_attention"
VIEW_NAMES = ("status", "queues", "report")
"""``status`` and ``queues`` are two readings of the dossiers table; ``report`` is the figures."""

INTEGER_COLUMNS = frozenset({"version", "fee_paid", "pages", "supplements_requested",
                             "non_local", "in_field"})
KEY_COLUMNS = frozenset({"dossier_id", "office", "custodian", "transit_to", "transit_from",
                         "applicant_ref"})
"""Dossier columns under an index."""
REQUIRED_COLUMNS = frozenset({"dossier_id", "code", "version", "stage", "custodian"})
ATTENTION_COLUMNS = ("dossier_id", "code", "version", "position", "event", "reason")


class Attention(NamedTuple):
    """A dossier whose views lack event ``version``: ``code`` is the dossier id when the code
    is unknown, ``position`` the notification id (None when read by dossier), ``event`` the
    catalogue name, ``reason`` a short cause that names fields, never their values."""

    dossier_id: str
    code: str
    version: int
    position: int | None
    event: str
    reason: str


def tables_of(views: Iterable[str], dossiers: str, figures: str, attention: str
              ) -> list[str]:
    """The tables holding ``views``: status and queues share the dossiers table, and the
    attention marks go with it."""
    chosen = set(views)
    return ([dossiers, attention] if chosen & {"status", "queues"} else []) + (
        [figures] if "report" in chosen else [])


def dossiers_ddl(table: str, text: str = "TEXT", integer: str = "INTEGER") -> list[str]:
    columns = ", ".join(
        f"{c} {integer if c in INTEGER_COLUMNS else text}"
        + (" PRIMARY KEY" if c == "dossier_id" else "")
        + (" NOT NULL" if c in REQUIRED_COLUMNS - {"dossier_id"} else "")
        for c in DOSSIER_COLUMNS)
    base = table.rsplit(".", 1)[-1]
    return [
        f"CREATE TABLE IF NOT EXISTS {table} ({columns})",
        f"CREATE INDEX IF NOT EXISTS {base}_office ON {table} (office)",
        f"CREATE INDEX IF NOT EXISTS {base}_custodian ON {table} (custodian)",
        f"CREATE INDEX IF NOT EXISTS {base}_transit_to ON {table} (transit_to)",
        f"CREATE INDEX IF NOT EXISTS {base}_transit_from ON {table} (transit_from)",
    ]


ADDED_COLUMNS: dict[str, str] = {"channel": "TEXT DEFAULT 'counter'", "locality": "TEXT",
                                 "non_local": "INTEGER DEFAULT 0",
                                 "in_field": "INTEGER DEFAULT 0", "applicant_ref": "TEXT",
                                 "papers": "TEXT DEFAULT '{}'", "reused": "TEXT DEFAULT '[]'"}
"""Dossier columns added after the table was first made, with the definition ``hoso init``
adds them by to a store that lacks them: rows received before channels were at the counter;
before localities none was named, none received regardless of it, none in the field; before the
index of digitised papers, none had papers indexed or reused (a rebuild fills them in)."""


def added_indexes(table: str) -> list[str]:
    """Indexes on added columns, made once the columns are there: the index of digitised
    papers is read by the applicant's reference."""
    base = table.rsplit(".", 1)[-1]
    return [f"CREATE INDEX IF NOT EXISTS {base}_applicant ON {table} (applicant_ref)"]


def figures_ddl(table: str, text: str = "TEXT", integer: str = "INTEGER") -> list[str]:
    base = table.rsplit(".", 1)[-1]
    return [
        f"CREATE TABLE IF NOT EXISTS {table} (dossier_id {text} NOT NULL, "
        f"version {integer} NOT NULL, day {text} NOT NULL, office {text} NOT NULL, "
        f"procedure {text} NOT NULL, figure {text} NOT NULL, reason {text}, "
        f"amount {integer} NOT NULL, PRIMARY KEY (dossier_id, version))",
        f"CREATE INDEX IF NOT EXISTS {base}_day ON {table} (day, office)",
        # the report's one pass: its groups in order, and every column it reads (covering)
        f"CREATE INDEX IF NOT EXISTS {base}_sums ON {table} "
        "(office, procedure, figure, reason, day, amount)",
    ]


def attention_ddl(table: str, text: str = "TEXT", integer: str = "INTEGER") -> list[str]:
    return [f"CREATE TABLE IF NOT EXISTS {table} (dossier_id {text} PRIMARY KEY, "
            f"code {text} NOT NULL, version {integer} NOT NULL, position {integer}, "
            f"event {text} NOT NULL, reason {text} NOT NULL)"]


def insert_attention_sql(table: str, mark: str) -> str:
    """Mark a dossier; a dossier already marked keeps its first mark."""
    names = ", ".join(ATTENTION_COLUMNS)
    marks = ", ".join([mark] * len(ATTENTION_COLUMNS))
    return (f"INSERT INTO {table} ({names}) VALUES ({marks}) "
            "ON CONFLICT (dossier_id) DO NOTHING")


def upsert_sql(table: str, mark: str) -> str:
    """Insert a dossier row, or replace the stored one if it is of a lower version."""
    names = ", ".join(DOSSIER_COLUMNS)
    marks = ", ".join([mark] * len(DOSSIER_COLUMNS))
    updates = ", ".join(f"{c} = excluded.{c}" for c in DOSSIER_COLUMNS if c != "dossier_id")
    return (f"INSERT INTO {table} AS t ({names}) VALUES ({marks}) ON CONFLICT (dossier_id) "
            f"DO UPDATE SET {updates} WHERE t.version < excluded.version")


def insert_figures_sql(table: str, mark: str) -> str:
    names = ", ".join(FIGURE_COLUMNS)
    marks = ", ".join([mark] * len(FIGURE_COLUMNS))
    return (f"INSERT INTO {table} ({names}) VALUES ({marks}) "
            "ON CONFLICT (dossier_id, version) DO NOTHING")


def row_values(rows: Iterable[Row]) -> list[tuple[Any, ...]]:
    return [tuple(row[c] for c in DOSSIER_COLUMNS) for row in rows]


class _Statements(Protocol):
    upsert: str
    insert_figures: str
    insert_attention: str


class _Cursor(Protocol):
    def execute(self, sql: Any, params: Any = ...) -> Any: ...
    def executemany(self, sql: Any, params: Any) -> Any: ...


class WritingBatch:
    """The writes a batch makes, the same on both backends: rows and figures, rows written
    apart under a savepoint (so a value the database refuses costs only its dossier), and
    attention marks. ``refusals`` are the errors the backend raises for unstorable values."""

    refusals: tuple[type[Exception], ...] = ()

    def __init__(self, store: _Statements, cursor: _Cursor) -> None:
        self.statements = store
        self.c = cursor

    def write(self, rows: Sequence[Row], figures: Sequence[Figure]) -> None:
        if rows:
            self.c.executemany(self.statements.upsert, row_values(rows))
        if figures:
            self.c.executemany(self.statements.insert_figures, figures)

    def write_apart(self, rows: Sequence[Row], figures: Sequence[Figure]) -> str | None:
        self.c.execute("SAVEPOINT hoso_view_row")
        refused = None
        try:
            self.write(rows, figures)
        except self.refusals as error:
            self.c.execute("ROLLBACK TO SAVEPOINT hoso_view_row")
            refused = type(error).__name__
        self.c.execute("RELEASE SAVEPOINT hoso_view_row")
        return refused

    def attend(self, marks: Sequence[Attention]) -> None:
        if marks:
            self.c.executemany(self.statements.insert_attention, marks)


class ViewCursor(Protocol):
    """One open transaction on the views: what the projector does inside it."""

    def track(self, tracking: Tracking) -> None:
        """Record the tracking position; IntegrityError if it is not ahead of the stored one."""

    def claim(self) -> None:
        """Take the write lock now (SQLite), so reads and writes see one state."""

    def rows(self, dossier_ids: Sequence[str]) -> dict[str, Row]:
        """The stored rows of these dossiers."""

    def write(self, rows: Sequence[Row], figures: Sequence[Figure]) -> None:
        """Upsert the rows (never over a higher version) and insert the new figures."""

    def write_apart(self, rows: Sequence[Row], figures: Sequence[Figure]) -> str | None:
        """``write`` inside a savepoint. When the database refuses these values, undo them
        and return the error's class name; other errors (the database going away) propagate."""

    def attend(self, marks: Sequence[Attention]) -> None:
        """Mark these dossiers as needing attention (a marked dossier keeps its first mark)."""


class ViewStore(Protocol):
    def create_table(self) -> None:
        """The view and tracking tables (only ``hoso init`` runs DDL)."""

    def batch(self) -> AbstractContextManager[ViewCursor]:
        """A transaction that commits when the block ends without error."""

    def max_tracking_id(self, application_name: str) -> int | None: ...

    def clear(self, views: Sequence[str]) -> None:
        """Delete what ``views`` hold (before a rebuild); the tracking position stays."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read-only SELECT (``?`` marks parameters; tables named by {dossiers},
        {figures} and {attention})."""

    def dossier_rows(self) -> Iterator[Row]:
        """Every dossier row, ordered by dossier id (comparisons and tests)."""

    def figure_rows(self) -> Iterator[dict[str, Any]]:
        """Every figure, ordered by dossier id and version."""


class Scratch(NamedTuple):
    """Empty view tables and search index in a throwaway place of the store's own kind (a
    temporary SQLite file, a temporary PostgreSQL schema), for rebuilding beside the live ones."""

    views: ViewStore
    search: SearchIndex


ScratchFactory = Callable[[], AbstractContextManager[Scratch]]
"""Makes a scratch store, tables created, and removes it with everything in it on exit;
ScratchUnavailable when it cannot."""


class ScratchUnavailable(HosoError):
    """No scratch store could be made (no room or no permission where it goes): the views
    cannot be verified until that is fixed."""

    code = "scratch_unavailable"
    http_status = 503
    exit_code = 1
