"""Dossiers whose views lack an event: how such an event is marked, and how the marks are read.

The log is append-only, so an event the projector cannot apply (it cannot be read, the fold
refuses it, or the database refuses the row it makes) would otherwise stop every view for ever.
Instead the projector passes over it, in the same transaction as everything else:

- the dossier gets a mark in ``hoso_view_attention``: its id and code, the event's version and
  position, the event's catalogue name and a short reason. A reason names fields and error
  classes, never a value, so no applicant's name or number reaches the mark (or a /readyz);
- the dossier's row takes the event's version without its effect, so the dossier's later events
  keep being applied (a dossier whose ``Received`` failed has no row, and stays unknown);
- every other dossier in the batch is applied, and the tracking position moves on.

A dossier keeps its first mark. ``hoso project rebuild`` of status/queues clears the marks with
the dossiers table and folds everything again: a mark comes back only if the event still fails.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import PersistenceError, StoredEvent
from eventsourcing.utils import get_topic

from tracker.cloudevents import DOSSIER_TOPICS, CodeBook, DossierFacts, Fact
from tracker.domain.dossier import Dossier
from tracker.projections.fit import KEY_LIMIT, Unfit, fit_integer, fit_text
from tracker.projections.fold import UnexpectedEvent
from tracker.projections.store import Attention, ViewStore

log = logging.getLogger(__name__)

UNREADABLE = "(unreadable)"
"""The kind of a fact standing for a stored dossier event that could not be read."""
DOSSIER_TOPIC_PREFIX = get_topic(Dossier) + "."
REASON_LIMIT = 200
_EPOCH = datetime.fromtimestamp(0, UTC)


class Unprojectable(Exception):
    """An event the views cannot apply; the message is the mark's reason."""


def unreadable(codes: CodeBook, dossier_id: UUID, version: int, position: int,
               error: BaseException) -> Fact:
    """A fact that stands for a stored event that could not be read: it is marked, not folded.
    Its code is the dossier's when its ``Received`` can be read, otherwise blank."""
    # the same reason whichever way it was read (mapper or raw JSON), so a rebuild equals the
    # live views; the error's class goes to the log
    reason = str(error) if isinstance(error, Unprojectable) else "the stored event is unreadable"
    log.warning("dossier %s version %d at position %d cannot be read (%s)", dossier_id, version,
                position, type(error).__name__)
    try:
        code = codes.code_of(dossier_id) if version > 1 else ""
    except PersistenceError:
        raise
    except Exception:  # its Received cannot be read either
        code = ""
    return Fact(position, dossier_id, version, code, UNREADABLE, _EPOCH, {"reason": reason})


def readable_fact(facts: DossierFacts, stored: StoredEvent, position: int) -> Fact | None:
    """The fact of ``stored`` (None when it is no dossier's); an unreadable fact when it is a
    dossier event that cannot be read. Database errors propagate: they say nothing of the
    event."""
    try:
        if stored.topic not in DOSSIER_TOPICS and stored.topic.startswith(DOSSIER_TOPIC_PREFIX):
            raise Unprojectable("an event type the views do not know")
        return facts.fact(stored, position)
    except PersistenceError:
        raise
    except Exception as error:
        return unreadable(facts.codes, UUID(str(stored.originator_id)),
                          stored.originator_version, position, error)


def reason_of(error: BaseException) -> str:
    """A short cause of ``error``: the views' own messages (which name fields), a missing
    field's name, or only the error's class: other messages may quote the event's values."""
    if isinstance(error, Unprojectable | Unfit | UnexpectedEvent):
        reason = str(error)
    elif (isinstance(error, KeyError) and error.args and isinstance(error.args[0], str)
          and error.args[0].isidentifier() and len(error.args[0]) <= 40):
        reason = f"it has no {error.args[0]} field"
    else:
        reason = f"it could not be folded ({type(error).__name__})"
    return reason


def mark(fact: Fact, reason: str) -> Attention:
    """The attention mark of ``fact``'s dossier, every value fitted to its column."""
    dossier_id = str(fact.dossier_id)
    code = fit_text(fact.code, "code", KEY_LIMIT) if isinstance(fact.code, str) else ""
    event = fit_text(fact.kind, "event", 64) if isinstance(fact.kind, str) else "?"
    return Attention(dossier_id, code or dossier_id, fit_integer(fact.version, "version"),
                     fit_integer(fact.position, "position") if fact.position else None,
                     event, fit_text(reason, "reason", REASON_LIMIT))


def listed(store: ViewStore) -> list[dict[str, Any]]:
    """Every marked dossier, by code: dossier_id, code, version, position, event, reason."""
    return store.query("SELECT dossier_id, code, version, position, event, reason "
                       "FROM {attention} ORDER BY code, dossier_id")
