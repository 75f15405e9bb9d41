"""Inclusion proofs from cached block roots are the whole tree's proofs, at any checkpoint size,
and nothing is proven from leaves that do not give the checkpoint's root."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from events.evidence.audit import StoredLeaf
from events.evidence.inclusion import BLOCK, InclusionProver, ProofUnavailable
from events.evidence.merkle import MerkleTree


class Leaves:
    """The part of a hashing recorder the prover reads: leaves by position, positions with
    gaps (every third position unused, as notification ids may skip)."""

    def __init__(self, count: int) -> None:
        self.leaves: list[StoredLeaf] = []
        self.reads = 0
        self.grow(count)

    def grow(self, count: int) -> None:
        for index in range(len(self.leaves), count):
            position = index * 3 // 2 + 7
            self.leaves.append(StoredLeaf(index, position,
                                          hashlib.sha256(str(index).encode()).digest()))

    def select_leaves(self, after: StoredLeaf | None, limit: int) -> list[StoredLeaf]:
        self.reads += 1
        start = 0 if after is None else next((i for i, leaf in enumerate(self.leaves)
                                              if leaf.position > after.position), len(self.leaves))
        return self.leaves[start:start + limit]


def prover(leaves: Leaves) -> InclusionProver:
    recorder: Any = leaves
    return InclusionProver(recorder)


@pytest.mark.parametrize("size", [1, 5, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, 3 * BLOCK + 77])
def test_the_proofs_are_the_whole_trees(size: int) -> None:
    leaves = Leaves(3 * BLOCK + 100)
    tree = MerkleTree(leaf.hash for leaf in leaves.leaves)
    wanted = sorted({0, size // 2, size - 1, min(size, len(leaves.leaves) - 1), BLOCK - 1})
    proofs = prover(leaves).prove([leaves.leaves[i].position for i in wanted], size,
                                  tree.root(size))
    for index, proof in zip(wanted, proofs, strict=True):
        if index >= size:
            assert proof.proof is None, index
            continue
        assert (proof.leaf_index, proof.leaf_hash) == (index, leaves.leaves[index].hash)
        assert proof.proof == tree.inclusion_proof(index, size), index


def test_blocks_are_read_once_and_the_log_may_grow_between_answers() -> None:
    leaves = Leaves(2 * BLOCK + 10)
    made = prover(leaves)
    made.prove([leaves.leaves[3].position], 2 * BLOCK, MerkleTree(
        leaf.hash for leaf in leaves.leaves[:2 * BLOCK]).root())
    before = leaves.reads
    leaves.grow(5 * BLOCK)
    tree = MerkleTree(leaf.hash for leaf in leaves.leaves)
    (proof,) = made.prove([leaves.leaves[4000].position], 4500, tree.root(4500))
    assert proof.proof == tree.inclusion_proof(4000, 4500)
    assert leaves.reads - before <= 8  # the new blocks, the tail, the one proven: not the log


def test_leaves_that_do_not_give_the_root_are_not_proven() -> None:
    leaves = Leaves(BLOCK + 3)
    tree = MerkleTree(leaf.hash for leaf in leaves.leaves)
    with pytest.raises(ProofUnavailable, match="do not give the root"):
        prover(leaves).prove([leaves.leaves[0].position], BLOCK + 3, tree.root(BLOCK + 2))
    with pytest.raises(ProofUnavailable, match="fewer than"):
        prover(leaves).prove([], BLOCK + 9, tree.root())
    leaves.leaves[5] = leaves.leaves[5]._replace(leaf_index=99)
    with pytest.raises(ProofUnavailable, match="out of sequence"):
        prover(leaves).prove([], 3, tree.root(3))
