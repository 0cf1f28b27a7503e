"""An append-only Merkle tree over byte strings, as Certificate Transparency builds it
(RFC 9162, section 2.1): leaf hashes ``SHA-256(0x00 || data)``, interior nodes
``SHA-256(0x01 || left || right)``, and a tree of n leaves split at the largest power of two
smaller than n. Pure functions: no database, no I/O.

``Accumulator`` takes leaves one at a time and keeps only the roots of its perfect subtrees
(log2 n hashes), so a million leaves are hashed in one pass without holding the tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class Accumulator:
    """The root of the tree of the leaves added so far, in O(log n) memory."""

    def __init__(self) -> None:
        self.size = 0
        self._subtrees: list[bytes] = []  # roots of perfect subtrees, largest first

    @classmethod
    def resume(cls, *, size: int, frontier: list[bytes]) -> Accumulator:
        """Continue a tree of ``size`` leaves from its ``frontier`` (as saved with a checkpoint)."""
        if len(frontier) != bin(size).count("1"):
            raise ValueError("a frontier has one root per set bit of the size")
        accumulator = cls()
        accumulator.size, accumulator._subtrees = size, list(frontier)
        return accumulator

    @property
    def frontier(self) -> list[bytes]:
        """The roots of the perfect subtrees, largest first: all a later tree needs of this one."""
        return list(self._subtrees)

    def add(self, leaf: bytes) -> None:
        """Add the next leaf's hash (``leaf_hash(data)``)."""
        node, size = leaf, self.size
        # Merge with the equal-sized subtrees a binary carry would merge.
        while size & 1:
            node = node_hash(self._subtrees.pop(), node)
            size >>= 1
        self._subtrees.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self._subtrees:
            return EMPTY_ROOT
        node = self._subtrees[-1]
        for left in reversed(self._subtrees[:-1]):
            node = node_hash(left, node)
        return node


def root_of(leaves: Iterable[bytes]) -> bytes:
    """The Merkle tree hash of these leaf hashes."""
    accumulator = Accumulator()
    for leaf in leaves:
        accumulator.add(leaf)
    return accumulator.root()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def _subtree_root(leaves: Sequence[bytes]) -> bytes:
    return root_of(leaves)


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``leaves`` (RFC 9162 2.1.3.1)."""
    if not 0 <= index < len(leaves):
        raise ValueError("index outside the tree")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return inclusion_proof(index, leaves[:k]) + [_subtree_root(leaves[k:])]
    return inclusion_proof(index - k, leaves[k:]) + [_subtree_root(leaves[:k])]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree of ``size`` with
    ``root`` (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, node = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and node == root


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Proof that the tree of the first ``old_size`` leaves is a prefix of the tree of all
    ``leaves`` (RFC 9162 2.1.4.1)."""
    if not 0 < old_size <= len(leaves):
        raise ValueError("the old size must be from 1 to the new size")
    return _subproof(old_size, leaves, complete=True)


def _subproof(m: int, leaves: Sequence[bytes], *, complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [_subtree_root(leaves)]
    k = _split(n)
    if m <= k:
        return _subproof(m, leaves[:k], complete=complete) + [_subtree_root(leaves[k:])]
    return _subproof(m - k, leaves[k:], complete=False) + [_subtree_root(leaves[:k])]


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree (old_size, old_root) is a prefix of (new_size, new_root)
    (RFC 9162 2.1.4.2)."""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
