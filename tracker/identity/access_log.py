"""Recording and querying the access log (tracker.domain.access).

A read is recorded before its data are handed out: if the record cannot be written the read is
refused, so no read of personal data goes unlogged. The query reads the log's notifications of
that one event type, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from eventsourcing.utils import get_topic

from tracker.application import CustodyApplication
from tracker.domain.access import PersonalDataRead
from tracker.identity.principal import Identity

TOPIC = get_topic(PersonalDataRead.Recorded)
MAX_ROWS = 10_000


def record(app: CustodyApplication, identity: Identity, what: str, route: str,
           dossier: str | None = None, object_key: str | None = None) -> None:
    app.save(PersonalDataRead.record(identity.staff, identity.role, identity.office,
                                     identity.credential, what, route, dossier, object_key))


def record_all(app: CustodyApplication, identity: Identity, what: str, route: str,
               dossiers: Iterable[str]) -> None:
    """One read of each of ``dossiers`` (a register listing them), saved together."""
    reads = [PersonalDataRead.record(identity.staff, identity.role, identity.office,
                                     identity.credential, what, route, dossier)
             for dossier in dossiers]
    if reads:
        app.save(*reads)


def entries(app: CustodyApplication, dossier: str | None = None, staff: str | None = None,
            limit: int = 1000) -> list[dict[str, Any]]:
    """The newest ``limit`` reads (oldest first), of ``dossier`` and by ``staff`` when given."""
    limit = max(1, min(limit, MAX_ROWS))
    rows: list[dict[str, Any]] = []
    start, page = 1, 1000
    while notifications := app.recorder.select_notifications(start, page, topics=[TOPIC]):
        for notification in notifications:
            event = cast(PersonalDataRead.Recorded, app.mapper.to_domain_event(notification))
            if (dossier is None or event.dossier == dossier) and (
                    staff is None or event.staff == staff):
                rows.append({"at": event.timestamp.isoformat(), "staff": event.staff,
                             "role": event.role, "office": event.office,
                             "credential": event.credential, "what": event.what,
                             "route": event.route, "dossier": event.dossier,
                             "object_key": event.object_key, "position": notification.id})
        start = notifications[-1].id + 1
        del rows[:-limit]
    return rows
