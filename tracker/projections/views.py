"""The projected views of one store: its view tables, the projector and the in-process follower.

``open_views`` takes the view store the composition root (tracker.bootstrap) builds for the
application's backend: SQLite or PostgreSQL, sharing the recorder's datastore (same database, same
connection pool).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, OperationalError, ProgrammingError

from tracker.application import CustodyApplication, NotInitialised
from tracker.cloudevents import DossierFacts, Fact
from tracker.domain.errors import N_
from tracker.projections import papers, queues, report, status
from tracker.projections.attention import listed, readable_fact
from tracker.projections.follower import Follower
from tracker.projections.projector import Projector, check_history
from tracker.projections.store import VIEW_NAMES, ViewStore


@dataclass
class Views:
    """Reads answer from the view tables. With ``follow`` (no Kafka configured) each read first
    catches the views up in-process, so a person sees their own writes; with Kafka the views
    are as fresh as the ``hoso project --from-kafka`` consumers keep them."""

    app: CustodyApplication
    store: ViewStore
    facts: DossierFacts
    projector: Projector
    follower: Follower
    follow: bool = True

    def catch_up(self) -> int:
        """Bring the views up to the end of the log."""
        self.app.province()  # refuses clearly when the store was never initialised
        return self.follower.catch_up()

    def ready(self) -> None:
        """Refuse clearly when the store, or its view tables, were never set up."""
        self.app.province()
        with _set_up():
            self.projector.position()
            self.store.query("SELECT 1 FROM {dossiers} LIMIT 1")
            self.store.query("SELECT 1 FROM {figures} LIMIT 1")
            self.store.query("SELECT 1 FROM {attention} LIMIT 1")

    def _fresh(self) -> None:
        self.ready()
        if self.follow:
            self.follower.catch_up()

    def status(self, code: str) -> dict[str, Any]:
        self._fresh()
        return status.dossier_status(self.store, code, self.app.clock())

    def queue(self, who: str) -> dict[str, Any]:
        self._fresh()
        return queues.queue(self.store, self.app.province(), who, self.app.clock())

    def queue_page(self, who: str, page: int, per_page: int) -> dict[str, Any]:
        """The counts of ``who``'s queue and one page of each list, most pressing first."""
        self._fresh()
        return queues.queue_page(self.store, self.app.province(), who, self.app.clock(),
                                 page, per_page)

    def report(self, start: date, end: date, office: str | None = None,
               by: str = "office", *, subtree: bool = False, level: str | None = None,
               field: str | None = None, days: bool = False) -> dict[str, Any]:
        """The provincial report (report.report) over the chosen offices and field."""
        self._fresh()
        return report.report(self.store, self.app.province(), start, end, office, by,
                             subtree=subtree, level=level, field=field, days=days)

    def earlier_papers(self, applicant_id: str, components: Iterable[str]
                       ) -> list[dict[str, Any]]:
        """The earlier digitised papers of ``components`` of the applicant whose ID number is
        ``applicant_id`` (papers.earlier_papers)."""
        self._fresh()
        ref = self.app.applicant_ref(applicant_id) if applicant_id.strip() else None
        return papers.earlier_papers(self.store, ref, components) if ref else []

    def needing_attention(self) -> list[dict[str, Any]]:
        """The dossiers whose views lack an event that could not be applied, by code: each
        with ``dossier_id``, ``code`` (the dossier id when the code is unknown), the event's
        ``version``, ``position`` (None when unknown) and ``event`` name, and a short
        ``reason`` that quotes no personal data."""
        self._fresh()
        return listed(self.store)

    def progress(self) -> dict[str, Any]:
        """How far the views have followed the log, as they stand (nothing is caught up):
        ``log_end`` (the last notification id), and per view its ``position`` and ``lag``.
        With Kafka feeding the views the position is not recorded and ``lag`` is None."""
        self.ready()
        end = self.app.recorder.max_notification_id() or 0
        position = self.projector.position()
        lag = max(end - position, 0) if self.follow else None
        return {"log_end": end, "followed_by": "in-process" if self.follow else "kafka",
                "views": [{"view": name, "position": position, "lag": lag}
                          for name in VIEW_NAMES]}


@contextmanager
def _set_up() -> Iterator[None]:
    """A missing view table (a store set up before the views existed) says how to fix it."""
    try:
        yield
    except (OperationalError, ProgrammingError) as error:
        if "no such table" in str(error) or "does not exist" in str(error):
            raise NotInitialised(N_("the views are not set up in this store: run 'hoso init' "
                                 "again (it keeps what is stored)")) from None
        raise


def dossier_history(recorder: ApplicationRecorder, facts: DossierFacts, dossier_id: UUID,
                    after: int, upto: int) -> list[Fact]:
    """The dossier's facts with versions in (after, upto], read by its id from the store."""
    stored = recorder.select_events(dossier_id, gt=after or None, lte=upto)
    found = [f for f in (readable_fact(facts, s, 0) for s in stored) if f is not None]
    return check_history(found, after, upto, dossier_id)


def open_views(app: CustodyApplication, store: ViewStore, follow: bool = True,
               batch_size: int = 1000) -> Views:
    """The views of ``app`` kept in ``store`` (its backend's, in the same database)."""
    facts = DossierFacts.of(app.recorder, app.mapper)

    def history(dossier_id: UUID, after: int, upto: int) -> list[Fact]:
        return dossier_history(app.recorder, facts, dossier_id, after, upto)

    projector = Projector(store, history)
    follower = Follower(app.recorder, facts, projector, batch_size)
    return Views(app, store, facts, projector, follower, follow)
