"""Reading the log fast for a rebuild: stored rows straight to facts, without domain objects.

A rebuild reads every stored event; going through the library's mapper (JSON with object hooks,
then an event object, then a fact) costs more than folding and writing together. Dossier events
hold plain JSON values apart from their timestamp, so this module decodes the stored state with
``json.loads`` and takes the timestamp from the transcoder's ``datetime_iso`` wrapper. It is used
only when the application stores state as plain JSON (no cipher, no compressor); otherwise, and
for every event outside a rebuild, facts come from the mapper (tracker.cloudevents). A dossier
event that cannot be decoded becomes an unreadable fact, which the projector marks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import PersistenceError
from eventsourcing.utils import get_topic

from events.evidence.log import HashingRecorder
from tracker.application import CustodyApplication
from tracker.cloudevents import CATALOGUE, PRIVATE_FIELDS, DossierFacts, Fact
from tracker.projections.attention import DOSSIER_TOPIC_PREFIX, Unprojectable, unreadable
from tracker.projections.fold import CREATING

KIND_OF_TOPIC = {get_topic(cls): cls.__name__ for cls in CATALOGUE}
_DROPPED = ("timestamp", "originator_topic", "class_version", *PRIVATE_FIELDS)
_decode = json.JSONDecoder().decode


def plain_json_state(app: CustodyApplication) -> bool:
    return app.mapper.cipher is None and app.mapper.compressor is None


def read_facts(app: CustodyApplication, facts: DossierFacts, end: int, batch_size: int
               ) -> Iterator[tuple[int, int, list[Fact]]]:
    """(stored events read, the last one's position, their dossier facts) a batch at a time,
    up to position ``end``."""
    recorder = cast(HashingRecorder, app.recorder)
    codes = facts.codes
    ids: dict[str, UUID] = {}
    after: int | None = None
    while True:
        records = recorder.select_records(after, batch_size)
        records = [r for r in records if r.position <= end]
        if not records:
            return
        batch: list[Fact] = []
        for position, originator_id, version, topic, state in records:
            kind = KIND_OF_TOPIC.get(topic)
            if kind is None and not topic.startswith(DOSSIER_TOPIC_PREFIX):
                continue
            dossier_id = ids.get(originator_id) or ids.setdefault(originator_id,
                                                                  UUID(originator_id))
            try:
                if kind is None:
                    raise Unprojectable("an event type the views do not know")
                data: dict[str, Any] = _decode(state.decode())
                moment = data["timestamp"]["_data_"]
                applicant = data.get("applicant_id") if kind in CREATING else None
                for key in _DROPPED:
                    data.pop(key, None)
                if kind in CREATING:
                    code = data["code"]
                    ref = facts.applicant_ref_of(applicant) if applicant is not None else None
                    if ref is not None:
                        data["applicant_ref"] = ref
                    codes.remember(dossier_id, code)
                else:
                    code = codes.code_of(dossier_id)
                batch.append(Fact(position, dossier_id, version, code, kind,
                                  datetime.fromisoformat(moment).astimezone(UTC), data))
            except PersistenceError:
                raise
            except Exception as error:
                batch.append(unreadable(codes, dossier_id, version, position, error))
        after = records[-1].position
        if len(ids) > 100_000:
            ids.clear()
        yield len(records), after, batch
        if after >= end:
            return
