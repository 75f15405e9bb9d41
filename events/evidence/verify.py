"""Offline check of RFC 9162 inclusion and consistency proofs: an inspector copies this file alone.

It imports only ``hashlib`` and ``hmac`` (nothing from hoso), and every failure is one typed
error, :class:`VerificationError`, whose message says what did not hold. The algorithms follow
transparency-dev/merkle ``proof/verify.go`` (RFC 9162 §2.1.3.2 and §2.1.4.2) step for step:

* hashes are SHA-256 with RFC 6962 domain separation — leaf ``SHA-256(0x00 ‖ data)``, node
  ``SHA-256(0x01 ‖ left ‖ right)``, empty tree ``SHA-256("")``;
* proofs list sibling hashes from the bottom of the tree up, as RFC 9162 ``PATH``/``PROOF`` do;
* sizes and indices are non-negative ints; every hash (leaf, root, proof element) must be
  exactly 32 bytes, and the final comparison uses ``hmac.compare_digest``.

A proof authenticates the leaf or the older root *against a root*; it does not authenticate the
tree size. Take ``size`` and ``root`` from the same signed checkpoint, never from the prover.

Where this differs from ``verify.go``, it is stricter: hash lengths are checked for every input
(``verify.go`` checks the leaf hash only), and a consistency proof from the empty tree is
accepted only when it is empty and ``root1`` is the empty tree's root (``verify.go`` now refuses
``size1 == 0`` outright; earlier versions accepted it whatever ``root1`` was).
"""

import hashlib
import hmac

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# What a proof may be: a list or tuple of 32-byte hashes (typed without importing ``typing``).
Proof = list[bytes] | tuple[bytes, ...]


class VerificationError(Exception):
    """The proof, or one of its inputs, does not show what was claimed; the message says why."""


def _node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)``. Requires both to be 32-byte hashes (checked by callers)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_count(what: str, value: object) -> int:
    """Return ``value`` if it is a non-negative int (not a bool); else VerificationError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise VerificationError(f"{what} must be an int, not {type(value).__name__}")
    if value < 0:
        raise VerificationError(f"{what} must be >= 0, got {value}")
    return value


def _check_hash(what: str, value: object) -> bytes:
    """Return ``value`` as bytes if it is a 32-byte hash; else VerificationError."""
    if not isinstance(value, (bytes, bytearray)):
        raise VerificationError(f"{what} must be {HASH_SIZE} bytes, not {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")
    return bytes(value)


def _check_proof(proof: object) -> list[bytes]:
    """Return the proof's hashes as a list if it is a list/tuple of 32-byte hashes."""
    if not isinstance(proof, (list, tuple)):
        raise VerificationError(f"proof must be a list of hashes, not {type(proof).__name__}")
    return [_check_hash(f"proof[{i}]", h) for i, h in enumerate(proof)]


def _check_match(what: str, calculated: bytes, expected: bytes) -> None:
    """Raise unless the two digests are equal (constant-time comparison)."""
    if not hmac.compare_digest(calculated, expected):
        raise VerificationError(f"{what}: calculated {calculated.hex()}, expected {expected.hex()}")


def _decomp_incl_proof(index: int, size: int) -> tuple[int, int]:
    """Split the inclusion proof of ``index`` in a tree of ``size`` leaves into its inner part
    (below the point where the paths to ``index`` and ``size - 1`` meet) and its border part.
    Returns both lengths; their sum is the proof's length. Requires ``0 <= index < size``."""
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner, border


def _chain_inner(seed: bytes, proof: list[bytes], index: int) -> bytes:
    """Hash ``seed`` (the node at ``index`` on its level) up through ``proof``, lowest first,
    taking each sibling from the side the index bit says."""
    for i, h in enumerate(proof):
        seed = _node_hash(seed, h) if (index >> i) & 1 == 0 else _node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: list[bytes], index: int) -> bytes:
    """Like :func:`_chain_inner`, using only the siblings on the left of the path: the result
    is the hash of the same subtree as it stood when it ended at ``seed``."""
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = _node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: list[bytes]) -> bytes:
    """Hash ``seed`` up the tree's right border, every sibling being on the left."""
    for h in proof:
        seed = _node_hash(h, seed)
    return seed


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int, proof: Proof) -> bytes:
    """The root that ``proof`` gives for ``leaf_hash`` at ``index`` in a tree of ``size`` leaves.

    Requires ``0 <= index < size``, a 32-byte ``leaf_hash`` and a proof of exactly the length
    RFC 9162 prescribes for (``index``, ``size``), each element 32 bytes; else VerificationError.
    """
    _check_count("index", index)
    _check_count("size", size)
    if index >= size:
        raise VerificationError(f"index is beyond size: {index} >= {size}")
    leaf = _check_hash("leaf hash", leaf_hash)
    hashes = _check_proof(proof)
    inner, border = _decomp_incl_proof(index, size)
    if len(hashes) != inner + border:
        raise VerificationError(f"wrong proof size {len(hashes)}, want {inner + border} "
                                f"for index {index} in a tree of {size}")
    digest = _chain_inner(leaf, hashes[:inner], index)
    return _chain_border_right(digest, hashes[inner:])


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Proof, root: bytes) -> None:
    """Return if ``proof`` shows ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves
    whose root is ``root``; raise VerificationError otherwise.

    Requires ``0 <= index < size`` and 32-byte ``leaf_hash``, ``root`` and proof elements.
    """
    expected = _check_hash("root", root)
    calculated = root_from_inclusion_proof(leaf_hash, index, size, proof)
    _check_match("inclusion proof does not lead to the root", calculated, expected)


def verify_consistency(size1: int, size2: int, proof: Proof, root1: bytes, root2: bytes) -> None:
    """Return if ``proof`` shows the tree of ``size1`` leaves with root ``root1`` is a prefix of
    the tree of ``size2`` leaves with root ``root2``; raise VerificationError otherwise.

    Requires ``0 <= size1 <= size2`` and 32-byte roots and proof elements. Edge cases:
    ``size1 == size2`` needs an empty proof and equal roots; ``size1 == 0`` needs an empty proof
    and ``root1`` equal to the empty tree's root; otherwise the proof must be non-empty and of
    exactly the RFC 9162 length for (``size1``, ``size2``).
    """
    _check_count("size1", size1)
    _check_count("size2", size2)
    first = _check_hash("root1", root1)
    second = _check_hash("root2", root2)
    hashes = _check_proof(proof)
    if size2 < size1:
        raise VerificationError(f"size2 ({size2}) < size1 ({size1})")
    if size1 == size2:
        if hashes:
            raise VerificationError(f"size1 = size2 = {size1}, but the proof is not empty")
        _check_match("equal sizes but different roots", first, second)
        return
    if size1 == 0:
        if hashes:
            raise VerificationError(
                f"size1 = 0 needs an empty proof, got {len(hashes)} hashes")
        _check_match("root1 of an empty tree is not the empty root", first, EMPTY_ROOT)
        return
    if not hashes:
        raise VerificationError(f"empty proof for sizes {size1} < {size2}")

    inner, border = _decomp_incl_proof(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1  # trailing zero bits of size1
    inner -= shift  # shift < inner because size1 < size2

    # The proof starts with the hash of the size1 tree's last perfect subtree (2**shift leaves),
    # unless size1 is that very power of two: then it is root1 itself.
    if size1 == 1 << shift:
        seed, rest = first, hashes
    else:
        seed, rest = hashes[0], hashes[1:]
    want = len(hashes) - len(rest) + inner + border
    if len(hashes) != want:
        raise VerificationError(f"wrong proof size {len(hashes)}, want {want} "
                                f"for sizes {size1} < {size2}")
    # ``rest`` is now a suffix of the inclusion proof of leaf size1 - 1 in the size2 tree.
    mask = (size1 - 1) >> shift  # start chaining from level ``shift``
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    _check_match("consistency proof does not lead to root1", hash1, first)
    hash2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    _check_match("consistency proof does not lead to root2", hash2, second)
