"""Signs the log's new leaves within a bounded time of their commit, beside the API server.

``hoso serve`` runs one in a thread. Every ``poll`` seconds it reads the leaves appended since
its last look (one cheap query when idle) into a
:class:`events.evidence.compact.CompactRange`, and signs when the policy says a checkpoint is
due: ``every_events`` new leaves, or the newest checkpoint (by any process) ``every_seconds``
old by the next poll — so no commit waits longer than
``every_seconds`` (plus the signing itself) for a signature. It signs at once when the log has
leaves and no checkpoint, and once more when stopped.

The root it signs is over the leaves *it* read, once each: a leaf rewritten after it was read
makes the next checkpoint disagree with the store, which verification names; so an insider has
until the first poll after the commit, not the whole window, to rewrite an event unseen.
Reading from the start, it checks the store's newest checkpoint on the way and stops signing
(saying why) when the stored leaves no longer give its root. Several processes may sign: the
store keeps only checkpoints larger than the newest (see ``HashingRecorder.insert_checkpoint``).
The key comes from ``keys`` at each signature, so that a server follows a key rotation
(events.evidence.signing_keys).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from events.evidence.audit import StoredLeaf
from events.evidence.checkpoints import CheckpointPolicy
from events.evidence.compact import CompactRange
from events.evidence.log import PAGE, TamperEvidentLog
from events.evidence.notes import Checkpoint
from events.evidence.signing_keys import SigningKeys

log = logging.getLogger(__name__)
MAX_POLL = 1.0  # seconds between looks at the log, at most


class StoredLeavesDisagree(Exception):
    """The leaves read while following the log contradict what was read or signed before."""


def default_poll(policy: CheckpointPolicy) -> float:
    """A fifth of the time trigger, at most ``MAX_POLL``: often enough to keep the bound."""
    return min(MAX_POLL, policy.every_seconds / 5) if policy.every_seconds else MAX_POLL


class Checkpointer:
    def __init__(self, tamper_evident_log: TamperEvidentLog, keys: SigningKeys,
                 policy: CheckpointPolicy, clock: Callable[[], datetime],
                 poll: float | None = None) -> None:
        self.log = tamper_evident_log
        self.keys = keys
        self.policy = policy
        self.clock = clock
        self.poll = default_poll(policy) if poll is None else poll
        self.stopped_because: str | None = None  # set when the stored leaves disagree
        self._range = CompactRange()
        self._last: StoredLeaf | None = None

    @property
    def size(self) -> int:
        """The leaves read so far."""
        return self._range.size

    def follow(self, check: Checkpoint | None = None) -> None:
        """Read the leaves appended since the last call; on the way, the root at ``check``'s
        size must be ``check``'s. Raises StoredLeavesDisagree (reading nothing more) when a
        leaf is out of sequence or not a hash, or the root differs."""
        while page := self.log.recorder.select_leaves(self._last, PAGE):
            for leaf in page:
                self._check(check)
                if leaf.leaf_index != self._range.size:
                    raise StoredLeavesDisagree(
                        f"leaf {leaf.leaf_index} (position {leaf.position}) follows leaf "
                        f"{self._range.size - 1}: leaves were deleted, inserted or renumbered")
                try:
                    self._range.append(leaf.hash)
                except ValueError:
                    raise StoredLeavesDisagree(
                        f"leaf {leaf.leaf_index} (position {leaf.position}) is not a "
                        "hash") from None
                self._last = leaf
        self._check(check)

    def _check(self, check: Checkpoint | None) -> None:
        if check is not None and self._range.size == check.size \
                and self._range.root() != check.root:
            raise StoredLeavesDisagree(
                f"the stored leaves no longer give the root of the newest checkpoint "
                f"(size {check.size}): history before it was rewritten")

    def step(self, final: bool = False) -> tuple[Checkpoint, str] | None:
        """Follow the log and sign when due (``final``: whenever anything is unsigned). The
        checkpoint made, or None: nothing due, no key may sign the size now, or another
        process kept a larger one first."""
        latest = self.log.latest_checkpoint()
        self.follow(latest if latest is not None and latest.size >= self.size else None)
        if self.size == 0 or (latest is not None and self.size <= latest.size):
            return None
        if latest is not None and not final:
            waited = (self.clock() - latest.time).total_seconds()
            if not self.policy.due(self.size - latest.size, waited + self.poll):
                return None
        with self.keys.signing(self.size) as signer:
            if signer is None:  # the key was rotated away (events.evidence.signing_keys)
                return None
            made = self.log.sign(signer, self.clock(), self.size, self._range.root())
        if made is not None:
            log.info("checkpoint at %d leaves, fingerprint %s", made[0].size,
                     made[0].fingerprint)
        return made

    def _step_reporting(self, final: bool = False) -> None:
        if self.stopped_because is not None:
            return
        try:
            self.step(final)
        except StoredLeavesDisagree as disagreement:
            self.stopped_because = str(disagreement)
            log.error("no more checkpoints from this process: %s; run 'hoso audit verify'",
                      disagreement)
        except Exception:  # keep serving; the next poll retries
            log.exception("periodic checkpoint failed")

    def run(self, stop: threading.Event, poll: float | None = None) -> None:
        """Until ``stop`` is set: sign whenever a checkpoint is due; then sign what is left."""
        if poll is not None:
            self.poll = poll
        while True:
            self._step_reporting()
            if stop.wait(self.poll):
                break
        self._step_reporting(final=True)

    def start(self, stop: threading.Event, poll: float | None = None) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop, poll), name="checkpointer",
                                  daemon=True)
        thread.start()
        return thread
