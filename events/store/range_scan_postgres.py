"""The PostgreSQL scanner of :mod:`events.store.range_scan`: the same check over its own connection.

A range's leaves and then its events are read with ``COPY … TO STDOUT (FORMAT binary)``, whose
stream psycopg hands over as bytes, and checked in C (:func:`events.store._leafscan.check_copy`):
psycopg building a Python row per event cost ~1.5 µs of the verifier's ~2 µs a row, and the
server's join of the two tables sorted its result on disk. The events stream is checked a
megabyte at a time, so a range of millions of events is never held whole; the leaves (40
bytes each) are. Both reads share one snapshot (repeatable read). The server formats nothing:
binary COPY sends a uuid as its 16 bytes and text as its UTF-8 bytes (the connection's client
encoding, UTF-8 here), and the C check writes the id's 32 hex digits into the canonical record;
the hashing stays in hoso (see :mod:`events.store.range_scan`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import IsolationLevel
from psycopg.sql import SQL, Composed, Identifier, Literal

from events.evidence.merkle import MerkleTree
from events.store._leafscan import check_copy
from events.store.range_scan import INT64_MIN, RangeScan

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
COPY_TRAILER = b"\xff\xff"
CHUNK = 1 << 20  # events bytes checked per call: the per-call cost vanishes, memory stays small


class _Unclean(Exception):
    """Raised inside a COPY to leave it (psycopg then cancels the rest of the stream)."""


def copy_body(data: bytes | bytearray) -> int:
    """Where the first tuple of a binary COPY stream starts (after its header)."""
    if len(data) < 19 or data[:11] != COPY_SIGNATURE:
        raise _Unclean
    _flags, extension = struct.unpack_from(">iI", data, 11)
    return 19 + int(extension)


class _EventsCheck:
    """An events COPY stream, fed block by block, checked against a range's leaves COPY."""

    def __init__(self, leaves: bytearray) -> None:
        self.leaves = leaves
        self.at = copy_body(leaves)  # the next leaf tuple
        self.pending = bytearray()  # events bytes not checked yet
        self.started = False
        self.first: int | None = None
        self.last = INT64_MIN
        self.tree = MerkleTree()

    def feed(self, block: bytes | bytearray | memoryview) -> None:
        self.pending += block
        if len(self.pending) >= CHUNK:
            self._check()

    def finish(self, start: int, stop: int) -> RangeScan:
        """The verdict once the stream ended: every leaf matched, nothing left over."""
        self._check()
        if (self.pending != COPY_TRAILER or self.leaves[self.at:] != COPY_TRAILER
                or self.tree.size != stop - start or self.first is None):
            raise _Unclean
        return RangeScan(start, stop, True, self.first, self.last, self.tree)

    def _check(self) -> None:
        """Check every complete event pending; one cut at the end waits for the rest."""
        if not self.started:
            del self.pending[:copy_body(self.pending)]
            self.started = True
        consumed, self.at, self.last, hashes, ok = check_copy(self.pending, self.leaves,
                                                              self.at, self.last)
        if not ok:
            raise _Unclean
        if consumed and self.first is None:  # a tuple: field count, length 8, position
            self.first = struct.unpack_from(">hiq", self.pending)[2]
        self.tree.extend_packed(hashes)
        del self.pending[:consumed]


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
        try:
            with self._connect() as conn:
                return self._scan(conn, start, stop)
        except _Unclean:
            return RangeScan(start, stop, False, -1, -1, MerkleTree())

    def _scan(self, conn: psycopg.Connection[Any], start: int, stop: int) -> RangeScan:
        bounds = {"start": Literal(start), "stop": Literal(stop), **self._tables()}
        leaves = bytearray()
        with conn.cursor().copy(self._copy(
                "SELECT notification_id, leaf_hash FROM {leaves} "
                "WHERE leaf_index >= {start} AND leaf_index < {stop} ORDER BY leaf_index",
                bounds)) as copy:
            for block in copy:
                leaves += block
        events = _EventsCheck(leaves)
        with conn.cursor().copy(self._copy(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM {events} WHERE notification_id >= (SELECT notification_id FROM {leaves} "
                "WHERE leaf_index = {start}) AND notification_id <= (SELECT notification_id "
                "FROM {leaves} WHERE leaf_index = {stop} - 1) ORDER BY notification_id",
                bounds)) as copy:
            for block in copy:
                events.feed(block)
        return events.finish(start, stop)

    @staticmethod
    def _copy(query: str, parts: dict[str, Any]) -> Composed:
        return SQL("COPY (" + query + ") TO STDOUT (FORMAT binary)").format(**parts)

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
