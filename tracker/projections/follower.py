"""Follows the notification log in-process: the default way the views keep up with the store.

``catch_up`` applies everything stored after the views' tracking position, a batch per
transaction; the CLI's read commands call it before answering, so people see their own writes,
and ``hoso serve`` runs it in a thread. Several processes may follow at once: a batch that lost
the race to record its position is dropped and the next one starts from the new position. A stored
event that cannot be read or applied marks its dossier and the position moves past it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from eventsourcing.persistence import ApplicationRecorder, Tracking

from tracker.cloudevents import DossierFacts, Fact
from tracker.projections.attention import readable_fact
from tracker.projections.projector import BehindTheLog, Projector
from tracker.projections.store import VIEWS

log = logging.getLogger(__name__)


class Follower:
    def __init__(self, recorder: ApplicationRecorder, facts: DossierFacts, projector: Projector,
                 batch_size: int = 1000) -> None:
        self.recorder = recorder
        self.facts = facts
        self.projector = projector
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Apply every stored event the views have not seen; returns how many were applied."""
        applied = 0
        with self._lock:
            while True:
                position = self.projector.position()
                notifications = self.recorder.select_notifications(
                    position, self.batch_size, inclusive_of_start=False)
                if not notifications:
                    return applied
                facts: list[Fact] = []
                for notification in notifications:
                    fact = readable_fact(self.facts, notification, notification.id)
                    if fact is not None:
                        facts.append(fact)
                try:
                    outcome = self.projector.apply(
                        facts, Tracking(VIEWS, notifications[-1].id))
                except BehindTheLog:
                    continue  # another process recorded these first
                applied += outcome.applied
                if progress is not None:
                    progress(len(notifications))

    def run(self, stop: threading.Event, poll: float = 0.2) -> None:
        """Catch up every ``poll`` seconds until ``stop``; errors are logged and retried."""
        while not stop.is_set():
            try:
                self.catch_up()
            except Exception:  # e.g. the database restarting: keep following
                log.exception("views could not follow the log; retrying")
                stop.wait(5.0)
            stop.wait(poll)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="views", daemon=True)
        thread.start()
        return thread
