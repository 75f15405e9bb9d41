"""One writer per office and day: receipts in one process take code numbers in turn.

Every receipt at an office on a day draws from the same ``DailySequence``. If the threads of one
process each read it and raced to save, all but one would lose the store's version check and
retry, and under a dozen busy counters the retries dominate. ``DailyNumbering`` gives each
(office, day) one lock in this process: a receipt waits for its turn, issues the next number from
the sequence as this process last saved it (no read of the store) and saves. The store's
optimistic concurrency on the sequence still keeps codes unique and gap-free across processes;
a turn meets a conflict only when another process issued a number since, and then reads the
store again. That read is cheap: ``load`` brings the sequence this process read last forward
with only the codes issued since. A day's sequence gains an event per code: replaying a busy
office's thousands on every lost race would hold two web processes receiving at one office under
100 receipts/s between them.

The lock map is bounded: past ``MAX_REMEMBERED_SEQUENCES`` entries, the least recently used idle
ones (no receipt waiting or holding them) are forgotten, with their cached sequence.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

from tracker.domain.codes import DailySequence

MAX_REMEMBERED_SEQUENCES = 4096

Load = Callable[[str, date], DailySequence]


class _Desk:
    """The numbering of one office on one day in this process: its lock, how many receipts are
    holding or waiting for it, and the sequence as this process last saved it."""

    __slots__ = ("lock", "sequence", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.sequence: DailySequence | None = None


class Turn:
    """A receipt's turn at one office's numbering for one day; valid inside ``turn()`` only."""

    def __init__(self, desk: _Desk, load: Load, office: str, day: date) -> None:
        self._desk = desk
        self._load = load
        self.office = office
        self.day = day

    def sequence(self) -> DailySequence:
        """The day's sequence as this process last saved it, else as the store has it. It is
        taken from the desk: a receipt that fails before ``keep`` leaves no half-issued
        sequence behind, and the next turn reads the store."""
        sequence, self._desk.sequence = self._desk.sequence, None
        return sequence if sequence is not None else self._load(self.office, self.day)

    def keep(self, sequence: DailySequence) -> None:
        """``sequence`` is saved: the next turn issues from it without reading the store."""
        self._desk.sequence = sequence


class DailyNumbering:
    """One lock per (office, day) in this process, each with its cached ``DailySequence``."""

    def __init__(self, load: Load, limit: int = MAX_REMEMBERED_SEQUENCES) -> None:
        """``load(office, day)`` reads the stored sequence (or starts one); ``limit`` bounds
        the idle entries kept."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        self._load = load
        self._limit = limit
        self._mutex = threading.Lock()
        self._desks: OrderedDict[tuple[str, date], _Desk] = OrderedDict()

    @contextmanager
    def turn(self, office: str, day: date) -> Iterator[Turn]:
        """Wait until no other receipt of this process is numbering at ``office`` on ``day``,
        then hold that turn until the block ends."""
        key = (office, day)
        with self._mutex:
            desk = self._desks.get(key)
            if desk is None:
                desk = self._desks[key] = _Desk()
            else:
                self._desks.move_to_end(key)
            desk.users += 1
        try:
            with desk.lock:
                yield Turn(desk, self._load, office, day)
        finally:
            with self._mutex:
                desk.users -= 1
                self._forget_idle()

    def __len__(self) -> int:
        """How many (office, day) entries are remembered."""
        return len(self._desks)

    def _forget_idle(self) -> None:
        """Drop the least recently used idle entries beyond the limit (the mutex is held)."""
        excess = len(self._desks) - self._limit
        if excess <= 0:
            return
        idle = []
        for key, desk in self._desks.items():
            if desk.users == 0:
                idle.append(key)
                if len(idle) == excess:
                    break
        for key in idle:
            del self._desks[key]
