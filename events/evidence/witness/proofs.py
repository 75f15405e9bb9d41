"""Consistency proofs for the witnesses without holding the log's whole Merkle tree.

A proof from size ``m`` to ``n`` (RFC 9162 ``PROOF``) needs only the perfect subtrees that cover
the first ``m`` leaves (the border: one hash per set bit of ``m``) and the leaves from ``m`` to
``n``. So the log's side keeps the border at the smallest size any witness holds and the leaves
after it: 32 bytes for each leaf not every witness has cosigned yet and ``log2(n)`` hashes for
the rest, where a :class:`events.evidence.merkle.MerkleTree` of the whole log holds 64 bytes a leaf.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from events.evidence.audit import StoredLeaf
from events.evidence.log import PAGE, HashingRecorder
from events.evidence.merkle import EMPTY_ROOT, MerkleTree, node_hash
from events.evidence.notes import Checkpoint, NoteError


class StoreDisagrees(NoteError):
    """The stored leaves do not give the newest checkpoint's root: nothing can be proven."""

    code = "store_disagrees"


def _split(n: int) -> int:
    """The largest power of two strictly less than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


class Border:
    """The perfect subtrees covering leaves ``[0, size)``, largest first, with their ranges."""

    __slots__ = ("size", "subtrees")

    def __init__(self, size: int = 0, subtrees: Sequence[tuple[int, int, bytes]] = ()) -> None:
        self.size = size
        self.subtrees = list(subtrees)  # (start, end, hash)

    def copy(self) -> Border:
        return Border(self.size, self.subtrees)

    def append(self, leaf: bytes) -> None:
        start, end, node = self.size, self.size + 1, leaf
        width = 1
        while self.size & width:  # each trailing set bit is a subtree this leaf completes
            left_start, _, left = self.subtrees.pop()
            start, node = left_start, node_hash(left, node)
            width <<= 1
        self.subtrees.append((start, end, node))
        self.size += 1

    def root(self) -> bytes:
        if not self.subtrees:
            return EMPTY_ROOT
        root = self.subtrees[-1][2]
        for _, _, subtree in reversed(self.subtrees[:-1]):
            root = node_hash(subtree, root)
        return root


def consistency_proof(border: Border, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 ``PROOF(m, D[0:n])`` with ``m = border.size`` and ``leaves`` the leaves from
    ``m`` to ``n``: the same hashes, in the same order, as ``MerkleTree.consistency_proof``."""
    m, n = border.size, border.size + len(leaves)
    known = {(start, end): node for start, end, node in border.subtrees}

    def mth(a: int, b: int) -> bytes:
        if (a, b) in known:
            return known[(a, b)]
        if a >= m:
            return MerkleTree(leaves[a - m:b - m]).root()
        if b - a < 2:
            raise ValueError(f"leaf {a} is below the border's size {m} and not in it")
        k = _split(b - a)
        return node_hash(mth(a, a + k), mth(a + k, b))

    def subproof(size: int, a: int, b: int, complete: bool) -> list[bytes]:
        if size == b - a:
            return [] if complete else [mth(a, b)]
        k = _split(b - a)
        if size <= k:
            return [*subproof(size, a, a + k, complete), mth(a + k, b)]
        return [*subproof(size - k, a + k, b, False), mth(a, a + k)]

    return [] if m in (0, n) else subproof(m, 0, n, True)


class ProofSource:
    """Proofs to the newest checkpoint from any size at or above the floor it is told about;
    reads each leaf from the store once (again from the start only when asked below it)."""

    def __init__(self, recorder: HashingRecorder) -> None:
        self.recorder = recorder
        self._lock = threading.Lock()
        self._floor = 0  # leaves below it are folded into the border
        self._restart(0)

    def _restart(self, floor: int) -> None:
        self._border = Border()
        self._tail: list[bytes] = []  # the leaves from the border's size on
        self._last: StoredLeaf | None = None
        self._floor = floor

    @property
    def head(self) -> int:
        return self._border.size + len(self._tail)

    def forget_below(self, size: int) -> None:
        """Every witness holds at least ``size`` leaves: fold the leaves below into the border."""
        with self._lock:
            self._floor = max(self._floor, size)
            fold = min(self._floor - self._border.size, len(self._tail))
            for leaf in self._tail[:max(fold, 0)]:
                self._border.append(leaf)
            del self._tail[:max(fold, 0)]

    def proof(self, checkpoint: Checkpoint, old: int) -> list[bytes]:
        """The proof from ``old`` leaves to ``checkpoint``, once the stored leaves are seen to
        give its root (read again from the start once if they do not; then StoreDisagrees)."""
        if old > checkpoint.size:
            raise ValueError(f"no proof from {old} leaves to fewer ({checkpoint.size})")
        with self._lock:
            for again in (False, True):
                if again or old < self._border.size:
                    self._restart(min(old, self._floor))
                self._extend(checkpoint.size)
                if self.head < checkpoint.size:
                    continue
                at_old = self._border.copy()
                for leaf in self._tail[:old - at_old.size]:
                    at_old.append(leaf)
                newer = self._tail[old - self._border.size:checkpoint.size - self._border.size]
                at_size = at_old.copy()
                for leaf in newer:
                    at_size.append(leaf)
                if at_size.root() == checkpoint.root:
                    return consistency_proof(at_old, newer)
            raise StoreDisagrees(
                f"the store's {self.head} leaves do not give the root of the checkpoint of "
                f"size {checkpoint.size}: run 'hoso audit verify'")

    def _extend(self, size: int) -> None:
        while self.head < size:
            page = self.recorder.select_leaves(self._last, PAGE)
            if not page:
                return
            for leaf in page:
                if leaf.leaf_index != self.head:
                    raise StoreDisagrees(f"leaf {leaf.leaf_index} follows leaf {self.head - 1}: "
                                         "run 'hoso audit verify'")
                if not self._tail and self._border.size < self._floor:
                    self._border.append(leaf.hash)
                else:
                    self._tail.append(leaf.hash)
            self._last = page[-1]
