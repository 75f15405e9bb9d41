"""Sends each new checkpoint to every configured witness and keeps the cosignatures they return.

One thread per witness, so a slow or unreachable witness holds up no other and never an append:
the threads only read the store (the newest checkpoint, new leaves) and add cosignature rows.
Each asks its witness to cosign the newest checkpoint, with the consistency proof from the size
the witness last cosigned (learned from the store, then from the witness's 409 answers). An
unreachable or refusing witness is tried again after a delay that doubles up to a bound; it is
never dropped, and its lag (leaves and seconds behind the newest checkpoint) is reported.
A new checkpoint wakes every thread (``nudge``); without one they look again every ``poll``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from events.evidence.cosignature import check_quorum
from events.evidence.log import HashingRecorder
from events.evidence.notes import Checkpoint, note_text
from events.evidence.witness.client import (
    Conflict,
    Cosigned,
    Outcome,
    Refused,
    Unreachable,
    WitnessClient,
    WitnessEndpoint,
)
from events.evidence.witness.proofs import ProofSource
from events.evidence.witness.protocol import AddCheckpoint
from events.evidence.witness.store import CosignatureDirectory, CosignatureStore

log = logging.getLogger(__name__)


@dataclass
class Lane:
    """One witness's thread state: what it holds and how the last attempts went."""

    endpoint: WitnessEndpoint
    client: WitnessClient
    wake: threading.Event = field(default_factory=threading.Event)
    known_size: int | None = None  # what the witness holds, as far as the log knows
    cosigned_size: int | None = None  # the newest checkpoint it cosigned for the log
    failures: int = 0
    last_error: str | None = None
    behind_since: float | None = None  # wall time the newest uncosigned checkpoint was seen
    lag_leaves: int = 0


class Cosigning:
    """Collects cosignatures of the newest checkpoint from each witness, in the background."""

    def __init__(self, recorder: HashingRecorder, store: CosignatureStore,
                 directory: CosignatureDirectory | None, endpoints: Sequence[WitnessEndpoint],
                 timeout: float = 10.0, retry: tuple[float, float] = (0.5, 30.0)) -> None:
        self.store = store
        self.directory = directory
        self.proofs = ProofSource(recorder)
        self.retry = retry
        self.lanes = [Lane(e, WitnessClient(e, timeout)) for e in endpoints]

    def nudge(self) -> None:
        """A new checkpoint was signed: every witness's thread looks now."""
        for lane in self.lanes:
            lane.wake.set()

    def start(self, stop: threading.Event, poll: float = 5.0) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._run, args=(lane, stop, poll), daemon=True,
                                    name=f"witness:{lane.endpoint.name}") for lane in self.lanes]
        for thread in threads:
            thread.start()
        return threads

    def _run(self, lane: Lane, stop: threading.Event, poll: float) -> None:
        conflicts = 0
        while not stop.is_set():
            lane.wake.clear()
            try:
                outcome = self.submit(lane)
            except Exception as error:  # the store restarting, say: tried again later
                outcome = self._failed(lane, Refused(0, f"{type(error).__name__}: {error}"))
            if isinstance(outcome, Conflict) and conflicts < 2:
                conflicts += 1
                continue  # the witness said which size it holds: ask again from there
            conflicts = 0
            if isinstance(outcome, Refused | Unreachable):  # kept even when a nudge comes
                stop.wait(min(self.retry[1], self.retry[0] * 2 ** min(lane.failures - 1, 16)))
            else:
                lane.wake.wait(poll)

    def submit(self, lane: Lane) -> Outcome | None:
        """One attempt to have ``lane``'s witness cosign the newest checkpoint; None when there
        is nothing to ask (no checkpoint, or it holds the newest one's cosignature already)."""
        note = self.store.latest_checkpoint()
        if note is None:
            return None
        checkpoint = Checkpoint.parse(note_text(note))
        label = lane.endpoint.label
        if lane.cosigned_size == checkpoint.size or check_quorum(
                note, self.store.lines_for(checkpoint.size), [lane.endpoint.verifier], 1).met:
            self._caught_up(lane, checkpoint.size)
            return None
        if lane.behind_since is None:
            lane.behind_since = time.time()
        if lane.known_size is None:
            lane.known_size = self.store.newest_by(label) or 0
        old = lane.known_size
        lane.lag_leaves = checkpoint.size - (lane.cosigned_size or old)
        if old > checkpoint.size:
            return self._failed(lane, Refused(0, f"the witness holds {old} leaves, more than the "
                                                 f"newest checkpoint's {checkpoint.size}: "
                                                 "checkpoints were lost or rolled back"))
        proof = self.proofs.proof(checkpoint, old)
        outcome = lane.client.add_checkpoint(AddCheckpoint(old, tuple(proof), note))
        if isinstance(outcome, Conflict):
            lane.known_size = outcome.size
            return outcome
        if isinstance(outcome, Cosigned):
            self.store.add(checkpoint.size, label, outcome.line)
            if self.directory is not None:
                self.directory.write(checkpoint, label, outcome.line)
            lane.known_size = checkpoint.size
            self._caught_up(lane, checkpoint.size)
            return outcome
        return self._failed(lane, outcome)

    def _caught_up(self, lane: Lane, size: int) -> None:
        if lane.failures:
            log.info("witness %s cosigned size %d after %d failed attempts", lane.endpoint.name,
                     size, lane.failures)
        lane.cosigned_size = lane.known_size = size
        lane.failures, lane.last_error, lane.behind_since, lane.lag_leaves = 0, None, None, 0
        held = [other.known_size for other in self.lanes]
        if None not in held:  # leaves every witness holds are needed for no proof
            self.proofs.forget_below(min(size for size in held if size is not None))

    def _failed(self, lane: Lane, outcome: Refused | Unreachable) -> Outcome:
        lane.failures += 1
        lane.last_error = (outcome.error if isinstance(outcome, Unreachable)
                           else f"{outcome.status}: {outcome.message}")
        behind = time.time() - lane.behind_since if lane.behind_since else 0.0
        log.warning("witness %s (%s) has not cosigned the newest checkpoint: %s; %d leaves and "
                    "%.0f s behind, attempt %d", lane.endpoint.name, lane.endpoint.url,
                    lane.last_error, lane.lag_leaves, behind, lane.failures)
        return outcome

    def submit_all(self) -> dict[str, Outcome | None]:
        """One attempt per witness, all at once (a Conflict is retried from the size it
        names); by witness label."""
        def one(lane: Lane) -> Outcome | None:
            outcome = self.submit(lane)
            return self.submit(lane) if isinstance(outcome, Conflict) else outcome

        with ThreadPoolExecutor(max_workers=max(1, len(self.lanes))) as pool:
            outcomes = list(pool.map(one, self.lanes))
        return {lane.endpoint.label: o for lane, o in zip(self.lanes, outcomes, strict=True)}

    def status(self) -> list[dict[str, Any]]:
        """Each witness's lag as this process sees it."""
        now = time.time()
        return [{"witness": lane.endpoint.label, "url": lane.endpoint.url,
                 "cosigned_size": lane.cosigned_size, "lag_leaves": lane.lag_leaves,
                 "behind_seconds": round(now - lane.behind_since, 1) if lane.behind_since
                 else 0.0, "failures": lane.failures, "last_error": lane.last_error}
                for lane in self.lanes]

    def close(self) -> None:
        for lane in self.lanes:
            lane.client.close()


class WakeWitnesses:
    """A checkpoint sink (events.evidence.checkpoints.CheckpointSink) that wakes the witnesses'
    threads the moment a checkpoint is kept, instead of at their next look."""

    def __init__(self, cosigning: Cosigning) -> None:
        self.cosigning = cosigning

    def write(self, signed_note: str, checkpoint: Checkpoint) -> None:
        self.cosigning.nudge()
