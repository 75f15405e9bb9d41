"""What both hashing recorders share: the leaves table's name and the rows they insert.

The leaves table numbers leaves densely (0, 1, 2 …) in notification order, because notification
ids may have gaps (a PostgreSQL sequence skips values of rolled-back inserts). Writers are already
serialised where the leaf index is taken — SQLite holds its write lock after the first insert,
PostgreSQL's recorder locks the events table — so ``MAX(leaf_index) + 1`` never races. The
table has no index on ``notification_id``: each one written costs every append a page (SQLite
wrote 4.3 WAL frames per single-event commit with it, 3.3 without, against 2.4 with no leaves),
and nothing reads leaves by position but whole scans. The
application picks a recorder by the library's ``APPLICATION_RECORDER_TOPIC`` setting; each
backend's recorder lives in its own module so SQLite users never load psycopg.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import StoredEvent

from events.records import record_leaf_hash


def leaves_table(events_table_name: str) -> str:
    return f"{events_table_name}_leaves"


def checkpoints_table(events_table_name: str) -> str:
    return f"{events_table_name}_checkpoints"


def leaf_hashes(stored_events: Sequence[StoredEvent],
                notification_ids: Sequence[int]) -> list[tuple[int, bytes]]:
    """(notification id, leaf hash) for events just given these ids."""
    return [
        (position, record_leaf_hash(position, event.originator_id, event.originator_version,
                                    event.topic, event.state))
        for event, position in zip(stored_events, notification_ids, strict=True)
    ]

