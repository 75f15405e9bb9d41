"""Inclusion proofs for a few events without holding the log's tree: the roots of its blocks.

A public lookup proves one dossier's few events at a time, so it cannot read the whole log for
each answer (a ``MerkleTree`` of it holds 64 bytes a leaf, and building one reads every leaf).
Cut the leaves into blocks of ``BLOCK`` (a power of two): the tree over the blocks' roots (the
last block possibly partial) is the log's tree above the blocks' level, as RFC 6962 splits a
size at its largest power of two below, which for a multiple of ``BLOCK`` is one at a block
boundary. So an inclusion proof is the leaf's path inside its block followed by the block's
path among the blocks' roots. The prover keeps the root of every complete block (32 bytes per
``BLOCK`` leaves) and the last leaf of each, to read any block again by position: one answer
reads the blocks its events are in and the partial one at the tree's end, a few pages.

Nothing here is trusted over the signature: a proof is given only when the roots it came from
give the checkpoint's root, so a store rewritten under the cache (or the cache under the store)
is refused rather than proven.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from events.evidence.audit import StoredLeaf
from events.evidence.log import HashingRecorder
from events.evidence.merkle import MerkleTree

BLOCK_BITS = 10
BLOCK = 1 << BLOCK_BITS


class ProofUnavailable(Exception):
    """The stored leaves do not back the checkpoint asked about: no proof is made from them."""


@dataclass(frozen=True)
class LeafProof:
    """The leaf of the event at ``position`` and its inclusion proof (None: the event is not
    in the tree of the size asked about yet)."""

    position: int
    leaf_index: int | None
    leaf_hash: bytes | None
    proof: list[bytes] | None


class InclusionProver:
    """Inclusion proofs against any checkpoint of the log, from cached block roots."""

    def __init__(self, recorder: HashingRecorder) -> None:
        self.recorder = recorder
        self._roots: list[bytes] = []
        self._ends: list[StoredLeaf] = []  # the last leaf of each complete block
        self._end_positions: list[int] = []
        self._lock = threading.Lock()

    def prove(self, positions: Sequence[int], size: int, root: bytes) -> list[LeafProof]:
        """A proof for the event at each of ``positions`` in the tree of ``size`` leaves,
        whose root must be ``root``; raises ProofUnavailable when the leaves do not give it."""
        with self._lock:
            self._extend()
            full, rest = divmod(size, BLOCK)
            if full > len(self._roots):
                raise ProofUnavailable(f"the store holds fewer than {size} leaves")
            tail = self._block(full)[:rest] if rest else []
            if len(tail) != rest:
                raise ProofUnavailable(f"the store holds fewer than {size} leaves")
            tops = MerkleTree([*self._roots[:full],
                               *([MerkleTree(leaf.hash for leaf in tail).root()] if rest else [])])
            if tops.root() != root:
                raise ProofUnavailable(f"the stored leaves do not give the root signed for "
                                       f"size {size}: run 'hoso audit verify'")
            read: dict[int, list[StoredLeaf]] = {full: tail}
            return [self._prove(position, size, tops, read) for position in positions]

    def _prove(self, position: int, size: int, tops: MerkleTree,
               read: dict[int, list[StoredLeaf]]) -> LeafProof:
        block = bisect.bisect_left(self._end_positions, position)
        if block * BLOCK >= size:
            return LeafProof(position, None, None, None)
        if block not in read:
            read[block] = self._block(block)
        leaves = read[block]
        found = next((leaf for leaf in leaves if leaf.position == position), None)
        if found is None:
            return LeafProof(position, None, None, None)  # no leaf: the verifier names it
        inner = MerkleTree(leaf.hash for leaf in leaves)
        path = inner.inclusion_proof(found.leaf_index - block * BLOCK, inner.size)
        return LeafProof(position, found.leaf_index, found.hash,
                         path + tops.inclusion_proof(block, tops.size))

    def _extend(self) -> None:
        """Read the blocks completed since the last call and keep their roots."""
        while len(leaves := self._block(len(self._roots))) == BLOCK:
            self._roots.append(MerkleTree(leaf.hash for leaf in leaves).root())
            self._ends.append(leaves[-1])
            self._end_positions.append(leaves[-1].position)

    def _block(self, block: int) -> list[StoredLeaf]:
        """The stored leaves of ``block`` (fewer at the log's end), dense from its first index."""
        after = self._ends[block - 1] if block else None
        leaves = self.recorder.select_leaves(after, BLOCK)
        for offset, leaf in enumerate(leaves):
            if leaf.leaf_index != block * BLOCK + offset:
                raise ProofUnavailable(f"leaf {leaf.leaf_index} is out of sequence: run "
                                       "'hoso audit verify'")
        return leaves
