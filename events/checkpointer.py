"""Writes checkpoints periodically: every N new events or T seconds, whichever comes first.

Runs beside the API server (``hoso serve``) when a signing key is configured. It only reads the
leaf count between checkpoints, so an idle log costs one cheap query per poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from events.checkpoints import CheckpointPolicy
from events.log import TamperEvidentLog
from events.notes import Signer

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(self, tamper_evident_log: TamperEvidentLog, signer: Signer,
                 policy: CheckpointPolicy, clock: Callable[[], datetime]) -> None:
        self.log = tamper_evident_log
        self.signer = signer
        self.policy = policy
        self.clock = clock

    def run(self, stop: threading.Event, poll: float = 2.0) -> None:
        """Until ``stop`` is set: sign whenever the policy says a checkpoint is due."""
        latest = self.log.latest_checkpoint()
        signed_size = latest.size if latest else 0
        signed_at = time.monotonic()
        while not stop.wait(poll):
            try:
                size = self.log.size()
                if self.policy.due(size - signed_size, time.monotonic() - signed_at):
                    made, _ = self.log.checkpoint(self.signer, self.clock())
                    signed_size, signed_at = made.size, time.monotonic()
                    log.info("checkpoint at %d leaves, fingerprint %s", made.size,
                             made.fingerprint)
            except Exception:  # keep serving; the next poll retries
                log.exception("periodic checkpoint failed")

    def start(self, stop: threading.Event, poll: float = 2.0) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop, poll), name="checkpointer",
                                  daemon=True)
        thread.start()
        return thread
