"""The verifier's fast path against its definitions: ranges are cut where the trees of the parts
can be joined."""

from __future__ import annotations

import itertools

import pytest

from events.parallel_verify import ALIGN, PIECES, RANGES_FROM, split


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
