"""Rebuilding views from the log: clear them, then fold every stored event again.

Fast because it is batched both ways: notifications are read a batch at a time, and each batch
is folded in memory (rows are kept between batches, never read back) and written with one
``executemany`` per table in one transaction. The views' tracking position is only moved
forward, and only when the batch is ahead of it, so a follower running meanwhile is never sent
back; rows it wrote meanwhile at a higher version are kept (the upsert never lowers a version).
During a rebuild the views are incomplete; they are whole again when it returns. Rebuilding
status or queues clears the attention marks with the dossiers table, so a dossier is marked
again only if its event still cannot be applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from eventsourcing.persistence import Tracking

from tracker.cloudevents import Fact
from tracker.projections.attention import readable_fact
from tracker.projections.projector import BehindTheLog
from tracker.projections.raw import plain_json_state, read_facts
from tracker.projections.store import VIEW_NAMES, VIEWS
from tracker.projections.views import Views

Progress = Callable[[int], None]
"""Told how many more stored events were processed."""


@dataclass(frozen=True)
class Rebuilt:
    views: tuple[str, ...]
    events: int
    """Stored events read (all aggregates)."""
    applied: int
    """Dossier events folded into the views."""
    refused: int = 0
    """Dossier events passed over, their dossiers marked for attention."""


def rebuild(views: Views, names: Sequence[str] = VIEW_NAMES, batch_size: int = 20_000,
            progress: Progress | None = None, upto: int | None = None) -> Rebuilt:
    """Drop the contents of the views ``names`` and fold the whole log into them again (up
    to log position ``upto`` when given)."""
    chosen = frozenset(names)
    views.store.clear(sorted(chosen))
    projector = replace(views.projector, views=chosen, rebuilding={}, rowless=set())
    end = (views.app.recorder.max_notification_id() or 0) if upto is None else upto
    events = applied = refused = 0
    for read, last, facts in _batches(views, end, batch_size):
        tracked = projector.position()
        try:
            outcome = projector.apply(facts, Tracking(VIEWS, last) if last > tracked else None)
        except BehindTheLog:
            outcome = projector.apply(facts)
        events += read
        applied += outcome.applied
        refused += outcome.refused
        if progress is not None:
            progress(read)
    return Rebuilt(tuple(sorted(chosen)), events, applied, refused)


def _batches(views: Views, end: int, batch_size: int
             ) -> Iterator[tuple[int, int, list[Fact]]]:
    """(stored events read, the last one's position, their dossier facts) per batch."""
    if plain_json_state(views.app):
        yield from read_facts(views.app, views.facts, end, batch_size)
        return
    position = 0
    while position < end:
        notifications = views.app.recorder.select_notifications(
            position, batch_size, stop=end, inclusive_of_start=False)
        if not notifications:
            return
        facts = [f for f in (readable_fact(views.facts, n, n.id) for n in notifications)
                 if f is not None]
        yield len(notifications), notifications[-1].id, facts
        position = notifications[-1].id


def events_to_rebuild(views: Views) -> int:
    """The size of the log, for a progress bar's total."""
    return views.app.recorder.max_notification_id() or 0
