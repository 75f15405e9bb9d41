"""Verifies a large log on every core: leaf ranges scanned side by side, one tree from their parts.

Reading a million rows and hashing them keeps one core busy (the check itself is C, the stream
around it and the tree's upper levels Python), so the leaves are cut into ranges at multiples of
``ALIGN``, a few per core, and scanned by one forked worker process per core, each range with its
own connection (see :mod:`events.store.range_scan`); this process only waits. Each range returns its
tree; cut at those multiples, the trees join without re-hashing their lower levels
(:meth:`events.evidence.merkle.MerkleTree.concatenate`).

Workers are forked, not spawned: a spawned child first re-imports the program that started it
(about half a second for ``hoso``), which would cost more than it saves. A forked child uses
only the scanner it is handed — it opens its own connection and touches nothing inherited.
Where ``fork`` does not exist, the ranges are scanned one after another in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from itertools import pairwise
from typing import NamedTuple

from events.evidence.merkle import MerkleTree
from events.store.range_scan import RangeScan, RangeScanner

ALIGN = 1 << 14  # ranges start at multiples of this, so levels up to 14 are joined as they are
RANGES_FROM = 8  # a log shorter than this many ALIGNs is one range: a worker would cost more
PIECES = 4  # ranges per worker, handed out as workers finish: a core slowed by another
# program's work then scans fewer of them instead of holding the others up


class LogScan(NamedTuple):
    """``clean``: every leaf of ``[0, size)`` recomputed equal, in order, and every stored event
    has one (or was appended during the scan). ``tree`` is over the stored leaves when clean."""

    clean: bool
    size: int
    tree: MerkleTree


def default_workers() -> int:
    """One worker per core, where worker processes can be forked."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return os.cpu_count() or 1


def split(size: int, workers: int, align: int = ALIGN) -> list[tuple[int, int]]:
    """``[0, size)`` cut into ``PIECES`` ranges per worker, starting at multiples of ``align``."""
    if workers <= 1 or size < RANGES_FROM * align:
        return [(0, size)]
    step = -(-size // (workers * PIECES))
    step = -(-step // align) * align
    return [(start, min(start + step, size)) for start in range(0, size, step)]


def scan_log(scanner: RangeScanner, size: int, workers: int | None = None, *,
             align: int = ALIGN) -> LogScan:
    """Scan leaves ``[0, size)`` with up to ``workers`` processes (default: one per core) over
    ranges cut at multiples of ``align`` (small only in tests, to cut small logs)."""
    if workers is None or "fork" not in multiprocessing.get_all_start_methods():
        workers = default_workers()
    ranges = split(size, workers, align)
    if len(ranges) == 1:
        scans = [scanner.scan(0, size)]
    else:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = [pool.submit(scanner.scan, start, stop) for start, stop in ranges]
            scans = [future.result() for future in futures]
    if not _joined_cleanly(scanner, size, scans):
        return LogScan(False, size, MerkleTree())
    return LogScan(True, size, MerkleTree.concatenate(scan.tree for scan in scans))


def _joined_cleanly(scanner: RangeScanner, size: int, scans: list[RangeScan]) -> bool:
    if size == 0 or not all(scan.clean for scan in scans):
        return False
    if any(before.last_position >= after.first_position
           for before, after in pairwise(scans)):
        return False
    return scanner.stray_events(size, scans[-1].last_position) == 0
