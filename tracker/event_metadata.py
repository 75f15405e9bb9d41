"""Metadata recorded beside each event's own fields: the id of the request that recorded it.

The mapper adds ``metadata`` (``{"request_id": …}``) to the stored state of every event saved
while a request id is set (``tracker.request_context``); events saved outside a request, and
every event stored before metadata existed, have none, and decode as they always did. The event
classes stay unchanged: metadata is about how an event was recorded, not what happened, so it is
left out of histories and CloudEvents (their bookkeeping fields).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from tracker.request_context import current_request_id

METADATA = "metadata"


class MetadataMapper(Mapper[UUID]):
    """The library's mapper, adding the current request's id to each event it stores."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        request_id = current_request_id.get()
        if request_id is None:
            return super().to_stored_event(domain_event)
        stamped = object.__new__(type(domain_event))
        object.__setattr__(stamped, "__dict__",
                           {**vars(domain_event), METADATA: {"request_id": request_id}})
        return super().to_stored_event(stamped)


def metadata_of(event: Any) -> dict[str, Any]:
    """The event's metadata; empty for events recorded outside a request or before any was
    kept."""
    found = vars(event).get(METADATA)
    return dict(found) if isinstance(found, dict) else {}


def request_id_of(event: Any) -> str | None:
    """The id of the request that recorded ``event``, if one did."""
    value = metadata_of(event).get("request_id")
    return value if isinstance(value, str) else None
