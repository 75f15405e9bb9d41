"""The hot path of ``audit verify``: recompute one range of leaves, in any process.

A scanner is a small picklable description of the store (a file path, or connection settings,
and table names), so a worker process opens its own read-only connection and nothing of the
application crosses over. It reads the events of leaves ``[start, stop)`` with their stored
leaves, recomputes each leaf from the record bytes (in hoso's own code — the C loop of
:mod:`events.store._leafscan` — never by the database: a server whose functions were replaced
must not be able to vouch for itself), and returns only a verdict and the tree over the range's
leaves.

The verdict is deliberately coarse: ``clean`` means every leaf index in the range is present,
on an existing event, in strictly increasing position order, with a leaf equal to the
recomputed one. Whether the store holds events that no leaf accounts for is asked once for the
whole log (``stray_events``). Anything else is left to :func:`events.evidence.audit.audit`, which
reads the whole log again to name what is wrong and where.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from events.evidence.merkle import MerkleTree
from events.store import _leafscan

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def position_of_leaf(fetch_one: Callable[[str, tuple[int]], Any], events_table: str,
                     leaf: int) -> int:
    """Where the rows of leaves from ``leaf`` on begin in a SQLite events table: a value below
    which every row's leaf index is smaller and from which none is, bisected over positions (a
    few dozen lookups through the rowid; ``fetch_one(sql, args)`` runs one). The same rows give
    the same value, whoever asks, and rows appended since do not change it."""
    probe = (f"SELECT rowid, leaf_index FROM {events_table} WHERE rowid >= ? "
             "ORDER BY rowid LIMIT 1")
    low, high = INT64_MIN, INT64_MAX
    while high - low > 1:
        middle = (low + high) // 2
        row = fetch_one(probe, (middle,))
        if row is not None and not (isinstance(row[1], int) and row[1] >= leaf):
            low = row[0]  # a row before the boundary, at or after ``middle``
        else:
            high = middle  # from ``middle`` on, no row before the boundary
    return high


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
    """What parallel verification needs of a store (see :mod:`events.store.parallel_verify`)."""

    def scan(self, start: int, stop: int) -> RangeScan: ...

    def stray_events(self, size: int, last_position: int) -> int:
        """How many stored events the first ``size`` leaves, the last at ``last_position``, do
        not account for: besides their ``size`` events the store may hold only events after
        ``last_position`` matched by leaves numbered from ``size`` (appended during a scan)."""


@dataclass(frozen=True)
class SQLiteRangeScanner:
    """Scans a SQLite file, whose events carry their leaves in their own rows.

    Leaf indexes have no index (it would cost every append a page), so a range is read as the
    rows between the positions where its first leaf and the next range's first leaf lie, found
    by bisecting positions — sound because leaf indexes increase with positions in an intact
    log, and a log where they do not fails the range's own checks. Range 0 starts below every
    position and the ranges meet, so every event up to the last leaf is in exactly one range;
    those after it are ``stray_events``' business.
    """

    path: str
    events_table: str

    def _connect(self) -> sqlite3.Connection:
        uri = f"{Path(self.path).resolve().as_uri()}?mode=ro"
        return sqlite3.connect(uri, uri=True, isolation_level=None)

    def scan(self, start: int, stop: int) -> RangeScan:
        conn = self._connect()
        try:
            low = INT64_MIN if start == 0 else self._position_of(conn, start)
            high = self._position_of(conn, stop)
        finally:
            conn.close()
        clean, first, last, leaves = _leafscan.scan_sqlite(
            self.path,
            f"SELECT rowid, originator_id, originator_version, topic, state, leaf_index, "
            f"leaf_hash FROM {self.events_table} WHERE rowid >= ?1 AND rowid < ?2 "
            "ORDER BY rowid", (low, high), start, stop - start)
        return RangeScan(start, stop, clean, first, last,
                         MerkleTree.from_packed(leaves) if clean else MerkleTree())

    def _position_of(self, conn: sqlite3.Connection, leaf: int) -> int:
        return position_of_leaf(lambda sql, args: conn.execute(sql, args).fetchone(),
                                self.events_table, leaf)

    def stray_events(self, size: int, last_position: int) -> int:
        # the ranges held every row up to the last leaf; after it, only rows appended since
        # (numbered from ``size``) may follow
        conn = self._connect()
        try:
            (count,) = conn.execute(
                f"SELECT COUNT(*) FROM {self.events_table} WHERE rowid > ? AND NOT "
                "(typeof(leaf_index) = 'integer' AND leaf_index >= ?)",
                (last_position, size)).fetchone()
            return int(count)
        finally:
            conn.close()
