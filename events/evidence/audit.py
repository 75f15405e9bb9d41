"""Recomputes the tamper-evident log from the store and says what, if anything, was altered.

Two independent checks. Leaves: every stored event's record is hashed again and matched with the
leaf written in its transaction, which names rows changed, deleted, inserted or moved. Roots: the
tree over the stored leaves must reproduce the root of every signed checkpoint, which catches a
log rebuilt consistently (records and leaves recomputed together) by someone without the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from events.evidence.merkle import MerkleTree
from events.evidence.records import record_leaf_hash

if TYPE_CHECKING:
    from events.evidence.tail import UnsignedTail

HASH_SIZE = 32


class StoredRecord(NamedTuple):
    """One row of the events table, as the store holds it (a NamedTuple: millions are read)."""

    position: int
    originator_id: str
    version: int
    topic: str
    state: bytes

    def leaf(self, position: int | None = None) -> bytes:
        return record_leaf_hash(self.position if position is None else position,
                                self.originator_id, self.version, self.topic, self.state)

    def stated(self, names: Sequence[str]) -> dict[str, str]:
        """What the record states of itself, read as plain JSON without the domain's classes
        (a tampered record may no longer decode as its event): its ``type`` from the topic,
        its ``time``, and each of ``names`` the state holds as a string."""
        fields = {"type": self.topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1]}
        try:
            body = json.loads(self.state)
        except (UnicodeDecodeError, ValueError, RecursionError):
            return fields
        if isinstance(body, dict):
            stamp = body.get("timestamp")
            if isinstance(stamp, dict) and isinstance(stamp.get("_data_"), str):
                fields["time"] = stamp["_data_"]
            fields.update((name, body[name]) for name in names
                          if isinstance(body.get(name), str))
        return fields


class StoredLeaf(NamedTuple):
    leaf_index: int
    position: int
    hash: bytes


@dataclass(frozen=True)
class SignedRoot:
    """A checkpoint whose signature was already verified: the size and root it vouches for,
    and when it was signed (its note's ``time``, where known)."""

    size: int
    root: bytes
    source: str
    time: datetime | None = None
    others: tuple[str, ...] = ()  # names on the note's other signature lines (not checked)


@dataclass(frozen=True)
class Finding:
    """One problem: ``kind`` is changed, missing, inserted, reordered, checkpoint or unsigned
    (events no signed checkpoint covers in time)."""

    position: int
    kind: str
    detail: str


@dataclass
class AuditReport:
    """What an audit found; ``newest`` is the largest validly signed checkpoint, ``tail`` the
    leaves after it (filled when a signing window was given)."""

    events: int = 0
    leaves: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)
    newest: SignedRoot | None = None
    tail: UnsignedTail | None = None

    @property
    def intact(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return min(self.findings, key=lambda f: f.position) if self.findings else None


def audit(records: Iterable[StoredRecord], leaves: Iterable[StoredLeaf],
          signed_roots: Sequence[SignedRoot]) -> AuditReport:
    """Check ``records`` (in position order) against ``leaves`` (in any order) and roots."""
    by_position = {record.position: record for record in records}
    stored = sorted(leaves, key=lambda leaf: leaf.leaf_index)
    report = AuditReport(events=len(by_position), leaves=len(stored),
                         checkpoints=len(signed_roots))
    report.findings.extend(_check_leaves(by_position, stored))
    malformed = [leaf for leaf in stored if len(leaf.hash) != HASH_SIZE]
    for leaf in malformed:
        report.findings.append(Finding(
            leaf.position, "changed",
            f"leaf {leaf.leaf_index} is {len(leaf.hash)} bytes, not a hash"))
    if not malformed:  # a tree over malformed leaves means nothing: those are reported instead
        report.findings.extend(check_roots(MerkleTree(leaf.hash for leaf in stored),
                                            signed_roots))
    return report


def _check_leaves(records: dict[int, StoredRecord],
                  leaves: list[StoredLeaf]) -> list[Finding]:
    findings: list[Finding] = []
    leaf_positions = {leaf.position for leaf in leaves}
    previous = None
    expected = 0  # the next leaf index
    mismatched: list[tuple[StoredLeaf, StoredRecord]] = []
    for leaf in leaves:
        if leaf.leaf_index > expected:
            # a deleted event's own position is unknown where its leaf went with it: name the
            # first position it could have held
            gap = leaf.leaf_index - expected
            where = leaf.position - gap if previous is None else previous + 1
            gone = f"leaf {expected}" if gap == 1 else f"leaves {expected}–{leaf.leaf_index - 1}"
            findings.append(Finding(where, "missing", f"{gone} gone (next is {leaf.leaf_index}, "
                                                      f"at position {leaf.position})"))
        elif leaf.leaf_index < expected:
            findings.append(Finding(leaf.position, "inserted",
                                    f"leaf {leaf.leaf_index} is stored twice"))
        expected = max(expected, leaf.leaf_index + 1)
        if previous is not None and leaf.position <= previous:
            findings.append(Finding(leaf.position, "reordered",
                                    f"leaf {leaf.leaf_index} comes after position {previous}"))
        previous = leaf.position
        record = records.get(leaf.position)
        if record is None:
            findings.append(Finding(leaf.position, "missing",
                                    f"the event at position {leaf.position} was deleted"))
        elif record.leaf() != leaf.hash:
            mismatched.append((leaf, record))
    findings.extend(_explain_mismatches(mismatched))
    for position in sorted(set(records) - leaf_positions):
        findings.append(Finding(position, "inserted",
                                f"the event at position {position} has no leaf"))
    return findings


def _explain_mismatches(mismatched: list[tuple[StoredLeaf, StoredRecord]]) -> list[Finding]:
    """A row whose bytes hash correctly at another mismatched position was moved from there —
    its leaf stayed at that position (a leaves table) or moved with it (a leaf in the row);
    else it was changed."""
    findings = []
    for leaf, record in mismatched:
        moved_from = next((other for other, _ in mismatched
                           if record.leaf(other.position) in (other.hash, leaf.hash)), None)
        if moved_from is not None:
            findings.append(Finding(leaf.position, "reordered",
                                    f"the event at position {leaf.position} was recorded at "
                                    f"position {moved_from.position}"))
        else:
            findings.append(Finding(leaf.position, "changed",
                                    f"the event at position {leaf.position} ({record.topic}, "
                                    f"version {record.version}) no longer matches its leaf"))
    return findings


def check_roots(tree: MerkleTree, signed_roots: Sequence[SignedRoot]) -> list[Finding]:
    """Each signed root must be the root of the stored tree at its size. A rewrite is placed
    after the last checkpoint that still matches, and within the first one that does not."""
    findings = []
    good = 0
    for signed in sorted(signed_roots, key=lambda s: s.size):
        if signed.size > tree.size:
            findings.append(Finding(tree.size, "missing",
                                    f"{signed.source} vouches for {signed.size} leaves; "
                                    f"the store has only {tree.size}"))
        elif tree.root(signed.size) != signed.root:
            findings.append(Finding(good, "checkpoint",
                                    f"leaves {good}–{signed.size - 1} do not give the root "
                                    f"signed in {signed.source}: history was rewritten"))
        else:
            good = signed.size
    return findings
