"""The verifier's fast path against its definitions: ranges are cut where the trees of the parts
can be joined, and found in a SQLite log whatever its positions."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path
from uuid import UUID

import pytest

from events.evidence.merkle import MerkleTree
from events.evidence.records import record_leaf_hash
from events.store.parallel_verify import ALIGN, PIECES, RANGES_FROM, scan_log, split
from events.store.range_scan import SQLiteRangeScanner


@pytest.mark.parametrize(("size", "workers"), [
    (RANGES_FROM * ALIGN, 2), (1_000_000, 2), (1_000_000, 3), (RANGES_FROM * ALIGN + 1, 8),
])
def test_ranges_cover_the_log_once_and_start_at_multiples_of_align(size: int,
                                                                  workers: int) -> None:
    ranges = split(size, workers)
    assert 1 < len(ranges) <= workers * PIECES
    assert ranges[0][0] == 0
    assert ranges[-1][1] == size
    assert all(stop == start for (_, stop), (start, _) in itertools.pairwise(ranges))
    assert all(start % ALIGN == 0 for start, _ in ranges)


@pytest.mark.parametrize(("size", "workers"), [(RANGES_FROM * ALIGN - 1, 2), (10**6, 1), (0, 4)])
def test_small_logs_and_one_worker_take_one_range(size: int, workers: int) -> None:
    assert split(size, workers) == [(0, size)]


def sparse_log(path: Path, positions: list[int]) -> list[bytes]:
    """An intact SQLite log whose events sit at ``positions`` (gaps, negatives), as the hashing
    recorder lays it out: each row carrying its dense leaf index and leaf hash."""
    leaves = []
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE events (originator_id TEXT, originator_version INTEGER, "
                     "topic TEXT, state BLOB, leaf_index INTEGER, leaf_hash BLOB, "
                     "PRIMARY KEY (originator_id, originator_version))")
        for index, position in enumerate(positions):
            record = (position, UUID(int=index + 1).hex, 1, "t.Received", b"{}")
            leaves.append(record_leaf_hash(*record))
            conn.execute("INSERT INTO events (rowid, originator_id, originator_version, topic, "
                         "state, leaf_index, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (*record, index, leaves[-1]))
    return leaves


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_ranges_are_found_across_gaps_in_positions(tmp_path: Path, workers: int) -> None:
    """GIVEN an intact log whose positions have gaps and start below zero WHEN it is scanned in
    ranges cut at every leaf index THEN the ranges meet where their leaves do: clean, the
    stored tree, and the last position found."""
    positions = [-50, -3, 0, 7, 8, 1000, 1001, 2**40, 2**40 + 5, 2**62]
    leaves = sparse_log(tmp_path / "log.sqlite", positions)
    scanner = SQLiteRangeScanner(str(tmp_path / "log.sqlite"), "events")
    scan = scan_log(scanner, len(positions), workers=workers, align=1)
    assert scan.clean
    assert scan.tree.root() == MerkleTree(leaves).root()
    middle = scanner.scan(3, 7)
    assert middle[:5] == (3, 7, True, 7, 1001)
    assert middle.tree.root() == MerkleTree(leaves[3:7]).root()


def test_a_row_without_a_leaf_between_leaves_or_after_them_is_not_clean(tmp_path: Path) -> None:
    positions = [1, 2, 3, 4, 5, 6]
    sparse_log(tmp_path / "log.sqlite", positions)
    scanner = SQLiteRangeScanner(str(tmp_path / "log.sqlite"), "events")
    assert scan_log(scanner, 6, workers=2, align=1).clean
    for position in (4, 9):  # forged: inside the ranges, then after the last leaf
        with sqlite3.connect(tmp_path / "log.sqlite") as conn:
            conn.execute("INSERT INTO events (rowid, originator_id, originator_version, topic, "
                         "state) VALUES (?, ?, 1, 't', x'')", (position * 10 + 5, f"f{position}"))
        assert not scan_log(scanner, 6, workers=2, align=1).clean

