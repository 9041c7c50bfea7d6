"""Tests for audit.pure.merkle: transparency-dev vectors, an RFC 6962 reference oracle, random trees."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import pytest

from audit.pure.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    ProofError,
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    root,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

# transparency-dev/merkle's testdata, checked in with its licence (see tests/data/merkle-vectors/SOURCE.md).
VECTORS_DIR = Path(__file__).resolve().parents[1] / "data" / "merkle-vectors"

# The RFC 6962 reference leaves used by transparency-dev (and Certificate Transparency before it);
# the vectors in directories 0-4 are proofs over prefixes of this tree.
REFERENCE_ENTRIES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
REFERENCE_LEAVES = [hash_leaf(e) for e in REFERENCE_ENTRIES]
# MTH of the first n reference leaves, n = 1..8, as published in transparency-dev's tests.
REFERENCE_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# inclusion/single-entry uses a one-leaf tree over the entry b"data".
SINGLE_ENTRY_LEAVES = [hash_leaf(b"data")]


# --- vector loading ---------------------------------------------------------------------------


def _vector_files(kind: str) -> list[Path]:
    directory = VECTORS_DIR / kind
    return sorted(directory.rglob("*.json")) if directory.is_dir() else []


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _proof(data: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in data["proof"] or []]  # JSON null and [] both mean "no hashes"


def _vector_params(kind: str, *, positive_only: bool = False) -> list[Any]:
    files = _vector_files(kind)
    if positive_only:
        files = [f for f in files if not _load(f)["wantErr"]]
    if not files:
        # A parameter set that fails loudly: an empty parametrize would only be skipped.
        return [pytest.param(None, id=f"{kind}-vectors-missing")]
    return [pytest.param(f, id=f.relative_to(VECTORS_DIR).as_posix()) for f in files]


def _require(path: Path | None, kind: str) -> dict[str, Any]:
    if path is None:
        pytest.fail(f"no {kind} vectors found under {VECTORS_DIR / kind}")
    return _load(path)


def test_vector_corpus_is_complete() -> None:
    for kind, subdirs in (
        ("inclusion", {"0", "1", "2", "3", "4", "additional", "single-entry"}),
        ("consistency", {"0", "1", "2", "3", "4", "additional"}),
    ):
        files = _vector_files(kind)
        assert files, f"no {kind} vectors under {VECTORS_DIR / kind}"
        assert {f.relative_to(VECTORS_DIR / kind).parts[0] for f in files} == subdirs
        wants = {_load(f)["wantErr"] for f in files}
        assert wants == {True, False}, f"{kind} vectors need both positive and negative cases"


@pytest.mark.parametrize("path", _vector_params("inclusion"))
def test_inclusion_vector(path: Path | None) -> None:
    v = _require(path, "inclusion")
    args = (v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), _proof(v), _b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", _vector_params("consistency"))
def test_consistency_vector(path: Path | None) -> None:
    v = _require(path, "consistency")
    args = (v["size1"], v["size2"], _proof(v), _b64(v["root1"]), _b64(v["root2"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def _leaves_with_root(size: int, expected_root: bytes) -> list[bytes] | None:
    """The known leaf set of ``size`` leaves whose MTH is ``expected_root``, if any."""
    for leaves in (REFERENCE_LEAVES, SINGLE_ENTRY_LEAVES):
        if size <= len(leaves) and root(leaves[:size]) == expected_root:
            return leaves[:size]
    return None


@pytest.mark.parametrize("path", _vector_params("inclusion", positive_only=True))
def test_inclusion_vector_is_reproduced(path: Path | None) -> None:
    v = _require(path, "inclusion")
    leaves = _leaves_with_root(v["treeSize"], _b64(v["root"]))
    assert leaves is not None, "positive vector over an unknown tree"
    assert leaves[v["leafIdx"]] == _b64(v["leafHash"])
    assert inclusion_proof(v["leafIdx"], leaves) == _proof(v)


@pytest.mark.parametrize("path", _vector_params("consistency", positive_only=True))
def test_consistency_vector_is_reproduced(path: Path | None) -> None:
    v = _require(path, "consistency")
    leaves = _leaves_with_root(v["size2"], _b64(v["root2"]))
    if leaves is None:
        # additional/sizes-are-equal-one-and-proof-is-empty uses placeholder 12-byte roots; the
        # only thing to reproduce there is that equal sizes give the empty proof.
        assert v["size1"] == v["size2"]
        assert consistency_proof(v["size1"], REFERENCE_LEAVES[: v["size2"]]) == _proof(v) == []
        return
    assert root(leaves[: v["size1"]]) == _b64(v["root1"])
    assert consistency_proof(v["size1"], leaves) == _proof(v)


# --- hashing and roots ------------------------------------------------------------------------


def test_hash_primitives() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert hash_leaf(b"x") == hashlib.sha256(b"\x00x").digest()
    assert hash_children(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    assert len(hash_leaf(b"")) == HASH_SIZE


def test_reference_tree_roots() -> None:
    assert root([]) == EMPTY_ROOT
    for n, expected in enumerate(REFERENCE_ROOTS, start=1):
        assert root(REFERENCE_LEAVES[:n]).hex() == expected


# --- RFC 6962 reference implementation, written straight from the recursive definitions -----------


def _ref_mth(entries: Sequence[bytes]) -> bytes:
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + _ref_mth(entries[:k]) + _ref_mth(entries[k:])).digest()


def _ref_path(m: int, entries: Sequence[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*_ref_path(m, entries[:k]), _ref_mth(entries[k:])]
    return [*_ref_path(m - k, entries[k:]), _ref_mth(entries[:k])]


def _ref_subproof(m: int, entries: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if whole else [_ref_mth(entries)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*_ref_subproof(m, entries[:k], whole), _ref_mth(entries[k:])]
    return [*_ref_subproof(m - k, entries[k:], False), _ref_mth(entries[:k])]


ENTRIES = [f"audit event {i}".encode() for i in range(64)]
LEAVES = [hash_leaf(e) for e in ENTRIES]


@pytest.mark.parametrize("n", range(1, 65))
def test_proofs_match_rfc6962_reference(n: int) -> None:
    entries, leaves = ENTRIES[:n], LEAVES[:n]
    tree_root = root(leaves)
    assert tree_root == _ref_mth(entries)
    for m in range(n):
        proof = inclusion_proof(m, leaves)
        assert proof == _ref_path(m, entries), f"PATH({m}, D[{n}])"
        assert root_from_inclusion_proof(m, n, leaves[m], proof) == tree_root
        verify_inclusion(m, n, leaves[m], proof, tree_root)
    for m in range(1, n + 1):
        proof = consistency_proof(m, leaves)
        assert proof == (_ref_subproof(m, entries, True) if m < n else []), f"PROOF({m}, D[{n}])"
        verify_consistency(m, n, proof, root(leaves[:m]), tree_root)


# --- property tests on random trees -------------------------------------------------------------


def _flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def _random_leaves(n: int) -> list[bytes]:
    rng = random.Random(n)
    return [hash_leaf(rng.randbytes(rng.randrange(0, 40))) for _ in range(n)]


@pytest.mark.parametrize("n", range(1, 11))
def test_every_bit_flip_breaks_inclusion_small_trees(n: int) -> None:
    leaves = _random_leaves(n)
    tree_root = root(leaves)
    for index in range(n):
        proof = inclusion_proof(index, leaves)
        for bit in range(HASH_SIZE * 8):
            with pytest.raises(ProofError):
                verify_inclusion(index, n, _flip(leaves[index], bit), proof, tree_root)
            with pytest.raises(ProofError):
                verify_inclusion(index, n, leaves[index], proof, _flip(tree_root, bit))
            for i in range(len(proof)):
                bad = [*proof[:i], _flip(proof[i], bit), *proof[i + 1 :]]
                with pytest.raises(ProofError):
                    verify_inclusion(index, n, leaves[index], bad, tree_root)


@pytest.mark.parametrize("n", range(1, 301))
def test_random_tree_proofs(n: int) -> None:
    rng = random.Random(-n)
    leaves = _random_leaves(n)
    tree_root = root(leaves)

    for index in {0, n // 2, n - 1, rng.randrange(n), rng.randrange(n)}:
        proof = inclusion_proof(index, leaves)
        verify_inclusion(index, n, leaves[index], proof, tree_root)
        bit = rng.randrange(HASH_SIZE * 8)
        with pytest.raises(ProofError):
            verify_inclusion(index, n, _flip(leaves[index], bit), proof, tree_root)
        for i in range(len(proof)):
            bad = [*proof[:i], _flip(proof[i], rng.randrange(HASH_SIZE * 8)), *proof[i + 1 :]]
            with pytest.raises(ProofError):
                verify_inclusion(index, n, leaves[index], bad, tree_root)
        with pytest.raises(ProofError):
            verify_inclusion(index, n, leaves[index], [*proof, tree_root], tree_root)
        if proof:
            with pytest.raises(ProofError):
                verify_inclusion(index, n, leaves[index], proof[:-1], tree_root)

    for m in {1, n, 1 << (n.bit_length() - 1), rng.randint(1, n), rng.randint(1, n)}:
        proof = consistency_proof(m, leaves)
        old_root = root(leaves[:m])
        verify_consistency(m, n, proof, old_root, tree_root)
        bit = rng.randrange(HASH_SIZE * 8)
        with pytest.raises(ProofError):
            verify_consistency(m, n, proof, _flip(old_root, bit), tree_root)
        with pytest.raises(ProofError):
            verify_consistency(m, n, proof, old_root, _flip(tree_root, bit))
        for i in range(len(proof)):
            bad = [*proof[:i], _flip(proof[i], rng.randrange(HASH_SIZE * 8)), *proof[i + 1 :]]
            with pytest.raises(ProofError):
                verify_consistency(m, n, bad, old_root, tree_root)
        with pytest.raises(ProofError):
            verify_consistency(m, n, [*proof, tree_root], old_root, tree_root)
        if proof:
            with pytest.raises(ProofError):
                verify_consistency(m, n, proof[:-1], old_root, tree_root)


# --- compact range and scale --------------------------------------------------------------------


def test_compact_range_matches_root_for_every_size() -> None:
    leaves = _random_leaves(200)
    acc = CompactRange()
    assert acc.root() == root([]) == EMPTY_ROOT
    for i, leaf in enumerate(leaves, start=1):
        acc.append(leaf)
        assert acc.size == i
        assert len(acc.peaks) == i.bit_count()
        assert acc.root() == root(leaves[:i]), f"size {i}"


def test_compact_range_resumes_from_saved_state() -> None:
    leaves = _random_leaves(150)
    for cut in (0, 1, 64, 77, 149):
        first = CompactRange()
        first.extend(leaves[:cut])
        resumed = CompactRange(first.size, first.peaks)
        resumed.extend(iter(leaves[cut:]))
        assert resumed.root() == root(leaves)


def test_compact_range_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="peaks"):
        CompactRange(3, [EMPTY_ROOT])
    with pytest.raises(ValueError):
        CompactRange(-1)
    with pytest.raises(ProofError):
        CompactRange().append(b"short")


class _NoSliceSequence(Sequence[bytes]):
    """A lazy sequence (like a database cursor window) that must never be sliced or copied."""

    def __init__(self, items: list[bytes]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, i: int) -> bytes: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[bytes]: ...
    def __getitem__(self, i: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(i, slice):
            raise AssertionError("merkle functions must not slice their input")
        return self._items[i]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._items)


def test_large_tree_is_iterative_and_unsliced() -> None:
    n = 100_003
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]
    lazy = _NoSliceSequence(leaves)
    tree_root = root(lazy)
    streamed = CompactRange()
    streamed.extend(iter(leaves))
    assert streamed.root() == tree_root
    verify_inclusion(n - 1, n, leaves[-1], inclusion_proof(n - 1, lazy), tree_root)
    verify_inclusion(12345, n, leaves[12345], inclusion_proof(12345, lazy), tree_root)
    old = 1 << 16
    verify_consistency(old, n, consistency_proof(old, lazy), root(leaves[:old]), tree_root)


# --- argument checking --------------------------------------------------------------------------


def test_generation_rejects_out_of_range_arguments() -> None:
    for index in (-1, 8):
        with pytest.raises(ValueError, match="out of range"):
            inclusion_proof(index, REFERENCE_LEAVES)
    for old_size in (-1, 0, 9):
        with pytest.raises(ValueError, match="old size"):
            consistency_proof(old_size, REFERENCE_LEAVES)
    assert consistency_proof(8, REFERENCE_LEAVES) == []


def test_verification_rejects_bad_shapes_with_clear_messages() -> None:
    tree_root = root(REFERENCE_LEAVES)
    proof = inclusion_proof(5, REFERENCE_LEAVES)
    with pytest.raises(ProofError, match="out of range"):
        verify_inclusion(-1, 8, REFERENCE_LEAVES[0], proof, tree_root)
    with pytest.raises(ProofError, match="too many"):
        verify_inclusion(5, 8, REFERENCE_LEAVES[5], [*proof, proof[0]], tree_root)
    with pytest.raises(ProofError, match="too few"):
        verify_inclusion(5, 8, REFERENCE_LEAVES[5], proof[:-1], tree_root)
    with pytest.raises(ProofError, match=r"proof\[1\] is 31 bytes"):
        verify_inclusion(5, 8, REFERENCE_LEAVES[5], [proof[0], proof[1][:-1], proof[2]], tree_root)
    with pytest.raises(ProofError, match="expected"):
        verify_inclusion(4, 8, REFERENCE_LEAVES[5], inclusion_proof(4, REFERENCE_LEAVES), tree_root)
    with pytest.raises(ProofError, match="non-negative"):
        verify_consistency(-1, 8, [], tree_root, tree_root)
    with pytest.raises(ProofError, match="cannot shrink"):
        verify_consistency(8, 7, [], tree_root, tree_root)
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 8, [], EMPTY_ROOT, tree_root)
