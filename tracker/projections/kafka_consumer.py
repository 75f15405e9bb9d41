"""The views as a Kafka consumer group: ``hoso project --from-kafka``.

Each member reads the partitions the group gives it, turns every message back into the fact it
carries (``from_cloudevent``), hands a poll's facts to the projector in one view transaction, and
commits the Kafka offsets only after that transaction committed. A crash between the two makes
Kafka deliver the batch again; the relay's at-least-once redeliveries arrive at new offsets. The
projector drops both by the event's own identity (dossier id and version), and if an event
arrives before an earlier one of its dossier it reads the missing ones from the store first, so
the views apply each event exactly once and in dossier order whatever the bus did.

A message that is not a hoso CloudEvent cannot be applied and would stop the partition forever,
so it is logged and skipped: it cannot hide a real event, because the store, not the topic, is
the record, and a dossier's next event makes the projector read anything it missed. A hoso
CloudEvent whose event cannot be applied marks its dossier for attention instead
(tracker.projections.attention), and the partition goes on.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from events.relay.kafka import KafkaSubscription, Record
from tracker.cloudevents import Fact, from_cloudevent
from tracker.domain.errors import BadInput
from tracker.metrics import consumer_lag
from tracker.projections.projector import Projector
from tracker.projections.store import VIEW_NAMES

log = logging.getLogger(__name__)


@dataclass
class Consumed:
    """Counts since the consumer started, logged when it stops."""

    records: int = 0
    applied: int = 0
    duplicates: int = 0
    filled: int = 0
    skipped: int = 0
    refused: int = 0


class KafkaProjection:
    def __init__(self, subscription: KafkaSubscription, projector: Projector) -> None:
        self.subscription = subscription
        self.projector = projector
        self.consumed = Consumed()

    def run(self, stop: threading.Event, poll: float = 0.5) -> None:
        """Consume until ``stop`` is set, then leave the group."""
        try:
            while not stop.is_set():
                records = self.subscription.poll(poll)
                if records:
                    self.apply(records)
                else:
                    consumer_lag(VIEW_NAMES, 0.0)
        finally:
            self.subscription.close()
            c = self.consumed
            log.info("left the group after %d records: %d applied, %d duplicates, %d read "
                     "from the store, %d skipped, %d marked for attention", c.records,
                     c.applied, c.duplicates, c.filled, c.skipped, c.refused)

    def apply(self, records: Sequence[Record]) -> None:
        """Apply one poll's records in one view transaction, then commit their offsets."""
        facts = [fact for fact in map(self._fact, records) if fact is not None]
        outcome = self.projector.apply(facts)
        if facts:
            newest = max(fact.time for fact in facts)
            consumer_lag(VIEW_NAMES, max((datetime.now(UTC) - newest).total_seconds(), 0.0))
        next_offsets: dict[int, int] = {}
        for record in records:
            next_offsets[record.partition] = record.offset + 1
        # if this commit is refused (a rebalance, an outage) the records come again, to this
        # member or another, and the projector drops them as duplicates
        self.subscription.commit(next_offsets)
        self.consumed.records += len(records)
        self.consumed.applied += outcome.applied
        self.consumed.duplicates += outcome.duplicates
        self.consumed.filled += outcome.filled
        self.consumed.refused += outcome.refused

    def _fact(self, record: Record) -> Fact | None:
        try:
            return from_cloudevent(json.loads(record.value))
        except (BadInput, ValueError, TypeError) as error:
            self.consumed.skipped += 1
            log.error("skipped partition %d offset %d: not a hoso CloudEvent (%s)",
                      record.partition, record.offset, error)
            return None
