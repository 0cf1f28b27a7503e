"""The Merkle tree against RFC 9162's definitions, worked by hand, and its proofs exhaustively
for every pair of sizes up to 40 (including every edited or misplaced proof being refused)."""

from __future__ import annotations

import hashlib

import pytest

from app.audit.merkle import (
    EMPTY_ROOT,
    Accumulator,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [leaf_hash(f"event {i}".encode()) for i in range(40)]


def _mth(leaves):
    """RFC 9162's recursive definition, written out as the RFC states it."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def test_hashes_are_domain_separated():
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert root_of([]) == EMPTY_ROOT


def test_three_leaves_by_hand():
    a, b, c = LEAVES[:3]
    assert root_of([a, b, c]) == node_hash(node_hash(a, b), c)


@pytest.mark.parametrize("size", range(0, 41))
def test_the_accumulator_agrees_with_the_definition(size):
    accumulator = Accumulator()
    for leaf in LEAVES[:size]:
        accumulator.add(leaf)
    assert accumulator.size == size
    assert accumulator.root() == _mth(LEAVES[:size])


@pytest.mark.parametrize("size", range(1, 41))
def test_every_leaf_has_an_inclusion_proof_and_only_its_own(size):
    leaves, root = LEAVES[:size], _mth(LEAVES[:size])
    for index, leaf in enumerate(leaves):
        proof = inclusion_proof(index, leaves)
        assert verify_inclusion(leaf, index, size, proof, root)
        assert not verify_inclusion(leaf, index, size, proof, leaf_hash(b"other"))
        assert not verify_inclusion(leaf_hash(b"forged"), index, size, proof, root)
        if size > 1:
            assert not verify_inclusion(leaf, (index + 1) % size, size, proof, root)
            assert not verify_inclusion(leaf, index, size, proof[:-1], root)


@pytest.mark.parametrize("new_size", range(1, 41))
def test_every_prefix_is_proven_consistent_and_a_rewritten_history_is_not(new_size):
    new_root = _mth(LEAVES[:new_size])
    for old_size in range(1, new_size + 1):
        old_root = _mth(LEAVES[:old_size])
        proof = consistency_proof(old_size, LEAVES[:new_size])
        assert verify_consistency(old_size, new_size, old_root, new_root, proof)
        rewritten = _mth([leaf_hash(b"edited"), *LEAVES[1:old_size]])
        assert not verify_consistency(old_size, new_size, rewritten, new_root, proof)
        if proof:
            bent = [leaf_hash(b"x"), *proof[1:]]
            assert not verify_consistency(old_size, new_size, old_root, new_root, bent)


@pytest.mark.parametrize("size", range(0, 41))
def test_a_tree_resumes_from_its_frontier(size):
    first = Accumulator()
    for leaf in LEAVES[:size]:
        first.add(leaf)
    resumed = Accumulator.resume(size=size, frontier=first.frontier)
    for leaf in LEAVES[size:]:
        resumed.add(leaf)
    assert resumed.root() == _mth(LEAVES)
    with pytest.raises(ValueError):
        Accumulator.resume(size=size, frontier=[*first.frontier, leaf_hash(b"one too many")])
