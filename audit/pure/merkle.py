"""Merkle tree hashing, proofs and proof verification for the audit log (RFC 6962 / RFC 9162).

The audit log is an append-only list of events. Publishing only the Merkle tree hash of that list
lets an auditor check two things without trusting us with the whole log:

* *inclusion*: a given event is entry ``i`` of the tree of size ``n`` (RFC 6962 §2.1.1,
  RFC 9162 §2.1.3), and
* *consistency*: the tree of size ``m`` is a prefix of the tree of size ``n``, i.e. nothing was
  rewritten or removed between two published roots (RFC 6962 §2.1.2, RFC 9162 §2.1.4).

We use the RFC hashing scheme unchanged (SHA-256, ``0x00`` leaf prefix, ``0x01`` node prefix) so
that any RFC 6962 implementation, e.g. transparency-dev/merkle, can verify our proofs. The domain
separation prefixes are what stop a second-preimage attack that passes an interior node off as a
leaf (RFC 6962 §2.1, RFC 9162 §2.1.1).

Pure standard library, no Django: an auditor can vendor this single file. Nothing here recurses;
trees of millions of leaves are handled with O(log n) extra memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "ProofError",
    "consistency_proof",
    "hash_children",
    "hash_leaf",
    "inclusion_proof",
    "root",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Bytes in a SHA-256 digest: every leaf hash, node hash and proof entry has exactly this length."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() -- the hash of an empty tree is the hash of the empty string (RFC 6962 §2.1)."""


class ProofError(ValueError):
    """A proof did not verify: wrong shape, wrong sizes, or a computed root that does not match."""


def hash_leaf(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the leaf hash of one entry's canonical bytes (RFC 6962 §2.1)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): an interior node over two subtree hashes (RFC 6962 §2.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _check_hash(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, expected a {HASH_SIZE}-byte SHA-256 hash")


class CompactRange:
    """Incremental Merkle tree hash over a stream of leaf hashes, in O(log n) memory.

    RFC 6962 §2.1 splits a list of ``n`` leaves at ``k``, the largest power of two below ``n``, so
    the left part is always a perfect subtree. Unrolled, MTH(D[n]) is the hashes of the perfect
    subtrees given by the binary decomposition of ``n`` (the "peaks", largest first) folded from the
    right. Appending a leaf only merges equal-sized peaks, like incrementing a binary counter; this
    is the compact range of transparency-dev/merkle (docs/compact_ranges.md), restricted to ranges
    starting at leaf 0.

    ``size`` and ``peaks`` are the whole state, so a caller can persist them and resume later with
    ``CompactRange(size, peaks)`` instead of re-reading the leaves already hashed.
    """

    __slots__ = ("_peaks", "_size")

    def __init__(self, size: int = 0, peaks: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise ValueError(f"size must be >= 0, got {size}")
        if len(peaks) != size.bit_count():
            raise ValueError(f"a range of {size} leaves has {size.bit_count()} peaks, got {len(peaks)}")
        for i, peak in enumerate(peaks):
            _check_hash(f"peaks[{i}]", peak)
        self._size = size
        self._peaks = list(peaks)

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def peaks(self) -> tuple[bytes, ...]:
        """Hashes of the perfect subtrees covering the leaves, leftmost (largest) first."""
        return tuple(self._peaks)

    def append(self, leaf_hash: bytes) -> None:
        """Add the next leaf hash (already ``hash_leaf``-ed); amortised O(1) hashes."""
        _check_hash("leaf hash", leaf_hash)
        node, size = leaf_hash, self._size
        while size & 1:  # each trailing 1 bit is a peak of the same height as ``node``
            node = hash_children(self._peaks.pop(), node)
            size >>= 1
        self._peaks.append(node)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append every leaf hash from an iterable, e.g. a streaming database cursor."""
        for leaf_hash in leaf_hashes:
            self.append(leaf_hash)

    def root(self) -> bytes:
        """MTH of the leaves appended so far; ``EMPTY_ROOT`` if none (RFC 6962 §2.1)."""
        if not self._peaks:
            return EMPTY_ROOT
        node = self._peaks[-1]
        for peak in reversed(self._peaks[:-1]):
            node = hash_children(peak, node)
        return node


def _range_root(leaf_hashes: Sequence[bytes], begin: int, end: int) -> bytes:
    """MTH(D[begin:end]) without slicing, so lazy sequences are not copied."""
    acc = CompactRange()
    for i in range(begin, end):
        acc.append(leaf_hashes[i])
    return acc.root()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Merkle tree hash MTH(D[n]) of the given leaf hashes (RFC 6962 §2.1); O(n), iterative."""
    return _range_root(leaf_hashes, 0, len(leaf_hashes))


def _split(n: int) -> int:
    """``k`` of RFC 6962 §2.1: the largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) for the tree over all of ``leaf_hashes`` (RFC 6962 §2.1.1).

    The recursive definition is walked top-down as a loop; each step records the sibling subtree
    as a leaf range. The ranges are disjoint, so hashing them costs at most O(n). The RFC lists
    the deepest sibling first, hence the reversal.
    """
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is out of range for a tree of size {size}")
    siblings: list[tuple[int, int]] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:  # PATH(m, D[0:k]) : MTH(D[k:n])
            siblings.append((lo + k, hi))
            hi = lo + k
        else:  # PATH(m - k, D[k:n]) : MTH(D[0:k])
            siblings.append((lo, lo + k))
            lo, m = lo + k, m - k
    return [_range_root(leaf_hashes, b, e) for b, e in reversed(siblings)]


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(old_size, D[n]) = SUBPROOF(old_size, D[n], true) (RFC 6962 §2.1.2).

    ``old_size == n`` gives the empty proof, which ``verify_consistency`` accepts for equal
    sizes. ``old_size == 0`` is refused: RFC 9162 §2.1.4.2 only defines verification for
    ``0 < first``, and the verifier (like transparency-dev's) rejects it.
    """
    size = len(leaf_hashes)
    if not 0 < old_size <= size:
        raise ValueError(f"old size {old_size} must satisfy 0 < old_size <= {size}")
    nodes: list[tuple[int, int]] = []
    lo, hi, m, whole = 0, size, old_size, True
    while hi - lo != m:
        k = _split(hi - lo)
        if m <= k:  # SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            nodes.append((lo + k, hi))
            hi = lo + k
        else:  # SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            nodes.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:  # SUBPROOF(m, D[m], false) = {MTH(D[m])}: the verifier does not know this subtree
        nodes.append((lo, hi))
    return [_range_root(leaf_hashes, b, e) for b, e in reversed(nodes)]


def root_from_inclusion_proof(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]) -> bytes:
    """The root a valid inclusion proof implies, per the RFC 9162 §2.1.3.2 algorithm.

    Raises ``ProofError`` if the index is out of range or the proof has the wrong length or
    malformed hashes; comparing the result with a trusted root is the caller's job (or use
    ``verify_inclusion``).
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is out of range for a tree of size {size}")
    _check_hash("leaf hash", leaf_hash)
    for i, node in enumerate(proof):
        _check_hash(f"proof[{i}]", node)
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof has too many hashes ({len(proof)}) for index {index}/{size}")
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            # On the right border, skip levels where this node has no sibling.
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hash_children(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"inclusion proof has too few hashes ({len(proof)}) for index {index}/{size}")
    return r


def verify_inclusion(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with hash ``root``.

    RFC 9162 §2.1.3.2. Returns ``None`` on success, raises ``ProofError`` otherwise.
    """
    computed = root_from_inclusion_proof(index, size, leaf_hash, proof)
    if computed != root:
        raise ProofError(
            f"inclusion proof for index {index}/{size} gives root {computed.hex()}, expected {root.hex()}"
        )


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Check that the tree of ``size1`` (hash ``root1``) is a prefix of that of ``size2`` (``root2``).

    RFC 9162 §2.1.4.2 for ``0 < size1 < size2``. Edge cases follow transparency-dev/merkle:
    equal sizes need an empty proof and identical roots; ``size1 == 0`` is rejected, since every
    tree extends the empty one and such a "proof" would vouch for nothing. Returns ``None`` on
    success, raises ``ProofError`` otherwise.
    """
    if size1 < 0 or size2 < 0:
        raise ProofError(f"tree sizes must be non-negative, got {size1} and {size2}")
    if size1 > size2:
        raise ProofError(f"size1 ({size1}) is larger than size2 ({size2}): a log cannot shrink")
    if size1 == 0:
        raise ProofError("size1 is 0: consistency with the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError(f"sizes are equal ({size1}) but the proof has {len(proof)} hashes, expected 0")
        if root1 != root2:
            raise ProofError(f"sizes are equal ({size1}) but the roots differ")
        return
    if not proof:
        raise ProofError(f"empty consistency proof between different sizes {size1} and {size2}")
    _check_hash("root1", root1)
    _check_hash("root2", root2)
    for i, node in enumerate(proof):
        _check_hash(f"proof[{i}]", node)

    # Step 2: if size1 is a power of two, the old tree is a complete subtree of the new one and the
    # proof omits its hash, because the verifier already has it.
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:  # step 4: start at the level of path[0], the biggest subtree ending at size1
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof has too many hashes ({len(proof)}) for {size1} -> {size2}")
        if fn & 1 or fn == sn:
            fr, sr = hash_children(c, fr), hash_children(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:  # a subtree appended after size1: only the new root covers it
            sr = hash_children(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"consistency proof has too few hashes ({len(proof)}) for {size1} -> {size2}")
    if fr != root1:
        raise ProofError(f"consistency proof gives root {fr.hex()} at size {size1}, expected {root1.hex()}")
    if sr != root2:
        raise ProofError(f"consistency proof gives root {sr.hex()} at size {size2}, expected {root2.hex()}")
