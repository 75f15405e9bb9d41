"""Where each relay got to: one row per relay in ``<events table>_relay``, beside the events.

The position is the notification id of the last event the broker acknowledged. It lives in the
same database as the events so that a backup or a restore moves both together, and it is only
ever moved forward: a second relay running by mistake duplicates messages (which consumers
drop) but cannot move the position back over events the first one already published. The table
is made with the store's other tables (``hoso init``), never by a running relay. The SQLite
table is here, the PostgreSQL one in ``relay_position_postgres`` (psycopg loaded only there); the
composition root picks the one for the configured backend.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from eventsourcing.sqlite import SQLiteApplicationRecorder

log = logging.getLogger(__name__)


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


class PositionWriter:
    """Records the newest acknowledged position from a thread of its own, so that publishing
    never waits for the store's write lock: on SQLite the application's writers hold it most
    of the time under load, and a relay that waited for it after every batch stalled for up
    to a second (bench/projections.py's lag). A position recorded late only means more
    duplicates after a crash; ``close`` records the last one before returning."""

    def __init__(self, positions: RelayPositions, relay: str, start: int) -> None:
        self.positions = positions
        self.relay = relay
        self._noted = self._written = start
        self._closing = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="relay-position", daemon=True)
        self._thread.start()

    def note(self, position: int) -> None:
        """``position`` is acknowledged: record it soon (never waits)."""
        with self._changed:
            if position > self._noted:
                self._noted = position
                self._changed.notify()

    def close(self) -> None:
        """Stop the thread and record the last noted position (raises if the store cannot)."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        self._thread.join()
        if self._noted > self._written:
            self.positions.advance(self.relay, self._noted)
            self._written = self._noted

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._noted <= self._written and not self._closing:
                    self._changed.wait()
                if self._closing:
                    return
                target = self._noted
            try:
                self.positions.advance(self.relay, target)
            except Exception:  # e.g. the database restarting: the next note or close retries
                log.warning("relay position %d not recorded yet", target, exc_info=True)
                time.sleep(1.0)
                continue
            self._written = target
