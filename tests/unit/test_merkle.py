"""The Merkle tree and the offline verifier agree with transparency-dev/merkle and with RFC 9162."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

import events.evidence.merkle
from events.evidence.merkle import EMPTY_ROOT, MerkleTree, leaf_hash, node_hash
from events.evidence.verify import (
    VerificationError,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parents[1] / "vectors" / "rfc6962"
CONSTANTS = json.loads((VECTORS / "constants.json").read_text(encoding="utf-8"))
INCLUSION_FILES = sorted((VECTORS / "inclusion").glob("*/*.json"))
CONSISTENCY_FILES = sorted((VECTORS / "consistency").glob("*/*.json"))

LEAF_INPUTS = [bytes.fromhex(h) for h in CONSTANTS["leaf_inputs"]]
REFERENCE = MerkleTree(leaf_hash(data) for data in LEAF_INPUTS)  # the 8-leaf tree of constants.go
SMALL = MerkleTree(leaf_hash(i.to_bytes(2, "big")) for i in range(64))
SIZES = range(1, SMALL.size + 1)


def _hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _load(path: Path) -> dict[str, Any]:
    probe: dict[str, Any] = json.loads(path.read_bytes())
    probe["proof"] = [_b64(h) for h in probe["proof"] or []]  # Go writes a nil proof as null
    return probe


def _flip(proof: list[bytes], i: int) -> list[bytes]:
    """The proof with one bit of element ``i`` flipped."""
    changed = list(proof)
    changed[i] = bytes([changed[i][0] ^ 0x10]) + changed[i][1:]
    return changed


# -- RFC 9162 §2.1 written out literally, as the yardstick for MerkleTree ----------------------

def _k(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def _mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return node_hash(_mth(d[:k]), _mth(d[k:]))


def _path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*_path(m, d[:k]), _mth(d[k:])]
    return [*_path(m - k, d[k:]), _mth(d[:k])]


def _subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*_subproof(m, d[:k], b), _mth(d[k:])]
    return [*_subproof(m - k, d[k:], False), _mth(d[:k])]


SMALL_LEAVES = [SMALL.leaf(i) for i in range(SMALL.size)]


# -- constants.json: hashing and roots ----------------------------------------------------------

def test_empty_root_is_the_hash_of_nothing() -> None:
    assert EMPTY_ROOT == bytes.fromhex(CONSTANTS["empty_root_hash"]) == MerkleTree().root()


def test_leaf_hash_reproduces_level_zero() -> None:
    assert [leaf_hash(data) for data in LEAF_INPUTS] == _hexes(CONSTANTS["node_hashes"][0])


@pytest.mark.parametrize("level", [1, 2, 3])
def test_node_hash_reproduces_each_level_from_the_one_below(level: int) -> None:
    below = _hexes(CONSTANTS["node_hashes"][level - 1])
    pairs = [node_hash(below[i], below[i + 1]) for i in range(0, len(below), 2)]
    assert pairs == _hexes(CONSTANTS["node_hashes"][level])


@pytest.mark.parametrize("size", range(9))
def test_roots_of_sizes_0_to_8_match_the_reference(size: int) -> None:
    want = bytes.fromhex(CONSTANTS["root_hashes"][size])
    assert REFERENCE.root(size) == want
    assert MerkleTree(leaf_hash(data) for data in LEAF_INPUTS[:size]).root() == want


@pytest.mark.parametrize("case", CONSTANTS["inclusion_proofs"],
                         ids=lambda c: f"leaf{c['leaf_index']}-of-{c['tree_size']}")
def test_reference_inclusion_proofs_are_generated_and_verify(case: dict[str, Any]) -> None:
    index, size, proof = case["leaf_index"], case["tree_size"], _hexes(case["proof"])
    assert REFERENCE.inclusion_proof(index, size) == proof
    verify_inclusion(REFERENCE.leaf(index), index, size, proof, REFERENCE.root(size))


@pytest.mark.parametrize("case", CONSTANTS["consistency_proofs"],
                         ids=lambda c: f"{c['size1']}-to-{c['size2']}")
def test_reference_consistency_proofs_are_generated_and_verify(case: dict[str, Any]) -> None:
    size1, size2, proof = case["size1"], case["size2"], _hexes(case["proof"])
    assert REFERENCE.consistency_proof(size1, size2) == proof
    verify_consistency(size1, size2, proof, REFERENCE.root(size1), REFERENCE.root(size2))


# -- transparency-dev/merkle testdata: every file, happy or tampered ----------------------------

def test_the_copied_vector_set_is_complete() -> None:
    # 4 inclusion and 5 consistency directories at commit 73a0db1 (see SOURCE.md)
    assert (len(INCLUSION_FILES), len(CONSISTENCY_FILES)) == (64, 84)


@pytest.mark.parametrize("path", INCLUSION_FILES, ids=lambda p: str(p.relative_to(VECTORS)))
def test_inclusion_vector(path: Path) -> None:
    probe = _load(path)
    args = (_b64(probe["leafHash"]), probe["leafIdx"], probe["treeSize"], probe["proof"],
            _b64(probe["root"]))
    if probe["wantErr"]:
        with pytest.raises(VerificationError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)
        # THEN our tree, built from the same reference leaves, gives that very proof
        assert REFERENCE.inclusion_proof(probe["leafIdx"], probe["treeSize"]) == probe["proof"]


@pytest.mark.parametrize("path", CONSISTENCY_FILES, ids=lambda p: str(p.relative_to(VECTORS)))
def test_consistency_vector(path: Path) -> None:
    probe = _load(path)
    args = (probe["size1"], probe["size2"], probe["proof"], _b64(probe["root1"]),
            _b64(probe["root2"]))
    if probe["wantErr"]:
        with pytest.raises(VerificationError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)
        assert REFERENCE.consistency_proof(probe["size1"], probe["size2"]) == probe["proof"]


# -- our own trees, every shape up to 64 leaves -------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
def test_root_and_inclusion_proofs_follow_rfc_9162_and_verify(size: int) -> None:
    root = SMALL.root(size)
    assert root == _mth(SMALL_LEAVES[:size])
    for index in range(size):
        proof = SMALL.inclusion_proof(index, size)
        assert proof == _path(index, SMALL_LEAVES[:size])
        assert root_from_inclusion_proof(SMALL.leaf(index), index, size, proof) == root
        verify_inclusion(SMALL.leaf(index), index, size, proof, root)


@pytest.mark.parametrize("size2", range(SMALL.size + 1))
def test_consistency_proofs_follow_rfc_9162_and_verify(size2: int) -> None:
    for size1 in range(size2 + 1):
        proof = SMALL.consistency_proof(size1, size2)
        want = [] if size1 in (0, size2) else _subproof(size1, SMALL_LEAVES[:size2], True)
        assert proof == want
        verify_consistency(size1, size2, proof, SMALL.root(size1), SMALL.root(size2))


@pytest.mark.parametrize("size", SIZES)
def test_tampered_inclusion_proofs_are_rejected(size: int) -> None:
    root = SMALL.root(size)
    other_root = SMALL.root(size - 1 if size > 1 else 2)
    for index in range(size):
        leaf, proof = SMALL.leaf(index), SMALL.inclusion_proof(index, size)
        tampered: list[tuple[bytes, int, int, list[bytes], bytes]] = [
            (leaf, index, size, proof, other_root),                        # wrong root
            (leaf, index, size * 2, proof, root),                          # wrong (taller) size
            (leaf, size, size, proof, root),                               # index out of range
            (leaf, index, size, [*proof, root], root),                     # extended
            (leaf, index, size, [root, *proof], root),                     # extended in front
        ]
        tampered += [(leaf, index, size, _flip(proof, i), root) for i in range(len(proof))]
        if proof:
            tampered.append((leaf, index, size, proof[:-1], root))         # truncated
        if size > 1:
            tampered.append((SMALL.leaf((index + 1) % size), index, size, proof, root))
            tampered.append((leaf, (index + 1) % size, size, proof, root))  # wrong index
        for case in tampered:
            with pytest.raises(VerificationError):
                verify_inclusion(*case)


@pytest.mark.parametrize("size2", range(2, SMALL.size + 1))
def test_tampered_consistency_proofs_are_rejected(size2: int) -> None:
    root2 = SMALL.root(size2)
    for size1 in range(1, size2):
        root1, proof = SMALL.root(size1), SMALL.consistency_proof(size1, size2)
        tampered: list[tuple[int, int, list[bytes], bytes, bytes]] = [
            (size1, size2, proof, root2, root1),                            # swapped roots
            (size1, size2, proof, root1, SMALL.root(size2 - 1)),            # wrong root2
            (size1, size2, proof, SMALL.root(size1 + 1), root2),            # wrong root1
            (size1 + 1, size2, proof, root1, root2),                        # wrong size1
            (size1 - 1, size2, proof, root1, root2),
            (size1 ^ 2, size2, proof, root1, root2),
            (size1, size2 * 2, proof, root1, root2),                        # wrong (taller) size2
            (size1, size2, proof[:-1], root1, root2),                       # truncated
            (size1, size2, [*proof, root2], root1, root2),                  # extended
            (size1, size2, [proof[0], *proof], root1, root2),               # first element twice
            (size1, size2, [], root1, root2),                               # empty
        ]
        tampered += [(size1, size2, _flip(proof, i), root1, root2) for i in range(len(proof))]
        for case in tampered:
            with pytest.raises(VerificationError):
                verify_consistency(*case)


def test_a_proof_does_not_authenticate_the_tree_size() -> None:
    # GIVEN the proof of leaf 0 in the 3-leaf tree, and that tree's root
    proof, root = SMALL.inclusion_proof(0, 3), SMALL.root(3)
    # WHEN the prover claims the tree has 4 leaves THEN the path still hashes to the same root:
    # RFC 9162 proofs bind leaf and root, not size, so size and root must come from one
    # signed checkpoint (as verify.py's docstring says).
    verify_inclusion(SMALL.leaf(0), 0, 4, proof, root)


# -- the verifier's edge cases and input rules ---------------------------------------------------

def test_equal_sizes_need_an_empty_proof_and_equal_roots() -> None:
    root = SMALL.root(5)
    verify_consistency(5, 5, [], root, root)
    with pytest.raises(VerificationError, match="proof is not empty"):
        verify_consistency(5, 5, [root], root, root)
    with pytest.raises(VerificationError, match="different roots"):
        verify_consistency(5, 5, [], root, SMALL.root(4))


def test_from_the_empty_tree_needs_an_empty_proof_and_the_empty_root() -> None:
    verify_consistency(0, 7, [], EMPTY_ROOT, SMALL.root(7))
    with pytest.raises(VerificationError, match="needs an empty proof"):
        verify_consistency(0, 7, [EMPTY_ROOT], EMPTY_ROOT, SMALL.root(7))
    with pytest.raises(VerificationError, match="not the empty root"):
        verify_consistency(0, 7, [], SMALL.root(1), SMALL.root(7))


@pytest.mark.parametrize(("call", "problem"), [
    (lambda: verify_consistency(3, 2, [], SMALL.root(3), SMALL.root(2)), r"size2 \(2\) < size1"),
    (lambda: verify_consistency(-1, 2, [], EMPTY_ROOT, EMPTY_ROOT), "size1 must be >= 0"),
    (lambda: verify_consistency(1, 2, [], SMALL.root(1), SMALL.root(2)), "empty proof"),
    (lambda: verify_consistency(1, 2, [b"x" * 31], SMALL.root(1), SMALL.root(2)),
     r"proof\[0\] must be 32 bytes, got 31"),
    (lambda: verify_consistency(1, 2, [SMALL.leaf(1)], SMALL.root(1), b"x" * 33),
     "root2 must be 32 bytes"),
    (lambda: verify_consistency(1, 2, (SMALL.leaf(1),), SMALL.root(1), SMALL.root(2)), None),
    (lambda: verify_inclusion(SMALL.leaf(0), 0, 0, [], EMPTY_ROOT), "index is beyond size"),
    (lambda: verify_inclusion(SMALL.leaf(0), True, 2, [], EMPTY_ROOT), "index must be an int"),
    (lambda: verify_inclusion(b"", 0, 1, [], SMALL.root(1)), "leaf hash must be 32 bytes"),
    (lambda: verify_inclusion(SMALL.leaf(0), 0, 1, [], "root"), "root must be 32 bytes"),
    (lambda: verify_inclusion(SMALL.leaf(0), 0, 2, SMALL.leaf(1), SMALL.root(2)),
     "proof must be a list"),
    (lambda: verify_inclusion(SMALL.leaf(0), 0, 2, [], SMALL.root(2)), "wrong proof size 0"),
])
def test_verifier_names_what_failed(call: Any, problem: str | None) -> None:
    if problem is None:  # a tuple is as good a proof as a list
        call()
        return
    with pytest.raises(VerificationError, match=problem):
        call()


# -- MerkleTree: growth, arguments, cost ---------------------------------------------------------

def test_appending_one_at_a_time_equals_building_at_once_and_keeps_old_roots() -> None:
    grown = MerkleTree()
    roots = []
    for leaf in SMALL_LEAVES:
        grown.append(leaf)
        roots.append(grown.root())
    assert roots == [SMALL.root(size) for size in SIZES]
    grown.extend(SMALL_LEAVES[:5])
    assert grown.size == 69
    assert [grown.root(size) for size in SIZES] == roots  # append-only: history is unchanged
    assert grown.leaf(66) == SMALL_LEAVES[2]


@pytest.mark.parametrize("cuts", [
    (),  # one part
    (16, 32, 48),  # aligned cuts, as parallel verification makes them
    (32,), (0, 0, 64), (1, 2, 3), (5, 37), (7, 8, 9, 63),  # any cuts at all
])
def test_trees_of_consecutive_ranges_concatenate_to_the_whole(cuts: tuple[int, ...]) -> None:
    """GIVEN the 64 leaves cut into ranges WHEN each range's tree is built on its own and the
    trees are concatenated THEN every root and proof is that of the tree built at once."""
    bounds = [0, *cuts, SMALL.size]
    parts = [MerkleTree(SMALL_LEAVES[a:b]) for a, b in itertools.pairwise(bounds)]
    whole = MerkleTree.concatenate(parts)
    assert whole.size == SMALL.size
    assert [whole.root(size) for size in SIZES] == [SMALL.root(size) for size in SIZES]
    assert all(whole.inclusion_proof(i, 64) == SMALL.inclusion_proof(i, 64) for i in range(64))
    assert whole.consistency_proof(13, 64) == SMALL.consistency_proof(13, 64)
    whole.append(SMALL_LEAVES[0])  # and it grows like any other tree
    assert whole.root() == MerkleTree([*SMALL_LEAVES, SMALL_LEAVES[0]]).root()


def test_concatenating_nothing_gives_the_empty_tree() -> None:
    assert MerkleTree.concatenate([]).root() == EMPTY_ROOT
    assert MerkleTree.concatenate([MerkleTree(), MerkleTree()]).size == 0


@pytest.mark.parametrize(("call", "error", "problem"), [
    (lambda t: t.root(65), ValueError, "size must be <= the tree size 64"),
    (lambda t: t.root(-1), ValueError, "size must be >= 0"),
    (lambda t: t.leaf(64), ValueError, "index must be < size"),
    (lambda t: t.inclusion_proof(5, 5), ValueError, r"index must be < size, got index=5 >= size=5"),
    (lambda t: t.inclusion_proof(0, 65), ValueError, "size must be <= the tree size"),
    (lambda t: t.inclusion_proof(-1, 3), ValueError, "index must be >= 0"),
    (lambda t: t.consistency_proof(4, 3), ValueError, "size1 must be <= size2"),
    (lambda t: t.consistency_proof(1, 65), ValueError, "size2 must be <= the tree size"),
    (lambda t: t.consistency_proof(-1, 3), ValueError, "size1 must be >= 0"),
    (lambda t: t.root(2.0), TypeError, "size must be an int"),
    (lambda t: t.append(b"short"), ValueError, "leaf hash must be a 32-byte hash, got 5 bytes"),
    (lambda t: t.append("a" * 32), TypeError, "leaf hash must be a 32-byte hash"),
    (lambda t: t.extend([SMALL_LEAVES[0], b""]), ValueError, "leaf hash #1 must be"),
    (lambda t: node_hash(b"", SMALL_LEAVES[0]), ValueError, "left must be a 32-byte hash"),
    (lambda t: leaf_hash(7), TypeError, "leaf data must be bytes"),
])
def test_bad_arguments_name_the_precondition(call: Any, error: type[Exception],
                                             problem: str) -> None:
    tree = MerkleTree(SMALL_LEAVES)
    with pytest.raises(error, match=problem):
        call(tree)
    assert tree.size == 64  # a refused call changes nothing
    assert tree.root() == SMALL.root()


def test_proofs_and_appends_cost_logarithmic_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a tree of 2**17 + 12345 leaves
    size = (1 << 17) + 12345
    tree = MerkleTree(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size))
    calls = 0
    real = hashlib.sha256

    def counting(data: bytes = b"") -> Any:
        nonlocal calls
        calls += 1
        return real(data)

    def counting_pairs(level: bytes) -> bytes:  # the C call that hashes a level's new pairs
        nonlocal calls
        calls += len(level) // 64
        return real_pairs(level)

    real_pairs = events.evidence.merkle.hash_pairs
    monkeypatch.setattr(events.evidence.merkle.hashlib, "sha256", counting)
    monkeypatch.setattr(events.evidence.merkle, "hash_pairs", counting_pairs)
    # WHEN it gives roots and proofs THEN each costs at most one hash per level (18 levels)
    costs = []
    for work in (lambda: tree.root(), lambda: tree.root(size - 1),
                 lambda: tree.inclusion_proof(size - 3, size),
                 lambda: tree.inclusion_proof(70_000, size - 7),
                 lambda: tree.consistency_proof(99_999, size)):
        calls = 0
        work()
        costs.append(calls)
    assert costs == [6, 5, 0, 4, 5]  # the right-border folds only; nothing is re-hashed
    # AND 1,000 appends hash fewer than two nodes each
    calls = 0
    for i in range(1000):
        tree.append(real(b"more" + i.to_bytes(2, "big")).digest())
    assert 900 < calls < 2000
