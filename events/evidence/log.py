"""The tamper-evident log over a hashing recorder: its tree, its checkpoints, its audit.

Checkpoints are kept twice: in the store (``<events>_checkpoints``) and in sinks outside it (a
directory by default), so someone who rewrites the database cannot also rewrite every signed
root. The private key only signs; verifying needs the public key alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from events.evidence.audit import (
    AuditReport,
    Finding,
    SignedRoot,
    StoredLeaf,
    StoredRecord,
    audit,
    check_roots,
)
from events.evidence.checkpoints import CheckpointSink
from events.evidence.merkle import MerkleTree
from events.evidence.notes import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    note_text,
    sign_checkpoint,
    split_note,
)
from events.evidence.rotation import KeyRing
from events.evidence.tail import SAMPLE, SigningWindow, unsigned_finding, unsigned_tail
from events.store.parallel_verify import scan_log
from events.store.range_scan import RangeScanner

PAGE = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class HashingRecorder(Protocol):
    """What the log needs of the SQLite and PostgreSQL hashing recorders."""

    def select_records(self, after: int | None, limit: int) -> list[StoredRecord]: ...

    def select_aggregate_records(self, originator_id: UUID) -> list[StoredRecord]: ...

    def select_leaves(self, after: StoredLeaf | None, limit: int) -> list[StoredLeaf]:
        """The next stored leaves after ``after`` (from the first with None), in the store's
        order: by leaf index, or by position where leaf indexes have no index (SQLite). The
        two orders agree in an intact log; :func:`events.evidence.audit.audit` sorts for itself."""

    def insert_checkpoint(self, tree_size: int, note: str) -> bool:
        """Keep ``note`` only when its tree is larger than every kept one (checked and written
        as one step, whichever process signs); whether it was kept."""

    def leaf_count(self) -> int: ...

    def select_checkpoints(self) -> list[str]: ...

    def select_latest_checkpoint(self) -> str | None:
        """The kept note with the largest tree, if any."""

    def select_checkpoint(self, tree_size: int) -> str | None:
        """The kept note for ``tree_size`` leaves, if any."""

    def select_records_from_leaf(self, leaf_index: int, limit: int) -> list[StoredRecord]:
        """Up to ``limit`` records from the one holding leaf ``leaf_index`` on, in order."""

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
        note = self.recorder.select_latest_checkpoint()
        return (Checkpoint.parse(note_text(note)), note) if note is not None else None

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
        signed = self.sign(signer, now, tree.size, tree.root())
        if signed is None:  # another process signed a larger tree meanwhile
            newest = self.latest()
            if newest is None:
                raise RuntimeError("a larger checkpoint was kept, yet none is found")
            return newest
        return signed

    def sign(self, signer: Signer, now: datetime, size: int, root: bytes
             ) -> tuple[Checkpoint, str] | None:
        """Sign ``root`` as the tree of the first ``size`` leaves; keep it in the store and
        write it to every sink. None, writing nothing, when the store already keeps a
        checkpoint as large: of several signing processes, only increasing trees are kept."""
        checkpoint = Checkpoint(origin=self.origin, size=size, root=root, time=now)
        note = sign_checkpoint(checkpoint, signer)
        if not self.recorder.insert_checkpoint(checkpoint.size, note):
            return None
        for sink in self.sinks:
            sink.write(note, checkpoint)
        return checkpoint, note

    def records_from_leaf(self, leaf_index: int, limit: int = 1) -> list[StoredRecord]:
        """The stored records from the one holding leaf ``leaf_index`` on (``limit`` of them)."""
        return self.recorder.select_records_from_leaf(leaf_index, limit)

    def audit(self, keys: Verifier | KeyRing, outside_notes: Sequence[tuple[str, str]] = (),
              workers: int | None = None, window: SigningWindow | None = None
              ) -> AuditReport:
        """Recompute everything; ``outside_notes`` are (source, note) from outside the store.
        ``keys`` are the log's key, or its keys over time (each checkpoint must be signed by
        the key of its size; see :mod:`events.evidence.rotation`).

        The leaves are first scanned in parallel (``workers`` processes, default one per core)
        for a yes-or-no answer; only when that finds something does the whole log go through
        :func:`events.evidence.audit.audit`, which names every problem and its position. With a
        ``window`` the leaves after the newest signed checkpoint are reported too, and a
        finding made when they have waited too long (see :mod:`events.evidence.tail`).
        """
        ring = keys if isinstance(keys, KeyRing) else KeyRing.single(keys)
        roots, bad = self._signed_roots(ring, outside_notes)
        report = self._audit(roots, workers)
        report.findings.extend(bad)
        report.newest = _newest(roots)
        if window is not None:
            start = min(report.newest.size, report.leaves) if report.newest else 0
            first = self.records_from_leaf(start, SAMPLE) if start < report.leaves else []
            report.tail = unsigned_tail(report.leaves, report.newest, first)
            finding = unsigned_finding(report.tail, report.newest, window)
            if finding is not None:
                report.findings.append(finding)
        return report

    def _audit(self, roots: list[SignedRoot], workers: int | None) -> AuditReport:
        """The leaves and roots checked, by the parallel scan or (when unclean) in full."""
        scanner = self.recorder.range_scanner()
        if scanner is not None:
            scan = scan_log(scanner, self.size(), workers)
            if scan.clean:
                report = AuditReport(events=scan.size, leaves=scan.size,
                                     checkpoints=len(roots))
                report.findings.extend(check_roots(scan.tree, roots))
                return report
        return audit(self.records(), self.leaves(), roots)

    def _signed_roots(self, ring: KeyRing, outside_notes: Sequence[tuple[str, str]]
                      ) -> tuple[list[SignedRoot], list[Finding]]:
        """The roots vouched for by validly signed checkpoints, and a finding for each other."""
        notes = [("the store", note) for note in self.recorder.select_checkpoints()]
        roots: list[SignedRoot] = []
        bad = [Finding(0, "keys", problem) for problem in ring.problems]
        for source, note in [*notes, *outside_notes]:
            try:
                checkpoint = ring.open_checkpoint(note, self.origin)
            except NoteError as error:
                bad.append(Finding(0, "checkpoint", f"a checkpoint in {source} is not "
                                                    f"validly signed: {error}"))
                continue
            others = tuple(f"{line.name}+{line.key_id:08x}" for line in split_note(note)[1]
                           if not ring.signed_by_ring(line.name, line.key_id))
            roots.append(SignedRoot(checkpoint.size, checkpoint.root,
                                    f"{source} (size {checkpoint.size}, "
                                    f"{checkpoint.time.isoformat()})",
                                    checkpoint.time, others))
        return roots, bad


def _newest(roots: Sequence[SignedRoot]) -> SignedRoot | None:
    """The largest signed root (the latest signed among equals), carrying the names of every
    other signature found on a copy of it (the store's, the folder's, a witness's)."""
    newest = max(roots, key=lambda r: (r.size, r.time or _EPOCH), default=None)
    if newest is None:
        return None
    others = dict.fromkeys(name for r in roots if (r.size, r.root) == (newest.size, newest.root)
                           for name in r.others)
    return replace(newest, others=tuple(others))
