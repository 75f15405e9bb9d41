"""Consistency proofs for the witnesses from a border and the leaves after it: the same bytes as
the whole tree gives, and the leaves every witness holds are not kept."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime

import pytest

from events.evidence.audit import StoredLeaf
from events.evidence.merkle import MerkleTree
from events.evidence.notes import Checkpoint
from events.evidence.verify import verify_consistency
from events.evidence.witness.proofs import Border, ProofSource, StoreDisagrees, consistency_proof

LEAVES = [hashlib.sha256(str(n).encode()).digest() for n in range(300)]
TREE = MerkleTree(LEAVES)


def border(size: int) -> Border:
    made = Border()
    for leaf in LEAVES[:size]:
        made.append(leaf)
    return made


def test_every_proof_up_to_128_leaves_is_the_trees() -> None:
    for n in range(129):
        for m in range(n + 1):
            at = border(m)
            assert at.root() == TREE.root(m)
            assert consistency_proof(at, LEAVES[m:n]) == TREE.consistency_proof(m, n), (m, n)


def test_random_proofs_in_a_larger_tree_are_the_trees_and_verify() -> None:
    rng = random.Random(16)
    for _ in range(200):
        n = rng.randrange(1, len(LEAVES) + 1)
        m = rng.randrange(1, n + 1)
        proof = consistency_proof(border(m), LEAVES[m:n])
        assert proof == TREE.consistency_proof(m, n)
        verify_consistency(m, n, proof, TREE.root(m), TREE.root(n))


class PagedLeaves:
    """The leaf reads of a hashing recorder, counted."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves = leaves
        self.read = 0

    def select_leaves(self, after: StoredLeaf | None, limit: int) -> list[StoredLeaf]:
        start = 0 if after is None else after.leaf_index + 1
        page = [StoredLeaf(i, i + 1, self.leaves[i])
                for i in range(start, min(len(self.leaves), start + min(limit, 7)))]
        self.read += len(page)
        return page


def checkpoint(size: int, leaves: list[bytes] = LEAVES) -> Checkpoint:
    return Checkpoint("o", size, MerkleTree(leaves[:size]).root(),
                      datetime(2026, 12, 6, tzinfo=UTC))


def test_a_source_proves_from_each_witness_size_and_keeps_only_the_unwitnessed_leaves() -> None:
    """GIVEN witnesses at 40 and 90 leaves and checkpoints growing to 250 WHEN proofs are asked
    and every witness is known to hold 90 THEN each proof is the tree's, the leaves below 90 are
    folded away and each leaf was read once."""
    store = PagedLeaves(LEAVES[:250])
    source = ProofSource(store)  # type: ignore[arg-type]
    for size in (100, 180, 250):
        for old in (40, 90):
            assert source.proof(checkpoint(size), old) == TREE.consistency_proof(old, size)
    source.forget_below(40)
    source.forget_below(90)
    assert source.head == 250
    assert len(source._tail) == 160
    assert store.read == 250
    assert source.proof(checkpoint(250), 90) == TREE.consistency_proof(90, 250)


def test_a_witness_below_the_floor_has_the_leaves_read_again() -> None:
    store = PagedLeaves(LEAVES[:200])
    source = ProofSource(store)  # type: ignore[arg-type]
    source.proof(checkpoint(200), 150)
    source.forget_below(150)
    assert source.proof(checkpoint(200), 30) == TREE.consistency_proof(30, 200)
    assert store.read == 400


def test_leaves_that_do_not_give_the_checkpoints_root_prove_nothing() -> None:
    forged = list(LEAVES[:120])
    forged[7] = hashlib.sha256(b"forged").digest()
    source = ProofSource(PagedLeaves(forged))  # type: ignore[arg-type]
    with pytest.raises(StoreDisagrees, match="do not give the root"):
        source.proof(checkpoint(120), 50)
    short = ProofSource(PagedLeaves(LEAVES[:60]))  # type: ignore[arg-type]
    with pytest.raises(StoreDisagrees):
        short.proof(checkpoint(120), 50)
