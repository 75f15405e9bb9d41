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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking

from tracker.cloudevents import Fact
from tracker.projections.fold import Figure, Row, UnexpectedEvent, fold
from tracker.projections.store import VIEWS, ViewCursor, ViewStore

History = Callable[[UUID, int, int], list[Fact]]
"""The dossier's facts with versions in (after, upto], read from the store."""


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


@dataclass
class Projector:
    """The one entry point that changes views; the follower, the Kafka consumer and the
    rebuild all call ``apply``."""

    store: ViewStore
    history: History
    views: frozenset[str] = frozenset({"status", "queues", "report"})
    rebuilding: dict[str, Row] | None = field(default=None)
    """During a rebuild: the rows folded so far, kept in memory instead of read back."""

    def apply(self, facts: Sequence[Fact], tracking: Tracking | None = None) -> Outcome:
        """Fold ``facts`` (in log order per dossier) into the views and commit them together
        with ``tracking`` when given. Raises BehindTheLog when ``tracking`` is not ahead."""
        fills: dict[UUID, list[Fact]] = {}
        while True:
            try:
                return self._attempt(facts, tracking, fills)
            except _Gap as gap:
                known = {f.version: f for f in fills.get(gap.dossier_id, [])}
                known.update((f.version, f)
                             for f in self.history(gap.dossier_id, gap.have, gap.want))
                fills[gap.dossier_id] = [known[v] for v in sorted(known)]

    def _attempt(self, facts: Sequence[Fact], tracking: Tracking | None,
                 fills: dict[UUID, list[Fact]]) -> Outcome:
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
                rows = self._known_rows(batch, list(keys.values()))
                dirty: dict[str, Row] = {}
                figures: list[Figure] = []
                for fact in facts:
                    key = keys[fact.dossier_id]
                    row = rows.get(key)
                    have = row["version"] if row else 0
                    if fact.version <= have:
                        outcome.duplicates += 1
                        continue
                    if fact.version > have + 1:
                        missing = [f for f in fills.get(fact.dossier_id, [])
                                   if have < f.version < fact.version]
                        if len(missing) != fact.version - 1 - have:
                            raise _Gap(fact.dossier_id, have, fact.version - 1)
                        for earlier in missing:
                            row = fold(row, earlier, figures)
                            outcome.filled += 1
                    row = fold(row, fact, figures)
                    rows[key] = dirty[key] = row
                    outcome.applied += 1
                batch.write(list(dirty.values()) if self._writes("status") else [],
                            figures if self._writes("report") else [])
        except IntegrityError as error:
            if tracking is not None and "tracking" in str(error).lower():
                raise BehindTheLog(str(error)) from None
            raise
        if self.rebuilding is not None:
            self.rebuilding.update(dirty)
        return outcome

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


def check_history(facts: list[Fact], after: int, upto: int, dossier_id: UUID) -> list[Fact]:
    """Refuse a history read that does not cover exactly (after, upto]."""
    if [f.version for f in facts] != list(range(after + 1, upto + 1)):
        raise UnexpectedEvent(f"the store has no events {after + 1}..{upto} of {dossier_id}")
    return facts
