"""Publishes every stored event to Kafka, at least once and in per-dossier order.

The relay follows the store's notification log from the position it recorded last, sends a batch,
waits until the broker acknowledged all of it, and only then moves the position forward in the
same database (from a thread of its own, so publishing never waits for the write lock). A crash
anywhere in between leaves the position at or before the last acknowledged batch, so what
follows it is sent again after the restart: consumers see duplicates, never gaps, and drop the
duplicates by the event's own identity. Per-dossier order holds because the key (the aggregate
id) picks the partition and the producer keeps each partition in send order; after a failure
the relay resends from the last acknowledged position, with a fresh producer.

The relay knows nothing of dossiers: the caller injects the conversion of a stored event into a
Kafka message (the tracker wires in its CloudEvents mapping), so ``events`` never imports it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from eventsourcing.persistence import ApplicationRecorder, Notification

from events.relay.position import PositionWriter, RelayPositions

log = logging.getLogger(__name__)


class Message(NamedTuple):
    key: bytes
    value: bytes


class PublishFailed(Exception):
    """The broker did not acknowledge every message of a batch: none of it counts as published."""


class Interrupted(Exception):
    """Asked to stop while waiting for the broker; the batch may or may not have arrived."""


ToMessage = Callable[[Notification], Message | None]
"""A stored event as the message to publish, or None for events that are not published."""


class Acknowledgement(Protocol):
    """The broker's answer to one sent batch, waited for later."""

    count: int

    def wait(self, stop: threading.Event) -> None:
        """Return once every message is acknowledged; PublishFailed if one is not, or
        Interrupted when ``stop`` is set first."""


class Publisher(Protocol):
    def send(self, messages: Sequence[Message]) -> Acknowledgement:
        """Hand the batch to the client without waiting; PublishFailed if it cannot."""

    def reset(self) -> None:
        """Forget every batch not yet acknowledged (they are sent again by the relay)."""


@dataclass(frozen=True)
class Backoff:
    """Waits after consecutive failures: ``first`` doubling up to ``most`` seconds."""

    first: float = 0.5
    most: float = 30.0

    def delay(self, failures: int) -> float:
        return float(min(self.most, self.first * 2 ** max(0, failures - 1)))


class Relay:
    """Reads, converts and sends the next batch while the broker acknowledges the one before
    (``window`` batches in flight); positions are recorded strictly in log order."""

    def __init__(self, recorder: ApplicationRecorder, positions: RelayPositions,
                 publisher: Publisher, to_message: ToMessage, *, name: str,
                 batch_size: int = 1000, window: int = 2, idle_poll: float = 0.05,
                 backoff: Backoff = Backoff()) -> None:
        self.recorder = recorder
        self.positions = positions
        self.publisher = publisher
        self.to_message = to_message
        self.name = name
        self.batch_size = batch_size
        self.window = window
        self.idle_poll = idle_poll
        self.backoff = backoff
        self.published = 0
        """Messages acknowledged since this relay started (for logs and benchmarks)."""
        self.acknowledged = 0
        """The last notification id the broker acknowledged (recorded soon after)."""

    def run(self, stop: threading.Event) -> None:
        """Relay until ``stop`` is set. Broker outages are waited out with back-off, then the
        relay resends from the last acknowledged position: nothing skipped, nothing reordered."""
        position = self.positions.get(self.name)
        log.info("relay %s resumes after notification %d", self.name, position)
        writer = PositionWriter(self.positions, self.name, position)
        failures = 0
        try:
            while not stop.is_set():
                try:
                    moved = self._publish(position, stop, writer.note)
                except Interrupted:
                    break
                except PublishFailed as error:
                    self.publisher.reset()
                    position = self.acknowledged
                    failures += 1
                    wait = self.backoff.delay(failures)
                    log.warning("relay %s: broker did not acknowledge (%s); resending from "
                                "notification %d in %.1f s", self.name, error, position, wait)
                    stop.wait(wait)
                    continue
                if failures:
                    log.info("relay %s: broker reachable again", self.name)
                    failures = 0
                if moved == position:
                    stop.wait(self.idle_poll)
                position = moved
        finally:
            self.publisher.reset()
            writer.close()

    def relay_available(self, after: int, stop: threading.Event) -> int:
        """One pass: publish what is stored after ``after`` (the recorded position) and return
        the last acknowledged position, recorded."""
        writer = PositionWriter(self.positions, self.name, after)
        try:
            return self._publish(after, stop, writer.note)
        finally:
            writer.close()

    def _publish(self, after: int, stop: threading.Event, note: Callable[[int], None]) -> int:
        """Publish until caught up, ``window`` batches in flight; each batch's last position
        goes to ``note`` once the broker acknowledged it, in log order."""
        in_flight: deque[tuple[int, Acknowledgement]] = deque()
        read_to = self.acknowledged = after
        while True:
            notifications = self.recorder.select_notifications(
                read_to, self.batch_size, inclusive_of_start=False)
            if notifications:
                messages = [m for m in map(self.to_message, notifications) if m is not None]
                read_to = notifications[-1].id
                in_flight.append((read_to, self.publisher.send(messages)))
            if not in_flight:
                return self.acknowledged
            if notifications and len(in_flight) < self.window:
                continue
            position, acknowledgement = in_flight.popleft()
            acknowledgement.wait(stop)
            self.acknowledged = position
            self.published += acknowledgement.count
            note(position)

    def start(self, stop: threading.Event) -> threading.Thread:
        """Run in a daemon thread (beside ``hoso serve``)."""
        thread = threading.Thread(target=self._run_logged, args=(stop,), name="relay",
                                  daemon=True)
        thread.start()
        return thread

    def _run_logged(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run(stop)
            except Exception:  # e.g. the database went away: keep serving, try again
                log.exception("relay %s stopped on an error; restarting in %.0f s",
                              self.name, self.backoff.most)
                stop.wait(self.backoff.most)
