"""The tamper-evident log over a hashing recorder: its tree, its checkpoints, its audit.

Checkpoints are kept twice: in the store (``<events>_checkpoints``) and in sinks outside it (a
directory by default), so someone who rewrites the database cannot also rewrite every signed
root. The private key only signs; verifying needs the public key alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from events.audit import (
    AuditReport,
    Finding,
    SignedRoot,
    StoredLeaf,
    StoredRecord,
    audit,
    check_roots,
)
from events.checkpoints import CheckpointSink
from events.merkle import MerkleTree
from events.notes import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    note_text,
    open_checkpoint,
    sign_checkpoint,
)
from events.parallel_verify import scan_log
from events.range_scan import RangeScanner

PAGE = 10_000


class HashingRecorder(Protocol):
    """What the log needs of the SQLite and PostgreSQL hashing recorders."""

    def select_records(self, after: int | None, limit: int) -> list[StoredRecord]: ...

    def select_aggregate_records(self, originator_id: UUID) -> list[StoredRecord]: ...

    def select_leaves(self, after: StoredLeaf | None, limit: int) -> list[StoredLeaf]:
        """The next stored leaves after ``after`` (from the first with None), in the store's
        order: by leaf index, or by position where leaf indexes have no index (SQLite). The
        two orders agree in an intact log; :func:`events.audit.audit` sorts for itself."""

    def insert_checkpoint(self, tree_size: int, note: str) -> None: ...

    def leaf_count(self) -> int: ...

    def select_checkpoints(self) -> list[str]: ...

    def range_scanner(self) -> RangeScanner | None:
        """How worker processes read the store, or None where they cannot (in memory)."""


class TamperEvidentLog:
    def __init__(self, recorder: HashingRecorder, origin: str,
                 sinks: Sequence[CheckpointSink] = ()) -> None:
        self.recorder = recorder
        self.origin = origin
        self.sinks = list(sinks)

    def leaves(self) -> Iterator[StoredLeaf]:
        after = None
        while page := self.recorder.select_leaves(after, PAGE):
            yield from page
            after = page[-1]

    def records(self) -> Iterator[StoredRecord]:
        after = None  # from the lowest position, zero or negative ones included
        while page := self.recorder.select_records(after, PAGE):
            yield from page
            after = page[-1].position

    def size(self) -> int:
        return self.recorder.leaf_count()

    def latest(self) -> tuple[Checkpoint, str] | None:
        """The newest checkpoint kept in the store and its signed note (``audit`` checks the
        signature)."""
        notes = self.recorder.select_checkpoints()
        return (Checkpoint.parse(note_text(notes[-1])), notes[-1]) if notes else None

    def latest_checkpoint(self) -> Checkpoint | None:
        latest = self.latest()
        return latest[0] if latest else None

    def tree(self) -> MerkleTree:
        return MerkleTree(leaf.hash for leaf in self.leaves())

    def checkpoint(self, signer: Signer, now: datetime) -> tuple[Checkpoint, str]:
        """Sign the current root, keep it in the store and write it to every sink. With no new
        leaf since the latest checkpoint, that one is returned: signing the same tree again
        would only make a second note the store refuses to keep."""
        latest = self.latest()
        if latest and latest[0].size == self.size():
            return latest
        tree = self.tree()
        checkpoint = Checkpoint(origin=self.origin, size=tree.size, root=tree.root(), time=now)
        note = sign_checkpoint(checkpoint, signer)
        self.recorder.insert_checkpoint(checkpoint.size, note)
        for sink in self.sinks:
            sink.write(note, checkpoint)
        return checkpoint, note

    def audit(self, verifier: Verifier, outside_notes: Sequence[tuple[str, str]] = (),
              workers: int | None = None) -> AuditReport:
        """Recompute everything; ``outside_notes`` are (source, note) from outside the store.

        The leaves are first scanned in parallel (``workers`` processes, default one per core)
        for a yes-or-no answer; only when that finds something does the whole log go through
        :func:`events.audit.audit`, which names every problem and its position.
        """
        roots, bad = self._signed_roots(verifier, outside_notes)
        scanner = self.recorder.range_scanner()
        if scanner is not None:
            scan = scan_log(scanner, self.size(), workers)
            if scan.clean:
                report = AuditReport(events=scan.size, leaves=scan.size,
                                     checkpoints=len(roots))
                report.findings.extend(check_roots(scan.tree, roots))
                report.findings.extend(bad)
                return report
        report = audit(self.records(), self.leaves(), roots)
        report.findings.extend(bad)
        return report

    def _signed_roots(self, verifier: Verifier, outside_notes: Sequence[tuple[str, str]]
                      ) -> tuple[list[SignedRoot], list[Finding]]:
        """The roots vouched for by validly signed checkpoints, and a finding for each other."""
        notes = [("the store", note) for note in self.recorder.select_checkpoints()]
        roots: list[SignedRoot] = []
        bad: list[Finding] = []
        for source, note in [*notes, *outside_notes]:
            try:
                checkpoint = open_checkpoint(note, verifier, self.origin)
            except NoteError as error:
                bad.append(Finding(0, "checkpoint", f"a checkpoint in {source} is not "
                                                    f"validly signed: {error}"))
                continue
            roots.append(SignedRoot(checkpoint.size, checkpoint.root,
                                    f"{source} (size {checkpoint.size}, "
                                    f"{checkpoint.time.isoformat()})"))
        return roots, bad
