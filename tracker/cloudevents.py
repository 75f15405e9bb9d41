"""Dossier events as CloudEvents 1.0 (structured JSON): the contract of hoso.dossier-events.

One stored event of a dossier becomes one CloudEvent. Its ``id`` is ``<dossier id>:<version>``,
so a redelivered event keeps its id and every consumer can drop the duplicate. Extension
attributes carry the store position (``hosoposition``, the notification id), the dossier id
(``hosodossierid``) and the per-dossier version (``hosoversion``). ``subject`` is the dossier code
people type and scan; only ``Received`` carries it, so later events take it from a ``CodeBook``
that remembers the codes it has seen and otherwise reads the dossier's first event.

``data`` holds the event's own fields except the applicant's identity number and phone: the bus
reaches more readers than the store, and no consumer needs them. A receipt (or a refusal at the
counter) read through ``DossierFacts`` adds ``applicant_ref``, the applicant's keyed reference
(tracker.domain.reuse.applicant_ref), by which the views index their digitised papers. Events
of other aggregates (province data, daily code sequences, the applicant key) are not dossier
events and are not published.

``Fact`` is what the projections consume, whichever way the event reached them (the
notification log in-process, or Kafka): ``from_cloudevent`` and ``fact_from_event`` make the same
fact from the two.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from time import monotonic
from typing import Any, NamedTuple, cast
from urllib.parse import quote
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification, StoredEvent
from eventsourcing.utils import get_topic

from events.relay.publisher import Message
from tracker.domain.dossier import Dossier
from tracker.domain.errors import N_, BadInput
from tracker.domain.reuse import APPLICANT_KEY_ID, ApplicantKey, applicant_ref

SPEC_VERSION = "1.0"
TYPE_PREFIX = "vn.hoso.dossier."
TYPE_SUFFIX = ".v1"
CONTENT_TYPE = "application/json"
PRIVATE_FIELDS = frozenset({"applicant_id", "phone"})
_BOOKKEEPING = frozenset({"originator_id", "originator_version", "originator_topic",
                          "timestamp", "metadata"})
CATALOGUE: tuple[type[Dossier.Event], ...] = (
    Dossier.Received, Dossier.RefusedAtCounter, Dossier.FeeCollected, Dossier.Digitised,
    Dossier.HandedOver, Dossier.Accepted, Dossier.SupplementRequested,
    Dossier.SupplementReceived, Dossier.Paused, Dossier.Resumed, Dossier.Rescheduled,
    Dossier.Rejected, Dossier.Resolved, Dossier.ResultReturned, Dossier.Cancelled,
    Dossier.ComponentsReused,
)
"""Every dossier event that is published; its CloudEvent type is ``vn.hoso.dossier.<snake
case name>.v1``, e.g. ``vn.hoso.dossier.handed_over.v1``."""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


EVENT_TYPES: dict[str, str] = {
    cls.__name__: f"{TYPE_PREFIX}{_snake(cls.__name__)}{TYPE_SUFFIX}" for cls in CATALOGUE}
KINDS: dict[str, str] = {ce_type: kind for kind, ce_type in EVENT_TYPES.items()}
DOSSIER_TOPICS: frozenset[str] = frozenset(get_topic(cls) for cls in CATALOGUE)


class Fact(NamedTuple):
    """One dossier event as the projections need it, independent of how it travelled (a
    NamedTuple: a rebuild makes millions)."""

    position: int
    dossier_id: UUID
    version: int
    code: str
    kind: str
    time: datetime
    data: Mapping[str, Any]


def source_of(origin: str) -> str:
    """The CloudEvents ``source``: the log's name (HOSO_LOG_ORIGIN) as a URI path."""
    return "/" + quote(origin.strip("/"), safe="/.-_~")


def event_data(event: Dossier.Event) -> dict[str, Any]:
    """The event's own fields, minus the bookkeeping and the applicant's private details."""
    return {k: v for k, v in event.__dict__.items()
            if k not in _BOOKKEEPING and k not in PRIVATE_FIELDS}


def fact_from_event(event: Dossier.Event, position: int, code: str) -> Fact:
    return Fact(position=position, dossier_id=event.originator_id,
                version=event.originator_version, code=code, kind=type(event).__name__,
                time=event.timestamp.astimezone(UTC), data=event_data(event))


def to_cloudevent(fact: Fact, origin: str) -> dict[str, Any]:
    """The structured-mode CloudEvent of ``fact`` (a JSON-ready dict)."""
    return {
        "specversion": SPEC_VERSION,
        "id": f"{fact.dossier_id}:{fact.version}",
        "source": source_of(origin),
        "type": EVENT_TYPES[fact.kind],
        "subject": fact.code,
        "time": fact.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "datacontenttype": CONTENT_TYPE,
        "hosoposition": fact.position,
        "hosodossierid": str(fact.dossier_id),
        "hosoversion": fact.version,
        "data": dict(fact.data),
    }


def from_cloudevent(document: Mapping[str, Any]) -> Fact:
    """The fact a CloudEvent of hoso.dossier-events carries; BadInput for anything else."""
    try:
        if document["specversion"] != SPEC_VERSION:
            raise BadInput(N_("CloudEvents specversion {specversion!r} is not 1.0"),
                           specversion=document['specversion'])
        kind = KINDS.get(document["type"])
        if kind is None:
            raise BadInput(N_("{type!r} is not a hoso dossier event type"),
                           type=document['type'])
        dossier_id = UUID(document["hosodossierid"])
        version, position = document["hosoversion"], document["hosoposition"]
        if document["id"] != f"{dossier_id}:{version}":
            raise BadInput(N_("CloudEvent id {id!r} does not match its dossier and version"),
                           id=document['id'])
        if not isinstance(version, int) or not isinstance(position, int):
            raise BadInput(N_("hosoversion and hosoposition must be integers"))
        data = document["data"]
        if not isinstance(data, dict):
            raise BadInput(N_("CloudEvent data must be a JSON object"))
        moment = datetime.fromisoformat(document["time"])
        if moment.tzinfo is None:
            raise BadInput(N_("CloudEvent time {time!r} has no UTC offset"),
                           time=document['time'])
        return Fact(position=position, dossier_id=dossier_id, version=version,
                    code=str(document["subject"]), kind=kind, time=moment.astimezone(UTC),
                    data=data)
    except KeyError as missing:
        raise BadInput(N_("CloudEvent has no {name!r} attribute"),
                       name=missing.args[0]) from None
    except (TypeError, ValueError) as error:
        raise BadInput(N_("malformed CloudEvent: {error}"), error=error) from None


class CodeBook:
    """Dossier id → code. Codes are remembered as ``Received`` events pass by; an unknown id
    costs one primary-key read of the dossier's first event. The memory is bounded: when full
    it starts afresh (a miss only costs that read)."""

    def __init__(self, recorder: ApplicationRecorder, mapper: Mapper[UUID],
                 capacity: int = 200_000) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.capacity = capacity
        self._codes: dict[UUID, str] = {}

    def remember(self, dossier_id: UUID, code: str) -> None:
        if len(self._codes) >= self.capacity:
            self._codes.clear()
        self._codes[dossier_id] = code

    def code_of(self, dossier_id: UUID) -> str:
        code = self._codes.get(dossier_id)
        if code is None:
            first = self.recorder.select_events(dossier_id, lte=1, limit=1)
            if not first:
                raise LookupError(f"no Received event for dossier {dossier_id}")
            received = cast(Dossier.Received | Dossier.RefusedAtCounter,
                            self.mapper.to_domain_event(first[0]))
            code = received.code
            self.remember(dossier_id, code)
        return code


class DossierFacts:
    """Stored events → facts, skipping events of other aggregates."""

    def __init__(self, mapper: Mapper[UUID], codes: CodeBook) -> None:
        self.mapper = mapper
        self.codes = codes
        self._secret: str | None = None
        self._secret_checked = float("-inf")

    def _applicant_secret(self) -> str | None:
        """The store's applicant key (reuse.ApplicantKey), read once it exists; looked for
        again at most once a second until then."""
        if self._secret is None and monotonic() - self._secret_checked >= 1.0:
            stored = self.codes.recorder.select_events(APPLICANT_KEY_ID, limit=1)
            if stored:
                made = cast(ApplicantKey.Made, self.mapper.to_domain_event(stored[0]))
                self._secret = made.secret
            self._secret_checked = monotonic()
        return self._secret

    def fact(self, stored: StoredEvent, position: int) -> Fact | None:
        """The fact of ``stored`` at notification id ``position`` (0 when read by dossier)."""
        if stored.topic not in DOSSIER_TOPICS:
            return None
        event = cast(Dossier.Event, self.mapper.to_domain_event(stored))
        if isinstance(event, Dossier.Received | Dossier.RefusedAtCounter):
            self.codes.remember(event.originator_id, event.code)
            fact = fact_from_event(event, position, event.code)
            ref = self.applicant_ref_of(event.applicant_id)
            return fact if ref is None else fact._replace(
                data={**fact.data, "applicant_ref": ref})
        return fact_from_event(event, position, self.codes.code_of(event.originator_id))

    def applicant_ref_of(self, applicant_id: str) -> str | None:
        """The applicant's keyed reference; None while the store has no applicant key."""
        secret = self._applicant_secret()
        return None if secret is None else applicant_ref(secret, applicant_id)

    def of_notification(self, notification: Notification) -> Fact | None:
        return self.fact(notification, notification.id)

    def cloudevent(self, notification: Notification, origin: str) -> dict[str, Any] | None:
        """The CloudEvent to publish for a stored event, or None when it is not a dossier's."""
        fact = self.of_notification(notification)
        return None if fact is None else to_cloudevent(fact, origin)

    @classmethod
    def of(cls, recorder: ApplicationRecorder, mapper: Mapper[UUID]) -> DossierFacts:
        return cls(mapper, CodeBook(recorder, mapper))


class CloudEventMessages:
    """Stored events → Kafka messages (the relay's mapping): a dossier's events as
    structured-mode CloudEvents keyed by the dossier id, so all of them land in one partition,
    in order; others are not sent."""

    def __init__(self, app: Application[Any], origin: str) -> None:
        self.facts = DossierFacts.of(app.recorder, app.mapper)
        self.origin = origin

    def __call__(self, notification: Notification) -> Message | None:
        event = self.facts.cloudevent(notification, self.origin)
        if event is None:
            return None
        return Message(key=str(notification.originator_id).encode(),
                       value=json.dumps(event, ensure_ascii=False,
                                        separators=(",", ":")).encode())
