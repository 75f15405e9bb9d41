"""RFC 6962 / RFC 9162 Merkle tree over the custody log's leaf hashes: roots and proofs in O(log n).

Hashing is SHA-256 with the RFC's domain separation: a leaf is ``SHA-256(0x00 ‖ data)`` and an
interior node ``SHA-256(0x01 ‖ left ‖ right)``; the empty tree's root is ``SHA-256("")``.

:class:`MerkleTree` keeps every *perfect* subtree hash: level 0 holds the leaf hashes and level
``k`` holds the hash of each complete run of ``2**k`` leaves, stored back to back in one
``bytearray`` per level (32 bytes a node, so two siblings are one 64-byte slice). The root of any
prefix, and every node an inclusion or consistency proof needs, is then one of those stored
hashes or a fold of at most ``log2(n)`` of them along the right border: no proof re-hashes the
leaves. Appending a leaf hashes one node per level it completes, amortised one hash per leaf;
a level's new pairs are hashed in one call to C (:func:`events.store._leafscan.hash_pairs`), because
verification builds trees of millions of leaves and a Python call per node cost ~0.6 µs a leaf.

The proofs are those of RFC 9162 §2.1.3.1 (``PATH``) and §2.1.4.1 (``PROOF``/``SUBPROOF``), in
the order :mod:`events.evidence.verify` (and transparency-dev/merkle's ``proof/verify.go``) expect.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from itertools import islice

from events.store._leafscan import hash_pairs

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_CHUNK = 1 << 16  # leaves or pairs handled per batch, to bound temporary memory


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 ‖ data)``: the hash of one log entry. Requires ``data`` to be bytes-like."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"leaf data must be bytes, not {type(data).__name__}")
    return hashlib.sha256(_LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)``: an interior node. Requires two 32-byte child hashes."""
    _check_hash("left", left)
    _check_hash("right", right)
    return hashlib.sha256(_NODE_PREFIX + bytes(left) + bytes(right)).digest()


def _check_hash(what: str, value: object) -> bytes:
    """Return ``value`` as bytes if it is a 32-byte hash, else raise naming the rule."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be a {HASH_SIZE}-byte hash (bytes), "
                        f"not {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be a {HASH_SIZE}-byte hash, got {len(value)} bytes")
    return bytes(value)


def _check_count(what: str, value: object) -> int:
    """Return ``value`` if it is a non-negative int (bools refused), else raise naming the rule."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{what} must be >= 0, got {value}")
    return value


def _split(n: int) -> int:
    """The largest power of two strictly less than ``n``. Requires ``n >= 2``."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only RFC 6962 Merkle tree over leaf hashes (32-byte values from ``leaf_hash``).

    Holds no I/O and no clock: it is built from the leaf hashes a store hands it. Sizes and
    indices are plain ints; every method states the range it accepts and raises ``ValueError``
    (``TypeError`` for a value of the wrong type) naming the rule that was broken.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        """Build the tree from ``leaf_hashes`` in order; each must be a 32-byte hash."""
        self._levels: list[bytearray] = [bytearray()]
        self.extend(leaf_hashes)

    @classmethod
    def concatenate(cls, trees: Iterable[MerkleTree]) -> MerkleTree:
        """The tree over the leaves of ``trees``, in order, reusing the subtrees they hold.

        Level ``k`` of a part is level ``k`` of the whole wherever the part starts at a multiple
        of ``2**k``; so when every part but the last has a size divisible by ``2**k`` (ranges
        cut at such multiples, as parallel verification cuts them), levels up to ``k`` are
        joined as they are and only the few nodes above are hashed. Any parts are accepted:
        with odd sizes fewer levels are reused and more are hashed again.
        """
        parts = [tree for tree in trees if tree.size]
        whole = cls()
        if not parts:
            return whole
        keep = min([(t.size & -t.size).bit_length() - 1 for t in parts[:-1]],
                   default=len(parts[-1]._levels) - 1)
        whole._levels = [bytearray(b"".join([t._levels[k] for t in parts if k < len(t._levels)]))
                         for k in range(keep + 1)]
        whole._complete_from(keep)
        return whole

    # -- growing --------------------------------------------------------------------------

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash (32 bytes) at index ``size``; hashes each subtree it completes."""
        self._levels[0] += _check_hash("leaf hash", leaf)
        self._complete_from(0)

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add leaf hashes in order. All are checked before any is added, so a bad one (not a
        32-byte hash) raises and leaves the tree as it was."""
        batch = bytearray()
        leaves = iter(leaf_hashes)
        while chunk := list(islice(leaves, _CHUNK)):
            if set(map(type, chunk)) == {bytes} and set(map(len, chunk)) == {HASH_SIZE}:
                batch += b"".join(chunk)  # fast path: each one is already 32 bytes
            else:
                first = len(batch) // HASH_SIZE
                batch += b"".join([_check_hash(f"leaf hash #{first + i}", leaf)
                                   for i, leaf in enumerate(chunk)])
        self.extend_packed(batch)

    @classmethod
    def from_packed(cls, leaf_hashes: bytes) -> MerkleTree:
        """The tree over leaf hashes stored back to back (32 bytes each)."""
        tree = cls()
        tree.extend_packed(leaf_hashes)
        return tree

    def extend_packed(self, leaf_hashes: bytes | bytearray) -> None:
        """Add leaf hashes stored back to back; the length must be a multiple of 32."""
        if len(leaf_hashes) % HASH_SIZE:
            raise ValueError(f"packed leaf hashes must be a multiple of {HASH_SIZE} bytes, "
                             f"got {len(leaf_hashes)}")
        if not leaf_hashes:
            return
        self._levels[0] += leaf_hashes
        self._complete_from(0)

    def _complete_from(self, level: int) -> None:
        """Hash every pair on ``level`` and above whose parent is not stored yet."""
        step = 2 * HASH_SIZE
        levels = self._levels
        while True:
            children = levels[level]
            pairs = len(children) // step
            if pairs == 0:
                return
            if level + 1 == len(levels):
                levels.append(bytearray())
            parents = levels[level + 1]
            done = len(parents) // HASH_SIZE
            if done == pairs:
                return
            with memoryview(children) as view:
                parents += hash_pairs(view[done * step:pairs * step])
            level += 1

    # -- reading --------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0]) // HASH_SIZE

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``. Requires ``0 <= index < size``."""
        self._check_index(index, self.size)
        return self._node(0, index)

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (all of them by default); ``EMPTY_ROOT`` for
        size 0. Requires ``0 <= size <= self.size``."""
        if size is None:
            size = self.size
        self._check_size("size", size)
        return self._range_hash(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 ``PATH(index, D[0:size])``: the sibling hashes from the leaf up to the root
        of the first ``size`` leaves. Requires ``0 <= index < size <= self.size``."""
        self._check_size("size", size)
        self._check_index(index, size)
        siblings: list[bytes] = []
        begin, end = 0, size
        while end - begin > 1:
            k = _split(end - begin)
            if index < begin + k:
                siblings.append(self._range_hash(begin + k, end))
                end = begin + k
            else:
                siblings.append(self._range_hash(begin, begin + k))
                begin += k
        siblings.reverse()
        return siblings

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """RFC 9162 ``PROOF(size1, D[0:size2])``: the hashes that show the tree of ``size1``
        leaves is a prefix of the tree of ``size2`` leaves. Empty when ``size1`` is 0 or equals
        ``size2`` (nothing to prove). Requires ``0 <= size1 <= size2 <= self.size``."""
        self._check_size("size2", size2)
        _check_count("size1", size1)
        if size1 > size2:
            raise ValueError(f"size1 must be <= size2, got size1={size1} > size2={size2}")
        if size1 in (0, size2):
            return []
        proof: list[bytes] = []
        begin, end, m, complete = 0, size2, size1, True
        while m != end - begin:
            k = _split(end - begin)
            if m <= k:
                proof.append(self._range_hash(begin + k, end))
                end = begin + k
            else:
                proof.append(self._range_hash(begin, begin + k))
                begin += k
                m -= k
                complete = False
        if not complete:
            proof.append(self._range_hash(begin, end))
        proof.reverse()
        return proof

    # -- internals ------------------------------------------------------------------------

    def _node(self, level: int, index: int) -> bytes:
        """The stored hash of perfect subtree ``index`` on ``level`` (leaves ``index * 2**level``
        to ``(index + 1) * 2**level - 1``). Requires that subtree to be complete."""
        offset = index * HASH_SIZE
        return bytes(self._levels[level][offset:offset + HASH_SIZE])

    def _range_hash(self, begin: int, end: int) -> bytes:
        """``MTH(D[begin:end])`` from stored perfect subtrees, folded right to left.

        Requires ``0 <= begin < end <= size`` and ``begin`` a multiple of the smallest power of
        two >= ``end - begin`` — true of every range the RFC's recursions visit, so each piece
        of the split below is a stored, aligned perfect subtree (at most log2(n) of them)."""
        pieces: list[bytes] = []
        count = end - begin
        position = begin
        for level in range(count.bit_length() - 1, -1, -1):
            if count >> level & 1:
                pieces.append(self._node(level, position >> level))
                position += 1 << level
        digest = pieces.pop()
        sha256 = hashlib.sha256
        while pieces:
            digest = sha256(_NODE_PREFIX + pieces.pop() + digest).digest()
        return digest

    def _check_size(self, what: str, size: int) -> None:
        """Raise unless ``0 <= size <= self.size``."""
        _check_count(what, size)
        if size > self.size:
            raise ValueError(f"{what} must be <= the tree size {self.size}, got {size}")

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        """Raise unless ``0 <= index < size``."""
        _check_count("index", index)
        if index >= size:
            raise ValueError(f"index must be < size, got index={index} >= size={size}")

    def __repr__(self) -> str:
        return f"MerkleTree(size={self.size})"
