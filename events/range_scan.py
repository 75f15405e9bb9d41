"""The hot path of ``audit verify``: recompute one range of leaves from raw rows, in any process.

A scanner is a small picklable description of the store (a file path, or connection settings,
and table names), so a worker process opens its own read-only connection and nothing of the
application crosses over. It reads leaves ``[start, stop)`` joined to their events, recomputes
each leaf from the record bytes with :func:`events.records.scanned_leaf_hashes` (in Python,
never by the database: a server whose functions were replaced must not be able to vouch for
itself), and returns only a verdict and the tree over the range's leaves.

The verdict is deliberately coarse: ``clean`` means every leaf index in the range is present,
joined to an existing event, in strictly increasing position order, with a leaf equal to the
recomputed one. Whether the store holds events that no leaf accounts for is asked once for the
whole log (``stray_events``). Anything else is left to :func:`events.audit.audit`, which reads
the whole log again to name what is wrong and where.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

from events.merkle import MerkleTree
from events.records import ScannedRow, scanned_leaf_hashes

BATCH = 20_000  # rows per fetch: large enough that per-batch work vanishes, small in memory


class RangeScan(NamedTuple):
    """The verdict on leaves ``[start, stop)``; the positions and tree mean something only when
    ``clean``."""

    start: int
    stop: int
    clean: bool
    first_position: int
    last_position: int
    tree: MerkleTree


class RangeScanner(Protocol):
    """What parallel verification needs of a store (see :mod:`events.parallel_verify`)."""

    def scan(self, start: int, stop: int) -> RangeScan: ...

    def read(self, start: int, stop: int) -> Iterator[list[ScannedRow]]: ...

    def stray_events(self, size: int, last_position: int) -> int:
        """How many stored events the first ``size`` leaves, the last at ``last_position``, do
        not account for: besides their ``size`` events the store may hold only events after
        ``last_position`` matched by leaves numbered from ``size`` (appended during a scan)."""


def check_batches(start: int, stop: int, batches: Iterable[Sequence[ScannedRow]]) -> RangeScan:
    """Recompute and check the rows of ``[start, stop)`` as fetched (joined, in leaf order)."""
    tree = MerkleTree()
    rows_seen = 0
    first = last = -1
    for rows in batches:
        stored = [row[5] for row in rows]
        positions = [row[0] for row in rows]
        if (b"".join(scanned_leaf_hashes(rows)) != b"".join(stored)
                or sorted(set(positions)) != positions
                or (rows_seen and positions[0] <= last)):
            return RangeScan(start, stop, False, -1, -1, MerkleTree())
        if not rows_seen:
            first = positions[0]
        last = positions[-1]
        rows_seen += len(rows)
        tree.extend(stored)
    clean = rows_seen == stop - start
    return RangeScan(start, stop, clean, first, last, tree if clean else MerkleTree())


@dataclass(frozen=True)
class SQLiteRangeScanner:
    """Scans a SQLite file through a read-only connection of its own."""

    path: str
    events_table: str
    leaves_table: str

    def _connect(self) -> sqlite3.Connection:
        uri = f"{Path(self.path).resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        conn.text_factory = bytes  # ids and topics stay the UTF-8 bytes the record hashes
        return conn

    def scan(self, start: int, stop: int) -> RangeScan:
        conn = self._connect()
        try:
            return check_batches(start, stop, self._batches(conn, start, stop))
        finally:
            conn.close()

    def read(self, start: int, stop: int) -> Iterator[list[ScannedRow]]:
        """The rows of leaves ``[start, stop)`` in batches, unchecked (for measuring reads)."""
        conn = self._connect()
        try:
            yield from self._batches(conn, start, stop)
        finally:
            conn.close()

    def _batches(self, conn: sqlite3.Connection, start: int, stop: int
                 ) -> Iterator[list[ScannedRow]]:
        cursor = conn.execute(
            f"SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state, "
            f"l.leaf_hash FROM {self.leaves_table} l "
            f"JOIN {self.events_table} e ON e.rowid = l.notification_id "
            "WHERE l.leaf_index >= ? AND l.leaf_index < ? ORDER BY l.leaf_index",
            (start, stop))
        while rows := cursor.fetchmany(BATCH):
            yield rows

    def stray_events(self, size: int, last_position: int) -> int:
        # one statement, one snapshot; a whole-table COUNT(*) walks the smaller primary-key
        # index (~0.05 s a million), where counting each range walked the rows (~0.45 s)
        conn = self._connect()
        try:
            total, after, tail_leaves = conn.execute(
                f"SELECT (SELECT COUNT(*) FROM {self.events_table}), "
                f"(SELECT COUNT(*) FROM {self.events_table} WHERE rowid > ?), "
                f"(SELECT COUNT(*) FROM {self.leaves_table} "
                "WHERE leaf_index >= ? AND notification_id > ?)",
                (last_position, size, last_position)).fetchone()
            return abs(int(total) - size - int(after)) + abs(int(after) - int(tail_leaves))
        finally:
            conn.close()
