"""The projected views of one store: its view tables, the projector and the in-process follower.

``open_views`` picks the SQLite or PostgreSQL view store to match the application's own recorder
and shares its datastore (same database, same connection pool).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder

from tracker.application import CustodyApplication
from tracker.cloudevents import DossierFacts, Fact
from tracker.projections.follower import Follower
from tracker.projections.projector import Projector, check_history
from tracker.projections.store import ViewStore


@dataclass
class Views:
    app: CustodyApplication
    store: ViewStore
    facts: DossierFacts
    projector: Projector
    follower: Follower

    def catch_up(self) -> int:
        """Bring the views up to the end of the log (read commands call this first)."""
        self.app.province()  # refuses clearly when the store was never initialised
        return self.follower.catch_up()

    def history(self, dossier_id: UUID, after: int, upto: int) -> list[Fact]:
        return dossier_history(self.app.recorder, self.facts, dossier_id, after, upto)


def dossier_history(recorder: ApplicationRecorder, facts: DossierFacts, dossier_id: UUID,
                    after: int, upto: int) -> list[Fact]:
    """The dossier's facts with versions in (after, upto], read by its id from the store."""
    stored = recorder.select_events(dossier_id, gt=after or None, lte=upto)
    found = [f for f in (facts.fact(s, 0) for s in stored) if f is not None]
    return check_history(found, after, upto, dossier_id)


def view_store(app: CustodyApplication) -> ViewStore:
    """The view tables in the application's database."""
    datastore = getattr(app.recorder, "datastore")  # noqa: B009 - both recorders have one
    from eventsourcing.sqlite import SQLiteDatastore

    if isinstance(datastore, SQLiteDatastore):
        from tracker.projections.sqlite import SQLiteViewStore

        return cast(ViewStore, SQLiteViewStore(datastore))
    from tracker.projections.postgres import PostgresViewStore

    return cast(ViewStore, PostgresViewStore(datastore))


def open_views(app: CustodyApplication, batch_size: int = 1000) -> Views:
    store = view_store(app)
    facts = DossierFacts.of(app.recorder, app.mapper)

    def history(dossier_id: UUID, after: int, upto: int) -> list[Fact]:
        return dossier_history(app.recorder, facts, dossier_id, after, upto)

    projector = Projector(store, history)
    follower = Follower(app.recorder, facts, projector, batch_size)
    return Views(app, store, facts, projector, follower)
