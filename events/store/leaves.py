"""What both hashing recorders share: table names and the leaves they write.

Leaves are numbered densely (0, 1, 2 …) in notification order, because notification ids may have
gaps (a PostgreSQL sequence skips values of rolled-back inserts). Writers are already serialised
where the leaf index is taken — SQLite holds its write lock after the first insert, PostgreSQL's
recorder locks the events table — so "the last index + 1" never races. Where a leaf lives is the
backend's choice, by what an append costs there: SQLite keeps it in the event's own row (a table
of its own cost every commit a WAL page), PostgreSQL in ``<events>_leaves`` (an UPDATE of the row
just inserted would leave a dead tuple behind each append). Neither has an index besides the
leaf index's own on PostgreSQL: each index written costs every append a page, and nothing reads
leaves by position but whole scans. The application picks a recorder by the library's
``APPLICATION_RECORDER_TOPIC`` setting; each backend's recorder lives in its own module so
SQLite users never load psycopg.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import StoredEvent

from events.evidence.records import record_leaf_hash


def leaves_table(events_table_name: str) -> str:
    """PostgreSQL's leaves table."""
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

