"""Applies dossier facts to every view in one transaction, each event exactly once.

Two guards, for the two ways facts arrive:

- **position** — following the notification log in-process, each batch commits with the
  library's tracking record ``Tracking("hoso-views", last notification id)``; a batch whose
  position is not ahead of the stored one fails (IntegrityError) and nothing of it is kept.
- **identity** — Kafka partitions are consumed in parallel and the relay's at-least-once
  redeliveries arrive at new offsets, so positions alone cannot tell a duplicate. Each dossier
  row keeps the version of the last event folded into it: a fact at or below it is a duplicate
  and is skipped; the next version is folded; a fact further ahead means events are missing
  from this delivery (a rebuild cleared the row, a consumer started mid-stream), and the missing
  ones are read from the store by dossier id and folded first, so the views never skip one.
  Report figures are keyed by (dossier id, version), so a figure cannot be counted twice.

And no event can stop the views: every value is fitted to its column before it is written
(tracker.projections.fit), and an event that still cannot be applied is passed over with its
dossier marked for attention (tracker.projections.attention) while the rest of the batch, and
the tracking position, go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, Tracking

from tracker.cloudevents import Fact
from tracker.projections.attention import UNREADABLE, Unprojectable, mark, reason_of
from tracker.projections.fit import fit_figure, fit_integer, fit_row
from tracker.projections.fold import Figure, Row, UnexpectedEvent, fold
from tracker.projections.store import VIEWS, Attention, ViewCursor, ViewStore

History = Callable[[UUID, int, int], list[Fact]]
"""The dossier's facts with versions in (after, upto], read from the store; UnexpectedEvent
when the store does not have them all."""


class BehindTheLog(Exception):
    """Another writer has already recorded a later position: re-read it and go on from there."""


@dataclass
class _Gap(Exception):
    dossier_id: UUID
    have: int
    want: int


@dataclass
class Outcome:
    applied: int = 0
    duplicates: int = 0
    filled: int = 0
    refused: int = 0
    """Events passed over and their dossiers marked for attention."""


@dataclass
class _Work:
    """What one attempt at a batch has folded so far."""

    rows: dict[str, Row]
    dirty: dict[str, Row] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    marks: list[Attention] = field(default_factory=list)
    first: dict[str, Fact] = field(default_factory=dict)
    """Each changed dossier's first fact in this batch (the one a refused write is marked at)."""


@dataclass
class Projector:
    """The one entry point that changes views; the follower, the Kafka consumer and the
    rebuild all call ``apply``. An event that cannot be applied is passed over and its dossier
    marked (tracker.projections.attention); what is written is fitted to the columns first
    (tracker.projections.fit)."""

    store: ViewStore
    history: History
    views: frozenset[str] = frozenset({"status", "queues", "report"})
    rebuilding: dict[str, Row] | None = field(default=None)
    """During a rebuild: the rows folded so far, kept in memory instead of read back."""
    rowless: set[UUID] = field(default_factory=set)
    """Dossiers whose first event could not be applied: their later events are marked without
    reading their history again."""

    def apply(self, facts: Sequence[Fact], tracking: Tracking | None = None) -> Outcome:
        """Fold ``facts`` (in log order per dossier) into the views and commit them together
        with ``tracking`` when given. Raises BehindTheLog when ``tracking`` is not ahead.

        When the database refuses the batch's writes, the batch is tried once more with each
        dossier written in a savepoint of its own, so that only the dossiers whose rows are
        refused are marked; an error that happens again that way is raised."""
        fills: dict[UUID, list[Fact]] = {}
        unfilled: set[UUID] = set()
        apart = False
        while True:
            try:
                return self._attempt(facts, tracking, fills, unfilled, apart)
            except _Gap as gap:
                try:
                    found = self.history(gap.dossier_id, gap.have, gap.want)
                except UnexpectedEvent:
                    unfilled.add(gap.dossier_id)
                    continue
                known = {f.version: f for f in fills.get(gap.dossier_id, [])}
                known.update((f.version, f) for f in found)
                fills[gap.dossier_id] = [known[v] for v in sorted(known)]
            except BehindTheLog:
                raise
            except Exception as error:
                if apart or _unavailable(error):
                    raise
                apart = True

    def _attempt(self, facts: Sequence[Fact], tracking: Tracking | None,
                 fills: dict[UUID, list[Fact]], unfilled: set[UUID], apart: bool) -> Outcome:
        outcome = Outcome()
        try:
            with self.store.batch() as batch:
                if tracking is not None:
                    batch.track(tracking)
                else:
                    batch.claim()
                keys: dict[UUID, str] = {}
                for fact in facts:
                    if fact.dossier_id not in keys:
                        keys[fact.dossier_id] = str(fact.dossier_id)
                work = _Work(self._known_rows(batch, list(keys.values())))
                for fact in facts:
                    self._fold(work, keys[fact.dossier_id], fact, fills, unfilled, outcome)
                if apart:
                    self._write_apart(batch, work, outcome)
                else:
                    batch.write(list(work.dirty.values()) if self._writes("status") else [],
                                work.figures if self._writes("report") else [])
                batch.attend(work.marks)
        except IntegrityError as error:
            if tracking is not None and "tracking" in str(error).lower():
                raise BehindTheLog(str(error)) from None
            raise
        if self.rebuilding is not None:
            self.rebuilding.update(work.dirty)
        return outcome

    def _fold(self, work: _Work, key: str, fact: Fact, fills: dict[UUID, list[Fact]],
              unfilled: set[UUID], outcome: Outcome) -> None:
        row = work.rows.get(key)
        have = row["version"] if row else 0
        if fact.version <= have:
            outcome.duplicates += 1
            return
        if row is None and fact.version > 1 and fact.dossier_id in self.rowless:
            work.marks.append(mark(fact, "its dossier's first event could not be applied"))
            outcome.refused += 1
            return
        if fact.version > have + 1:
            if fact.dossier_id in unfilled:
                work.marks.append(mark(fact, f"the store has no events {have + 1}.."
                                             f"{fact.version - 1} of its dossier"))
                outcome.refused += 1
                return
            missing = [f for f in fills.get(fact.dossier_id, [])
                       if have < f.version < fact.version]
            if len(missing) != fact.version - 1 - have:
                raise _Gap(fact.dossier_id, have, fact.version - 1)
            work.first.setdefault(key, missing[0] if missing else fact)
            for earlier in missing:
                row, _ = self._step(work, row, earlier)
                outcome.filled += 1
        row, applied = self._step(work, row, fact)
        if applied:
            outcome.applied += 1
        else:
            outcome.refused += 1
        if row is not None:
            work.rows[key] = work.dirty[key] = row
            work.first.setdefault(key, fact)

    def _step(self, work: _Work, row: Row | None, fact: Fact) -> tuple[Row | None, bool]:
        """The row after ``fact`` and True; if ``fact`` cannot be applied, the row at its
        version without its effect (None when there is no row), False, and a mark."""
        try:
            if fact.kind == UNREADABLE:
                raise Unprojectable(str(fact.data["reason"]))
            found: list[Figure] = []
            folded = fit_row(*fold(row, fact, found))
            fitted = [fit_figure(figure) for figure in found]
        except Exception as error:  # whatever this one event does, the others go on
            work.marks.append(mark(fact, reason_of(error)))
            if row is None:
                self.rowless.add(fact.dossier_id)
                return None, False
            return {**row, "version": fit_integer(fact.version, "version")}, False
        work.figures.extend(fitted)
        return folded, True

    def _write_apart(self, batch: ViewCursor, work: _Work, outcome: Outcome) -> None:
        """Each dossier's row and figures in a savepoint; a refused one is marked instead."""
        figures: dict[str, list[Figure]] = {}
        for figure in work.figures:
            figures.setdefault(figure.dossier_id, []).append(figure)
        for key, row in list(work.dirty.items()):
            refused = batch.write_apart([row] if self._writes("status") else [],
                                        figures.get(key, []) if self._writes("report") else [])
            if refused is not None:
                work.marks.append(mark(work.first[key],
                                       f"the view store refused its row ({refused})"))
                outcome.refused += 1
                del work.dirty[key]

    def _known_rows(self, batch: ViewCursor, keys: list[str]) -> dict[str, Row]:
        if self.rebuilding is not None:
            return {key: self.rebuilding[key] for key in keys if key in self.rebuilding}
        return batch.rows(sorted(keys))

    def _writes(self, view: str) -> bool:
        if view == "status":
            return bool(self.views & {"status", "queues"})
        return view in self.views

    def position(self) -> int:
        """The last notification id the views have followed (0 when none)."""
        return self.store.max_tracking_id(VIEWS) or 0


def _unavailable(error: Exception) -> bool:
    """The database is away or busy rather than refusing values: writing apart cannot help.
    (PostgreSQL reports an index entry too large, a refusal of values, as an operational
    error of SQLSTATE class 54.)"""
    if not isinstance(error, InterfaceError | OperationalError):
        return False
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    return not (isinstance(sqlstate, str) and sqlstate.startswith("54"))


def check_history(facts: list[Fact], after: int, upto: int, dossier_id: UUID) -> list[Fact]:
    """Refuse a history read that does not cover exactly (after, upto]."""
    if [f.version for f in facts] != list(range(after + 1, upto + 1)):
        raise UnexpectedEvent(f"the store has no events {after + 1}..{upto} of {dossier_id}")
    return facts
