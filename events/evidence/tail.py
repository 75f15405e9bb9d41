"""The log's unsigned tail: events no signed checkpoint covers yet, and whether it lasted too long.

A signer is expected to cover every event with a signed checkpoint within a window of its
commit (``hoso serve`` signs within ``HOSO_CHECKPOINT_SECONDS``). Until then an insider can
rewrite the event and its leaf unnoticed, so verification refuses a log with events and no
checkpoint at all, and a log whose oldest unsigned event was committed longer ago than the
window allows: either the signer stopped or someone kept it away. The commit time is the
events' own timestamp, read from their stored records (the eventsourcing library's transcoded
``timestamp``): the earliest among the first ``SAMPLE`` unsigned events, since not every
aggregate is stamped by the same clock (the library stamps some itself).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from events.evidence.audit import Finding, SignedRoot, StoredRecord

SAMPLE = 1000  # unsigned events whose timestamps are read, from the first


@dataclass(frozen=True)
class SigningWindow:
    """Every event must be under a signed checkpoint ``seconds`` after its commit; verifying
    allows ``grace`` seconds more (clocks, a restarting signer, the signing itself). ``now`` is
    the verifier's time, on the clock events are stamped with."""

    seconds: float
    grace: float
    now: datetime

    @property
    def allowed(self) -> float:
        return self.seconds + self.grace


@dataclass(frozen=True)
class UnsignedTail:
    """The leaves after the newest validly signed checkpoint (every leaf, without one).

    ``first_position`` is the first one's position; ``oldest`` the earliest commit time among
    the first ``SAMPLE`` (None when there is no tail, or a record has no readable timestamp)."""

    from_leaf: int
    events: int
    first_position: int | None = None
    oldest: datetime | None = None

    def age(self, now: datetime) -> float | None:
        """Seconds since the oldest unsigned event was committed."""
        return None if self.oldest is None else (now - self.oldest).total_seconds()


def commit_time(record: StoredRecord) -> datetime | None:
    """The event's timestamp as stored (``{"timestamp": {"_type_": "datetime_iso", "_data_":
    ISO 8601}}``), with its offset; None for a record without a readable one."""
    try:
        body = json.loads(record.state)
        stamp = body["timestamp"]
        if stamp.get("_type_") != "datetime_iso":
            return None
        moment = datetime.fromisoformat(stamp["_data_"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return moment if moment.tzinfo is not None else None


def unsigned_tail(size: int, newest: SignedRoot | None,
                  records: Sequence[StoredRecord]) -> UnsignedTail:
    """The tail of a log of ``size`` leaves after ``newest``; ``records`` are the first of its
    events in order (up to ``SAMPLE``; none when there is no tail or they cannot be found)."""
    start = min(newest.size, size) if newest is not None else 0
    if size <= start:
        return UnsignedTail(start, 0)
    if not records:
        return UnsignedTail(start, size - start)
    times = [commit_time(record) for record in records[:SAMPLE]]
    known = [moment for moment in times if moment is not None]
    oldest = min(known) if len(known) == len(times) else None
    return UnsignedTail(start, size - start, records[0].position, oldest)


def unsigned_finding(tail: UnsignedTail, newest: SignedRoot | None,
                     window: SigningWindow) -> Finding | None:
    """Why the tail makes the log fail verification, or None: events and no signed checkpoint,
    or an oldest unsigned event older than the window and its grace allow."""
    if tail.events == 0:
        return None
    position = tail.first_position if tail.first_position is not None else 0
    if newest is None:
        return Finding(position, "unsigned",
                       f"{tail.events} events and no validly signed checkpoint: nothing vouches "
                       "for them (hoso serve signs within HOSO_CHECKPOINT_SECONDS; "
                       "'hoso audit checkpoint' signs now)")
    after = f"{tail.events} events after the newest checkpoint (size {newest.size})"
    age = tail.age(window.now)
    if age is None:
        return Finding(position, "unsigned",
                       f"{after} are unsigned and not all have a readable commit time")
    if age > window.allowed:
        return Finding(position, "unsigned",
                       f"{after} are unsigned, the oldest committed {age:.0f} s ago: the signing "
                       f"window is {window.seconds:g} s (+{window.grace:g} s grace), so the "
                       "signer stopped or was kept away and these events may have been "
                       "rewritten")
    return None
