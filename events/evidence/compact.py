"""The root of a growing RFC 6962 tree from O(log n) hashes, for a signer that follows the log.

A signer that keeps following the log needs only the root of everything it has read so far. The
tree's right border — one perfect subtree hash per set bit of its size — gives that root, and
appending a leaf merges at most ``log2(n)`` pairs; a
:class:`events.evidence.merkle.MerkleTree` of the same log would hold every node (64 bytes a leaf).
"""

from __future__ import annotations

from events.evidence.merkle import EMPTY_ROOT, HASH_SIZE, node_hash


class CompactRange:
    """The perfect subtrees covering leaves ``[0, size)``, largest first; no I/O, no clock."""

    __slots__ = ("_size", "_subtrees")

    def __init__(self) -> None:
        self._size = 0
        self._subtrees: list[bytes] = []  # one per set bit of size, the largest first

    @property
    def size(self) -> int:
        """The number of leaves appended."""
        return self._size

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash (32 bytes) at index ``size``; raises ValueError for anything else
        and leaves the range as it was."""
        if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes")
        node = leaf
        size = self._size
        while size & 1:  # each trailing set bit is a subtree of the new leaf's size: merge
            node = node_hash(self._subtrees.pop(), node)
            size >>= 1
        self._subtrees.append(node)
        self._size += 1

    def root(self) -> bytes:
        """The root of the first ``size`` leaves (RFC 6962 ``MTH``); ``EMPTY_ROOT`` when empty."""
        if not self._subtrees:
            return EMPTY_ROOT
        root = self._subtrees[-1]
        for subtree in reversed(self._subtrees[:-1]):
            root = node_hash(subtree, root)
        return root
