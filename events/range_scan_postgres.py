"""The PostgreSQL scanner of :mod:`events.range_scan`: the same check over a connection of its own.

Rows come through a server-side cursor in binary, so a range of a million events is never held
whole by libpq and ints and bytes arrive without text parsing. The server only formats: the
aggregate id as its 32 hex digits and the topic as UTF-8 bytes, as the canonical record has
them; the hashing stays in hoso (see :mod:`events.range_scan`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import IsolationLevel
from psycopg.sql import SQL, Identifier

from events.range_scan import BATCH, RangeScan, ScannedRow, check_batches


@dataclass(frozen=True)
class PostgresRangeScanner:
    """Scans one schema's events and leaves; ``connection`` holds psycopg.connect keywords."""

    connection: dict[str, Any] = field(repr=False)
    schema: str
    events_table: str
    leaves_table: str

    def _connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(**self.connection)
        conn.isolation_level = IsolationLevel.REPEATABLE_READ  # one snapshot per connection
        conn.read_only = True
        return conn

    def _tables(self) -> dict[str, Identifier]:
        return {"events": Identifier(self.schema, self.events_table),
                "leaves": Identifier(self.schema, self.leaves_table)}

    def scan(self, start: int, stop: int) -> RangeScan:
        with self._connect() as conn:
            return check_batches(start, stop, self._batches(conn, start, stop))

    def _batches(self, conn: psycopg.Connection[Any], start: int, stop: int
                 ) -> Iterator[list[ScannedRow]]:
        cursor = conn.cursor(name="hoso_leaf_scan", binary=True)
        cursor.execute(SQL(
            "SELECT e.notification_id, convert_to(replace(e.originator_id::text, '-', ''), "
            "'UTF8'), e.originator_version, convert_to(e.topic, 'UTF8'), e.state, "
            "l.leaf_hash FROM {leaves} l "
            "JOIN {events} e ON e.notification_id = l.notification_id "
            "WHERE l.leaf_index >= %s AND l.leaf_index < %s ORDER BY l.leaf_index"
        ).format(**self._tables()), (start, stop))
        while rows := cursor.fetchmany(BATCH):
            yield rows

    def stray_events(self, size: int, last_position: int) -> int:
        with self._connect() as conn:
            row = conn.execute(SQL(
                "SELECT (SELECT count(*) FROM {events}), "
                "(SELECT count(*) FROM {events} WHERE notification_id > %s), "
                "(SELECT count(*) FROM {leaves} WHERE leaf_index >= %s AND notification_id > %s)"
            ).format(**self._tables()), (last_position, size, last_position)).fetchone()
            if row is None:
                return -1
            total, after, tail_leaves = (int(value) for value in row)
            return abs(total - size - after) + abs(after - tail_leaves)
