"""The verifier's fast path against its definitions: the batch leaf hashes are the canonical ones,
and ranges are cut where the trees of the parts can be joined."""

from __future__ import annotations

import itertools
from uuid import UUID

import pytest

from events.parallel_verify import ALIGN, PIECES, RANGES_FROM, split
from events.records import record_leaf_hash, scanned_leaf_hashes

RECORDS = [
    (1, UUID(int=1).hex, 1, "tracker.domain.dossier:Dossier.Received", b"{}"),
    (10**15, UUID(int=2**128 - 1).hex, 2**40, "t", b""),  # long numbers, empty state
    (7, "not-a-uuid-but-text", 3, "tracker.domain.dossier:Dossier.Bàn_giao", "Hồ sơ".encode()),
    (8, "x" * 300, 0, "T" * 70_000, bytes(range(256)) * 300),  # fields past 255 and 65,535
]


def test_batch_leaf_hashes_are_the_canonical_leaf_hashes() -> None:
    """GIVEN records as a store scan returns them (text as UTF-8 bytes, a stored leaf last)
    THEN each batch hash is record_leaf_hash of the same record."""
    rows = [(position, oid.encode(), version, topic.encode(), state, b"stored leaf")
            for position, oid, version, topic, state in RECORDS]
    assert scanned_leaf_hashes(rows) == [record_leaf_hash(*record) for record in RECORDS]


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
